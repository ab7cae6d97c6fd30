"""Clocks: wall time, scaled wall time (demos) and virtual time (tests).

The engine asks the clock for ``now()`` and for how long to sleep (in real seconds) until a
given instant. Virtual time never passes by itself: the timer service moves it, either by
auto-advancing when the system is idle or through explicit ``advance`` calls while paused.

``StampSource`` turns the clock into strictly increasing timestamps for the history events the
SDK reads (``OrchestratorStarted``): see its docstring.
"""

from __future__ import annotations

import enum
import time
from datetime import datetime, timedelta

from durable_localhost.timeutil import utc_now


class ClockMode(enum.StrEnum):
    """How time passes."""

    WALL = "wall"
    SCALED = "scaled"
    VIRTUAL = "virtual"


class Clock:
    """The engine's source of time."""

    def __init__(
        self,
        mode: ClockMode = ClockMode.WALL,
        *,
        start: datetime | None = None,
        scale: float = 1.0,
        paused: bool = False,
    ) -> None:
        if scale <= 0:
            raise ValueError("the time scale must be positive")
        self.mode = mode
        self.scale = scale if mode is ClockMode.SCALED else 1.0
        self._origin = start or utc_now()
        self.start_given = start is not None
        self._origin_monotonic = time.monotonic()
        self._virtual_now = self._origin
        self.paused = paused and mode is ClockMode.VIRTUAL

    @property
    def is_virtual(self) -> bool:
        """Whether time only moves when the emulator (or a test) moves it."""
        return self.mode is ClockMode.VIRTUAL

    def now(self) -> datetime:
        """The current instant in this clock's time."""
        if self.mode is ClockMode.VIRTUAL:
            return self._virtual_now
        elapsed = time.monotonic() - self._origin_monotonic
        if self.mode is ClockMode.WALL:
            return utc_now()
        return self._origin + timedelta(seconds=elapsed * self.scale)

    def real_seconds_until(self, instant: datetime) -> float:
        """How long to sleep in real time before ``instant`` is reached (virtual: never)."""
        if self.mode is ClockMode.VIRTUAL:
            return float("inf")
        return max(0.0, (instant - self.now()).total_seconds() / self.scale)

    def skip(self, delta: timedelta) -> None:
        """Jump a scaled clock ahead by ``delta`` (demos: reach a deadline without waiting)."""
        if self.mode is not ClockMode.SCALED:
            raise ValueError("only a scaled clock can skip ahead; move a virtual clock instead")
        if delta > timedelta(0):
            self._origin += delta

    def set_virtual(self, instant: datetime) -> None:
        """Move virtual time forward (never backwards)."""
        if self.mode is not ClockMode.VIRTUAL:
            raise RuntimeError("only a virtual clock can be moved")
        if instant > self._virtual_now:
            self._virtual_now = instant

    def resume_after(self, recorded: datetime | None) -> bool:
        """Move a virtual clock up to ``recorded`` (the state's latest time); True if it moved.

        Persisted timers and stamps were made on this state's timeline: a virtual clock that
        restarted behind them would show timers weeks ahead and stamp new instances in its past.
        """
        if not self.is_virtual or recorded is None or recorded <= self._virtual_now:
            return False
        self._virtual_now = recorded
        return True


#: The finest step of a stamp: the SDK formats ``current_utc_datetime`` with microseconds.
STAMP_RESOLUTION = timedelta(microseconds=1)


class StampSource:
    """Strictly increasing timestamps: ``max(clock.now(), at_least, last issued + 1 µs)``.

    The real host stamps every ``OrchestratorStarted`` with the current UTC time, which always
    moves between two episodes, and the SDK's ``new_uuid()`` is derived from the instance id,
    that timestamp and a counter that starts at 0 in every execution. On a paused virtual clock
    (or two episodes within the same microsecond) equal stamps would make a second execution of
    the same instance id (purged and started again, ``restart``, ``continue_as_new``) mint the
    first one's uuids. Stamps are therefore nudged forward by microseconds when needed; the
    clock itself is not moved, so ``clock.now()`` still reports its own time.

    ``last`` is the highest stamp already issued (the persisted high-water mark after a restart).
    """

    def __init__(self, clock: Clock, last: datetime | None = None) -> None:
        self.clock = clock
        self.last = last

    def raise_floor(self, stamp: datetime | None) -> None:
        """Make sure every later stamp is greater than ``stamp`` (one already in the history)."""
        if stamp is not None and (self.last is None or stamp > self.last):
            self.last = stamp

    def issue(self, at_least: datetime | None = None) -> datetime:
        """The next stamp: the clock's time, unless ``at_least`` or the previous stamp is later."""
        stamp = self.clock.now()
        if at_least is not None and at_least > stamp:
            stamp = at_least
        if self.last is not None and stamp <= self.last:
            stamp = self.last + STAMP_RESOLUTION
        self.last = stamp
        return stamp
