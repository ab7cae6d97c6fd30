"""Activity `get_export_job_status`: read an export job's row for the monitor.

A read has no effect to repeat, so running it twice is trivially idempotent. A job that does
not exist is a permanent failure (checking again cannot make it appear); a storage fault is
transient, and the monitor simply checks again at its next interval.
"""

from __future__ import annotations

from activities.boundary import Activities
from shared import job_store
from shared.errors import ErrorCode, PermanentError
from shared.models.jobs import Job, JobStatusRequest

activity = Activities()
bp = activity.bp


@activity(JobStatusRequest)
def get_export_job_status(query: JobStatusRequest) -> Job:
    job = job_store.get_job(query.job_id)
    if job is None:
        raise PermanentError(ErrorCode.NOT_FOUND, f"job '{query.job_id}' does not exist")
    return job
