"""Contracts of the instance management routes: status, listing and lifecycle commands.

These mirror the Durable Functions status API, but are this app's own shapes: input and
history are opt-in (they can be large and may hold personal data), and the host's webhook
URLs, which carry the system key, never appear.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import BeforeValidator, Field, JsonValue, model_validator

from shared.models.base import Contract, Identifier, InstanceId, ShortText, UtcDatetime


class RuntimeStatus(StrEnum):
    """Runtime status names exactly as the Durable Functions host reports them."""

    PENDING = "Pending"
    RUNNING = "Running"
    CONTINUED_AS_NEW = "ContinuedAsNew"
    SUSPENDED = "Suspended"
    COMPLETED = "Completed"
    FAILED = "Failed"
    TERMINATED = "Terminated"
    CANCELED = "Canceled"

    @property
    def is_finished(self) -> bool:
        """Finished instances never change again: they can be purged, not terminated."""
        return self in FINISHED_STATUSES


FINISHED_STATUSES = frozenset(
    {
        RuntimeStatus.COMPLETED,
        RuntimeStatus.FAILED,
        RuntimeStatus.TERMINATED,
        RuntimeStatus.CANCELED,
    }
)

#: The host answers a status query with one page (100 instances by default, possibly fewer
#: while more exist) and the Python client cannot follow continuation tokens, so a listing
#: can never return more than this.
MAX_LISTED_INSTANCES = 100


def _strict_bool(value: object) -> object:
    """Only `true` / `false` (any case): `?showInput=yes` is a typo, not a request."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    raise ValueError("must be 'true' or 'false'")


QueryBool = Annotated[bool, BeforeValidator(_strict_bool)]


def _status_list(value: object) -> object:
    """Parse `Running,completed` into statuses, naming every unknown entry at once."""
    if value is None or isinstance(value, list):
        return value
    if not isinstance(value, str):
        raise ValueError("must be a comma-separated list of runtime status names")
    by_lower = {status.value.lower(): status for status in RuntimeStatus}
    names = [name.strip() for name in value.split(",") if name.strip()]
    if not names:
        raise ValueError("must name at least one runtime status")
    unknown = [name for name in names if name.lower() not in by_lower]
    if unknown:
        allowed = ", ".join(status.value for status in RuntimeStatus)
        raise ValueError(f"unknown runtime status {', '.join(unknown)}; use {allowed}")
    return list(dict.fromkeys(by_lower[name.lower()] for name in names))


class InstanceRoute(Contract):
    """Route parameters of `/instances/{instanceId}...`."""

    instance_id: InstanceId


class InstanceStatusQuery(Contract):
    """Opt-in extras for `GET /instances/{instanceId}`."""

    show_input: QueryBool = Field(False, description="Include the orchestration input.")
    show_history: QueryBool = Field(False, description="Include the execution history.")
    show_history_output: QueryBool = Field(
        False, description="Include activity outputs in the history (needs showHistory=true)."
    )

    @model_validator(mode="after")
    def _history_output_needs_history(self) -> Self:
        if self.show_history_output and not self.show_history:
            raise ValueError("showHistoryOutput=true needs showHistory=true")
        return self


class InstanceListQuery(Contract):
    """Filters for `GET /instances`."""

    status: Annotated[list[RuntimeStatus] | None, BeforeValidator(_status_list)] = Field(
        None,
        min_length=1,
        description="Comma-separated runtime statuses (any case), e.g. `Running,Completed`.",
    )
    prefix: Identifier | None = Field(None, description="Instance id prefix, e.g. `order-`.")
    created_from: UtcDatetime | None = Field(
        None, description="Only instances created at or after this time (ISO 8601 with offset)."
    )
    created_to: UtcDatetime | None = Field(
        None, description="Only instances created at or before this time (ISO 8601 with offset)."
    )
    top: int = Field(
        50,
        ge=1,
        le=MAX_LISTED_INSTANCES,
        description="At most this many instances, newest first.",
    )

    @model_validator(mode="after")
    def _window_is_ordered(self) -> Self:
        if self.created_from and self.created_to and self.created_from > self.created_to:
            raise ValueError("createdFrom must not be after createdTo")
        return self


class InstanceSummary(Contract):
    """One orchestration instance as listed: no input, output or history."""

    instance_id: str
    name: str | None = None
    runtime_status: RuntimeStatus
    custom_status: JsonValue = None
    created_time: datetime | None = None
    last_updated_time: datetime | None = None


class InstanceStatus(InstanceSummary):
    """One orchestration instance: what it reports and, when finished, what it returned.

    `input` and `history` are present only when asked for with `showInput` / `showHistory`.
    """

    output: JsonValue = None
    input: JsonValue = Field(None, description="Only with `showInput=true`.")
    history: list[JsonValue] | None = Field(None, description="Only with `showHistory=true`.")

    def to_body(self, *, show_input: bool, show_history: bool) -> dict[str, Any]:
        """The wire form, leaving out what the caller did not ask for."""
        excluded = {
            name for name, shown in (("input", show_input), ("history", show_history)) if not shown
        }
        return self.model_dump(mode="json", by_alias=True, exclude=excluded)


class InstanceList(Contract):
    """Answer of `GET /instances`."""

    instances: list[InstanceSummary]
    count: int
    truncated: bool = Field(
        description=(
            "True when more instances match than were returned, or may: narrow the filters "
            "(status, prefix, createdFrom/createdTo). Only the host's first page is read (at "
            f"most {MAX_LISTED_INSTANCES}; a storage backend may return fewer while more exist), "
            "so false is not a guarantee that nothing else matches."
        )
    )


class ManagementRequest(Contract):
    """Optional body of terminate / suspend / resume; the body may be omitted altogether."""

    reason: ShortText | None = Field(
        None, description="Recorded in the instance's history (for terminate: its output)."
    )
