"""Response helpers shared by the host's own HTTP APIs (Durable API, control API)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from http import HTTPStatus
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Middleware

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
#: ``(method, path, handler)``: one row of a route table.
Route = tuple[str, str, Handler]


def empty(status: int, headers: dict[str, str] | None = None) -> web.Response:
    """A response with no body at all (the SDK reads it as ``None``)."""
    return web.Response(status=status, headers=headers)


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON response."""
    return web.Response(
        status=status, text=json.dumps(body), content_type="application/json", headers=headers
    )


def json_text_response(
    status: int, text: str, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON response whose body is JSON text already (an instance's output as stored)."""
    return web.Response(status=status, text=text, content_type="application/json", headers=headers)


def with_trailing_slash(routes: Iterable[Route]) -> list[web.RouteDef]:
    """Each route, and the same path with a trailing slash (both answer alike)."""
    return [
        web.route(method, variant, handler)
        for method, path, handler in routes
        for variant in (path, f"{path}/")
    ]


def problem(status: int, detail: str, headers: dict[str, str] | None = None) -> web.Response:
    """An RFC 9457 problem+json answer of the host's own endpoints."""
    return web.json_response(
        {"title": HTTPStatus(status).phrase, "status": status, "detail": detail},
        status=status,
        content_type="application/problem+json",
        headers=headers,
    )


def router_errors(own_prefixes: tuple[str, ...]) -> Middleware:
    """The router's own 404 and 405, as the part of the host that owns the path answers them.

    Under ``own_prefixes`` (the local host's endpoints) they are problem+json, and a 405 names
    the allowed methods in ``Allow`` (RFC 9110). Elsewhere they are a 404 with no body, as both
    the Functions host (a method constraint that fails is no route) and the extension's
    handler answer an unknown path or a wrong method.
    """

    @web.middleware
    async def answer(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except (web.HTTPNotFound, web.HTTPMethodNotAllowed) as exc:
            if not request.path.startswith(own_prefixes):
                return empty(404)
            if isinstance(exc, web.HTTPMethodNotAllowed):
                allowed = ", ".join(sorted(exc.allowed_methods))
                detail = f"{request.method} is not allowed on {request.path}; use {allowed}."
                return problem(405, detail, {"Allow": allowed})
            return problem(404, f"Nothing is served at {request.path}.")

    return answer


def count_param(text: str | None, what: str, default: int, *, minimum: int) -> int:
    """A paging number from the query or a header; ValueError names it when it is not one."""
    if text is None or text.strip() == "":
        return default
    if not text.strip().isdigit() or int(text) < minimum:
        raise ValueError(f"{what} must be an integer of at least {minimum}, not {text!r}")
    return int(text)


def presented_key(request: web.Request) -> str | None:
    """The key a caller presents: ``x-functions-key`` header or ``?code=``."""
    return request.headers.get("x-functions-key") or request.query.get("code")


def require_key(allows: Callable[[str | None], bool]) -> Middleware:
    """A middleware answering 401 unless ``allows(presented key)``, before any routing."""

    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not allows(presented_key(request)):
            return empty(401)
        return await handler(request)

    return check
