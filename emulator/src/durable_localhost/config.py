"""Host configuration: ``host.json`` (JSON with comments) and ``local.settings.json`` values."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from durable_localhost import jsonc
from durable_localhost.timeutil import parse_timespan

_SETTING_REF = re.compile(r"%([^%]+)%")

#: Azure Storage defaults of the Durable extension (long timers are split by the SDK).
DEFAULT_LONG_TIMER_INTERVAL = timedelta(days=3)
DEFAULT_MAX_SHORT_TIMER = timedelta(days=6)


@dataclass(frozen=True)
class HostConfig:
    """The parts of ``host.json`` the emulator honours."""

    route_prefix: str = "api"
    hub_name: str = "TestHubName"
    max_concurrent_activities: int = 10
    max_concurrent_orchestrators: int = 10
    max_concurrent_entities: int = 10
    long_timer_interval: timedelta = DEFAULT_LONG_TIMER_INTERVAL
    max_short_timer: timedelta = DEFAULT_MAX_SHORT_TIMER
    raw: Mapping[str, Any] = field(default_factory=dict)


def substitute_settings(value: str, environ: Mapping[str, str]) -> str:
    """Replace ``%NAME%`` with the app setting, as the host does for binding expressions."""
    return _SETTING_REF.sub(lambda m: environ.get(m.group(1), m.group(0)), value)


def _positive_int(section: Mapping[str, Any], key: str, default: int) -> int:
    value = section.get(key, default)
    return value if isinstance(value, int) and value > 0 else default


def load_host_config(app_dir: Path, environ: Mapping[str, str] | None = None) -> HostConfig:
    """Read ``host.json`` from the app folder; a missing file means all defaults."""
    env = os.environ if environ is None else environ
    path = app_dir / "host.json"
    raw: dict[str, Any] = jsonc.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    extensions = raw.get("extensions") or {}
    http = extensions.get("http") or {}
    durable = extensions.get("durableTask") or {}
    storage = durable.get("storageProvider") or {}
    prefix = http.get("routePrefix", "api")
    hub = durable.get("hubName") or "TestHubName"
    hub = substitute_settings(str(hub), env)
    interval = storage.get("longRunningTimerIntervalDuration") or durable.get(
        "longRunningTimerIntervalDuration"
    )
    max_short = storage.get("maximumShortTimerDuration") or durable.get("maximumShortTimerDuration")
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
