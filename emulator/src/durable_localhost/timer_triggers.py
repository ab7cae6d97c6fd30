"""Timer triggers resolved at startup: schedule (with ``%SETTING%``), time zone, monitor, disabled.

The host resolves ``%NAME%`` in a schedule from the app settings, parses it, and decides whether
the schedule monitor runs (``useMonitor``, on by default, always off for schedules that fire more
than once a minute). A schedule it cannot read puts the function in error; the local host
refuses to start instead, naming the function, the value and where the function is defined.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from durable_localhost.cron import ConstantSchedule, CronSchedule, ScheduleError, parse_schedule
from durable_localhost.functions import TimerFunction
from durable_localhost.startup_errors import StartupError

#: The app setting naming the time zone of cron schedules (Azure: ``WEBSITE_TIME_ZONE``; on
#: Linux plans also ``TZ``). Without one, schedules run in UTC, as the host does in Azure.
TIME_ZONE_SETTINGS = ("WEBSITE_TIME_ZONE", "TZ")
_SETTING_REF = re.compile(r"%([^%]+)%")


@dataclass(frozen=True)
class TimerTrigger:
    """A timer function ready to schedule."""

    function: TimerFunction
    expression: str  # after %SETTING% substitution
    schedule: CronSchedule | ConstantSchedule
    use_monitor: bool
    disabled: bool

    @property
    def name(self) -> str:
        """The function's name."""
        return self.function.function_name


def time_zone(environ: Mapping[str, str]) -> tzinfo:
    """The zone of ``WEBSITE_TIME_ZONE`` (an IANA name), else of ``TZ`` when it names one, else UTC.

    ``TZ`` is only taken when it is a zone name: in a shell it may hold a POSIX rule or a path,
    which the host's settings never do.
    """
    website = environ.get(TIME_ZONE_SETTINGS[0], "").strip()
    if website:
        try:
            return ZoneInfo(website)
        except (ZoneInfoNotFoundError, ValueError):
            raise StartupError(
                f"The time zone '{website}' in the app setting {TIME_ZONE_SETTINGS[0]} is not "
                "known. Use a time zone database name such as 'Europe/Berlin' (the local host "
                "does not read Windows zone names)."
            ) from None
    posix = environ.get(TIME_ZONE_SETTINGS[1], "").strip()
    if posix and not posix.startswith(":"):
        try:
            return ZoneInfo(posix)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return UTC


def resolve_setting_refs(text: str, environ: Mapping[str, str]) -> str:
    """Replace each ``%NAME%`` with its app setting (``A:B`` also as ``A__B``), as the host's
    name resolver does; one that no setting defines is the host's error."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        for candidate in (name, name.replace(":", "__")):
            if candidate in environ:
                return environ[candidate]
        raise ScheduleError(f"'%{name}%' does not resolve to a value.")

    return _SETTING_REF.sub(value, text)


def is_disabled(function_name: str, environ: Mapping[str, str]) -> bool:
    """``AzureWebJobs.<name>.Disabled`` (or ``AzureWebJobs__<name>__Disabled``) set to true."""
    wanted = {
        f"azurewebjobs.{function_name}.disabled".lower(),
        f"azurewebjobs__{function_name}__disabled".lower(),
    }
    return any(
        key.lower() in wanted and value.strip().lower() in ("true", "1")
        for key, value in environ.items()
    )


def resolve_timer_triggers(
    functions: list[TimerFunction], environ: Mapping[str, str]
) -> tuple[list[TimerTrigger], tzinfo]:
    """Every timer function with its parsed schedule; the first bad one refuses the start."""
    zone = time_zone(environ)
    triggers: list[TimerTrigger] = []
    for function in functions:
        try:
            expression = resolve_setting_refs(function.schedule, environ)
            schedule = parse_schedule(expression, zone)
        except ScheduleError as exc:
            raise function_in_error(function, str(exc)) from None
        use_monitor = function.use_monitor is not False and not schedule.sub_minute
        triggers.append(
            TimerTrigger(
                function,
                expression,
                schedule,
                use_monitor,
                is_disabled(function.function_name, environ),
            )
        )
    return triggers, zone


def function_in_error(function: TimerFunction, reason: str) -> StartupError:
    """The host's "function is in error" message, placed at the function's definition."""
    path: Path | None = None
    line: int | None = None
    try:
        source = inspect.getsourcefile(function.handler)
        _, line = inspect.getsourcelines(function.handler)
        path = Path(source) if source else None
    except (OSError, TypeError):
        pass
    return StartupError(
        f"The '{function.function_name}' function is in error: {reason}", path, line
    )
