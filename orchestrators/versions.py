"""Orchestration versions compared the way the Durable extension compares them.

An orchestrator that changes its steps branches on `context.version`, the version stamped on
the instance when it started (host.json `defaultVersion`). The branch must agree with the
host's own ordering, which `versionMatchStrategy` uses to decide who may run an instance:
no version is older than every version; two versions that both read as version numbers
(`major.minor[.build[.revision]]`, as .NET's `System.Version`) compare part by part, so
`1.10` is newer than `1.9`; anything else compares as text, ignoring case.
"""

from __future__ import annotations

import re
from typing import Final

#: What `System.Version.TryParse` accepts: two to four non-negative integer parts.
_NUMERIC: Final = re.compile(r"\s*(\d+)\.(\d+)(?:\.(\d+))?(?:\.(\d+))?\s*")
_INT32_MAX: Final = 2**31 - 1


def _numeric(version: str) -> tuple[int, ...] | None:
    match = _NUMERIC.fullmatch(version)
    if match is None:
        return None
    # A missing part sorts below 0, as in System.Version ("1.0" < "1.0.0").
    parts = tuple(-1 if part is None else int(part) for part in match.groups())
    return parts if max(parts) <= _INT32_MAX else None


def compare_versions(version: str | None, other: str | None) -> int:
    """-1, 0 or 1 as `version` is older than, the same as or newer than `other`."""
    mine, theirs = (version or "").strip(), (other or "").strip()
    if not mine or not theirs:
        return (mine > "") - (theirs > "")  # no version is older than any version
    numbers, other_numbers = _numeric(mine), _numeric(theirs)
    if numbers is not None and other_numbers is not None:
        return (numbers > other_numbers) - (numbers < other_numbers)
    folded, other_folded = mine.upper(), theirs.upper()  # .NET's OrdinalIgnoreCase folds up
    return (folded > other_folded) - (folded < other_folded)


def is_at_least(version: str | None, introduced_in: str) -> bool:
    """Whether an instance of `version` runs the steps that `introduced_in` brought in."""
    return compare_versions(version, introduced_in) >= 0
