"""Which Table Storage failures a later attempt can outlive.

Throttling (429), timeouts and 5xx answers, and connection failures say "try again later";
everything else (a 400 for an oversized property, a bug) is not a storage hiccup. The
activity boundary (`activities/boundary.py`) reports the former as transient `unavailable`.
"""

from __future__ import annotations

from typing import Final

from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError

#: HTTP statuses of the storage service that a later attempt can outlive.
TRANSIENT_STATUSES: Final = frozenset({408, 429, 500, 502, 503, 504})


def is_transient_storage_fault(error: BaseException) -> bool:
    if isinstance(error, ServiceRequestError | ServiceResponseError):
        return True
    return isinstance(error, HttpResponseError) and error.status_code in TRANSIENT_STATUSES


def storage_fault_detail(error: BaseException) -> str:
    """`status 503`, or the failure's type when no status came back."""
    status = getattr(error, "status_code", None)
    return f"status {status}" if status else type(error).__name__
