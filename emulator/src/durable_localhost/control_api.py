"""``/runtime/emulator/``: drive virtual time over HTTP (only served with the virtual clock).

``GET clock``, ``POST clock/pause``, ``POST clock/resume``,
``POST clock/advance?seconds=N`` (or ``?to=<ISO time>``), ``POST clock/next-timer`` and
``POST idle?timeout=S`` all answer with the clock JSON once the system is quiescent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from aiohttp import web

from durable_localhost.responses import (
    Handler,
    Route,
    require_key,
    router_errors,
    with_trailing_slash,
)
from durable_localhost.timeutil import parse

if TYPE_CHECKING:
    from durable_localhost.server import EmulatorHost

CONTROL_PATH = "/runtime/emulator"
HOST: web.AppKey[EmulatorHost] = web.AppKey("emulator_host")
#: One time-control step: the host, the request, and how long it may take (real seconds).
Step = Callable[["EmulatorHost", web.Request, float], Awaitable[None]]


async def _read(host: EmulatorHost, request: web.Request, within: float) -> None:
    """``GET clock``: nothing to do but answer."""


async def _pause(host: EmulatorHost, request: web.Request, within: float) -> None:
    host.time.pause()


async def _resume(host: EmulatorHost, request: web.Request, within: float) -> None:
    host.time.resume()


async def _advance(host: EmulatorHost, request: web.Request, within: float) -> None:
    if "to" in request.query:
        await host.time.advance_to(parse(request.query["to"]), within)
    else:
        seconds = float(request.query.get("seconds", "0"))
        await host.time.advance(timedelta(seconds=seconds), within)


async def _next_timer(host: EmulatorHost, request: web.Request, within: float) -> None:
    await host.time.fire_next_timer(within)


async def _idle(host: EmulatorHost, request: web.Request, within: float) -> None:
    if not await host.time.wait_idle(within):
        raise TimeoutError


def _answer(step: Step) -> Handler:
    """Run ``step``, then answer with the clock JSON (400 bad input, 504 not idle in time)."""

    async def handle(request: web.Request) -> web.StreamResponse:
        host = request.app[HOST]
        try:
            await step(host, request, float(request.query.get("timeout", "60")))
        except (ValueError, TypeError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        except TimeoutError:
            return web.json_response({**host.time.clock_info(), "idle": False}, status=504)
        return web.json_response({**host.time.clock_info(), "idle": host.engine.is_quiescent()})

    return handle


ROUTES: list[Route] = [
    ("GET", "/clock", _answer(_read)),
    ("POST", "/clock/pause", _answer(_pause)),
    ("POST", "/clock/resume", _answer(_resume)),
    ("POST", "/clock/advance", _answer(_advance)),
    ("POST", "/clock/next-timer", _answer(_next_timer)),
    ("POST", "/idle", _answer(_idle)),
]


def control_api_app(host: EmulatorHost) -> web.Application:
    """``/runtime/emulator/`` as a sub-application, behind the master key when keys are enforced.

    It holds the control API with a virtual clock, and the dashboard adds its read endpoints,
    so one router answers every path below it (a wrong method is a 405 naming the right ones).
    """
    app = web.Application(
        middlewares=[require_key(lambda key: host.keys.allows("admin", key)), router_errors(("/",))]
    )
    app[HOST] = host
    if host.clock.is_virtual:
        app.add_routes(with_trailing_slash(ROUTES))
    return app
