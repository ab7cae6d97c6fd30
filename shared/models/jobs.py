"""Contracts of export jobs: rows standing in for an external system the monitor watches.

A job moves forward only: `pending` -> `running` -> `completed` | `failed` (it may skip
`running`). The terminal states are final; repeating the same final update is a no-op.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Final

from pydantic import Field, StringConstraints, ValidationInfo, field_validator

from shared.models.base import Contract, ShortText

JobId = Annotated[
    str,
    StringConstraints(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", max_length=64, strip_whitespace=True
    ),
]
ResultLocation = Annotated[
    str,
    StringConstraints(pattern=r"^https://[^\s]+$", max_length=2000, strip_whitespace=True),
    Field(description="Where the export landed: an https URL."),
]
JobMessage = Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class JobStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"

    @property
    def is_terminal(self) -> bool:
        return self in (JobStatus.COMPLETED, JobStatus.FAILED)

    def can_move_to(self, new: JobStatus) -> bool:
        """Forward only; a terminal status never changes."""
        if self.is_terminal:
            return new is self
        return _RANK[new] >= _RANK[self]


_RANK: Final = {
    JobStatus.PENDING: 0,
    JobStatus.RUNNING: 1,
    JobStatus.COMPLETED: 2,
    JobStatus.FAILED: 2,
}


class CreateJobRequest(Contract):
    """Body of `POST /api/jobs`."""

    description: ShortText | None = None


class UpdateJobRequest(Contract):
    """Body of `PUT /api/jobs/{jobId}`."""

    status: JobStatus
    result_location: ResultLocation | None = Field(
        None, description="Only with status `completed`."
    )
    message: JobMessage | None = Field(None, description="E.g. why the job failed.")

    @field_validator("result_location")
    @classmethod
    def _location_only_when_completed(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("status") is not JobStatus.COMPLETED:
            raise ValueError("only allowed with status 'completed'")
        return value


class Job(Contract):
    id: JobId
    description: str | None = None
    status: JobStatus
    result_location: str | None = None
    message: str | None = None
    created_at: datetime
    updated_at: datetime


class JobRoute(Contract):
    job_id: JobId


class JobStatusRequest(Contract):
    """Input of the `get_export_job_status` activity."""

    job_id: JobId
