"""Activity `get_export_job_status`: read an export job's row for the monitor.

A read has no effect to repeat, so running it twice is trivially idempotent. A job that does
not exist is a permanent failure (checking again cannot make it appear); a storage fault is
transient, and the monitor simply checks again at its next interval.
"""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from shared import job_store
from shared.errors import ErrorCode, PermanentError, validate_payload
from shared.models.jobs import JobStatusRequest
from shared.storage_faults import storage_faults_as_transient
from shared.telemetry import observed_activity

bp = df.Blueprint()


@bp.activity_trigger(input_name="request")
@observed_activity
def get_export_job_status(request: dict[str, Any]) -> dict[str, Any]:
    query = validate_payload(JobStatusRequest, request)
    with storage_faults_as_transient("get_export_job_status"):
        job = job_store.get_job(query.job_id)
    if job is None:
        raise PermanentError(ErrorCode.NOT_FOUND, f"job '{query.job_id}' does not exist")
    return job.to_json()
