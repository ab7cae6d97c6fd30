"""Version comparison as the Durable extension orders orchestration versions."""

from __future__ import annotations

import pytest

from orchestrators.versions import compare_versions, is_at_least


@pytest.mark.parametrize(
    ("version", "other", "expected"),
    [
        (None, None, 0),
        ("", None, 0),
        ("  ", "", 0),
        ("", "0.0", -1),  # no version is older than any version
        ("0.0", None, 1),
        (None, "a", -1),
        ("1.10", "1.9", 1),  # numbers compare as numbers
        ("1.9", "1.10", -1),
        ("2.0", "10.0", -1),
        ("1.0", "1.0", 0),
        ("1.0", "1.0.0", -1),  # a missing part is older than 0, as in System.Version
        ("1.2.3.4", "1.2.3.4", 0),
        (" 1.1 ", "1.1", 0),
        ("1.1-beta", "1.1", 1),  # not both numbers: text, ignoring case
        ("Beta", "alpha", 1),
        ("RELEASE-B", "release-a", 1),
        ("release-a", "RELEASE-A", 0),
        ("10", "9", -1),  # a single number is not a version number: text
        ("1.2147483648", "1.9", -1),  # a part beyond int32 is not a version number: text
        ("_", "a", 1),  # OrdinalIgnoreCase folds to upper case: '_' sorts after 'A'
    ],
)
def test_versions_compare_like_the_extension(
    version: str | None, other: str | None, expected: int
) -> None:
    assert compare_versions(version, other) == expected
    assert compare_versions(other, version) == -expected


@pytest.mark.parametrize(
    ("version", "expected"),
    [(None, False), ("", False), ("1.0", False), ("1.1", True), ("1.10", True), ("2.0", True)],
)
def test_is_at_least_takes_the_new_branch_from_the_introducing_version_on(
    version: str | None, expected: bool
) -> None:
    assert is_at_least(version, "1.1") is expected
