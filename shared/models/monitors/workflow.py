"""Workflow contracts of the export monitor: its limits, input, progress, status and result.

Every duration a test would shorten is set per request, within bounds that keep one
monitor cheap: checks at least a second apart, each wait at most six hours (far below the
6-day durable-timer limit), and a deadline at most seven days away.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Final

from pydantic import (
    AfterValidator,
    AwareDatetime,
    Field,
    Strict,
    model_validator,
)

from shared.models.base import Contract, EmailAddress, Identifier
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


class MonitorProgress(Contract):
    """What a monitor carries from one generation to the next."""

    started_at: AwareDatetime
    deadline: AwareDatetime
    interval_seconds: IntervalSeconds
    checks: Annotated[int, Field(ge=0)] = 0
    failed_checks: Annotated[int, Field(ge=0)] = 0
    generation: Annotated[int, Field(ge=0)] = 0
    last_job_status: JobStatus | None = None


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
