"""Turn Table Storage hiccups into `TransientError`s an orchestrator knows to retry.

Activities wrap their storage work in `storage_faults_as_transient()`. Throttling (429),
timeouts and 5xx answers, and connection failures say "try again later"; everything else
(a 400 for an oversized property, a bug) keeps its own type and surfaces as it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError

from shared.errors import ErrorCode, TransientError

#: HTTP statuses of the storage service that a later attempt can outlive.
TRANSIENT_STATUSES: Final = frozenset({408, 429, 500, 502, 503, 504})


def is_transient_storage_fault(error: BaseException) -> bool:
    if isinstance(error, ServiceRequestError | ServiceResponseError):
        return True
    return isinstance(error, HttpResponseError) and error.status_code in TRANSIENT_STATUSES


@contextmanager
def storage_faults_as_transient(what: str) -> Iterator[None]:
    """Re-raise transient storage failures of `what` as `TransientError(UNAVAILABLE)`."""
    try:
        yield
    except Exception as exc:
        if not is_transient_storage_fault(exc):
            raise
        status = getattr(exc, "status_code", None)
        detail = f"status {status}" if status else type(exc).__name__
        raise TransientError(
            ErrorCode.UNAVAILABLE, f"{what}: table storage unavailable ({detail})"
        ) from exc
