"""Clocks: wall time, scaled wall time (demos) and virtual time (tests).

The engine asks the clock for ``now()`` and for how long to sleep (in real seconds) until a
given instant. Virtual time never passes by itself: the timer service moves it, either by
auto-advancing when the system is idle or through explicit ``advance`` calls while paused.
"""

from __future__ import annotations

import enum
import time
from datetime import datetime

from emulator.timeutil import utc_now


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
        from datetime import timedelta

        return self._origin + timedelta(seconds=elapsed * self.scale)

    def real_seconds_until(self, instant: datetime) -> float:
        """How long to sleep in real time before ``instant`` is reached (virtual: never)."""
        if self.mode is ClockMode.VIRTUAL:
            return float("inf")
        return max(0.0, (instant - self.now()).total_seconds() / self.scale)

    def set_virtual(self, instant: datetime) -> None:
        """Move virtual time forward (never backwards)."""
        if self.mode is not ClockMode.VIRTUAL:
            raise RuntimeError("only a virtual clock can be moved")
        if instant > self._virtual_now:
            self._virtual_now = instant
