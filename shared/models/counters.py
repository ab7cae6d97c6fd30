"""Contracts of the `counter` durable entity and its HTTP routes."""

from __future__ import annotations

import math
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any, Final, Self

from pydantic import AwareDatetime, Field, Strict, StringConstraints, model_validator

from shared.models.base import Contract
from shared.models.http import KEY_RETENTION_HOURS_DEFAULT, KEY_RETENTION_HOURS_MAX

COUNTER_ENTITY: Final = "counter"
#: The counter the batch pattern adds its processed items to.
ITEMS_PROCESSED_KEY: Final = "items-processed"

#: The largest amount one operation may add or subtract.
MAX_AMOUNT: Final = 1_000_000_000
#: The counter stays a JSON-safe integer (exact in every client, including JavaScript).
MAX_VALUE: Final = 2**53 - 1
#: How many keyed requests a counter remembers at most (docs/idempotency.md); each one for as
#: long as its `Idempotency-Key` is remembered (`expiresAt`), and a retry within both is
#: applied once.
REMEMBERED_REQUESTS: Final = 500
#: How long a keyed request that names no `expiresAt` is remembered: the default retention.
DEFAULT_REMEMBERED_FOR: Final = timedelta(hours=KEY_RETENTION_HOURS_DEFAULT)
#: The longest a key may be remembered, so the longest `expiresAt` may lie after `sentAt`.
LONGEST_REMEMBERED_FOR: Final = timedelta(hours=KEY_RETENTION_HOURS_MAX)

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
    """What a counter operation receives: its amount and, for a keyed request, its id and times.

    On the wire an unkeyed operation's input is the bare amount (or nothing), as the batch
    orchestrator, the dashboard and older signals send it; a keyed one is this object.
    """

    amount: Amount | None = None
    request_id: RequestId | None = None
    sent_at: AwareDatetime | None = Field(
        default=None, description="When the keyed request was sent: the counter's sense of time."
    )
    expires_at: AwareDatetime | None = Field(
        default=None,
        description=(
            "When the request's Idempotency-Key expires, so the counter forgets its id; without "
            f"it, {KEY_RETENTION_HOURS_DEFAULT} hours after sentAt. At most "
            f"{KEY_RETENTION_HOURS_MAX} hours after sentAt."
        ),
    )

    @model_validator(mode="before")
    @classmethod
    def _bare_amount(cls, value: Any) -> Any:
        return value if isinstance(value, dict) else {"amount": value}

    @model_validator(mode="after")
    def _keyed_fields_together(self) -> Self:
        if (self.request_id is None) != (self.sent_at is None):
            raise ValueError("requestId and sentAt come together")
        if self.expires_at is None:
            return self
        if self.sent_at is None:
            raise ValueError("expiresAt comes with requestId and sentAt")
        if self.expires_at - self.sent_at > LONGEST_REMEMBERED_FOR:
            raise ValueError(
                f"expiresAt lies more than {KEY_RETENTION_HOURS_MAX} hours after sentAt"
            )
        return self

    def remembered_until(self) -> int | None:
        """When the counter forgets this request's id (Unix seconds, rounded up: never before
        its key expires); None if it is unkeyed."""
        if self.sent_at is None:
            return None
        return math.ceil((self.expires_at or self.sent_at + DEFAULT_REMEMBERED_FOR).timestamp())

    def wire(self) -> Any:
        """The operation input as signalled: the bare amount unless the request is keyed."""
        if self.request_id is None:
            return self.amount
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class CounterState(Contract):
    """The counter entity's state: its value, and the keyed requests it applied and remembers.

    `rememberedRequests` maps each request id to when the counter forgets it (Unix seconds: its
    key's expiry), soonest first. A counter stored as a bare integer reads as that value with
    no remembered requests; one stored with `recentRequests` (each id with when it was sent)
    reads each id as remembered for the default retention from then.
    """

    value: Annotated[int, Strict()]
    remembered_requests: dict[RequestId, Annotated[int, Strict()]] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _earlier_shapes(cls, value: Any) -> Any:
        if type(value) is int:
            return {"value": value}
        if isinstance(value, dict) and "recentRequests" in value:
            value = dict(value)
            sent = value.pop("recentRequests")
            if isinstance(sent, dict):
                remember_for = int(DEFAULT_REMEMBERED_FOR.total_seconds())
                sent = {
                    request_id: at + remember_for if type(at) is int else at
                    for request_id, at in sent.items()
                }
            value.setdefault("rememberedRequests", sent)
        return value
