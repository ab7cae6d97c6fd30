"""Contracts of the `counter` durable entity and its HTTP routes."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Final

from pydantic import Field, Strict, StringConstraints

from shared.models.base import Contract

COUNTER_ENTITY: Final = "counter"
#: The counter the batch pattern adds its processed items to.
ITEMS_PROCESSED_KEY: Final = "items-processed"

#: The largest amount one operation may add or subtract.
MAX_AMOUNT: Final = 1_000_000_000
#: The counter stays a JSON-safe integer (exact in every client, including JavaScript).
MAX_VALUE: Final = 2**53 - 1

CounterKey = Annotated[
    str,
    StringConstraints(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", max_length=64, strip_whitespace=True
    ),
]
#: A strictly positive integer: no bools, floats or numeric strings, and never 0 (the SDK
#: client sends no body for a falsy input, so a 0 would arrive as "no amount").
Amount = Annotated[int, Strict(), Field(ge=1, le=MAX_AMOUNT)]


class CounterOperation(StrEnum):
    ADD = "add"
    SUBTRACT = "subtract"
    RESET = "reset"
    GET = "get"


class SignalOperation(StrEnum):
    """Operations a caller may signal over HTTP (`get` is a read: `GET /counters/{key}`)."""

    ADD = "add"
    SUBTRACT = "subtract"
    RESET = "reset"


class CounterRoute(Contract):
    key: CounterKey


class CounterSignalRoute(Contract):
    key: CounterKey
    operation: SignalOperation


class CounterAmount(Contract):
    """Body of `POST /counters/{key}/add` and `/subtract`; `reset` takes no body."""

    amount: Amount = Field(description=f"An integer from 1 to {MAX_AMOUNT}.")


class CounterSignalAccepted(Contract):
    """202 body: the signal is queued; the entity applies signals one at a time, in order."""

    key: str
    operation: SignalOperation
    amount: int | None = None
    value_url: str


class CounterValue(Contract):
    key: str
    value: int
