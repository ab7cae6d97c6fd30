"""Orchestration versioning: how versions compare, and how the host reads its settings."""

from __future__ import annotations

import pytest

from durable_localhost.versioning import (
    FailureStrategy,
    MatchStrategy,
    Versioning,
    VersioningSettingError,
    compare_versions,
    versioning_from,
)


@pytest.mark.parametrize(
    ("left", "right", "order"),
    [
        (None, None, 0),
        ("", None, 0),
        ("  ", "", 0),
        (None, "1.0", -1),
        ("", "0.0", -1),
        ("1.0", None, 1),
        ("1.10", "1.9", 1),
        ("1.9", "1.10", -1),
        ("2.0", "10.0", -1),
        ("1.0", "1.0.0", -1),
        ("1.2.3.4", "1.2.3.4", 0),
        (" 1.2 ", "1.2", 0),
        ("V2-release", "v2-RELEASE", 0),
        ("2025-01-02", "2025-01-10", -1),
        ("beta", "Alpha", 1),
        # One number alone is not a version number (System.Version needs two parts): text.
        ("10", "9", -1),
        # Mixed: one side is not a version number, so both compare as text.
        ("1.10", "1.9-hotfix", -1),
        # A part beyond int32 is not a version number: text.
        ("1.2147483648", "1.9", -1),
        # OrdinalIgnoreCase folds to upper case: '_' sorts after 'A'.
        ("_", "a", 1),
    ],
)
def test_versions_compare_as_the_extension_compares_them(
    left: str | None, right: str | None, order: int
) -> None:
    assert compare_versions(left, right) == order
    assert compare_versions(right, left) == -order


@pytest.mark.parametrize(
    ("match", "version", "admitted"),
    [
        (MatchStrategy.CURRENT_OR_OLDER, None, True),
        (MatchStrategy.CURRENT_OR_OLDER, "1.9", True),
        (MatchStrategy.CURRENT_OR_OLDER, "2.0", True),
        (MatchStrategy.CURRENT_OR_OLDER, "2.0.1", False),
        (MatchStrategy.CURRENT_OR_OLDER, "2.10", False),
        (MatchStrategy.STRICT, "2.0", True),
        (MatchStrategy.STRICT, "1.9", False),
        (MatchStrategy.STRICT, None, False),
        (MatchStrategy.NONE, "9.0", True),
        (MatchStrategy.NONE, None, True),
    ],
)
def test_the_match_strategy_decides_which_versions_a_host_runs(
    match: MatchStrategy, version: str | None, admitted: bool
) -> None:
    versioning = Versioning(default_version="2.0", match=match)
    assert (versioning.mismatch(version) is None) is admitted


def test_a_mismatch_names_both_versions() -> None:
    newer = Versioning(default_version="1.0").mismatch("2.0")
    assert newer == "The orchestration version '2.0' is greater than the worker version '1.0'."
    strict = Versioning(default_version="1.0", match=MatchStrategy.STRICT).mismatch(None)
    assert strict == "The orchestration version '' does not match the worker version '1.0'."


def test_a_host_without_a_default_version_checks_nothing() -> None:
    for match in MatchStrategy:
        assert Versioning(default_version=None, match=match).mismatch("9.9") is None


def test_a_start_that_names_a_version_keeps_it_even_when_empty() -> None:
    versioning = Versioning(default_version="2.0")
    assert versioning.stamp(None) == "2.0"
    assert versioning.stamp("1.0") == "1.0"
    assert versioning.stamp("") == ""


def test_settings_are_read_case_insensitively_with_their_defaults() -> None:
    assert versioning_from({}) == Versioning()
    read = versioning_from(
        {"DefaultVersion": 3, "VERSIONMATCHSTRATEGY": "strict", "versionFailureStrategy": "FAIL"}
    )
    assert read == Versioning("3", MatchStrategy.STRICT, FailureStrategy.FAIL)


def test_default_version_is_taken_literally() -> None:
    """The host does not substitute %SETTING% here (azure-functions-durable-extension#3279)."""
    assert versioning_from({"defaultVersion": "%APP_VERSION%"}).default_version == "%APP_VERSION%"


@pytest.mark.parametrize("key", ["versionMatchStrategy", "versionFailureStrategy"])
def test_an_unknown_strategy_stops_the_host_naming_the_setting(key: str) -> None:
    with pytest.raises(VersioningSettingError, match=rf"durableTask\.{key} is 'Sometimes'") as err:
        versioning_from({key: "Sometimes"})
    assert f"AzureFunctionsJobHost__extensions__durableTask__{key}" in str(err.value)
