"""In-process harness for tests: ``EmulatorServer`` runs an emulator on its own loop thread.

Usable from synchronous pytest (``with EmulatorServer(app_dir) as server: ...``) and from async
tests (``async with EmulatorServer(app_dir) as server: ...``); both drive the same background
thread, so an async test's own loop never blocks the emulator's.

Only one emulator should run per process at a time: the Durable SDK keeps one process-wide
aiohttp session for its client calls, which the harness closes on ``stop()``.

``activity_overrides`` answer chosen activities with fakes (``server.activities`` sets and clears
them while the host runs), so a test runs the real SDK on virtual time without the app's stores.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

from durable_localhost.clock import ClockMode
from durable_localhost.overrides import ActivityFake, ActivityOverrides
from durable_localhost.server import MEMORY, EmulatorHost, EmulatorOptions

T = TypeVar("T")


class ClockControl:
    """``server.clock``: pause, resume and advance virtual time from the test's thread."""

    def __init__(self, server: EmulatorServer) -> None:
        self._server = server

    def now(self) -> datetime:
        """The emulator's current time."""
        return self._server.host.clock.now()

    def info(self) -> dict[str, Any]:
        """Same JSON as ``GET /runtime/emulator/clock``."""
        return self._server.call(self._async_info())

    async def _async_info(self) -> dict[str, Any]:
        return self._server.host.time.clock_info()

    def pause(self) -> None:
        """Stop auto-advance; time then moves only through ``advance``."""
        self._server.call(self._run(self._server.host.time.pause))

    def resume(self) -> None:
        """Auto-advance to the next timer whenever the system is idle."""
        self._server.call(self._run(self._server.host.time.resume))

    @staticmethod
    async def _run(fn: Any) -> None:
        fn()

    def advance(self, delta: timedelta, timeout: float = 60.0) -> None:
        """Fire every timer due within ``delta``, in order, and wait for quiescence."""
        self._server.call(self._server.host.time.advance(delta, timeout))

    def advance_to(self, instant: datetime, timeout: float = 60.0) -> None:
        """Like :meth:`advance` with an absolute target."""
        self._server.call(self._server.host.time.advance_to(instant, timeout))

    def fire_next_timer(self, timeout: float = 60.0) -> datetime | None:
        """Jump to the next timer (if any), fire it and wait for quiescence."""
        return self._server.call(self._server.host.time.fire_next_timer(timeout))


class EmulatorServer:
    """A running emulator for tests.

    ``clock``: "virtual" (default), "wall" or "scaled". ``state``: ":memory:" (default) or a
    SQLite file path, which survives ``stop()`` so a new server can resume from it.
    ``settings`` override app settings (environment) for this run and are undone on stop.
    ``activity_overrides`` maps activity names to fakes (see :mod:`durable_localhost.overrides`);
    a name the app does not define fails the start.
    ``serial``: run user code one piece at a time with seeded ids, so that the same requests on a
    paused virtual clock record the same histories (see ``EmulatorOptions.serial``).
    """

    def __init__(
        self,
        app_dir: str | Path,
        *,
        clock: str | ClockMode = ClockMode.VIRTUAL,
        state: str | Path = MEMORY,
        settings: Mapping[str, str] | None = None,
        port: int = 0,
        host: str = "127.0.0.1",
        keys: bool = False,
        paused: bool = False,
        start_time: datetime | None = None,
        time_scale: float = 1.0,
        activity_overrides: Mapping[str, ActivityFake] | None = None,
        serial: bool = False,
    ) -> None:
        self.activities = ActivityOverrides(activity_overrides)
        """The fakes answering activities: ``set``, ``clear`` and ``calls`` at any time."""
        self.options = EmulatorOptions(
            app_dir=Path(app_dir),
            port=port,
            host=host,
            state=str(state),
            clock=ClockMode(clock),
            time_scale=time_scale,
            start_time=start_time,
            paused=paused,
            keys=keys,
            settings=dict(settings or {}),
            activity_overrides=self.activities,
            serial=serial,
        )
        self._host: EmulatorHost | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.clock = ClockControl(self)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        """Start the loop thread and the emulator; raises what the start raised."""
        if self._thread is not None:
            return self
        loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.run_forever()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()

        self._loop = loop
        self._thread = threading.Thread(target=run, name="emulator-loop", daemon=True)
        self._thread.start()
        host = EmulatorHost(self.options)
        self._host = host

        async def boot() -> None:
            await host.start()

        try:
            asyncio.run_coroutine_threadsafe(boot(), loop).result()
        except BaseException:
            self._host = None
            self._shutdown_loop()
            raise
        return self

    def stop(self) -> None:
        """Stop the emulator and join its thread (idempotent)."""
        if self._loop is None:
            return
        if self._host is not None:
            host = self._host
            asyncio.run_coroutine_threadsafe(host.stop(), self._loop).result()
            self._host = None
        self._shutdown_loop()

    def _shutdown_loop(self) -> None:
        loop, thread = self._loop, self._thread
        self._loop = None
        self._thread = None
        if loop is not None:
            loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)

    # ------------------------------------------------------------------ access

    @property
    def host(self) -> EmulatorHost:
        """The running host (for introspection in tests)."""
        if self._host is None:
            raise RuntimeError("the emulator is not running")
        return self._host

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return self.host.base_url

    @property
    def api_url(self) -> str:
        """Base URL of the app's HTTP functions (``<base_url>/api`` by default)."""
        return self.host.api_url

    @property
    def webhook_url(self) -> str:
        """``<base_url>/runtime/webhooks/durabletask``."""
        return f"{self.base_url}/runtime/webhooks/durabletask"

    @property
    def master_key(self) -> str:
        """The master key (enforced only with ``keys=True``)."""
        return self.host.keys.master

    @property
    def function_key(self) -> str:
        """The default function key."""
        return self.host.keys.function

    @property
    def system_key(self) -> str:
        """The Durable extension's system key (webhooks)."""
        return self.host.keys.system

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the emulator's loop and wait for its result."""
        if self._loop is None:
            coroutine.close()
            raise RuntimeError("the emulator is not running")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until nothing runs and no timer is due; False if that took too long."""
        return self.call(self.host.time.wait_idle(timeout))

    async def async_wait_idle(self, within: float = 30.0) -> bool:
        """:meth:`wait_idle` for async tests."""
        return await asyncio.to_thread(self.wait_idle, within)
