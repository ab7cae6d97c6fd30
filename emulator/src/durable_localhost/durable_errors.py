"""The Durable extension's error answers: ``CreateErrorResponse`` bodies and when they apply.

The extension's handler answers an ``ArgumentException`` with a 400 and any other exception
from the client (an instance that already exists, a rewind of a live instance) with a 500, both
as ASP.NET's ``HttpError``: ``Message``, ``ExceptionMessage``, ``ExceptionType`` (the stack
trace is left out).
"""

from __future__ import annotations

import json

from aiohttp import web

from durable_localhost.completion_wait import WaitArgumentError
from durable_localhost.model import Instance
from durable_localhost.responses import json_response

_UNEXPECTED = "Something went wrong while processing your request"
_INCORRECT = "One or more of the arguments submitted is incorrect"


def error(status: int, message: str, exception_type: str, detail: str) -> web.Response:
    """An ``HttpError`` body."""
    body = {"Message": message, "ExceptionMessage": detail, "ExceptionType": exception_type}
    return json_response(status, body)


def bad_request(detail: str) -> web.Response:
    """The handler's answer to an ``ArgumentException``."""
    return error(400, _INCORRECT, "System.ArgumentException", detail)


def wait_refused(exc: WaitArgumentError) -> web.Response:
    """A ``createAndWait`` timeout or interval the handler refuses (after the start)."""
    message = _INCORRECT if exc.status == 400 else _UNEXPECTED
    return error(exc.status, message, exc.exception_type, exc.message)


def unknown_restart(instance_id: str) -> web.Response:
    """Restarting an unknown instance: the client's ``ArgumentException``, its text verbatim."""
    return error(
        400,
        "InstanceId does not match a valid orchestration instance.",
        "System.ArgumentException",
        f"An orchestrastion with the instanceId {instance_id} was not found.",
    )


def json_body(body: str) -> str | None:
    """A start request's body as the instance's input; ValueError when it is not JSON.

    A blank body is no input, as Newtonsoft reads whitespace as null.
    """
    if not body.strip():
        return None
    json.loads(body)
    return body


def invalid_json(exc: ValueError) -> web.Response:
    """The start handler's answer to a ``JsonReaderException``."""
    return error(400, "Invalid JSON content", "Newtonsoft.Json.JsonReaderException", str(exc))


def refuse_live(existing: Instance | None) -> web.Response | None:
    """The host's answer to starting over a live instance, or None when that is allowed.

    ``OverridableExistingInstanceStates`` defaults to ``NonRunningStates``: DTFx throws
    ``OrchestrationAlreadyExistsException`` for a Pending, Running, Suspended or
    ContinuedAsNew instance, which the handler's catch-all turns into a 500.
    """
    if existing is None or existing.status.is_terminal:
        return None
    return error(
        500,
        _UNEXPECTED,
        "DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException",
        f"An Orchestration instance with the status {existing.status} already exists.",
    )


def rewind_refused() -> web.Response:
    """Rewinding a live instance: the client's ``InvalidOperationException``, as a 500."""
    return error(
        500,
        _UNEXPECTED,
        "System.InvalidOperationException",
        "The rewind operation is only supported on failed orchestration instances.",
    )
