"""``/runtime/emulator/``: drive virtual time over HTTP (only served with the virtual clock).

``GET clock``, ``POST clock/pause``, ``POST clock/resume``,
``POST clock/advance?seconds=N`` (or ``?to=<ISO time>``), ``POST clock/next-timer`` and
``POST idle?timeout=S`` all answer with the clock JSON once the system is quiescent.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from aiohttp import web

from durable_localhost.timeutil import parse

if TYPE_CHECKING:
    from durable_localhost.server import EmulatorHost


class ControlApi:
    """HTTP front of :class:`~emulator.server.EmulatorHost`'s time control."""

    def __init__(self, host: EmulatorHost) -> None:
        self.host = host

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Dispatch one control call."""
        host = self.host
        if not host.keys.allows(
            "admin", request.headers.get("x-functions-key") or request.query.get("code")
        ):
            return web.Response(status=401)
        tail = request.match_info["tail"].strip("/")
        method = request.method
        timeout = float(request.query.get("timeout", "60"))
        try:
            if tail == "clock" and method == "GET":
                pass
            elif tail == "clock/pause" and method == "POST":
                host.pause()
            elif tail == "clock/resume" and method == "POST":
                host.resume()
            elif tail == "clock/advance" and method == "POST":
                if "to" in request.query:
                    await host.advance_to(parse(request.query["to"]), timeout)
                else:
                    seconds = float(request.query.get("seconds", "0"))
                    await host.advance(timedelta(seconds=seconds), timeout)
            elif tail == "clock/next-timer" and method == "POST":
                await host.fire_next_timer(timeout)
            elif tail == "idle" and method == "POST":
                if not await host.wait_idle(timeout):
                    return web.json_response({**host.clock_info(), "idle": False}, status=504)
            else:
                return web.Response(status=404)
        except (ValueError, TypeError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        except TimeoutError:
            return web.json_response({**host.clock_info(), "idle": False}, status=504)
        return web.json_response({**host.clock_info(), "idle": host.engine.is_quiescent()})
