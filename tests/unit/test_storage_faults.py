"""Storage faults that a retry may outlive become TransientErrors; everything else stays as is."""

from __future__ import annotations

import pytest
from azure.core.exceptions import (
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)

from shared.errors import ErrorCode, TransientError, classify_failure
from shared.storage_faults import storage_faults_as_transient


def http_error(status: int) -> HttpResponseError:
    error = HttpResponseError(message=f"status {status}")
    error.status_code = status
    return error


@pytest.mark.parametrize(
    "fault",
    [
        http_error(429),
        http_error(503),
        http_error(500),
        http_error(408),
        ServiceRequestError("connection refused"),
        ServiceResponseError("connection reset"),
    ],
)
def test_throttling_timeouts_and_outages_are_transient(fault: Exception) -> None:
    with pytest.raises(TransientError) as caught, storage_faults_as_transient("reading jobs"):
        raise fault

    info = classify_failure(caught.value)
    assert (info.kind, info.code) == ("transient", ErrorCode.UNAVAILABLE)
    assert info.message.startswith("reading jobs: table storage unavailable")


@pytest.mark.parametrize(
    "fault", [http_error(400), ResourceNotFoundError("gone"), ValueError("a bug")]
)
def test_other_failures_keep_their_type(fault: Exception) -> None:
    with pytest.raises(type(fault)), storage_faults_as_transient("reading jobs"):
        raise fault
