"""Serving HTTP-triggered functions: real ``func.HttpRequest`` in, ``func.HttpResponse`` out."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import azure.functions as func
from aiohttp import web

from durable_localhost.functions import HttpFunction
from durable_localhost.invocation import FunctionContext, invoking
from durable_localhost.invokers import call_user_function
from durable_localhost.routing import RouteTemplate, compile_route
from durable_localhost.timeouts import FunctionTimeoutError

log = logging.getLogger("durable_localhost.host")


@dataclass(frozen=True)
class HttpRoute:
    """One function's compiled route."""

    function: HttpFunction
    template: RouteTemplate


class HttpRouter:
    """Finds the function for a path and method; literal-heavy routes win over catch-alls."""

    def __init__(self, functions: list[HttpFunction]) -> None:
        routes = [HttpRoute(f, compile_route(f.route)) for f in functions]
        self.routes = sorted(routes, key=lambda r: -r.template.literal_segments)

    def match(self, path: str, method: str) -> tuple[HttpRoute, dict[str, str]] | None:
        """``(route, params)`` of the first route serving ``method`` at ``path``, else None.

        ``path`` is decoded except for ``%2F`` and ``%25`` (aiohttp's ``path_safe``), as the
        host's ASP.NET routing sees it: an encoded slash stays inside its segment. The
        parameters come back fully decoded.
        """
        for route in self.routes:
            params = route.template.match(path)
            if params is not None and method.upper() in route.function.methods:
                return route, {name: _unquote_safe(value) for name, value in params.items()}
        return None


def _unquote_safe(value: str) -> str:
    """Undo what ``path_safe`` left encoded."""
    return value.replace("%2F", "/").replace("%2f", "/").replace("%25", "%")


async def build_request(request: web.Request, params: dict[str, str]) -> func.HttpRequest:
    """The worker's ``HttpRequest``: headers, first query values, route params, raw body."""
    body = await request.read()
    query = {k: request.query.get(k, "") for k in request.query}
    return func.HttpRequest(
        method=request.method,
        url=str(request.url),
        headers=dict(request.headers),
        params=query,
        route_params=params,
        body=body,
    )


def to_web_response(result: Any) -> web.Response:
    """Translate the function's return value like the worker's HTTP output converter."""
    if result is None:
        return web.Response(status=204)
    if isinstance(result, func.HttpResponse):
        headers = {k: v for k, v in result.headers.items() if k.lower() != "content-type"}
        content_type = result.headers.get("content-type") or result.mimetype
        response = web.Response(status=result.status_code, body=result.get_body(), headers=headers)
        if content_type:
            response.headers["Content-Type"] = (
                content_type
                if "charset" in content_type or not result.charset
                else f"{content_type}; charset={result.charset}"
            )
        return response
    if isinstance(result, bytes):
        return web.Response(status=200, body=result)
    if isinstance(result, str):
        return web.Response(status=200, text=result, content_type="text/plain")
    raise TypeError(f"unsupported HTTP function return type {type(result).__name__}")


async def invoke_http(
    route: HttpRoute,
    request: func.HttpRequest,
    client_binding: Callable[[], str],
    executor: Executor,
    app_dir: Path,
    function_timeout: timedelta | None = None,
) -> web.Response:
    """Call the function (sync on a thread, async on the loop); 500 with no body on error."""
    function = route.function
    with invoking(function.function_name) as invocation:
        log.info(
            "Executing 'Functions.%s' (Reason='This function was programmatically called via "
            "the host APIs.', Id=%s)",
            function.function_name,
            invocation.invocation_id,
        )
        kwargs: dict[str, Any] = {function.request_name: request}
        for name in function.client_bindings:
            kwargs[name] = client_binding()
        if function.wants_context:
            kwargs["context"] = FunctionContext(invocation, app_dir)
        try:
            result = await call_user_function(
                executor, invocation, function.handler, kwargs, function_timeout
            )
            response = to_web_response(result)
        except FunctionTimeoutError as exc:
            # The host's ExceptionMiddleware answers a failed invocation with an empty 500.
            log.error(
                "Executed 'Functions.%s' (Failed, Id=%s): %s",
                function.function_name,
                invocation.invocation_id,
                exc,
            )
            return web.Response(status=500)
        except Exception:
            log.exception(
                "Executed 'Functions.%s' (Failed, Id=%s)",
                function.function_name,
                invocation.invocation_id,
            )
            return web.Response(status=500)
        log.info(
            "Executed 'Functions.%s' (Succeeded, Id=%s)",
            function.function_name,
            invocation.invocation_id,
        )
        return response
