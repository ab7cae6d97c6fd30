"""Version branches compare release versions as numbers; unversioned instances are oldest."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest

from orchestrators.versions import release_parts, started_at_least

pytestmark = pytest.mark.unit


def _context(version: str | None) -> Any:
    return cast(Any, SimpleNamespace(version=version))


@pytest.mark.parametrize(
    ("version", "minimum", "expected"),
    [
        ("1.1.0", "1.1.0", True),
        ("1.10.0", "1.9.0", True),
        ("1.9.0", "1.10.0", False),
        ("2.0.0", "1.99.99", True),
        ("1.0.9", "1.1.0", False),
        (None, "0.0.0", False),
        ("", "0.0.1", False),
    ],
)
def test_a_branch_is_taken_from_the_started_version(
    version: str | None, minimum: str, expected: bool
) -> None:
    assert started_at_least(_context(version), minimum) is expected


@pytest.mark.parametrize("bad", ["1.0", "v1.0.0", "1.0.0-rc1", "01.0.0", "%APP_VERSION%"])
def test_only_release_versions_compare(bad: str) -> None:
    expected = r"is not MAJOR\.MINOR\.PATCH"
    with pytest.raises(ValueError, match=expected):
        release_parts(bad)
    with pytest.raises(ValueError, match=expected):
        started_at_least(_context(bad), "1.0.0")
