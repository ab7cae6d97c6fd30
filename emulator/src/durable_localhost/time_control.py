"""Time control of a running host: virtual time paused, resumed or advanced, and quiescence.

Used by the control API (``/runtime/emulator/``) and by the in-process test server.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from durable_localhost.clock import Clock
from durable_localhost.engine import Engine
from durable_localhost.timer_scheduler import TimerScheduler


class TimeControl:
    """Moves one engine's virtual clock; every step runs the system to quiescence.

    Timer-trigger occurrences (``timers``) are steps too: advancing passes them in order with
    the durable timers, but they are not "the next timer" (``nextTimer``, ``fire_next_timer``),
    so a test that steps through an orchestration's timers is not stopped by every occurrence.
    """

    def __init__(self, engine: Engine, clock: Clock, timers: TimerScheduler | None = None) -> None:
        self.engine = engine
        self.clock = clock
        self.timers = timers

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
            while not engine.is_quiescent() or self._fire_timer_triggers():
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
            while engine.tracker.busy or _due(engine) or self._fire_timer_triggers():
                engine.fire_due_timers()
                if engine.tracker.busy:
                    await engine.tracker.changed(within=0.05)

        async def run() -> None:
            await settle_paused()
            while True:
                upcoming = self._next_step()
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

    def _fire_timer_triggers(self) -> bool:
        """Start the timer functions whose occurrence time has reached; True if any started."""
        return self.timers is not None and self.timers.fire_due() > 0

    def _next_step(self) -> datetime | None:
        """The earliest durable timer or timer-trigger occurrence."""
        steps = [self.engine.next_timer(), self.timers.next_due() if self.timers else None]
        return min((s for s in steps if s is not None), default=None)

    def _require_virtual(self) -> None:
        if not self.clock.is_virtual:
            raise RuntimeError("time control needs the virtual clock")


def _due(engine: Engine) -> bool:
    upcoming = engine.next_timer()
    return upcoming is not None and upcoming <= engine.clock.now()


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")
