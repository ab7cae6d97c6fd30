"""NCRONTAB expressions as a timer trigger's `schedule` reads them, checked before the host does.

The Functions host resolves a `%SETTING%` schedule when it indexes the app and disables the
function if the value does not parse; checking the setting with the others names the problem at
the app's first request instead. Six fields: second, minute, hour, day, month, day of week; each
a comma-separated list of `*`, `n` or `n-m`, optionally `/step`; months and days also by their
three-letter English names.
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple


class _Field(NamedTuple):
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()


_FIELDS: Final = (
    _Field("second", 0, 59),
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day", 1, 31),
    _Field(
        "month",
        1,
        12,
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
    ),
    _Field("day of week", 0, 6, ("sun", "mon", "tue", "wed", "thu", "fri", "sat")),
)
_ITEM: Final = re.compile(
    r"^(?:\*|(?P<low>[A-Za-z0-9]+)(?:-(?P<high>[A-Za-z0-9]+))?)(?:/(?P<step>\d+))?$"
)


def check_ncrontab(expression: str) -> str:
    """`expression` with its spacing normalised; ValueError naming the first bad field."""
    parts = expression.split()
    if len(parts) != len(_FIELDS):
        raise ValueError(
            f"must be an NCRONTAB expression of {len(_FIELDS)} fields "
            "(second minute hour day month day-of-week), e.g. '0 */15 * * * *'"
        )
    for part, field in zip(parts, _FIELDS, strict=True):
        for item in part.split(","):
            _check_item(item, field)
    return " ".join(parts)


def _check_item(item: str, field: _Field) -> None:
    match = _ITEM.match(item)
    if match is None:
        raise ValueError(f"{field.name} field: {item!r} is not *, n, n-m or one of them /step")
    values = [_value(v, field) for v in (match["low"], match["high"]) if v is not None]
    if len(values) == 2 and values[0] > values[1]:
        raise ValueError(f"{field.name} field: range {item!r} runs backwards")
    if match["step"] is not None and int(match["step"]) == 0:
        raise ValueError(f"{field.name} field: step of {item!r} must be at least 1")


def _value(text: str, field: _Field) -> int:
    if text.lower() in field.names:
        return field.names.index(text.lower()) + field.low
    if not text.isdigit() or not field.low <= int(text) <= field.high:
        raise ValueError(f"{field.name} field: {text!r} is not in {field.low}-{field.high}")
    return int(text)
