"""The Durable extension's error answers: ``CreateErrorResponse`` bodies and when they apply.

The extension's handler answers an ``ArgumentException`` with a 400 and any other exception
from the client (an instance that already exists, a rewind of a live instance) with a 500, both
as ASP.NET's ``HttpError``: ``Message``, ``ExceptionMessage``, ``ExceptionType`` (the stack
trace is left out).
"""

from __future__ import annotations

import json
import unicodedata

from aiohttp import web

from durable_localhost.completion_wait import WaitArgumentError
from durable_localhost.config import OverridableStates
from durable_localhost.model import Instance
from durable_localhost.responses import json_response

_UNEXPECTED = "Something went wrong while processing your request"
_INCORRECT = "One or more of the arguments submitted is incorrect"
#: ``DurableClient.MaxInstanceIdLength``.
MAX_INSTANCE_ID_LENGTH = 256


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


def invalid_instance_id(instance_id: str) -> web.Response | None:
    """``StartNewAsync``'s ``ArgumentException`` for an id it refuses, or None.

    Two of its texts pass the message as the parameter name and the reverse, so .NET prints
    ``instanceId (Parameter '<the rule>')``.
    """
    if instance_id.startswith("@"):
        rule = "Orchestration instance ids must not start with @."
    elif any(c in "/\\?#" or unicodedata.category(c) == "Cc" for c in instance_id):
        rule = "Orchestration instance ids must not contain /, \\, #, ?, or control characters."
    elif len(instance_id) > MAX_INSTANCE_ID_LENGTH:
        return bad_request(
            f"Instance ID lengths must not exceed {MAX_INSTANCE_ID_LENGTH} characters."
        )
    else:
        return None
    return bad_request(f"instanceId (Parameter '{rule}')")


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


def refuse_live(existing: Instance | None, overridable: OverridableStates) -> web.Response | None:
    """The host's answer to starting over a live instance, or None when that is allowed.

    With ``OverridableExistingInstanceStates`` at its default, ``NonRunningStates``, DTFx
    throws ``OrchestrationAlreadyExistsException`` for a Pending, Running, Suspended or
    ContinuedAsNew instance, which the handler's catch-all turns into a 500; ``AnyState``
    dedupes nothing, so the new start replaces the instance.
    """
    if existing is None or existing.status.is_terminal or overridable is OverridableStates.ANY:
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
