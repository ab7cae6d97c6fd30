"""The dashboard: static pages at ``/_dashboard/`` plus the read endpoints they need.

The pages only call the host's HTTP API (the Durable webhooks for instances and entities,
``/runtime/emulator/`` for the host, its functions, timers and time), so a script can do
whatever the page does. Endpoints added here (master key with ``--keys``):

* ``GET /runtime/emulator/host``: hub, route prefix, clock (read without waiting), features.
* ``GET /runtime/emulator/functions``: the app's functions by trigger, with HTTP routes and
  timer schedules (next occurrence, runs so far).
* ``GET /runtime/emulator/timers``: the next due timer of every instance that has one.
* ``GET /runtime/emulator/instances/{id}``: version, execution, parent, raw history, timers.
* On a scaled clock, ``GET clock``, ``POST clock/advance`` and ``POST clock/next-timer`` with the
  virtual clock's shapes (the control API serves them on a virtual clock).

The static pages answer loopback callers only, unless the host was started with
``--dashboard any``; ``--dashboard off`` serves none of it.
"""

from __future__ import annotations

import enum
import ipaddress
import logging
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from aiohttp import web

from durable_localhost.clock import ClockMode
from durable_localhost.model import Instance
from durable_localhost.responses import count_param, problem
from durable_localhost.timeutil import parse, to_wire

if TYPE_CHECKING:
    from durable_localhost.server import EmulatorHost

log = logging.getLogger("durable_localhost.dashboard")

DASHBOARD_PATH = "/_dashboard"
STATIC_DIR = Path(__file__).parent / "dashboard_static"


class DashboardAccess(enum.StrEnum):
    """Who may load the dashboard's pages."""

    LOOPBACK = "loopback"
    ANY = "any"
    OFF = "off"


def mount_dashboard(
    app: web.Application, endpoints: web.Application, host: EmulatorHost, access: DashboardAccess
) -> None:
    """Add the pages to ``app`` and the read endpoints to the ``/runtime/emulator`` sub-app."""
    if access is DashboardAccess.OFF:
        return
    routes = [f.route for f in host.app.index.http]
    for route in dashboard_clashes(routes, host.config.route_prefix):
        log.warning("the dashboard hides the app route /%s (routePrefix is empty)", route)
    api = DashboardApi(host)
    add = endpoints.router.add_route
    add("GET", "/host", api.host_info)
    add("GET", "/functions", api.functions)
    add("GET", "/timers", api.timers)
    add("GET", "/instances/{instance_id:.+}", api.instance)
    if host.clock.mode is ClockMode.SCALED:
        add("GET", "/clock", api.scaled_clock)
        add("POST", "/clock/advance", api.scaled_advance)
        add("POST", "/clock/next-timer", api.scaled_next_timer)
    pages = StaticPages(access)
    app.router.add_route("GET", DASHBOARD_PATH, pages.redirect)
    app.router.add_route("GET", f"{DASHBOARD_PATH}/{{name:.*}}", pages.serve)


def dashboard_clashes(routes: list[str], route_prefix: str) -> list[str]:
    """App routes the dashboard hides: only possible with an empty ``routePrefix``."""
    if route_prefix:
        return []
    head = DASHBOARD_PATH.strip("/")
    return [r for r in routes if r == head or r.startswith(head + "/")]


class StaticPages:
    """``index.html`` and its scripts and styles, with no cache and no outside resources."""

    _TYPES: ClassVar[dict[str, str]] = {
        ".html": "text/html",
        ".js": "text/javascript",
        ".css": "text/css",
        ".svg": "image/svg+xml",
    }

    def __init__(self, access: DashboardAccess) -> None:
        self.access = access
        self.files = {p.name: p for p in STATIC_DIR.iterdir() if p.suffix in self._TYPES}

    def _allowed(self, request: web.Request) -> bool:
        if self.access is DashboardAccess.ANY:
            return True
        return is_loopback(request.remote)

    async def redirect(self, request: web.Request) -> web.StreamResponse:
        """``/_dashboard`` → ``/_dashboard/`` so relative module URLs resolve."""
        if not self._allowed(request):
            return web.Response(status=403)
        raise web.HTTPFound(f"{DASHBOARD_PATH}/")

    async def serve(self, request: web.Request) -> web.StreamResponse:
        """A known file, or ``index.html`` for the page itself."""
        if not self._allowed(request):
            return web.Response(status=403, text="The dashboard answers on loopback only.\n")
        name = request.match_info["name"] or "index.html"
        path = self.files.get(name)
        if path is None:
            return web.Response(status=404)
        headers = {
            "Cache-Control": "no-store",
            "Content-Security-Policy": (
                "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'"
            ),
            "X-Content-Type-Options": "nosniff",
        }
        return web.Response(
            body=path.read_bytes(),
            content_type=self._TYPES[path.suffix],
            charset="utf-8",
            headers=headers,
        )


def is_loopback(remote: str | None) -> bool:
    """Whether the caller's address is 127.0.0.0/8 or ::1 (IPv4-mapped included)."""
    if not remote:
        return False
    try:
        address = ipaddress.ip_address(remote)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


class DashboardApi:
    """The read endpoints the pages use, answered from the running host."""

    def __init__(self, host: EmulatorHost) -> None:
        self.host = host

    async def host_info(self, request: web.Request) -> web.StreamResponse:
        """What the page shows in its header and which actions it offers."""
        host = self.host
        return web.json_response(
            {
                "hubName": host.config.hub_name,
                "routePrefix": host.config.route_prefix,
                "keysEnforced": host.keys.enforced,
                "clock": self.clock_body(),
                "features": {"timeControl": host.clock.mode is not ClockMode.WALL},
            }
        )

    def clock_body(self) -> dict[str, Any]:
        """The clock JSON of the control API, read at once (no wait for quiescence)."""
        host = self.host
        return {
            **host.time.clock_info(),
            "scale": host.clock.scale,
            "idle": host.engine.is_quiescent(),
        }

    async def functions(self, request: web.Request) -> web.StreamResponse:
        """Every function by trigger; HTTP ones with methods, auth level and URL path."""
        index = self.host.app.index
        prefix = self.host.config.route_prefix
        rows: list[dict[str, Any]] = [
            {
                "name": f.function_name,
                "trigger": "httpTrigger",
                "route": f.route,
                "path": f"/{prefix}/{f.route}" if prefix else f"/{f.route}",
                "methods": list(f.methods),
                "authLevel": f.auth_level,
            }
            for f in index.http
        ]
        rows += [
            {"name": f.name, "function": f.function_name, "trigger": "orchestrationTrigger"}
            for f in index.orchestrators.values()
        ]
        rows += [
            {"name": f.name, "function": f.function_name, "trigger": "activityTrigger"}
            for f in index.activities.values()
        ]
        rows += [
            {"name": f.name, "function": f.function_name, "trigger": "entityTrigger"}
            for f in index.entities.values()
        ]
        rows += [{**t, "trigger": "timerTrigger"} for t in self.host.timers.describe()]
        rows += [{"name": name, "trigger": "other", "runs": False} for name in index.other]
        rows.sort(key=lambda r: (r["trigger"], r["name"]))
        return web.json_response(rows)

    async def timers(self, request: web.Request) -> web.StreamResponse:
        """Each waiting instance's next timer, soonest first (``top`` rows, default 1,000)."""
        try:
            top = count_param(request.query.get("top"), "top", 1000, minimum=1)
        except ValueError as exc:
            return problem(400, str(exc))
        rows = [row for i in self.host.engine.instances.values() if (row := next_timer_of(i))]
        rows.sort(key=lambda r: (r["due"], r["instanceId"]))
        return web.json_response(rows[:top])

    async def instance(self, request: web.Request) -> web.StreamResponse:
        """What the status API leaves out: version, execution, parent, raw history, timers."""
        instance_id = request.match_info["instance_id"]
        instance = self.host.engine.get(instance_id)
        if instance is None:
            return problem(404, f"No instance with ID '{instance_id}'.")
        history = await self.host.engine.history_of(instance)
        parent = instance.parent
        return web.json_response(
            {
                "instanceId": instance.instance_id,
                "name": instance.name,
                "executionId": instance.execution_id,
                "version": instance.version,
                "runtimeStatus": str(instance.status),
                "parentInstanceId": parent.instance_id if parent else None,
                "timers": sorted(
                    (_timer_row(instance, timer_id) for timer_id in instance.timers),
                    key=lambda r: r["due"],
                ),
                "history": history,
            }
        )

    # ------------------------------------------------------------------ scaled clock

    async def scaled_clock(self, request: web.Request) -> web.StreamResponse:
        """The clock, as ``GET /runtime/emulator/clock`` answers on a virtual clock."""
        return web.json_response(self.clock_body())

    async def scaled_advance(self, request: web.Request) -> web.StreamResponse:
        """Skip scaled time ahead by ``seconds`` (or ``to`` an instant); due timers fire."""
        try:
            if "to" in request.query:
                delta = parse(request.query["to"]) - self.host.clock.now()
            else:
                delta = timedelta(seconds=float(request.query.get("seconds", "0")))
            self._skip(delta)
        except ValueError as exc:
            return problem(400, str(exc))
        return web.json_response(self.clock_body())

    async def scaled_next_timer(self, request: web.Request) -> web.StreamResponse:
        """Skip scaled time to the next timer, which then fires."""
        upcoming = self.host.engine.next_timer()
        if upcoming is not None:
            self._skip(upcoming - self.host.clock.now())
        return web.json_response(self.clock_body())

    def _skip(self, delta: timedelta) -> None:
        self.host.clock.skip(delta)
        self.host.engine.tracker.notify()


def next_timer_of(instance: Instance) -> dict[str, Any] | None:
    """The row of the instance's soonest timer, or None without one (or once finished)."""
    if instance.status.is_terminal or not instance.timers:
        return None
    timer_id = min(instance.timers, key=lambda t: instance.timers[t].due)
    return _timer_row(instance, timer_id)


def _timer_row(instance: Instance, timer_id: int) -> dict[str, Any]:
    armed = instance.timers[timer_id]
    return {
        "instanceId": instance.instance_id,
        "name": instance.name,
        "timerId": timer_id,
        "fireAt": to_wire(armed.fire_at),
        "due": to_wire(armed.due),
    }
