"""Host configuration: ``host.json`` (JSON with comments) and ``local.settings.json`` values."""

from __future__ import annotations

import enum
import json
import os
import re
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from durable_localhost import jsonc
from durable_localhost.host_overrides import apply_overrides, lookup, subsection
from durable_localhost.timeutil import parse_timespan
from durable_localhost.versioning import Versioning, versioning_from

_SETTING_REF = re.compile(r"%([^%]+)%")

#: Azure Storage defaults of the Durable extension (long timers are split by the SDK).
DEFAULT_LONG_TIMER_INTERVAL = timedelta(days=3)
DEFAULT_MAX_SHORT_TIMER = timedelta(days=6)


class OverridableStates(enum.Enum):
    """``overridableExistingInstanceStates``: may a start replace a live instance of its id?"""

    NON_RUNNING = "NonRunningStates"
    ANY = "AnyState"

    @classmethod
    def from_setting(cls, value: Any) -> OverridableStates:
        """The binder's reading: the name in any case, or the enum's number; else the default."""
        text = str(value).strip().lower() if value is not None else ""
        if text in ("anystate", "1"):
            return cls.ANY
        return cls.NON_RUNNING


@dataclass(frozen=True)
class HostConfig:
    """The parts of ``host.json`` the emulator honours; ``raw`` is the file with its overrides."""

    route_prefix: str = "api"
    hub_name: str = "TestHubName"
    max_concurrent_activities: int = 10
    max_concurrent_orchestrators: int = 10
    max_concurrent_entities: int = 10
    long_timer_interval: timedelta = DEFAULT_LONG_TIMER_INTERVAL
    max_short_timer: timedelta = DEFAULT_MAX_SHORT_TIMER
    versioning: Versioning = field(default_factory=Versioning)
    overridable_states: OverridableStates = OverridableStates.NON_RUNNING
    raw: Mapping[str, Any] = field(default_factory=dict)


def substitute_settings(value: str, environ: Mapping[str, str]) -> str:
    """Replace ``%NAME%`` with the app setting, as the host does for binding expressions."""
    return _SETTING_REF.sub(lambda m: environ.get(m.group(1), m.group(0)), value)


def _positive_int(section: Mapping[str, Any], key: str, default: int) -> int:
    """A positive count; an override arrives as text, which the host converts."""
    value = lookup(section, key, default)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return default
    return value if value > 0 else default


def load_host_config(app_dir: Path, environ: Mapping[str, str] | None = None) -> HostConfig:
    """Read ``host.json`` from the app folder, with its app-setting overrides applied.

    A missing file means all defaults; ``AzureFunctionsJobHost__...`` settings apply either way.
    """
    env = os.environ if environ is None else environ
    path = app_dir / "host.json"
    parsed: dict[str, Any] = jsonc.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    raw = apply_overrides(parsed, env)
    http = subsection(raw, "extensions", "http")
    durable = subsection(raw, "extensions", "durableTask")
    storage = subsection(durable, "storageProvider")
    prefix = lookup(http, "routePrefix", "api")
    hub = lookup(durable, "hubName") or "TestHubName"
    hub = substitute_settings(str(hub), env)
    interval = lookup(storage, "longRunningTimerIntervalDuration") or lookup(
        durable, "longRunningTimerIntervalDuration"
    )
    max_short = lookup(storage, "maximumShortTimerDuration") or lookup(
        durable, "maximumShortTimerDuration"
    )
    return HostConfig(
        route_prefix=str(prefix if prefix is not None else "").strip("/"),
        hub_name=hub,
        max_concurrent_activities=_positive_int(durable, "maxConcurrentActivityFunctions", 10),
        max_concurrent_orchestrators=_positive_int(
            durable, "maxConcurrentOrchestratorFunctions", 10
        ),
        max_concurrent_entities=_positive_int(durable, "maxConcurrentEntityFunctions", 10),
        long_timer_interval=parse_timespan(interval) if interval else DEFAULT_LONG_TIMER_INTERVAL,
        max_short_timer=parse_timespan(max_short) if max_short else DEFAULT_MAX_SHORT_TIMER,
        versioning=versioning_from(durable),
        overridable_states=OverridableStates.from_setting(
            lookup(durable, "overridableExistingInstanceStates")
        ),
        raw=raw,
    )


def read_local_settings(app_dir: Path) -> dict[str, str]:
    """The ``Values`` of ``local.settings.json``, or nothing when the file is absent."""
    path = app_dir / "local.settings.json"
    if not path.exists():
        return {}
    data = jsonc.loads(path.read_text(encoding="utf-8"))
    values = data.get("Values") or {}
    return {str(k): "" if v is None else str(v) for k, v in values.items()}


class EnvironmentPatch:
    """Applies app settings to ``os.environ`` and can undo exactly what it changed.

    ``local.settings.json`` never overrides a variable already set (Core Tools behaves the same);
    settings passed explicitly (tests) always win.
    """

    def __init__(self, environ: MutableMapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ
        self._saved: dict[str, str | None] = {}

    def apply(self, local_values: Mapping[str, str], overrides: Mapping[str, str]) -> None:
        """Set the local values that are missing, then every override."""
        for key, value in local_values.items():
            if key not in self._environ:
                self._set(key, value)
        for key, value in overrides.items():
            self._set(key, value)

    def _set(self, key: str, value: str) -> None:
        if key not in self._saved:
            self._saved[key] = self._environ.get(key)
        self._environ[key] = value

    def restore(self) -> None:
        """Put back every variable as it was before :meth:`apply`."""
        for key, old in self._saved.items():
            if old is None:
                self._environ.pop(key, None)
            else:
                self._environ[key] = old
        self._saved.clear()


def dumps_compact(value: Any) -> str:
    """Compact JSON text, as the host re-serializes JTokens."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
