"""The emulator host: configuration, app, engine and HTTP server put together.

One aiohttp server serves the app's HTTP functions under ``/<routePrefix>/``, the Durable
webhooks under ``/runtime/webhooks/durabletask/``, the SDK client's RPC base under
``/durabletask/<token>/`` (unguessable, so ``--keys`` cannot be bypassed through it, like the real
host's loopback-only RPC port) and, with a virtual clock, the test control API under
``/runtime/emulator/``.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import socket
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from emulator import persistence
from emulator.app_loader import LoadedApp, load_app
from emulator.clock import Clock, ClockMode
from emulator.config import EnvironmentPatch, HostConfig, load_host_config, read_local_settings
from emulator.control_api import ControlApi
from emulator.dashboard import DASHBOARD_PATH, DashboardAccess, mount_dashboard
from emulator.durable_api import WEBHOOK_PATH, DurableHttpApi, PublicUrls
from emulator.engine import Engine
from emulator.http_functions import HttpRouter, build_request, invoke_http
from emulator.keys import HostKeys, resolve_keys
from emulator.sdk import close_sdk_client_session
from emulator.store import StateStore

log = logging.getLogger("emulator")

DEFAULT_STATE = Path(".local") / "emulator" / "state.sqlite3"
MEMORY = ":memory:"
_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class EmulatorOptions:
    """Everything that configures one emulator run."""

    app_dir: Path
    port: int = 7071
    host: str = "127.0.0.1"
    state: str | None = None  # None: <app>/.local/emulator/state.sqlite3; ":memory:" for tests
    clock: ClockMode = ClockMode.WALL
    time_scale: float = 1.0
    start_time: datetime | None = None
    paused: bool = False
    keys: bool = False
    settings: Mapping[str, str] = field(default_factory=dict)
    http_threads: int = 16
    dashboard: DashboardAccess = DashboardAccess.LOOPBACK

    def state_path(self) -> str:
        """Where SQLite state lives."""
        if self.state == MEMORY:
            return MEMORY
        if self.state:
            return str(Path(self.state).expanduser().resolve())
        return str((self.app_dir / DEFAULT_STATE).resolve())


class EmulatorHost:
    """Start, run and stop one emulated Functions host."""

    def __init__(self, options: EmulatorOptions) -> None:
        self.options = options
        self.clock = Clock(
            options.clock,
            start=options.start_time,
            scale=options.time_scale,
            paused=options.paused,
        )
        self._env = EnvironmentPatch()
        self._app: LoadedApp | None = None
        self._store: StateStore | None = None
        self._engine: Engine | None = None
        self._runner: web.AppRunner | None = None
        self._http_pool: ThreadPoolExecutor | None = None
        self._rpc_token = secrets.token_urlsafe(16)
        self.config = HostConfig()
        self.keys = HostKeys(False, "", "", "")
        self.port = options.port
        self._router: HttpRouter | None = None
        self._durable_api: DurableHttpApi | None = None

    # ------------------------------------------------------------------ properties

    @property
    def engine(self) -> Engine:
        """The running engine."""
        if self._engine is None:
            raise RuntimeError("the emulator is not started")
        return self._engine

    @property
    def app(self) -> LoadedApp:
        """The loaded app."""
        if self._app is None:
            raise RuntimeError("the emulator is not started")
        return self._app

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        host = "127.0.0.1" if self.options.host in ("0.0.0.0", "") else self.options.host
        return f"http://{host}:{self.port}"

    @property
    def api_url(self) -> str:
        """Base URL of the app's HTTP functions (with the route prefix)."""
        prefix = self.config.route_prefix
        return f"{self.base_url}/{prefix}" if prefix else self.base_url

    @property
    def dashboard_url(self) -> str | None:
        """Where the dashboard's page is served, or None with ``--dashboard off``."""
        if self.options.dashboard is DashboardAccess.OFF:
            return None
        return f"{self.base_url}{DASHBOARD_PATH}/"

    @property
    def rpc_base_url(self) -> str:
        """The client binding's ``rpcBaseUrl`` (ends in ``/``, as the SDK requires)."""
        return f"{self.base_url}/durabletask/{self._rpc_token}/"

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Load settings and the app, open state, start the engine and the HTTP server."""
        options = self.options
        app_dir = options.app_dir.resolve()
        try:
            self._env.apply(read_local_settings(app_dir), options.settings)
            self.config = load_host_config(app_dir)
            if "%" in self.config.hub_name:
                log.warning(
                    "task hub name %s refers to an app setting that is not set "
                    "(add it to local.settings.json)",
                    self.config.hub_name,
                )
            self._app = load_app(app_dir)
            self._store = StateStore(options.state_path())
            stored_keys = self._store.read_sync(_read_stored_keys)
            self.keys = resolve_keys(options.keys, stored_keys)
            if not self._store.is_memory:
                for name, value in (
                    ("master", self.keys.master),
                    ("function", self.keys.function),
                    ("system", self.keys.system),
                ):
                    self._store.write(persistence.write_kv(f"key.{name}", value))
            self._engine = Engine(
                config=self.config,
                index=self._app.index,
                clock=self.clock,
                store=self._store,
                app_dir=app_dir,
            )
            self._router = HttpRouter(self._app.index.http)
            self._durable_api = DurableHttpApi(self._engine, self.config.hub_name, self.keys)
            self._http_pool = ThreadPoolExecutor(
                options.http_threads, thread_name_prefix="emulator-http"
            )
            await self._engine.start()
            await self._serve()
        except BaseException:
            await self.stop()
            raise

    async def _serve(self) -> None:
        app = web.Application(middlewares=[self._busy_middleware], client_max_size=100 * 2**20)
        app.router.add_route("*", WEBHOOK_PATH + "/{tail:.*}", self._webhook)
        app.router.add_route("*", "/durabletask/{token}/{tail:.*}", self._rpc)
        mount_dashboard(app, self, self.options.dashboard)
        if self.clock.is_virtual:
            control = ControlApi(self)
            app.router.add_route("*", "/runtime/emulator/{tail:.*}", control.handle)
        app.router.add_get("/admin/host/status", self._host_status)
        prefix = self.config.route_prefix
        # [\s\S], not '.': an encoded newline (%0A) in a route parameter still reaches the app.
        pattern = f"/{prefix}/{{tail:[\\s\\S]*}}" if prefix else "/{tail:[\\s\\S]*}"
        app.router.add_route("*", pattern, self._function)
        if prefix:
            app.router.add_get("/", self._host_status)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.options.host, self.options.port))
        self.port = sock.getsockname()[1]
        site = web.SockSite(self._runner, sock)
        await site.start()

    async def stop(self) -> None:
        """Stop serving, stop the engine, flush state and unload the app (idempotent)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._engine is not None:
            await self._engine.stop()
            self._engine = None
        await close_sdk_client_session()
        if self._http_pool is not None:
            self._http_pool.shutdown(wait=True, cancel_futures=True)
            self._http_pool = None
        if self._store is not None:
            self._store.close()
            self._store = None
        if self._app is not None:
            self._app.unload()
            self._app = None
        self._env.restore()

    # ------------------------------------------------------------------ HTTP handlers

    @web.middleware
    async def _busy_middleware(self, request: web.Request, handler: _Handler) -> web.StreamResponse:
        """Requests in flight keep virtual time from auto-advancing (not the control API)."""
        if request.path.startswith("/runtime/emulator/") or self._engine is None:
            return await handler(request)
        tracker = self._engine.tracker
        tracker.begin()
        try:
            return await handler(request)
        finally:
            tracker.end()

    def _route_path(self, request: web.Request) -> str:
        """The path after the route prefix, with %2F and %25 still encoded (``path_safe``).

        ``match_info["tail"]`` is fully decoded, which split ``instances/a%2Fb`` into three
        segments and routed ``instances/%2F`` to ``instances``.
        """
        prefix = self.config.route_prefix
        head = f"/{prefix}/" if prefix else "/"
        safe = request.rel_url.path_safe
        return safe[len(head) :] if safe.startswith(head) else request.match_info["tail"]

    def _presented_key(self, request: web.Request) -> str | None:
        return request.headers.get("x-functions-key") or request.query.get("code")

    async def _webhook(self, request: web.Request) -> web.StreamResponse:
        if not self.keys.allows("system", self._presented_key(request)):
            return web.Response(status=401)
        assert self._durable_api is not None
        return await self._durable_api.handle(request, request.match_info["tail"])

    async def _rpc(self, request: web.Request) -> web.StreamResponse:
        if not secrets.compare_digest(request.match_info["token"], self._rpc_token):
            return web.Response(status=404)
        assert self._durable_api is not None
        return await self._durable_api.handle(request, request.match_info["tail"])

    async def _host_status(self, request: web.Request) -> web.StreamResponse:
        body = {"state": "Running", "version": "emulator", "functions": self.function_names()}
        return web.json_response(body)

    async def _function(self, request: web.Request) -> web.StreamResponse:
        assert self._router is not None
        assert self._http_pool is not None
        path = self._route_path(request)
        found = self._router.match(path, request.method)
        if found is None:
            return web.Response(status=404)
        if found is False:
            # The Functions host answers 404 here (azure-functions-host#10098); a 405 must
            # name the methods the resource has (RFC 9110).
            allow = ", ".join(self._router.allowed_methods(path))
            return web.Response(status=405, headers={"Allow": allow})
        assert isinstance(found, tuple)
        route, params = found
        if not self.keys.allows(route.function.auth_level, self._presented_key(request)):
            return web.Response(status=401)
        http_request = await build_request(request, params)
        urls = PublicUrls(f"{request.scheme}://{request.host}", self.config.hub_name, self.keys)
        return await invoke_http(
            route,
            http_request,
            lambda: urls.client_binding(self.rpc_base_url),
            self._http_pool,
            self.app.app_dir,
        )

    # ------------------------------------------------------------------ introspection

    def function_names(self) -> list[str]:
        """Every indexed function name."""
        index = self.app.index
        names = [f.function_name for f in index.orchestrators.values()]
        names += [f.function_name for f in index.activities.values()]
        names += [f.function_name for f in index.entities.values()]
        names += [f.function_name for f in index.http]
        return sorted(names)

    def describe_routes(self) -> list[str]:
        """``name: [METHODS] url`` lines, as ``func start`` prints them."""
        lines: list[str] = []
        for function in sorted(self.app.index.http, key=lambda f: f.function_name):
            methods = ",".join(function.methods)
            lines.append(f"{function.function_name}: [{methods}] {self.api_url}/{function.route}")
        index = self.app.index
        for orchestrator in sorted(index.orchestrators.values(), key=lambda f: f.name):
            lines.append(f"{orchestrator.name}: orchestrationTrigger")
        for activity in sorted(index.activities.values(), key=lambda f: f.name):
            lines.append(f"{activity.name}: activityTrigger")
        for entity in sorted(index.entities.values(), key=lambda f: f.name):
            lines.append(f"{entity.name}: entityTrigger")
        return lines

    # ------------------------------------------------------------------ time control

    def clock_info(self) -> dict[str, Any]:
        """``{"now", "mode", "paused", "nextTimer"}`` for the control API."""
        upcoming = self.engine.next_timer()
        return {
            "now": _iso(self.clock.now()),
            "mode": str(self.clock.mode),
            "paused": self.clock.paused,
            "nextTimer": _iso(upcoming) if upcoming else None,
            "busy": self.engine.tracker.busy,
        }

    def pause(self) -> None:
        """Stop auto-advancing virtual time."""
        self._require_virtual()
        self.clock.paused = True
        self.engine.tracker.notify()

    def resume(self) -> None:
        """Let virtual time auto-advance again when the system is idle."""
        self._require_virtual()
        self.clock.paused = False
        self.engine.tracker.notify()

    async def wait_idle(self, within: float | None = 30.0) -> bool:
        """Wait until nothing runs and no timer is due; False on timeout (real seconds)."""
        engine = self.engine

        async def settle() -> None:
            while not engine.is_quiescent():
                await engine.tracker.changed(within=0.05)

        try:
            await asyncio.wait_for(settle(), within)
        except TimeoutError:
            return False
        return True

    async def advance(self, delta: timedelta, within: float | None = 60.0) -> None:
        """Move virtual time forward by ``delta``, firing every timer due on the way."""
        await self.advance_to(self.clock.now() + delta, within)

    async def advance_to(self, target: datetime, within: float | None = 60.0) -> None:
        """Fire timers in order up to ``target``, reaching quiescence after each step."""
        self._require_virtual()
        engine = self.engine

        async def settle_paused() -> None:
            while engine.tracker.busy or _due(engine):
                engine.fire_due_timers()
                if engine.tracker.busy:
                    await engine.tracker.changed(within=0.05)

        async def run() -> None:
            await settle_paused()
            while True:
                upcoming = engine.next_timer()
                if upcoming is None or upcoming > target:
                    break
                self.clock.set_virtual(upcoming)
                engine.fire_due_timers()
                await settle_paused()
            self.clock.set_virtual(target)
            engine.tracker.notify()
            await settle_paused()

        await asyncio.wait_for(run(), within)

    async def fire_next_timer(self, within: float | None = 60.0) -> datetime | None:
        """Advance exactly to the next live timer (if any) and run to quiescence."""
        upcoming = self.engine.next_timer()
        if upcoming is None:
            return None
        await self.advance_to(max(upcoming, self.clock.now()), within)
        return upcoming

    def _require_virtual(self) -> None:
        if not self.clock.is_virtual:
            raise RuntimeError("time control needs the virtual clock")


def _due(engine: Engine) -> bool:
    upcoming = engine.next_timer()
    return upcoming is not None and upcoming <= engine.clock.now()


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _read_stored_keys(conn: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for name in ("master", "function", "system"):
        value = persistence.read_kv(conn, f"key.{name}")
        if value:
            found[name] = value
    return found
