"""Timestamp and TimeSpan formats used on the host <-> SDK wire."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_TIMESPAN = re.compile(r"^(-)?(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?$")


def utc_now() -> datetime:
    """The real current time, timezone-aware."""
    return datetime.now(UTC)


def to_wire(value: datetime) -> str:
    """ISO-8601 with ``Z``, as Newtonsoft writes DTFx timestamps (``.FFFFFFF``: trailing zeros
    of the fraction are trimmed, and a zero fraction is left out). The form is the host's, not
    a speed-up: ``make bench`` found ``dateutil`` (the SDK's parser) equally fast on each."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    # isoformat ends in "+00:00" and writes the fraction only when there is one: about half
    # the cost of strftime, and this runs for every event the engine creates.
    text = value.isoformat()[:-6]
    if value.microsecond:
        text = text.rstrip("0")
    return text + "Z"


def to_status(value: datetime) -> str:
    """The status API's ``"s"`` format plus ``Z`` (no fractional seconds)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(text: str) -> datetime:
    """Parse an ISO-8601 timestamp (``Z`` or offset, up to 7 fractional digits) as aware UTC."""
    raw = text.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    match = re.match(r"^(.*T\d{2}:\d{2}:\d{2})\.(\d+)(.*)$", raw)
    if match:
        head, frac, tail = match.groups()
        raw = f"{head}.{frac[:6].ljust(6, '0')}{tail}"
    parsed = datetime.fromisoformat(raw)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_timespan(value: timedelta) -> str:
    """.NET TimeSpan ``"c"`` format, ``[-][d.]hh:mm:ss[.fffffff]``."""
    total_us = round(value.total_seconds() * 1_000_000)
    sign = "-" if total_us < 0 else ""
    total_us = abs(total_us)
    days, rest = divmod(total_us, 86_400_000_000)
    hours, rest = divmod(rest, 3_600_000_000)
    minutes, rest = divmod(rest, 60_000_000)
    seconds, micros = divmod(rest, 1_000_000)
    text = f"{sign}{f'{days}.' if days else ''}{hours:02d}:{minutes:02d}:{seconds:02d}"
    if micros:
        text += f".{micros:06d}0"
    return text


def parse_timespan(text: str) -> timedelta:
    """Parse a .NET TimeSpan in ``"c"`` format (as written in ``host.json``)."""
    match = _TIMESPAN.match(text.strip())
    if not match:
        raise ValueError(f"not a TimeSpan: {text!r}")
    neg, days, hours, minutes, seconds, frac = match.groups()
    value = timedelta(
        days=int(days or 0),
        hours=int(hours),
        minutes=int(minutes),
        seconds=int(seconds),
        microseconds=int((frac or "0").ljust(7, "0")[:6]),
    )
    return -value if neg else value
