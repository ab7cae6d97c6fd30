"""Running timer functions at their occurrences, as the host's timer listener does.

One run at a time per function (the host's listener is a singleton and awaits each invocation);
the next occurrence is counted from when the run started, so a run that outlasts its interval is
followed by one catch-up run, never by one run per missed occurrence. With the schedule monitor,
the status is kept in the state store and an occurrence missed while the host was down runs once
at startup, past due; ``runOnStartup`` runs the function at every start.

Time is the host's clock. On a wall or scaled clock the scheduler sleeps until the next
occurrence. On a virtual clock occurrences never move time themselves (an app with a timer would
otherwise never be idle): they run when time reaches them. ``TimeControl`` steps through them
in order, like durable timers, while it advances; an auto-advance jump over several
occurrences runs the function once afterwards, as the host does when its clock jumps.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from durable_localhost import persistence
from durable_localhost.activity_runner import Turn
from durable_localhost.clock import Clock
from durable_localhost.store import StateStore
from durable_localhost.timeouts import ReplaceablePool
from durable_localhost.timer_functions import TimerRun, invoke_timer
from durable_localhost.timer_status import ScheduleStatus, after_run, check_past_due
from durable_localhost.timer_triggers import TimerTrigger
from durable_localhost.tracker import BusyTracker

log = logging.getLogger("durable_localhost.host")

#: Occurrences listed at startup, as the host's log does.
LISTED_OCCURRENCES = 5


def status_key(function_name: str) -> str:
    """Where a function's schedule status lives in the state store's ``kv`` table."""
    return f"timer.{function_name}.status"


@dataclass
class _Timer:
    trigger: TimerTrigger
    status: ScheduleStatus
    startup: TimerRun | None = None  # a past-due or run-on-startup invocation still to make
    running: bool = False
    runs: int = 0

    def due(self, now: datetime) -> bool:
        if self.running or self.trigger.disabled:
            return False
        if self.startup is not None:
            return True
        return self.status.next is not None and self.status.next <= now


class TimerScheduler:
    """Every timer function of the app, its status and the loop that fires it."""

    def __init__(
        self,
        triggers: list[TimerTrigger],
        *,
        zone: tzinfo,
        clock: Clock,
        tracker: BusyTracker,
        store: StateStore,
        app_dir: Path,
        function_timeout: timedelta | None,
        turn: Turn = nullcontext,
    ) -> None:
        self.zone = zone
        self._turn = turn  # serial runs: user code takes turns with episodes and activities
        self.clock = clock
        self.tracker = tracker
        self._store = store
        self._app_dir = app_dir
        self._function_timeout = function_timeout
        self._triggers = triggers
        self._timers: dict[str, _Timer] = {}
        self._pool = ReplaceablePool(max(1, min(len(triggers), 8)), "emulator-timer")
        self._loop_task: asyncio.Task[None] | None = None
        self._runs: set[asyncio.Task[None]] = set()
        self._stopping = False

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Read the monitors' statuses, log the schedules, queue startup runs, start the loop."""
        if not self._triggers:
            return
        stored = await self._store.read(self._read_statuses)
        now = self.clock.now()
        for trigger in self._triggers:
            self._timers[trigger.name] = self._prepare(trigger, stored.get(trigger.name), now)
        self._loop_task = asyncio.create_task(self._run_loop())

    def _prepare(
        self, trigger: TimerTrigger, stored: ScheduleStatus | None, now: datetime
    ) -> _Timer:
        schedule = trigger.schedule
        timer = _Timer(trigger, ScheduleStatus(None, schedule.next_after(now), None))
        if trigger.disabled:
            log.info("Function '%s' is disabled: its schedule does not run.", trigger.name)
            return timer
        if trigger.use_monitor:
            check = check_past_due(stored, schedule, now)
            timer.status = check.status
            if check.rewritten:
                self._save(timer)
            if check.late_by > timedelta(0):
                log.info("Function '%s' is past due on startup. Executing now.", trigger.name)
                timer.startup = TimerRun(
                    timer.status, past_due=True, original_schedule=timer.status.next
                )
        if timer.startup is None and trigger.function.run_on_startup:
            log.info("Function '%s' is configured to run on startup. Executing now.", trigger.name)
            timer.startup = TimerRun(self._visible(timer), run_on_startup=True)
        log.info(
            "The next %d occurrences of the '%s' schedule (%s) will be:\n%s",
            LISTED_OCCURRENCES,
            trigger.name,
            schedule.describe(),
            "\n".join(self._upcoming(timer, LISTED_OCCURRENCES)),
        )
        return timer

    async def stop(self) -> None:
        """Stop firing; cancel runs in progress and join the pool (a sync call runs to its end)."""
        self._stopping = True
        tasks = [t for t in (self._loop_task, *self._runs) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._pool.shutdown(wait=True, cancel_futures=True)

    # ------------------------------------------------------------------ queries

    def next_due(self) -> datetime | None:
        """The clock time of the earliest occurrence of a function not running now."""
        pending = [
            t.status.next
            for t in self._timers.values()
            if t.status.next is not None and not t.trigger.disabled and not t.running
        ]
        return min(pending, default=None)

    def due(self) -> bool:
        """Whether a run is waiting to start (time reached an occurrence, or a startup run)."""
        now = self.clock.now()
        return any(t.due(now) for t in self._timers.values())

    def _upcoming(self, timer: _Timer, count: int) -> list[str]:
        """The next ``count`` occurrences as the host lists them (local time, and UTC in
        brackets when the zone is not UTC)."""
        lines: list[str] = []
        at = timer.status.next
        while at is not None and len(lines) < count:
            lines.append(self._format(at))
            at = timer.trigger.schedule.next_after(at)
        return lines

    def describe(self) -> list[dict[str, Any]]:
        """One row per timer function: schedule, monitor, next occurrence, runs so far."""
        return [
            {
                "name": name,
                "schedule": timer.trigger.expression,
                "kind": timer.trigger.schedule.describe(),
                "runOnStartup": timer.trigger.function.run_on_startup,
                "useMonitor": timer.trigger.use_monitor,
                "disabled": timer.trigger.disabled,
                "running": timer.running,
                "invocations": timer.runs,
                "last": _iso(timer.status.last),
                "next": _iso(timer.status.next),
            }
            for name, timer in sorted(self._timers.items())
        ]

    # ------------------------------------------------------------------ firing

    def fire_due(self) -> int:
        """Start every run that is due (startup runs first); returns how many started."""
        now = self.clock.now()
        started = 0
        for timer in self._timers.values():
            if self._stopping or not timer.due(now):
                continue
            run = timer.startup or TimerRun(self._visible(timer))
            timer.startup = None
            timer.running = True
            self.tracker.begin()
            task = asyncio.create_task(self._invoke(timer, run))
            self._runs.add(task)
            task.add_done_callback(self._runs.discard)
            started += 1
        return started

    def invoke_now(self, function_name: str) -> bool:
        """Run a timer function once at once, beside its schedule (the admin API's manual run);
        False when the app has no timer function of that name (any case)."""
        timer = next(
            (t for name, t in self._timers.items() if name.lower() == function_name.lower()), None
        )
        if timer is None or self._stopping:
            return False
        self.tracker.begin()
        task = asyncio.create_task(self._invoke_manually(timer))
        self._runs.add(task)
        task.add_done_callback(self._runs.discard)
        return True

    async def _invoke_manually(self, timer: _Timer) -> None:
        try:
            await self._call(timer, TimerRun(self._visible(timer), manual=True), self.clock.now())
        except Exception:
            log.exception("Error occurred during manual invocation for '%s'.", timer.trigger.name)
        finally:
            self.tracker.end()

    async def _call(self, timer: _Timer, run: TimerRun, invoked_at: datetime) -> None:
        async with self._turn():
            await invoke_timer(
                timer.trigger,
                run,
                invoked_at,
                self.zone,
                self._pool,
                self._app_dir,
                self._function_timeout,
            )

    async def _invoke(self, timer: _Timer, run: TimerRun) -> None:
        invoked_at = self.clock.now()
        try:
            await self._call(timer, run, invoked_at)
        except Exception:
            # invoke_timer logs the function's own failures; this is the host failing to call it.
            log.exception(
                "Error occurred during scheduled invocation for '%s'.", timer.trigger.name
            )
        finally:
            # Whatever happened, the schedule moves on: a run is never repeated at once.
            timer.runs += 1
            schedule = timer.trigger.schedule
            timer.status = after_run(timer.status, schedule, invoked_at, run.scheduled)
            self._save(timer)
            timer.running = False
            self.tracker.end()
            self.tracker.notify()

    async def _run_loop(self) -> None:
        """Fire what is due; sleep until the next occurrence (wall, scaled) or the next change."""
        while not self._stopping:
            self.fire_due()
            upcoming = self.next_due()
            if self.clock.is_virtual or upcoming is None:
                await self.tracker.changed()
            else:
                await self.tracker.changed(within=self.clock.real_seconds_until(upcoming))

    # ------------------------------------------------------------------ status

    def _visible(self, timer: _Timer) -> ScheduleStatus | None:
        """The status handed to the function: only with the monitor, as on the host."""
        return timer.status if timer.trigger.use_monitor else None

    def _save(self, timer: _Timer) -> None:
        if timer.trigger.use_monitor:
            key = status_key(timer.trigger.name)
            self._store.write(persistence.write_kv(key, timer.status.to_json()))

    def _read_statuses(self, conn: Any) -> dict[str, ScheduleStatus]:
        found: dict[str, ScheduleStatus] = {}
        for trigger in self._triggers:
            text = persistence.read_kv(conn, status_key(trigger.name))
            if text:
                found[trigger.name] = ScheduleStatus.from_json(text)
        return found

    def _format(self, instant: datetime) -> str:
        local = instant.astimezone(self.zone)
        text = local.strftime("%m/%d/%Y %H:%M:%S%z")
        if local.utcoffset() == timedelta(0):
            return instant.strftime("%m/%d/%Y %H:%M:%SZ")
        return f"{text} ({instant.strftime('%m/%d/%Y %H:%M:%SZ')})"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None
