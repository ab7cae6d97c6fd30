"""Contracts of the export monitor: watch a job until it finishes or a deadline passes.

Every duration a test would shorten is set per request, within bounds that keep one
monitor cheap: checks at least a second apart, each wait at most six hours (far below the
6-day durable-timer limit), and a deadline at most seven days away.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Final

from pydantic import (
    AfterValidator,
    AwareDatetime,
    Field,
    Strict,
    ValidationInfo,
    field_validator,
    model_validator,
)

from shared.models.base import Contract, EmailAddress, Identifier, UtcDatetime
from shared.models.http import AcceptedResponse
from shared.models.jobs import JobId, JobStatus
from shared.models.notifications import RecipientRef

MAX_MONITOR_DURATION: Final = timedelta(days=7)
MAX_TIMEOUT_MINUTES: Final = int(MAX_MONITOR_DURATION.total_seconds() // 60)
MAX_INTERVAL_SECONDS: Final = 6 * 3600
#: The cap of the doubling wait when a request gives none.
DEFAULT_MAX_INTERVAL_SECONDS: Final = 600
#: Checks per orchestration generation before `continue_as_new` starts a fresh history.
DEFAULT_CHECKS_PER_GENERATION: Final = 100

Email = Annotated[EmailAddress, AfterValidator(str.lower)]
IntervalSeconds = Annotated[int, Strict(), Field(ge=1, le=MAX_INTERVAL_SECONDS)]


class MonitorRequest(Contract):
    """Body of `POST /api/monitors`. Give `timeoutMinutes` or `deadline` (default 60 min)."""

    job_id: JobId
    timeout_minutes: Annotated[int, Strict(), Field(ge=1, le=MAX_TIMEOUT_MINUTES)] | None = None
    deadline: UtcDatetime | None = Field(
        None, description="Absolute end of the watch, with a UTC offset; at most 7 days away."
    )
    initial_interval_seconds: IntervalSeconds = 30
    max_interval_seconds: IntervalSeconds = Field(
        DEFAULT_MAX_INTERVAL_SECONDS,
        description="The cap of the doubling wait; at least initialIntervalSeconds (default 600).",
    )
    notify: Email | None = Field(None, description="Who is alerted; OPERATIONS_EMAIL if absent.")

    @model_validator(mode="before")
    @classmethod
    def _the_default_cap_is_checked_too(cls, data: Any) -> Any:
        """Spell out the default cap, so `_not_below_initial` checks (and names) it as well.

        Field validators skip defaults: `initialIntervalSeconds: 1167` alone passed here and
        failed in MonitorInput inside the starter, a 500.
        """
        if isinstance(data, dict) and not {"maxIntervalSeconds", "max_interval_seconds"} & set(
            data
        ):
            return {**data, "maxIntervalSeconds": DEFAULT_MAX_INTERVAL_SECONDS}
        return data

    @field_validator("deadline")
    @classmethod
    def _not_both(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        if value is not None and info.data.get("timeout_minutes") is not None:
            raise ValueError("give timeoutMinutes or deadline, not both")
        return value

    @field_validator("max_interval_seconds")
    @classmethod
    def _not_below_initial(cls, value: int, info: ValidationInfo) -> int:
        initial = info.data.get("initial_interval_seconds")
        if initial is not None and value < initial:
            raise ValueError("must be at least initialIntervalSeconds (the default is 600)")
        return value


class MonitorProgress(Contract):
    """What a monitor carries from one generation to the next."""

    started_at: AwareDatetime
    deadline: AwareDatetime
    interval_seconds: IntervalSeconds
    checks: Annotated[int, Field(ge=0)] = 0
    failed_checks: Annotated[int, Field(ge=0)] = 0
    generation: Annotated[int, Field(ge=0)] = 0
    last_job_status: JobStatus | None = None


class MonitorRecipient(Contract):
    """The address a monitor notifies, stored by monitor id (`shared.monitor_store`)."""

    email: Email


class MonitorInput(Contract):
    """Input of the `monitor_export_job` orchestration (the starter resolves the defaults).

    A relative `timeoutSeconds` is turned into a deadline by the orchestration's own clock,
    so a monitor started on a virtual clock expires on that clock. The recipient is a
    reference: operations, or the address stored for this monitor.
    """

    monitor_id: Identifier = Field(description="The monitor's instance id.")
    job_id: JobId
    recipient: RecipientRef
    initial_interval_seconds: IntervalSeconds
    max_interval_seconds: IntervalSeconds
    deadline: AwareDatetime | None = None
    timeout_seconds: Annotated[int, Field(ge=1, le=MAX_TIMEOUT_MINUTES * 60)] | None = None
    checks_per_generation: Annotated[int, Field(ge=1, le=1000)] = DEFAULT_CHECKS_PER_GENERATION
    progress: MonitorProgress | None = None

    @model_validator(mode="after")
    def _one_deadline(self) -> MonitorInput:
        if (self.deadline is None) == (self.timeout_seconds is None):
            raise ValueError("exactly one of deadline and timeoutSeconds is required")
        if self.max_interval_seconds < self.initial_interval_seconds:
            raise ValueError("maxIntervalSeconds must be at least initialIntervalSeconds")
        return self


class MonitorOutcome(StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    JOB_NOT_FOUND = "job_not_found"
    CHECK_FAILED = "check_failed"


class MonitorState(StrEnum):
    WATCHING = "watching"
    FINISHED = "finished"


class MonitorStatus(Contract):
    """Custom status: the schedule while watching, the outcome once finished."""

    job_id: str
    state: MonitorState
    outcome: MonitorOutcome | None = None
    last_job_status: JobStatus | None
    checks: int
    failed_checks: int
    current_interval_seconds: int
    next_check_at: datetime | None
    deadline: datetime
    generation: int


class MonitorResult(Contract):
    """Output of `monitor_export_job`."""

    job_id: str
    outcome: MonitorOutcome
    checks: int
    failed_checks: int
    started_at: datetime
    finished_at: datetime
    deadline: datetime
    result_location: str | None = None
    message: str | None = None
    notification_id: str | None = Field(None, description="The alert in the outbox, if any.")
    notification_error: str | None = Field(None, description="Why the alert could not be sent.")


class MonitorAccepted(AcceptedResponse):
    """202 body of `POST /api/monitors`."""

    job_id: str
    recipient: str
    deadline: datetime | None = None
    timeout_seconds: int | None = None
