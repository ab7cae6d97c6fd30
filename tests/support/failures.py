"""Exceptions shaped like the ones the Durable SDK raises inside an orchestrator.

The host reports a failed activity as `Activity function '<name>' failed:  <Type>: <text>`
followed by .NET exception details; the SDK raises a plain `Exception` with that text.
"""

from __future__ import annotations

from shared.errors import ActivityError, ErrorCode, PermanentError, TransientError


def activity_failed(activity: str, error: BaseException) -> Exception:
    """The exception an orchestrator receives when `activity` raised `error`."""
    reason = f"Activity function '{activity}' failed:  {type(error).__name__}: {error}"
    details = '{"ClassName":"System.Exception","Message":" ' + type(error).__name__ + '"}'
    return Exception(f"{reason} \n {details}")


def permanent(
    activity: str, code: ErrorCode | str, message: str = "permanent failure"
) -> Exception:
    return activity_failed(activity, PermanentError(code, message))


def transient(
    activity: str, code: ErrorCode | str = ErrorCode.UNAVAILABLE, message: str = "busy"
) -> Exception:
    return activity_failed(activity, TransientError(code, message))


def crashed(activity: str, message: str = "worker process exited") -> Exception:
    """A failure with no error-kind marker (a bug or a crash)."""
    return activity_failed(activity, RuntimeError(message))


__all__ = ["ActivityError", "activity_failed", "crashed", "permanent", "transient"]
