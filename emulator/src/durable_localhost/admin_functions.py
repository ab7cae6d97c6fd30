"""``POST /admin/functions/{name}``: run a timer function now, as the host's admin API does.

Core Tools documents this call as the way to run a function that is not HTTP-triggered by hand
(body ``{"input": ""}``, admin level). The host answers 202 and runs the function outside its
schedule: with the current schedule status, not past due, and without moving the schedule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from durable_localhost.responses import empty, presented_key, problem

if TYPE_CHECKING:
    from durable_localhost.server import EmulatorHost

ROUTE = "/admin/functions/{name}"


async def invoke_function(host: EmulatorHost, request: web.Request) -> web.StreamResponse:
    """202 once the run started; 404 for an unknown function; 400 for one of another kind."""
    if not host.keys.allows("admin", presented_key(request)):
        return web.Response(status=401)
    name = request.match_info["name"]
    if host.timers.invoke_now(name):
        return empty(202)
    if name.lower() in (known.lower() for known in host.function_names()):
        return problem(
            400,
            f"The local host runs only timer-triggered functions through the admin API; "
            f"'{name}' is not one (call an HTTP function at its route).",
        )
    return empty(404)
