"""Orchestration versioning: ``defaultVersion`` and the version match and failure strategies.

A new orchestration (or sub-orchestration) is stamped with the version its start names, else
with the host's ``defaultVersion``; the stamp never changes, continue-as-new included. Before an
episode runs, the instance's version is compared with the host's: ``None`` runs everything,
``Strict`` only the same version, ``CurrentOrOlder`` (the default) the same or an older one.
A mismatch either leaves the work untouched for a host that matches (``Reject``, the default)
or fails the instance (``Fail``). A host without a ``defaultVersion`` checks nothing.
"""

from __future__ import annotations

import enum
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from durable_localhost.host_overrides import lookup

log = logging.getLogger("durable_localhost.engine")

#: System.Version: two to four dot-separated non-negative integers.
_NUMERIC = re.compile(r"\d+(\.\d+){1,3}")
_INT32_MAX = 2**31 - 1


_Strategy = TypeVar("_Strategy", bound=enum.StrEnum)


class VersioningSettingError(ValueError):
    """A versioning setting the host cannot bind: the host does not start."""


class MatchStrategy(enum.StrEnum):
    """``versionMatchStrategy``."""

    NONE = "None"
    STRICT = "Strict"
    CURRENT_OR_OLDER = "CurrentOrOlder"


class FailureStrategy(enum.StrEnum):
    """``versionFailureStrategy``."""

    REJECT = "Reject"
    FAIL = "Fail"


def compare_versions(left: str | None, right: str | None) -> int:
    """Negative, zero or positive as ``left`` is older than, equal to or newer than ``right``.

    No version (``None``, empty or blank) equals no version and is older than any version; two
    versions that both parse as ``System.Version`` (2 to 4 parts, each an int32) compare part by
    part (``1.10`` > ``1.9``; a missing part is older than ``0``: ``1.0`` < ``1.0.0``); anything
    else compares as text, ignoring case as ``OrdinalIgnoreCase`` does (folded to upper case).
    """
    mine, theirs = (left or "").strip(), (right or "").strip()
    if not mine or not theirs:
        return (1 if mine else 0) - (1 if theirs else 0)
    numbers, other_numbers = _parts(mine), _parts(theirs)
    if numbers is not None and other_numbers is not None:
        return int(numbers > other_numbers) - int(numbers < other_numbers)
    folded, other = mine.upper(), theirs.upper()
    return int(folded > other) - int(folded < other)


def _parts(version: str) -> tuple[int, ...] | None:
    """The four parts of a ``System.Version`` (missing ones as -1), or None if it is not one."""
    if not _NUMERIC.fullmatch(version):
        return None
    numbers = [int(part) for part in version.split(".")]
    if max(numbers) > _INT32_MAX:
        return None
    return tuple(numbers + [-1] * (4 - len(numbers)))


@dataclass(frozen=True)
class Versioning:
    """The host's versioning settings (``extensions.durableTask``)."""

    default_version: str | None = None
    match: MatchStrategy = MatchStrategy.CURRENT_OR_OLDER
    failure: FailureStrategy = FailureStrategy.REJECT

    def stamp(self, requested: str | None) -> str | None:
        """The version of a new instance: the one its start names, else ``defaultVersion``."""
        return requested if requested is not None else self.default_version

    def mismatch(self, version: str | None) -> str | None:
        """Why this host may not run an instance of ``version``; ``None`` when it may."""
        if not self.default_version or self.match is MatchStrategy.NONE:
            return None
        order = compare_versions(version, self.default_version)
        if self.match is MatchStrategy.STRICT and order != 0:
            return (
                f"The orchestration version '{version or ''}' does not match the worker "
                f"version '{self.default_version}'."
            )
        if self.match is MatchStrategy.CURRENT_OR_OLDER and order > 0:
            return (
                f"The orchestration version '{version}' is greater than the worker "
                f"version '{self.default_version}'."
            )
        return None


def _enum_setting(section: Mapping[str, Any], key: str, kind: type[_Strategy]) -> _Strategy | None:
    """A strategy name, case-insensitive as the host's enum binding; unknown names fail startup."""
    value = lookup(section, key)
    if value is None:
        return None
    for member in kind:
        if str(value).strip().lower() == member.value.lower():
            return member
    allowed = ", ".join(member.value for member in kind)
    raise VersioningSettingError(
        f"extensions.durableTask.{key} is '{value}' (host.json, or the app setting "
        f"AzureFunctionsJobHost__extensions__durableTask__{key}): expected one of {allowed}"
    )


def versioning_from(durable: Mapping[str, Any]) -> Versioning:
    """The settings from the ``extensions.durableTask`` section (overrides already applied).

    ``defaultVersion`` is taken as written: the host substitutes ``%SETTING%`` in ``hubName``
    but not here, so a release sets it through ``AzureFunctionsJobHost__extensions__durableTask__
    defaultVersion`` instead.
    """
    default = lookup(durable, "defaultVersion")
    return Versioning(
        default_version=None if default is None else str(default),
        match=_enum_setting(durable, "versionMatchStrategy", MatchStrategy)
        or MatchStrategy.CURRENT_OR_OLDER,
        failure=_enum_setting(durable, "versionFailureStrategy", FailureStrategy)
        or FailureStrategy.REJECT,
    )


@dataclass
class VersionGate:
    """Applies the host's versioning to instances, warning once per instance it holds back."""

    versioning: Versioning
    _held: set[str] = field(default_factory=set)

    def admits(self, instance_id: str, version: str | None) -> bool:
        """Whether an episode may run; a rejected instance's messages stay in its inbox."""
        reason = self.versioning.mismatch(version)
        if reason is None or self.versioning.failure is FailureStrategy.FAIL:
            return True
        if instance_id not in self._held:
            self._held.add(instance_id)
            log.warning(
                "%s waits for a host that runs its version (versionFailureStrategy Reject): %s",
                instance_id,
                reason,
            )
        return False

    def failure(self, version: str | None) -> str | None:
        """The reason to fail an instance of ``version`` (``Fail`` strategy), else ``None``."""
        if self.versioning.failure is not FailureStrategy.FAIL:
            return None
        return self.versioning.mismatch(version)
