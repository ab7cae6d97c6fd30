"""Fast, exact parsing of the Durable host's timestamps inside the Durable Functions SDK.

Python workers replay an orchestration's whole history every episode, and the SDK parses each
event's timestamp with dateutil's general-purpose parser: most of a replay's CPU. `install()`
points the SDK's parse sites at `parse_timestamp`, which reads the ISO-8601 shapes the host
writes with `datetime.fromisoformat` and returns what dateutil returns for them (same value,
same kind of tzinfo); anything else goes to dateutil itself. Why and how it is guarded:
docs/replay-timestamps.md.
"""

from __future__ import annotations

import importlib
import logging
import re
import time
from collections.abc import Mapping
from datetime import datetime, tzinfo
from importlib.metadata import version
from types import ModuleType

from dateutil import tz  # type: ignore[import-untyped]
from dateutil.parser import parse as dateutil_parse  # type: ignore[import-untyped]

from shared.settings import SettingsError, fast_history_timestamps_enabled

logger = logging.getLogger(__name__)

#: The SDK release whose parse sites were read; another release leaves the SDK untouched until
#: `tests/unit/test_sdk_timestamps_patch.py` passes against it and this is raised.
CHECKED_SDK_VERSION = "1.7.0"

#: SDK modules that bind dateutil's parser at import (`from dateutil.parser import parse as
#: dt_parse`) and look it up at call time: history events and orchestration status.
PATCH_MODULES = (
    "azure.durable_functions.models.history.HistoryEvent",
    "azure.durable_functions.models.DurableOrchestrationStatus",
)
PATCH_NAME = "dt_parse"

# Date, time, 0-7 fractional digits (.NET writes up to 7), then Z, an offset of -23:59..+23:59,
# or nothing (naive). ASCII digits only; everything else is dateutil's to judge.
_SHAPE = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,7})?)"
    r"(Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?",
    re.ASCII,
)
_UTC_OFFSETS = frozenset({"Z", "+00:00", "-00:00"})


#: The local zone's names (`time.tzname`, a new tuple after each `time.tzset()`) and the tzinfo
#: dateutil gives a UTC timestamp under them.
_zone_cache: tuple[object, tzinfo | None] = (None, None)


def _utc_zone() -> tzinfo | None:
    """The tzinfo dateutil attaches to a UTC timestamp, or None where only dateutil can tell.

    dateutil names a zero offset "UTC" and gives it the local zone (`tzlocal()`) when the
    process's local zone is also called UTC (as on Azure's Linux workers), `tzutc()` otherwise.
    One `tzlocal()` serves every timestamp until the local zone changes: equal to a fresh one
    in every respect but identity, and cheaper to compare (see the design note).
    """
    global _zone_cache
    names = time.tzname
    if names is _zone_cache[0]:
        return _zone_cache[1]
    zone: tzinfo | None
    if "UTC" not in names:
        zone = tz.UTC
    elif names == ("UTC", "UTC"):
        zone = tz.tzlocal()
    else:
        zone = None  # UTC in one half of a DST pair: dateutil's ambiguity rules apply
    _zone_cache = (names, zone)
    return zone


def parse_timestamp(text: str) -> datetime:
    """`dateutil.parser.parse(text)`, without dateutil's cost for the host's ISO-8601 shapes."""
    match = _SHAPE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        return dateutil_parse(text)  # type: ignore[no-any-return]
    local, offset = match.groups()
    try:
        naive = datetime.fromisoformat(local)  # also checks the ranges; 7th digit truncated
    except ValueError:
        return dateutil_parse(text)  # type: ignore[no-any-return]
    if offset is None:
        return naive
    if offset in _UTC_OFFSETS:
        zone = _utc_zone()
        if zone is None:
            return dateutil_parse(text)  # type: ignore[no-any-return]
        return _aware(naive, zone)
    seconds = int(offset[1:3]) * 3600 + int(offset[4:6]) * 60
    return _aware(naive, tz.tzoffset(None, -seconds if offset[0] == "-" else seconds))


def _aware(naive: datetime, zone: tzinfo) -> datetime:
    """`naive.replace(tzinfo=zone)` at less than half the cost (3.11 parses replace's keywords)."""
    n = naive
    return datetime(n.year, n.month, n.day, n.hour, n.minute, n.second, n.microsecond, zone)


def _patch_modules() -> list[ModuleType]:
    return [importlib.import_module(name) for name in PATCH_MODULES]


def installed() -> bool:
    """True when every SDK parse site uses `parse_timestamp`."""
    return all(getattr(m, PATCH_NAME, None) is parse_timestamp for m in _patch_modules())


def install() -> bool:
    """Point the SDK's parse sites at `parse_timestamp`; idempotent.

    Leaves the SDK untouched (and says so in the log) when its version or its parse sites are
    not the ones this module was checked against: the SDK then stays correct, only slower.
    """
    sdk_version = version("azure-functions-durable")
    if sdk_version != CHECKED_SDK_VERSION:
        logger.warning(
            "fast history timestamps not applied: azure-functions-durable %s is not the checked %s",
            sdk_version,
            CHECKED_SDK_VERSION,
        )
        return False
    modules = _patch_modules()
    unexpected = [
        m.__name__
        for m in modules
        if getattr(m, PATCH_NAME, None) not in (dateutil_parse, parse_timestamp)
    ]
    if unexpected:
        logger.warning(
            "fast history timestamps not applied: %s.%s is not dateutil's parser",
            ", ".join(unexpected),
            PATCH_NAME,
        )
        return False
    for module in modules:
        setattr(module, PATCH_NAME, parse_timestamp)
    return True


def uninstall() -> None:
    """Give the SDK dateutil's parser back wherever `install()` replaced it."""
    for module in _patch_modules():
        if getattr(module, PATCH_NAME, None) is parse_timestamp:
            setattr(module, PATCH_NAME, dateutil_parse)


def apply_setting(environ: Mapping[str, str] | None = None) -> bool:
    """Install or uninstall as `FAST_HISTORY_TIMESTAMPS` says; True when installed.

    Runs at import of the app: a malformed value is logged and the default (on) kept, since
    both choices give the same results and failing the import would stop every function.
    """
    try:
        enabled = fast_history_timestamps_enabled(environ)
    except SettingsError as exc:
        logger.error("%s; fast history timestamps stay on", exc)
        enabled = True
    if enabled:
        return install()
    uninstall()
    return False
