"""HTTP plumbing shared by every route: parsing, problem responses, 202 responses.

Handlers raise `HttpProblem` (or let a validation error through `parse_body`/`parse_params`);
the route decorator in `api.routing` turns those into `application/problem+json` answers.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Mapping
from typing import Any, NoReturn, TypeVar
from urllib.parse import quote

import azure.functions as func
from pydantic import BaseModel, ValidationError

from shared.models.http import AcceptedResponse, FieldProblem, Problem
from shared.recipient_domains import recipient_allowed, recipient_domain
from shared.settings import get_settings

JSON = "application/json"
PROBLEM_JSON = "application/problem+json"

M = TypeVar("M", bound=BaseModel)


class HttpProblem(Exception):
    """Raise anywhere in a handler to answer with a problem document."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        errors: Iterable[FieldProblem] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {title}: {detail or ''}")
        self.problem = Problem.capped(status, title, detail, errors)
        self.headers = dict(headers or {})

    def to_response(self) -> func.HttpResponse:
        return problem_response(self.problem, self.headers)


def problem_response(
    problem: Problem, headers: Mapping[str, str] | None = None
) -> func.HttpResponse:
    return func.HttpResponse(
        body=problem.model_dump_json(exclude_none=True, by_alias=True),
        status_code=problem.status,
        mimetype=PROBLEM_JSON,
        headers=dict(headers or {}),
    )


def json_response(
    payload: BaseModel | Mapping[str, Any] | list[Any],
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> func.HttpResponse:
    if isinstance(payload, BaseModel):
        body = payload.model_dump_json(by_alias=True)
    else:
        body = json.dumps(payload)
    return func.HttpResponse(
        body=body, status_code=status, mimetype=JSON, headers=dict(headers or {})
    )


def validation_problem(exc: ValidationError, source: str = "body") -> HttpProblem:
    """A 400 listing every offending field by its wire (camelCase) path."""
    errors = [
        FieldProblem(
            field=".".join(str(part) for part in err["loc"]) or source,
            message=err["msg"],
            type=err["type"],
        )
        for err in exc.errors(include_url=False)
    ]
    return HttpProblem(
        400, "Invalid request", f"{len(errors)} invalid field(s) in the {source}", errors
    )


#: Bodies up to this size are parsed and validated on the event loop (well under a
#: millisecond); larger ones in a worker thread, so other requests are not held up meanwhile.
INLINE_BODY_BYTES = 16 * 1024


async def parse_body(req: func.HttpRequest, model: type[M]) -> M:
    """Validate a JSON request body against `model`, refusing oversized or non-JSON bodies."""
    body = read_body(req)
    if len(body) <= INLINE_BODY_BYTES:
        return _validate_body(req, body, model)
    return await asyncio.to_thread(_validate_body, req, body, model)


async def parse_optional_body(req: func.HttpRequest, model: type[M]) -> M | None:
    """Like `parse_body` where the body may be left out: None for an empty (or blank) body.

    The size limit applies first, so a blank body over MAX_REQUEST_BYTES is still a 413.
    """
    if not read_body(req).strip():
        return None
    return await parse_body(req, model)


def _validate_body(req: func.HttpRequest, body: bytes, model: type[M]) -> M:
    content_type = (req.headers.get("content-type") or "").split(";")[0].strip().lower()
    if body.strip() and content_type and not _is_json_type(content_type):
        raise HttpProblem(415, "Unsupported media type", f"send {JSON}, not '{content_type}'")
    if not body.strip():
        raise HttpProblem(
            400,
            "Invalid request",
            "a JSON body is required",
            [FieldProblem(field="body", message="a JSON body is required", type="missing")],
        )
    data = _load_json(body)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_problem(exc) from None


def read_body(req: func.HttpRequest) -> bytes:
    """The raw body, or a 413 when it (or its declared length) is over MAX_REQUEST_BYTES."""
    limit = get_settings().max_request_bytes
    declared = req.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HttpProblem(413, "Payload too large", f"the body must be at most {limit} bytes")
    body = req.get_body() or b""
    if len(body) > limit:
        raise HttpProblem(413, "Payload too large", f"the body must be at most {limit} bytes")
    return body


class _NotJson(ValueError):
    """Text Python's decoder takes but RFC 8259 JSON does not allow, or does not define."""

    def __init__(self, message: str, field: str = "body") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _refuse_constant(name: str) -> NoReturn:
    raise _NotJson(f"{name} is not a JSON value")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object naming one key twice is ambiguous (which value counts?): refuse it."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _NotJson(f"duplicate key '{key}'", field=key)
        result[key] = value
    return result


def _float(text: str) -> float:
    """A JSON number with a fraction or exponent; refused if a float would make it zero.

    `1e-400` is 0.0 as a float, so a price of 1e-400 was stored as 0.00. (`1e309` becomes
    infinity, which every numeric field refuses by name. Parsing such literals as Decimal
    instead would let a lax `int` field spend minutes expanding `1e999999999`.)
    """
    value = float(text)
    if value == 0 and any(digit in text.lower().split("e")[0] for digit in "123456789"):
        raise _NotJson(f"the number {text[:40]} is too small to represent")
    return value


def _load_json(body: bytes) -> Any:
    """Strict RFC 8259 parsing: no NaN/Infinity, no duplicate keys, bounded nesting and digits.

    Python's decoder accepts `NaN` and `Infinity`, keeps the last of duplicate keys, raises
    `RecursionError` on deeply nested arrays and `ValueError` on integers of more than 4300
    digits; each of those is the client's mistake and a 400 here, never a 500. Numbers a
    float would turn into zero are refused too (see `_float`).
    """
    try:
        return json.loads(
            body,
            parse_constant=_refuse_constant,
            parse_float=_float,
            object_pairs_hook=_unique_keys,
        )
    except _NotJson as exc:
        message, field_name = exc.message, exc.field
    except json.JSONDecodeError as exc:
        message, field_name = exc.msg, "body"
    except UnicodeDecodeError:
        message, field_name = "not UTF-8", "body"
    except RecursionError:
        message, field_name = "nested too deeply", "body"
    except ValueError:  # an integer literal beyond Python's 4300-digit conversion limit
        message, field_name = "a number has too many digits", "body"
    raise HttpProblem(
        400,
        "Malformed JSON",
        f"the body is not valid JSON: {message}",
        [FieldProblem(field=field_name, message=message, type="json_invalid")],
    )


def require_allowed_recipients(recipients: Mapping[str, str]) -> None:
    """A 400 naming each field (wire name) whose address is outside the allowed domains.

    `recipients` maps a field's wire path (`email`, `approvers.1`) to the address it holds.
    """
    allowed = get_settings().notification_allowed_domains
    errors = [
        FieldProblem(
            field=field_name,
            message=f"the app may not notify addresses at '{recipient_domain(address)}'",
            type="recipient_not_allowed",
        )
        for field_name, address in recipients.items()
        if not recipient_allowed(address, allowed)
    ]
    if errors:
        raise HttpProblem(
            400,
            "Invalid request",
            f"{len(errors)} recipient(s) outside the domains this app may notify",
            errors,
        )


#: Query parameter the host consumes for function-key auth (`?code=<key>`); the worker still
#: sees it in `req.params`, but it is never part of a route's own contract.
FUNCTION_KEY_PARAM = "code"


def parse_params(values: Mapping[str, Any], model: type[M], source: str = "query") -> M:
    """Validate route or query parameters against `model` (ignoring the function key)."""
    params = dict(values)
    if source == "query":
        params.pop(FUNCTION_KEY_PARAM, None)
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        raise validation_problem(exc, source) from None


def app_base_url() -> str:
    """Where this app's routes live: the configured origin (`Settings.app_origin`) + `/api`.

    Never taken from the request: its Host header is whatever the caller sent, and a URL
    built from it would send the next request (with its function key) wherever they chose.
    """
    return f"{get_settings().app_origin}/api"


def instance_url(instance_id: str) -> str:
    return f"{app_base_url()}/instances/{quote(instance_id, safe='')}"


def accepted(instance_id: str, retry_after: int = 2) -> func.HttpResponse:
    """202 Accepted for a started orchestration, pointing at this app's status endpoint."""
    status_url = instance_url(instance_id)
    body = AcceptedResponse(
        id=instance_id,
        status_url=status_url,
        terminate_url=f"{status_url}/terminate",
        suspend_url=f"{status_url}/suspend",
        resume_url=f"{status_url}/resume",
        purge_url=status_url,
    )
    headers = {"Location": status_url, "Retry-After": str(retry_after)}
    return json_response(body, status=202, headers=headers)


def _is_json_type(content_type: str) -> bool:
    return content_type == JSON or content_type.endswith("+json")
