"""`Idempotency-Key` on a route: a retried request has one effect and gets the first answer.

The route decorator wraps a handler declared with a `key_scope` in `replaying`. Without the
header the handler runs as it is. With it, the key is claimed in `shared.request_replays`
(scoped by the route's key scope and the caller, so two callers never share a key) before the
handler runs:

- a new key: the handler runs; a 2xx answer is kept for retries, any other answer (or an
  error) gives the key up, so a corrected request may use it again;
- the same key and request again: the kept answer, with `Idempotent-Replayed: true`;
- the same key with another request (route values or body): 409 naming the key;
- the same key while its first request is still running: 409 with `Retry-After`.

A request that outlived its claim (the key expired, or its lease ran out, and another request
claimed it) still gets its own answer, since its effect happened, but neither keeps that answer
nor gives the key up: the key belongs to the newer request, and a warning says so.

The request is compared by a fingerprint of its route values and its JSON body in canonical
form (key order and spacing do not make a request differ).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import azure.functions as func
from pydantic import ValidationError

from api.http import FUNCTION_KEY_PARAM, HttpProblem, read_body, validation_problem
from api.principal import PRINCIPAL_HEADER
from shared import request_replays
from shared.idempotency import fingerprint
from shared.models.http import IDEMPOTENCY_KEY_HEADER, IdempotencyHeaders
from shared.request_replays import Claim, KeyInFlight, KeyReused, StoredAnswer
from shared.settings import platform_authentication_enabled

logger = logging.getLogger(__name__)

Handler = Callable[..., Awaitable[func.HttpResponse]]

FUNCTION_KEY_HEADER = "x-functions-key"
REPLAYED_HEADER = "Idempotent-Replayed"
#: Headers of an answer that a replay repeats.
REPLAYED_HEADERS = ("Location", "Retry-After")

#: The declared key scope of the route serving the current request (set by `replaying`).
_route_key_scope: ContextVar[str] = ContextVar("route_key_scope")


def idempotency_key(req: func.HttpRequest) -> str | None:
    """The request's `Idempotency-Key`, None without one; a 400 naming the header if malformed."""
    raw = req.headers.get(IDEMPOTENCY_KEY_HEADER)
    if raw is None:
        return None
    try:
        return IdempotencyHeaders.model_validate({IDEMPOTENCY_KEY_HEADER: raw}).idempotency_key
    except ValidationError as exc:
        raise validation_problem(exc, "header") from None


def request_scope(key_scope: str, req: func.HttpRequest) -> str:
    """The route's key scope and the caller: the signed-in principal, else the key, else anonymous.

    Digested, so the table never holds a key or a principal's name in clear.
    """
    principal = (req.headers.get(PRINCIPAL_HEADER) or "").strip().lower()
    if platform_authentication_enabled() and principal:
        caller = f"principal:{principal}"
    else:
        key = req.headers.get(FUNCTION_KEY_HEADER) or req.params.get(FUNCTION_KEY_PARAM)
        caller = f"key:{key}" if key else "anonymous"
    digest = hashlib.sha256(caller.encode()).hexdigest()[:32]
    return f"{key_scope}.{digest}"


def keyed_request_id(req: func.HttpRequest, *, per_request: bool = False) -> str | None:
    """A stable id (32 hex digits) for the serving route's key scope, caller and key; None
    without a key. Only a route declared with a `key_scope` may ask (else a RuntimeError).

    A starter names its instance by it, so even a retry after a lost claim finds the instance
    the first attempt started instead of starting another. `per_request` adds the request's
    fingerprint, for a receiver that drops repeats silently: a different request under a key
    given up (or expired) is then a new request, never taken for a repeat.
    """
    scope = _route_key_scope.get(None)
    if scope is None:
        raise RuntimeError("keyed_request_id serves routes declared with a key_scope")
    key = idempotency_key(req)
    if key is None:
        return None
    parts = [request_scope(scope, req), key]
    if per_request:
        parts.append(request_fingerprint(req))
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:32]


def request_fingerprint(req: func.HttpRequest) -> str:
    body = read_body(req)
    try:
        content: Any = json.loads(body) if body.strip() else None
    except ValueError:
        content = body.decode("utf-8", "replace")
    return fingerprint({"route": dict(sorted(req.route_params.items())), "body": content})


def replaying(handler: Handler, key_scope: str, function_name: str) -> Handler:
    """`handler`, answering a retried `Idempotency-Key` request with its first answer."""

    @functools.wraps(handler)
    async def replayed(*args: Any, **kwargs: Any) -> func.HttpResponse:
        req = next(v for v in (*args, *kwargs.values()) if isinstance(v, func.HttpRequest))
        with _serving(key_scope):
            key = idempotency_key(req)
            if key is None:
                return await handler(*args, **kwargs)
            held = await _claim(request_scope(key_scope, req), key, request_fingerprint(req))
            if isinstance(held, StoredAnswer):
                return _replay(held)
            try:
                response = await handler(*args, **kwargs)
            except BaseException:
                await _settle(function_name, held, None)
                raise
            await _settle(function_name, held, response)
            return response

    return replayed


@contextmanager
def _serving(key_scope: str) -> Iterator[None]:
    """Let `keyed_request_id` find the route's key scope while its handler runs."""
    token = _route_key_scope.set(key_scope)
    try:
        yield
    finally:
        _route_key_scope.reset(token)


async def _settle(function_name: str, held: Claim, response: func.HttpResponse | None) -> None:
    """Keep a 2xx answer for retries, else give the key up, if the claim is still this request's."""
    if response is not None and 200 <= response.status_code < 300:
        settled = await asyncio.to_thread(request_replays.complete, held, _answer(response))
    else:
        settled = await asyncio.to_thread(request_replays.release, held)
    if not settled:
        logger.warning(
            "%s answered %s after another request took its Idempotency-Key over; "
            "the key stays with that request and this answer is not kept",
            function_name,
            response.status_code if response is not None else "an error",
        )


async def _claim(scope: str, key: str, request: str) -> Claim | StoredAnswer:
    try:
        return await asyncio.to_thread(request_replays.claim, scope, key, request)
    except KeyReused:
        raise HttpProblem(
            409,
            "Idempotency key reused",
            f"Idempotency-Key '{key}' was already used for a different request",
        ) from None
    except KeyInFlight:
        raise HttpProblem(
            409,
            "Request in progress",
            f"a request with Idempotency-Key '{key}' is still being processed; retry shortly",
            headers={"Retry-After": "1"},
        ) from None


def _answer(response: func.HttpResponse) -> StoredAnswer:
    return StoredAnswer(
        status=response.status_code,
        body=(response.get_body() or b"").decode("utf-8"),
        mimetype=response.mimetype or "application/json",
        headers={
            name: response.headers[name] for name in REPLAYED_HEADERS if name in response.headers
        },
    )


def _replay(stored: StoredAnswer) -> func.HttpResponse:
    return func.HttpResponse(
        body=stored.body,
        status_code=stored.status,
        mimetype=stored.mimetype,
        headers={**stored.headers, REPLAYED_HEADER: "true"},
    )
