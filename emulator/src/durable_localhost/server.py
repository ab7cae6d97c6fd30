"""The emulator host: configuration, app, engine and HTTP server put together.

One aiohttp server serves the app's HTTP functions under ``/<routePrefix>/``, the Durable
webhooks under ``/runtime/webhooks/durabletask/``, the SDK client's RPC base under
``/durabletask/<token>/`` (unguessable, so ``--keys`` cannot be bypassed through it, like the real
host's loopback-only RPC port), the dashboard under ``/_dashboard/`` with its read endpoints and,
with a virtual clock, the test control API under ``/runtime/emulator/``.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from durable_localhost import ids, persistence
from durable_localhost.admin_functions import ROUTE as ADMIN_INVOKE
from durable_localhost.admin_functions import invoke_function
from durable_localhost.app_loader import AppLoadError, LoadedApp, load_app
from durable_localhost.clock import Clock, ClockMode
from durable_localhost.config import (
    EnvironmentPatch,
    HostConfig,
    load_host_config,
    read_local_settings,
)
from durable_localhost.control_api import CONTROL_PATH, control_api_app
from durable_localhost.dashboard import DASHBOARD_PATH, DashboardAccess, mount_dashboard
from durable_localhost.durable_api import durable_api_app
from durable_localhost.engine import Engine
from durable_localhost.homepage import homepage
from durable_localhost.http_functions import HttpRouter, build_request, invoke_http
from durable_localhost.keys import HostKeys, resolve_keys
from durable_localhost.overrides import ActivityOverrides
from durable_localhost.process_tuning import ProcessTuning
from durable_localhost.responses import empty, presented_key, require_key, router_errors
from durable_localhost.sdk import close_sdk_client_session
from durable_localhost.startup_checks import StartupSettings, check_startup
from durable_localhost.startup_errors import StartupError, app_import_failed, invalid_json
from durable_localhost.store import StateStore
from durable_localhost.time_control import TimeControl
from durable_localhost.timeouts import ReplaceablePool
from durable_localhost.timer_scheduler import TimerScheduler
from durable_localhost.timer_triggers import resolve_timer_triggers
from durable_localhost.tracker import REQUEST_UNIT
from durable_localhost.urls import WEBHOOK_PATH, public_urls

log = logging.getLogger("durable_localhost")

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
    activity_overrides: ActivityOverrides | None = None  # fakes answering activities (tests)
    #: One episode, activity or entity batch at a time, in the order they became ready, and ids
    #: from a fixed seed: the same requests on a virtual clock give byte-identical histories.
    serial: bool = False

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
        self._http_pool: ReplaceablePool | None = None
        self._rpc_token = secrets.token_urlsafe(16)
        self.config = HostConfig()
        self._startup: StartupSettings | None = None
        self.keys = HostKeys(False, "", "", "")
        self.port = options.port
        self._router: HttpRouter | None = None
        self._tuning = ProcessTuning()
        self._timers: TimerScheduler | None = None

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
    def timers(self) -> TimerScheduler:
        """The timer-triggered functions' scheduler."""
        if self._timers is None:
            raise RuntimeError("the emulator is not started")
        return self._timers

    @property
    def startup(self) -> StartupSettings:
        """What the startup checks found (storage provider, ``functionTimeout``)."""
        if self._startup is None:
            raise RuntimeError("the emulator is not started")
        return self._startup

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
        self._tuning.hand_gil_over_sooner()
        try:
            self._load_settings(app_dir)
            self._app = _load_app(app_dir)
            timer_triggers, zone = resolve_timer_triggers(self._app.index.timers, os.environ)
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
                activity_overrides=options.activity_overrides,
                function_timeout=self.startup.function_timeout,
                serial=options.serial,
            )
            if options.serial:
                ids.seed(0)
            self._router = HttpRouter(self._app.index.http)
            self._http_pool = ReplaceablePool(options.http_threads, "emulator-http")
            self._timers = TimerScheduler(
                timer_triggers,
                zone=zone,
                clock=self.clock,
                tracker=self._engine.tracker,
                store=self._store,
                app_dir=app_dir,
                function_timeout=self.startup.function_timeout,
                turn=self._engine.turn,
            )
            await self._engine.start()
            await self._serve()
            await self._timers.start()
            self._tuning.collect_less()
        except BaseException:
            await self.stop()
            raise

    def _load_settings(self, app_dir: Path) -> None:
        """App settings, ``host.json`` and the checks the real host makes before starting."""
        try:
            local_values = read_local_settings(app_dir)
        except json.JSONDecodeError as exc:
            raise invalid_json(app_dir / "local.settings.json", exc) from exc
        self._env.apply(local_values, self.options.settings)
        try:
            self.config = load_host_config(app_dir)
        except json.JSONDecodeError as exc:
            raise invalid_json(app_dir / "host.json", exc) from exc
        self._startup = check_startup(app_dir, self.config.raw, self.config.hub_name, os.environ)
        log.info(self._startup.backend_line(self.options.state_path()))

    async def _serve(self) -> None:
        own = router_errors((CONTROL_PATH, DASHBOARD_PATH, "/admin/"))
        app = web.Application(middlewares=[self._busy_middleware, own], client_max_size=100 * 2**20)
        hub, keys = self.config.hub_name, self.keys
        webhook_key = require_key(lambda key: keys.allows("system", key))
        app.add_subapp(WEBHOOK_PATH, durable_api_app(self.engine, hub, keys, [webhook_key]))
        app.add_subapp(f"/durabletask/{self._rpc_token}", durable_api_app(self.engine, hub, keys))
        app.router.add_route("*", "/durabletask/{token}/{tail:.*}", _not_found)  # wrong token
        endpoints = control_api_app(self)
        mount_dashboard(app, endpoints, self, self.options.dashboard)
        app.add_subapp(CONTROL_PATH, endpoints)
        app.router.add_get("/admin/host/status", self._host_status)
        app.router.add_post(ADMIN_INVOKE, functools.partial(invoke_function, self))
        prefix = self.config.route_prefix
        # [\s\S], not '.': an encoded newline (%0A) in a route parameter still reaches the app.
        pattern = f"/{prefix}/{{tail:[\\s\\S]*}}" if prefix else "/{tail:[\\s\\S]*}"
        app.router.add_route("*", pattern, self._function)
        if prefix:
            app.router.add_route("*", "/", homepage)  # any method, as the host's middleware
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.options.host, self.options.port))
        except OSError as exc:
            sock.close()
            raise StartupError(
                f"Port {self.options.port} is unavailable ({exc.strerror}). Close the process "
                "using that port, or specify another port using --port."
            ) from exc
        self.port = sock.getsockname()[1]
        if not self.keys.enforced and not is_loopback(self.options.host):
            log.warning(
                "listening on %s without --keys: anyone who can reach this address can call "
                "every function and the Durable management API",
                self.options.host or "every interface",
            )
        site = web.SockSite(self._runner, sock)
        await site.start()

    async def stop(self) -> None:
        """Stop serving, stop the engine, flush state and unload the app (idempotent)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._timers is not None:
            await self._timers.stop()
            self._timers = None
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
        self._tuning.restore()

    # ------------------------------------------------------------------ HTTP handlers

    @web.middleware
    async def _busy_middleware(self, request: web.Request, handler: _Handler) -> web.StreamResponse:
        """Requests in flight keep virtual time from auto-advancing and pace background work.

        The control API is neither: it is how tests drive time and wait for quiescence.
        """
        if request.path.startswith(f"{CONTROL_PATH}/") or self._engine is None:
            return await handler(request)
        tracker, pacing = self._engine.tracker, self._engine.pacing
        tracker.begin()
        request[REQUEST_UNIT] = tracker
        pacing.request_began()
        try:
            return await handler(request)
        finally:
            pacing.request_ended()
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

    async def _host_status(self, request: web.Request) -> web.StreamResponse:
        # Admin level, as on the real host: the answer lists every function of the app.
        if not self.keys.allows("admin", presented_key(request)):
            return web.Response(status=401)
        body = {"state": "Running", "version": "emulator", "functions": self.function_names()}
        return web.json_response(body)

    async def _function(self, request: web.Request) -> web.StreamResponse:
        assert self._router is not None
        assert self._http_pool is not None
        path = self._route_path(request)
        found = self._router.match(path, request.method)
        if found is None:
            # A wrong method is no route to the Functions host either (its method constraint
            # fails): 404 with no body (azure-functions-host#10098). `/` is its static page.
            return await homepage(request) if request.path == "/" else empty(404)
        route, params = found
        if not self.keys.allows(route.function.auth_level, presented_key(request)):
            return web.Response(status=401)
        http_request = await build_request(request, params)
        urls = public_urls(f"{request.scheme}://{request.host}", self.config.hub_name, self.keys)
        return await invoke_http(
            route,
            http_request,
            lambda: urls.client_binding(self.rpc_base_url),
            self._http_pool,
            self.app.app_dir,
            self.startup.function_timeout,
        )

    # ------------------------------------------------------------------ introspection

    def function_names(self) -> list[str]:
        """Every indexed function name."""
        index = self.app.index
        names = [f.function_name for f in index.orchestrators.values()]
        names += [f.function_name for f in index.activities.values()]
        names += [f.function_name for f in index.entities.values()]
        names += [f.function_name for f in index.http]
        names += [f.function_name for f in index.timers]
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
        for timer in sorted(index.timers, key=lambda f: f.function_name):
            lines.append(f"{timer.function_name}: timerTrigger")
        return lines

    @property
    def time(self) -> TimeControl:
        """Pause, resume and advance virtual time; wait for quiescence."""
        return TimeControl(self.engine, self.clock, self._timers)


def _load_app(app_dir: Path) -> LoadedApp:
    """Import the app; a failure becomes one message that names the file and line."""
    try:
        return load_app(app_dir)
    except AppLoadError as exc:
        raise StartupError(str(exc)) from exc
    except Exception as exc:
        raise app_import_failed(app_dir, exc) from exc


async def _not_found(request: web.Request) -> web.StreamResponse:
    return empty(404)


def is_loopback(host: str) -> bool:
    """Whether a bind address only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # "" (every interface) or a host name that may resolve beyond loopback


def _read_stored_keys(conn: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for name in ("master", "function", "system"):
        value = persistence.read_kv(conn, f"key.{name}")
        if value:
            found[name] = value
    return found
