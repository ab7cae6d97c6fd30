"""Durable timers: armed per instance, kept in one heap, fired in order as the clock passes them.

The heap may hold stale entries (a timer of an execution that ended, was continued as new or
was canceled); they are dropped when they reach the top, so arming never searches the heap.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from durable_localhost.clock import Clock
from durable_localhost.history import Event, EventType, event
from durable_localhost.model import ArmedTimer, Instance
from durable_localhost.timeutil import to_wire
from durable_localhost.tracker import BusyTracker


def due_time(fire_at: datetime, stamp: datetime, now: datetime) -> datetime:
    """When a timer set by the episode stamped ``stamp`` fires, in clock time.

    It is due when the clock has moved as far past its reading at that episode as FireAt is
    past the stamp: the stamp's nudge ahead of the clock (a few microseconds on a paused
    virtual clock) is not waited for, so advancing a paused clock by exactly an orchestration's
    delay fires it. Never later than FireAt.
    """
    return min(fire_at, now + (fire_at - stamp))


@dataclass(order=True)
class _Pending:
    due: datetime  # clock time (``ArmedTimer.due``); the heap is ordered by it
    seq: int
    fire_at: datetime = field(compare=False)
    instance_id: str = field(compare=False)
    execution_id: str = field(compare=False)
    timer_id: int = field(compare=False)


class Timers:
    """Every armed timer of the engine's instances, and the loop that fires them."""

    def __init__(
        self,
        clock: Clock,
        tracker: BusyTracker,
        instances: dict[str, Instance],
        deliver: Callable[[Instance, Event], None],
        mark_dirty: Callable[[Instance], None],
    ) -> None:
        self.clock = clock
        self.tracker = tracker
        self._instances = instances
        self._deliver = deliver
        self._mark_dirty = mark_dirty
        self._heap: list[_Pending] = []
        self._seq = itertools.count()

    def arm(self, instance: Instance, timer_id: int, fire_at: datetime, stamp: datetime) -> None:
        """Arm a timer created by the episode stamped ``stamp`` (not for finished instances)."""
        if instance.status.is_terminal:
            return
        armed = ArmedTimer(fire_at, due_time(fire_at, stamp, self.clock.now()))
        instance.timers[timer_id] = armed
        self._mark_dirty(instance)
        self.push(instance, timer_id, armed)

    def push(self, instance: Instance, timer_id: int, armed: ArmedTimer) -> None:
        """Put an armed timer on the heap (also to re-arm it after a restart)."""
        pending = _Pending(
            armed.due,
            next(self._seq),
            armed.fire_at,
            instance.instance_id,
            instance.execution_id,
            timer_id,
        )
        heapq.heappush(self._heap, pending)
        self.tracker.notify()

    def _is_live(self, pending: _Pending) -> bool:
        instance = self._instances.get(pending.instance_id)
        return (
            instance is not None
            and instance.execution_id == pending.execution_id
            and instance.timers.get(pending.timer_id) == (pending.fire_at, pending.due)
            and not instance.status.is_terminal
        )

    def next_due(self) -> datetime | None:
        """The clock time at which the earliest live timer fires (stale entries dropped)."""
        while self._heap:
            head = self._heap[0]
            if self._is_live(head):
                return head.due
            heapq.heappop(self._heap)
        return None

    def fire_due(self) -> int:
        """Deliver ``TimerFired`` for every live timer due at the clock's now, in order."""
        now = self.clock.now()
        fired = 0
        while self._heap and self._heap[0].due <= now:
            pending = heapq.heappop(self._heap)
            if not self._is_live(pending):
                continue
            instance = self._instances[pending.instance_id]
            del instance.timers[pending.timer_id]
            message = event(
                EventType.TIMER_FIRED,
                max(now, pending.fire_at),
                TimerId=pending.timer_id,
                FireAt=to_wire(pending.fire_at),
            )
            self._deliver(instance, message)
            fired += 1
        return fired

    async def run(self, stopping: Callable[[], bool]) -> None:
        """Fire timers as they fall due; a virtual clock jumps to the next one when idle."""
        while not stopping():
            self.fire_due()
            upcoming = self.next_due()
            if self.clock.is_virtual:
                if upcoming is not None and not self.clock.paused and self.tracker.busy == 0:
                    self.clock.set_virtual(upcoming)
                    await asyncio.sleep(0)
                    continue
                await self.tracker.changed()
            else:
                delay = None if upcoming is None else self.clock.real_seconds_until(upcoming)
                await self.tracker.changed(within=delay)
