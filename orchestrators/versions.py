"""Version branches: which code path an instance takes, from the version it was started with.

Every instance is stamped with Durable's `defaultVersion` when it starts (a release sets it, see
docs/changing-orchestrations.md) and keeps it for life, continue-as-new included, so
`context.version` picks the same path on every replay. Versions are MAJOR.MINOR.PATCH and
compare as numbers (1.10.0 is newer than 1.9.0); an instance from before versioning has none
and counts as older than every version.
"""

from __future__ import annotations

import re

import azure.durable_functions as df

_RELEASE = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")


def release_parts(version: str) -> tuple[int, int, int]:
    """`1.10.0` as `(1, 10, 0)`; anything that is not MAJOR.MINOR.PATCH is a ValueError."""
    match = _RELEASE.fullmatch(version)
    if match is None:
        raise ValueError(f"version '{version}' is not MAJOR.MINOR.PATCH")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def started_at_least(context: df.DurableOrchestrationContext, minimum: str) -> bool:
    """Whether this instance was started by release `minimum` or a newer one.

    The branch for code added in `minimum` is `if started_at_least(context, "1.1.0")`; the
    `else` keeps the steps instances of older versions recorded, unchanged, until none is left.
    """
    version = context.version
    if not version:
        return False
    return release_parts(version) >= release_parts(minimum)
