"""Shapes every HTTP route shares: the problem document and the async-API 202 body."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.models.base import Contract


class FieldProblem(Contract):
    """One offending input field."""

    field: str = Field(description="Dotted path of the field, e.g. `items.3.id`, or `body`.")
    message: str
    type: str = Field(description="Machine-readable error type, e.g. `missing`, `too_long`.")


#: A problem document lists at most this many field errors; `moreErrors` counts the rest, so
#: a request with thousands of bad items gets a small answer that still says how bad it is.
MAX_PROBLEM_ERRORS = 100


class Problem(BaseModel):
    """RFC 9457 problem details, served as `application/problem+json`."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldProblem] | None = Field(
        default=None, max_length=MAX_PROBLEM_ERRORS, description="The first offending fields."
    )
    more_errors: int | None = Field(
        default=None,
        alias="moreErrors",
        ge=1,
        description="How many offending fields `errors` leaves out.",
    )

    @classmethod
    def capped(
        cls,
        status: int,
        title: str,
        detail: str | None = None,
        errors: Iterable[FieldProblem] | None = None,
    ) -> Problem:
        """A problem listing the first MAX_PROBLEM_ERRORS of `errors` and counting the rest."""
        if errors is None:
            return cls(status=status, title=title, detail=detail)
        every = list(errors)
        listed = every[:MAX_PROBLEM_ERRORS]
        rest = len(every) - len(listed)
        return cls(
            status=status, title=title, detail=detail, errors=listed, more_errors=rest or None
        )


class AcceptedResponse(Contract):
    """Body of a 202 from a starter: where to poll and how to manage the instance.

    URLs point at this app's own endpoints (behind function keys). The host's built-in
    webhook URLs carry the system key and are never returned to callers.
    """

    id: str
    status_url: str
    terminate_url: str
    suspend_url: str
    resume_url: str
    purge_url: str


#: The request header that makes a retried POST safe (as payment APIs name it).
IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
#: How long a key may be remembered (IDEMPOTENCY_KEY_RETENTION_HOURS): its default and bounds.
KEY_RETENTION_HOURS_DEFAULT = 24
KEY_RETENTION_HOURS_MIN = 1
KEY_RETENTION_HOURS_MAX = 720
#: Letters, digits and `._:-` (a UUID, a ULID, `order-42:retry`), at most 128 characters: safe
#: as a Table Storage row key.
IdempotencyKeyText = Annotated[
    str,
    StringConstraints(max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"),
]


class IdempotencyHeaders(Contract):
    """The request headers of a route that answers a retried request as it did the first."""

    idempotency_key: IdempotencyKeyText | None = Field(
        default=None,
        alias=IDEMPOTENCY_KEY_HEADER,
        description=(
            "A key the client chooses per request: a retry with the same key and body has one "
            "effect and gets the first answer, even when the first attempt's answer was lost; "
            "the same key with another body is a 409."
        ),
    )
