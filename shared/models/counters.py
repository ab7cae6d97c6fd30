"""Contracts of the `counter` durable entity and its HTTP routes."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any, Final, Self

from pydantic import AwareDatetime, Field, Strict, StringConstraints, model_validator

from shared.models.base import Contract

COUNTER_ENTITY: Final = "counter"
#: The counter the batch pattern adds its processed items to.
ITEMS_PROCESSED_KEY: Final = "items-processed"

#: The largest amount one operation may add or subtract.
MAX_AMOUNT: Final = 1_000_000_000
#: The counter stays a JSON-safe integer (exact in every client, including JavaScript).
MAX_VALUE: Final = 2**53 - 1
#: How many keyed requests a counter remembers, and for how long after the newest one it saw
#: (docs/idempotency.md): a retry within both is applied once.
REMEMBERED_REQUESTS: Final = 500
REMEMBERED_FOR: Final = timedelta(hours=24)

CounterKey = Annotated[
    str,
    StringConstraints(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", max_length=64, strip_whitespace=True
    ),
]
#: A strictly positive integer: no bools, floats or numeric strings, and never 0 (the SDK
#: client sends no body for a falsy input, so a 0 would arrive as "no amount").
Amount = Annotated[int, Strict(), Field(ge=1, le=MAX_AMOUNT)]
#: The id of a request sent with an `Idempotency-Key` (api/replays.py `keyed_request_id`).
RequestId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]


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


class CounterInput(Contract):
    """What a counter operation receives: its amount and, for a keyed request, its id and time.

    On the wire an unkeyed operation's input is the bare amount (or nothing), as the batch
    orchestrator, the dashboard and older signals send it; a keyed one is this object.
    """

    amount: Amount | None = None
    request_id: RequestId | None = None
    sent_at: AwareDatetime | None = Field(
        default=None, description="When the keyed request was sent: the counter's sense of time."
    )

    @model_validator(mode="before")
    @classmethod
    def _bare_amount(cls, value: Any) -> Any:
        return value if isinstance(value, dict) else {"amount": value}

    @model_validator(mode="after")
    def _keyed_fields_together(self) -> Self:
        if (self.request_id is None) != (self.sent_at is None):
            raise ValueError("requestId and sentAt come together")
        return self

    def wire(self) -> Any:
        """The operation input as signalled: the bare amount unless the request is keyed."""
        if self.request_id is None:
            return self.amount
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class CounterState(Contract):
    """The counter entity's state: its value, and the keyed requests it applied recently.

    `recentRequests` maps each request id to when it was sent (Unix seconds), oldest first.
    A counter stored as a bare integer reads as that value with no remembered requests.
    """

    value: Annotated[int, Strict()]
    recent_requests: dict[RequestId, Annotated[int, Strict()]] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _bare_value(cls, value: Any) -> Any:
        return {"value": value} if type(value) is int else value
