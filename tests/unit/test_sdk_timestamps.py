"""`parse_timestamp` is dateutil's `parse`, only faster: property tests against dateutil itself.

Every timestamp shape the host writes (0 to 7 fractional digits, Z or numeric offsets, the
emulator's trimmed fraction, Azure's ticks, whole seconds, naive) must give an identical
datetime: value, tzinfo class and state, repr, pickle. Anything else (out-of-range fields,
other separators, 8+ digits, stray characters, non-strings) must behave exactly as dateutil
does, raising included. Each local time zone dateutil treats differently is covered.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from dateutil.parser import parse as dateutil_parse  # type: ignore[import-untyped]
from hypothesis import example, given, settings
from hypothesis import strategies as st

from shared.sdk_timestamps import parse_timestamp
from tests.support.timestamps import LOCAL_ZONES, local_zone

Outcome = tuple[Any, ...]


def outcome(parse: Callable[[Any], datetime], text: Any) -> Outcome:
    """Everything observable about one parse: the value in every form, or the error."""
    try:
        value = parse(text)
    except Exception as exc:  # the comparison is the test: dateutil's own errors included
        return ("raises", type(exc), str(exc))
    try:
        return _observe(value)
    except ValueError as exc:  # dateutil accepts offsets of a day or more; datetime does not
        return ("unusable", repr(value), str(exc))


def _observe(value: datetime) -> Outcome:
    return (
        "value",
        type(value),
        value,
        repr(value),
        str(value),
        value.isoformat(),
        value.strftime("%Y-%m-%dT%H:%M:%S.%f %Z %z"),
        value.tzname(),
        value.utcoffset(),
        value.dst(),
        value.fold,
        type(value.tzinfo),
        repr(value.tzinfo),
        pickle.dumps(value),
    )


def assert_same(text: Any) -> None:
    assert outcome(parse_timestamp, text) == outcome(dateutil_parse, text), text


def _two(n: int) -> str:
    return f"{n:02d}"


@st.composite
def stamps(
    draw: st.DrawFn,
    field: Callable[[int, int], st.SearchStrategy[int]] = st.integers,
    most_digits: int = 7,
) -> str:
    """`YYYY-MM-DDTHH:MM:SS[.f...][Z|+HH:MM|-HH:MM]`; `field(low, high)` draws each number."""
    year = draw(field(1, 9999))
    parts = [draw(field(1, 12)), draw(field(1, 28)), draw(field(0, 23)), draw(field(0, 59))]
    second = draw(field(0, 59))
    text = f"{year:04d}-{_two(parts[0])}-{_two(parts[1])}T{_two(parts[2])}:{_two(parts[3])}:"
    text += _two(second)
    digits = draw(st.integers(0, most_digits))
    if digits:
        text += "." + draw(st.text("0123456789", min_size=digits, max_size=digits))
    offset = st.tuples(st.sampled_from("+-"), field(0, 23), field(0, 59)).map(
        lambda o: f"{o[0]}{_two(o[1])}:{_two(o[2])}"
    )
    return text + draw(st.sampled_from(["Z", "+00:00", "-00:00", ""]) | offset)


@st.composite
def valid_dates(draw: st.DrawFn) -> str:
    """Real calendar dates (29 February, 31st days) in the host's shapes."""
    moment = draw(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)))
    stamp = draw(stamps())
    return f"{moment.year:04d}-{_two(moment.month)}-{_two(moment.day)}" + stamp[10:]


def _wide(low: int, high: int) -> st.SearchStrategy[int]:
    """Field values around and outside the valid range (hour 24, month 13, day 31 in June)."""
    return st.integers(0, max(high + 2, 99) if high < 99 else high)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A host timestamp with one character replaced, inserted or removed."""
    text = draw(stamps())
    index = draw(st.integers(0, len(text)))
    char = draw(st.sampled_from(list("0123456789-:T.Z+ tz,_/٣\u00a0")) | st.characters())
    kind = draw(st.sampled_from(["replace", "insert", "delete"]))
    if kind == "insert":
        return text[:index] + char + text[index:]
    if kind == "delete":
        return text[:index] + text[index + 1 :]
    return text[:index] + char + text[index + 1 :]


@pytest.mark.parametrize("zone", LOCAL_ZONES)
@settings(max_examples=400, deadline=None)
@given(text=stamps() | valid_dates())
@example(text="2026-11-21T05:52:51.1234567Z")  # Azure: 7 digits of ticks
@example(text="2026-11-21T05:52:51.9999999Z")  # the 7th digit is dropped, not rounded
@example(text="2026-11-21T05:52:51.12Z")  # the emulator: trailing zeros trimmed
@example(text="2026-11-21T05:52:51Z")  # whole seconds, and the status API's format
@example(text="2026-03-29T02:30:00Z")  # a local-time gap in Europe/Berlin
@example(text="0099-12-31T23:59:59.5+05:30")  # a two-digit year written with four
@example(text="2026-11-21T05:52:51")  # naive
def test_host_timestamps_parse_exactly_as_dateutil(zone: str, text: str) -> None:
    with local_zone(zone):
        assert_same(text)


@pytest.mark.parametrize("zone", LOCAL_ZONES)
@settings(max_examples=400, deadline=None)
@given(text=stamps(field=_wide, most_digits=10) | mutated() | st.text(max_size=40))
@example(text="2026-11-21T24:00:00Z")
@example(text="2026-02-29T00:00:00Z")
@example(text="2026-11-21T05:52:60Z")  # leap second
@example(text="2026-11-21T05:52:51+24:00")
@example(text="2026-11-21T05:52:51.12345678Z")
@example(text="0000-01-01T00:00:00Z")
@example(text="2026-11-21t05:52:51z")
@example(text="2026-11-21 05:52:51Z")
@example(text="2026-11-21T05:52:51,5Z")
@example(text="2026-11-21T05:52:51+0100")
@example(text="2026-11-21T05:52:51+01:00:30")
@example(text="٢٠٢٦-11-21T05:52:51Z")
@example(text="2026-11-21T05:52:51Z\n")
@example(text="")
def test_anything_else_behaves_exactly_as_dateutil(zone: str, text: str) -> None:
    with local_zone(zone):
        assert_same(text)


@pytest.mark.parametrize("value", [None, 0, b"2026-11-21T05:52:51Z", ["2026-11-21T05:52:51Z"]])
def test_non_strings_get_dateutils_answer(value: Any) -> None:
    assert_same(value)


def test_a_str_subclass_is_parsed_like_a_str() -> None:
    class Stamp(str):
        pass

    assert_same(Stamp("2026-11-21T05:52:51.1234567Z"))
