"""The `Jobs` table: one row per export job (PartitionKey = job id, RowKey = `job`).

Status changes are read-check-write with the row's ETag, so two concurrent updates cannot
both move a job out of one state: the loser re-reads and is judged against the new state.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Final

from azure.core import MatchConditions
from azure.core.exceptions import ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import TableClient, UpdateMode

from shared import storage
from shared.models.jobs import Job, JobStatus, UpdateJobRequest

JOBS_TABLE: Final = "Jobs"
ROW: Final = "job"
#: Read-check-write rounds before a storm of concurrent writers is reported.
MAX_WRITE_ATTEMPTS: Final = 10


class JobNotFound(LookupError):
    def __init__(self, job_id: str) -> None:
        super().__init__(f"job '{job_id}' does not exist")
        self.job_id = job_id


class JobTransitionRefused(Exception):
    """The update would move the job backwards or out of a final state."""

    def __init__(self, job: Job, requested: UpdateJobRequest) -> None:
        if job.status.is_terminal:
            reason = f"job '{job.id}' is already {job.status.value}; it cannot change any more"
        else:
            reason = f"job '{job.id}' cannot go from {job.status.value} to {requested.status.value}"
        super().__init__(reason)
        self.job = job


class JobBusy(Exception):
    """Concurrent writers kept winning; the caller may retry."""


def _table() -> TableClient:
    return storage.table(JOBS_TABLE)


def _now() -> datetime:
    return datetime.now(UTC)


def create_job(description: str | None) -> Job:
    now = _now()
    job = Job(
        id=f"job-{uuid.uuid4().hex}",
        description=description,
        status=JobStatus.PENDING,
        created_at=now,
        updated_at=now,
    )
    _table().create_entity(entity=_to_row(job))
    return job


def get_job(job_id: str) -> Job | None:
    row = storage.get_entity(_table(), job_id, ROW)
    return None if row is None else _from_row(row)


def update_job(job_id: str, update: UpdateJobRequest) -> tuple[Job, bool]:
    """Apply `update`; return the job and whether anything changed.

    Repeating the update that made a job final is a no-op (PUT is idempotent); any other
    change to a final job, or a step backwards, raises `JobTransitionRefused`.
    """
    client = _table()
    for _ in range(MAX_WRITE_ATTEMPTS):
        try:
            entity = client.get_entity(partition_key=job_id, row_key=ROW)
        except ResourceNotFoundError:
            raise JobNotFound(job_id) from None
        job = _from_row(dict(entity))
        changed = job.model_copy(
            update={
                "status": update.status,
                "result_location": update.result_location or job.result_location,
                "message": update.message or job.message,
            }
        )
        if changed == job:
            return job, False
        if not job.status.can_move_to(update.status) or job.status.is_terminal:
            raise JobTransitionRefused(job, update)
        changed = changed.model_copy(update={"updated_at": _now()})
        try:
            client.update_entity(
                entity=_to_row(changed),
                mode=UpdateMode.REPLACE,
                etag=entity.metadata["etag"],
                match_condition=MatchConditions.IfNotModified,
            )
        except ResourceModifiedError:
            continue
        return changed, True
    raise JobBusy(f"job '{job_id}' is being changed concurrently; try again")


def _to_row(job: Job) -> dict[str, Any]:
    return {
        "PartitionKey": job.id,
        "RowKey": ROW,
        "Description": job.description,
        "Status": job.status.value,
        "ResultLocation": job.result_location,
        "Message": job.message,
        "CreatedAt": job.created_at.isoformat(),
        "UpdatedAt": job.updated_at.isoformat(),
    }


def _from_row(row: dict[str, Any]) -> Job:
    return Job(
        id=row["PartitionKey"],
        description=row.get("Description"),
        status=JobStatus(row["Status"]),
        result_location=row.get("ResultLocation"),
        message=row.get("Message"),
        created_at=datetime.fromisoformat(row["CreatedAt"]),
        updated_at=datetime.fromisoformat(row["UpdatedAt"]),
    )
