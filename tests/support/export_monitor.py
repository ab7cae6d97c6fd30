"""The export monitor's input and the job statuses its checks read, for tests at any level."""

from __future__ import annotations

from typing import Any

from tests.support.orchestration import DEFAULT_START

INSTANCE = "monitor-1"


def monitor_input(**overrides: Any) -> dict[str, Any]:
    """The input of monitor `INSTANCE` watching job-1 (5 s first wait, 60 s cap, 1 h)."""
    return {
        "monitorId": INSTANCE,
        "jobId": "job-1",
        "recipient": {"audience": "monitor_subscriber", "ref": INSTANCE},
        "initialIntervalSeconds": 5,
        "maxIntervalSeconds": 60,
        "timeoutSeconds": 3600,
    } | overrides


def job(status: str, **extra: Any) -> dict[str, Any]:
    """What `get_export_job_status` answers for job-1 in `status`."""
    return {
        "id": "job-1",
        "status": status,
        "createdAt": DEFAULT_START.isoformat(),
        "updatedAt": DEFAULT_START.isoformat(),
    } | extra
