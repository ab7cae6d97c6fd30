"""Activities: each scheduled task runs once its slot is free, and its outcome goes back as a
message to the instance that scheduled it (dropped if that execution is gone)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from datetime import timedelta
from pathlib import Path
from typing import Any

from durable_localhost.builtin_http import run_builtin_http
from durable_localhost.clock import Clock
from durable_localhost.effects import BUILTIN_HTTP_ACTIVITY
from durable_localhost.functions import FunctionIndex
from durable_localhost.history import Event, EventType, event
from durable_localhost.invokers import ActivityError, activity_failure, run_activity
from durable_localhost.overrides import ActivityFake, ActivityOverrides
from durable_localhost.startup_checks import DEFAULT_FUNCTION_TIMEOUT
from durable_localhost.timeouts import ReplaceablePool
from durable_localhost.tracker import BusyTracker

DeliverTo = Callable[[str, str | None, Event], None]
Turn = Callable[[], AbstractAsyncContextManager[Any]]


class ActivityRunner:
    """Runs activity functions (sync ones on threads) at most ``max_concurrent`` at a time."""

    def __init__(
        self,
        *,
        index: FunctionIndex,
        clock: Clock,
        tracker: BusyTracker,
        app_dir: Path,
        max_concurrent: int,
        deliver_to: DeliverTo,
        overrides: ActivityOverrides | None = None,
        function_timeout: timedelta | None = DEFAULT_FUNCTION_TIMEOUT,
        turn: Turn = nullcontext,
    ) -> None:
        self.index = index
        self.overrides = overrides or ActivityOverrides()
        self.overrides.bind(index.activities)
        self.clock = clock
        self.tracker = tracker
        self.app_dir = app_dir
        self._deliver_to = deliver_to
        self.function_timeout = function_timeout
        self._turn = turn
        self.pool = ReplaceablePool(max_concurrent, "emulator-activity")
        self._slots = asyncio.Semaphore(max_concurrent)
        self.tasks: set[asyncio.Task[None]] = set()

    def dispatch(
        self,
        instance_id: str,
        execution_id: str,
        task_id: int,
        name: str,
        payload: str | None,
        trace_parent: str | None = None,
    ) -> None:
        """Start the activity for task ``task_id``; the system stays busy until it answers."""
        self.tracker.begin()
        task = asyncio.get_running_loop().create_task(
            self._run(instance_id, execution_id, task_id, name, payload, trace_parent)
        )
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _run(
        self,
        instance_id: str,
        execution_id: str,
        task_id: int,
        name: str,
        payload: str | None,
        trace_parent: str | None,
    ) -> None:
        try:
            async with self._slots, self._turn():
                message = await self.outcome(task_id, name, payload, trace_parent)
            self._deliver_to(instance_id, execution_id, message)
        finally:
            self.tracker.end()

    async def outcome(
        self, task_id: int, name: str, payload: str | None, trace_parent: str | None = None
    ) -> Event:
        """``TaskCompleted`` or ``TaskFailed`` with the host's failure texts."""
        fake = self.overrides.get(name)
        try:
            if fake is not None:
                result = await self._faked(fake, name, payload)
            elif name == BUILTIN_HTTP_ACTIVITY:
                result = await run_builtin_http(json.loads(payload or "{}"))
            else:
                function = self.index.activities[name]
                result = await run_activity(
                    function, payload, self.pool, self.app_dir, self.function_timeout, trace_parent
                )
        except ActivityError as exc:
            return self._failed(task_id, exc.reason, exc.details)
        except Exception as exc:
            reason = f"Activity function '{name}' failed:  {type(exc).__name__}: {exc}"
            return self._failed(task_id, reason, None)
        return event(
            EventType.TASK_COMPLETED, self.clock.now(), TaskScheduledId=task_id, Result=result
        )

    async def _faked(self, fake: ActivityFake, name: str, payload: str | None) -> str:
        try:
            return await self.overrides.run(fake, name, payload, self.pool)
        except Exception as exc:
            raise activity_failure(name, exc) from exc

    def _failed(self, task_id: int, reason: str, details: str | None) -> Event:
        return event(
            EventType.TASK_FAILED,
            self.clock.now(),
            TaskScheduledId=task_id,
            Reason=reason,
            Details=details,
            FailureDetails=None,
        )
