"""Timer trigger schedules as the Functions host reads them: NCRONTAB or a TimeSpan.

The host's timer extension first tries NCrontab (six fields with seconds, or five without),
then ``TimeSpan.TryParse`` for a constant interval, and otherwise refuses the schedule. Both
kinds compute occurrences in the host's time zone, so a cron schedule follows local wall time
(``0 0 9 * * *`` is 09:00 there) while a TimeSpan is a plain interval.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Protocol

from durable_localhost.timeutil import format_timespan

#: How far ahead an occurrence is searched for: a 29 February that is also a given weekday
#: comes round within 28 years; a schedule with none in that span never fires.
_SEARCH_DAYS = 29 * 366


class ScheduleError(ValueError):
    """The schedule is neither a cron expression nor a TimeSpan; the message says why."""


class Schedule(Protocol):
    """When a timer function runs."""

    @property
    def sub_minute(self) -> bool:
        """More than one occurrence a minute: the host then keeps no schedule status."""
        ...

    @property
    def adjusts_for_dst(self) -> bool:
        """``Schedule.AdjustForDST`` of the timer info the function receives."""
        ...

    def next_after(self, instant: datetime) -> datetime | None:
        """The first occurrence strictly after ``instant`` (UTC), or None if there is none."""
        ...

    def describe(self) -> str:
        """``Cron: '...'`` or ``Constant: hh:mm:ss``, as the host's logs name schedules."""
        ...


@dataclass(frozen=True)
class _Field:
    kind: str
    low: int
    high: int
    names: tuple[str, ...] = ()


_FIELDS = (
    _Field("Second", 0, 59),
    _Field("Minute", 0, 59),
    _Field("Hour", 0, 23),
    _Field("Day", 1, 31),
    _Field(
        "Month",
        1,
        12,
        (
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ),
    ),
    _Field(
        "DayOfWeek",
        0,
        6,
        ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"),
    ),
)


def _value(text: str, field: _Field) -> int:
    """A number, or (months and weekdays) any case-insensitive prefix of a name, as NCrontab."""
    if text[:1].isdigit():
        if not text.isdigit():
            raise ScheduleError(f"'{text}' is not a valid [{field.kind}] crontab field value.")
        return int(text)
    if not field.names:
        raise ScheduleError(
            f"'{text}' is not a valid [{field.kind}] crontab field value. It must be a numeric "
            f"value between {field.low} and {field.high} (all inclusive)."
        )
    lowered = text.lower()
    for index, name in enumerate(field.names):
        if lowered and name.lower().startswith(lowered):
            return index + field.low
    raise ScheduleError(
        f"'{text}' is not a known value name. Use one of the following: {', '.join(field.names)}."
    )


def _check_range(value: int, field: _Field) -> None:
    if not field.low <= value <= field.high:
        side = "higher than the maximum" if value > field.high else "lower than the minimum"
        raise ScheduleError(
            f"{value} is {side} allowable value for the [{field.kind}] field. Value must be "
            f"between {field.low} and {field.high} (all inclusive)."
        )


def _parse_part(part: str, field: _Field) -> range:
    """One list element: ``*``, ``v``, ``a-b`` (either order), each optionally ``/step``."""
    if not part:
        raise ScheduleError(f"A [{field.kind}] crontab field value cannot be empty.")
    base, slash, step_text = part.partition("/")
    step = 1
    if slash:
        if not step_text.isdigit():
            raise ScheduleError(f"'{part}' is not a valid [{field.kind}] crontab field expression.")
        step = max(1, int(step_text))
    if base == "*":
        return range(field.low, field.high + 1, step)
    first, dash, last = base.partition("-")
    if dash and first:
        low, high = sorted((_value(first, field), _value(last, field)))
        _check_range(low, field)
        _check_range(high, field)
        return range(low, high + 1, step)
    value = _value(base, field)
    _check_range(value, field)
    return range(value, (field.high if slash else value) + 1, step)


def _parse_field(text: str, field: _Field) -> tuple[int, ...]:
    values: set[int] = set()
    for part in text.split(","):
        values.update(_parse_part(part, field))
    return tuple(sorted(values))


@dataclass(frozen=True)
class CronSchedule:
    """An NCRONTAB schedule in a time zone; fields combine with AND, as NCrontab does."""

    expression: str
    seconds: tuple[int, ...]
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    zone: tzinfo
    with_seconds: bool

    @property
    def sub_minute(self) -> bool:
        """Every minute-and-above field is ``*`` and the seconds field has several values."""
        full = all(
            len(values) == f.high - f.low + 1
            for values, f in zip(
                (self.minutes, self.hours, self.days, self.months, self.weekdays),
                _FIELDS[1:],
                strict=True,
            )
        )
        return self.with_seconds and full and len(self.seconds) > 1

    @property
    def adjusts_for_dst(self) -> bool:
        """Cron schedules follow wall time across DST changes."""
        return True

    def describe(self) -> str:
        """``Cron: '<expression>'``."""
        return f"Cron: '{self.expression}'"

    def next_after(self, instant: datetime) -> datetime | None:
        """The next occurrence after ``instant``, found in local wall time, returned in UTC."""
        local = instant.astimezone(self.zone).replace(tzinfo=None, microsecond=0)
        while True:
            found = self._next_local(local)
            if found is None:
                return None
            occurrence = found.replace(tzinfo=self.zone).astimezone(UTC)
            if occurrence > instant:
                return occurrence
            local = found  # a wall time repeated when the clocks went back: look further

    def _next_local(self, after: datetime) -> datetime | None:
        start = after + timedelta(seconds=1)
        day = start.date()
        for offset in range(_SEARCH_DAYS):
            current = day + timedelta(days=offset)
            if not self._runs_on(current):
                continue
            at = self._first_time(start.time() if offset == 0 else None)
            if at is not None:
                return datetime.combine(current, at)
        return None

    def _runs_on(self, day: date) -> bool:
        weekday = (day.weekday() + 1) % 7  # Python's Monday=0 to cron's Sunday=0
        return day.month in self.months and day.day in self.days and weekday in self.weekdays

    def _first_time(self, at_least: time | None) -> time | None:
        floor = (0, 0, 0) if at_least is None else (at_least.hour, at_least.minute, at_least.second)
        for hour in self.hours:
            if hour < floor[0]:
                continue
            for minute in self.minutes:
                if (hour, minute) < floor[:2]:
                    continue
                for second in self.seconds:
                    if (hour, minute, second) >= floor:
                        return time(hour, minute, second)
        return None


@dataclass(frozen=True)
class ConstantSchedule:
    """A TimeSpan schedule: every ``interval`` from the previous occurrence."""

    interval: timedelta

    @property
    def sub_minute(self) -> bool:
        """Shorter than a minute."""
        return self.interval < timedelta(minutes=1)

    @property
    def adjusts_for_dst(self) -> bool:
        """An interval ignores DST changes."""
        return False

    def describe(self) -> str:
        """``Constant: hh:mm:ss``."""
        return f"Constant: {format_timespan(self.interval)}"

    def next_after(self, instant: datetime) -> datetime | None:
        """``instant`` plus the interval."""
        return instant + self.interval


def parse_cron(expression: str, zone: tzinfo = UTC) -> CronSchedule:
    """Six fields (seconds first), or five (seconds are 0), as the host's NCrontab options."""
    tokens = expression.split()
    if len(tokens) not in (5, 6):
        raise ScheduleError(
            f"'{expression}' is an invalid crontab expression. It must contain 6 components of "
            "a schedule in the sequence of seconds, minutes, hours, days, months, and days of week."
        )
    with_seconds = len(tokens) == 6
    if not with_seconds:
        tokens = ["0", *tokens]
    second, minute, hour, day, month, weekday = (
        _parse_field(token, field) for token, field in zip(tokens, _FIELDS, strict=True)
    )
    return CronSchedule(
        expression=expression.strip(),
        seconds=second,
        minutes=minute,
        hours=hour,
        days=frozenset(day),
        months=frozenset(month),
        weekdays=frozenset(weekday),
        zone=zone,
        with_seconds=with_seconds,
    )


_CLOCK_PART = re.compile(r"^\d{1,2}$")
_SECONDS_PART = re.compile(r"^(\d{1,2})(?:\.(\d{1,7}))?$")


def parse_dotnet_timespan(text: str) -> timedelta:
    """``TimeSpan.TryParse`` in the invariant culture: ``d``, ``[d.]hh:mm[:ss[.fffffff]]`` or
    ``d:hh:mm:ss[.fffffff]`` (hours below 24, minutes and seconds below 60)."""
    raw = text.strip()
    negative = raw.startswith("-")
    body = raw[1:] if negative else raw
    if body.isdigit():
        value = timedelta(days=int(body))
        return -value if negative else value
    days = 0
    head, dot, rest = body.partition(".")
    if dot and ":" not in head and head.isdigit():
        days, body = int(head), rest
    parts = body.split(":")
    if len(parts) == 4 and not dot:
        if not parts[0].isdigit():
            raise ValueError(text)
        days, parts = int(parts[0]), parts[1:]
    if len(parts) not in (2, 3) or not all(_CLOCK_PART.match(p) for p in parts[:2]):
        raise ValueError(text)
    hours, minutes = int(parts[0]), int(parts[1])
    seconds, micros = 0, 0
    if len(parts) == 3:
        match = _SECONDS_PART.match(parts[2])
        if not match:
            raise ValueError(text)
        seconds = int(match.group(1))
        micros = int((match.group(2) or "0").ljust(7, "0")[:6])
    if hours > 23 or minutes > 59 or seconds > 59:
        raise ValueError(text)
    value = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds, microseconds=micros)
    return -value if negative else value


def parse_schedule(expression: str, zone: tzinfo = UTC) -> CronSchedule | ConstantSchedule:
    """A cron schedule if NCrontab would take it, else a TimeSpan, else :class:`ScheduleError`.

    The error names the expression as the host does, plus why NCrontab refused it.
    """
    try:
        return parse_cron(expression, zone)
    except ScheduleError as cron_error:
        try:
            interval = parse_dotnet_timespan(expression)
        except ValueError:
            raise ScheduleError(
                f"The schedule expression '{expression}' was not recognized as a valid cron "
                f"expression or timespan string. ({cron_error})"
            ) from None
    if interval <= timedelta(0):
        raise ScheduleError(
            f"The schedule expression '{expression}' is a TimeSpan that is not positive: "
            "the timer would never wait between runs."
        )
    return ConstantSchedule(interval)
