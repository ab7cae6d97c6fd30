"""Time as the suite sees it: the emulator's virtual clock when it has one, else real time.

`detect_clock` probes `GET /runtime/emulator/clock`. If the target answers it with a virtual
clock, the suite pauses that clock and moves it itself: `advance(seconds)` fires every timer due
on the way and returns once the app is idle again, in milliseconds of real time. Any other
answer (Core Tools, Azure, an emulator on wall time) means real time: `advance` sleeps, and
tests choose the short deadlines the API allows (`pick(virtual=..., real=...)`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import httpx

from tests.e2e.support.target import Target

CONTROL_PATH = "/runtime/emulator"
#: How long the emulator may take to become idle after one step, in real seconds.
SETTLE_TIMEOUT_SECONDS = 90.0
#: Polling period against a real clock.
REAL_POLL_SECONDS = 0.5


@dataclass(frozen=True)
class ClockInfo:
    now: datetime
    next_timer: datetime | None
    idle: bool


class Clock(Protocol):
    """What a test may do with time, whatever the target."""

    @property
    def virtual(self) -> bool: ...

    def now(self) -> datetime:
        """The app's current time (its orchestrations' clock)."""

    def advance(self, seconds: float) -> None:
        """Let `seconds` pass for the app, firing its timers on the way."""

    def settle(self) -> ClockInfo | None:
        """Virtual: wait until the app is idle and say what is next. Real: a short pause."""

    def fire_next_timer(self) -> None:
        """Virtual only: jump to the app's next timer and let everything it wakes finish."""

    def pick(self, *, virtual: float, real: float) -> float:
        """A duration: realistic on a virtual clock, short (but allowed) in real time."""

    def instant_after(self, seconds: float) -> datetime:
        """An absolute time `seconds` ahead for the app, and in the future in real time too."""


class RealClock:
    """Real time: the target's timers fire by themselves; the suite waits by sleeping."""

    virtual = False

    def now(self) -> datetime:
        return datetime.now(UTC)

    def advance(self, seconds: float) -> None:
        time.sleep(seconds)

    def settle(self) -> ClockInfo | None:
        time.sleep(REAL_POLL_SECONDS)
        return None

    def fire_next_timer(self) -> None:
        raise RuntimeError("a real clock cannot fire timers on demand")

    def pick(self, *, virtual: float, real: float) -> float:
        return real

    def instant_after(self, seconds: float) -> datetime:
        return self.now() + timedelta(seconds=seconds)


class VirtualClock:
    """The emulator's virtual clock, driven through its control API (kept paused)."""

    virtual = True

    def __init__(self, target: Target, http: httpx.Client | None = None) -> None:
        headers = {"x-functions-key": target.master_key} if target.master_key else {}
        self.http = http or httpx.Client(
            base_url=f"{target.base_url}{CONTROL_PATH}",
            headers=headers,
            timeout=SETTLE_TIMEOUT_SECONDS + 10,
        )

    def close(self) -> None:
        self.http.close()

    def _call(self, method: str, path: str, **params: Any) -> ClockInfo:
        params.setdefault("timeout", SETTLE_TIMEOUT_SECONDS)
        response = self.http.request(method, path, params=params)
        if response.status_code == 504:
            raise AssertionError(
                f"the emulator did not become idle within {SETTLE_TIMEOUT_SECONDS} s "
                f"after {path}: {response.text}"
            )
        response.raise_for_status()
        return _info(response.json())

    def pause(self) -> None:
        self._call("POST", "/clock/pause")

    def info(self) -> ClockInfo:
        return self._call("GET", "/clock")

    def now(self) -> datetime:
        return self.info().now

    def advance(self, seconds: float) -> None:
        self._call("POST", "/clock/advance", seconds=seconds)

    def settle(self) -> ClockInfo:
        return self._call("POST", "/idle")

    def fire_next_timer(self) -> None:
        self._call("POST", "/clock/next-timer")

    def pick(self, *, virtual: float, real: float) -> float:
        return virtual

    def instant_after(self, seconds: float) -> datetime:
        # Virtual time starts at the real time and only moves forward, but may lag behind real
        # time; the API checks deadlines against real time, orchestrations against virtual.
        return max(self.now(), datetime.now(UTC)) + timedelta(seconds=seconds)


def detect_clock(target: Target) -> RealClock | VirtualClock:
    """The target's virtual clock (paused from now on) if it serves one, else real time."""
    clock = VirtualClock(target)
    try:
        response = clock.http.get("/clock")
        virtual = response.status_code == 200 and response.json().get("mode") == "virtual"
    except (httpx.HTTPError, ValueError):
        virtual = False
    if not virtual:
        clock.close()
        return RealClock()
    clock.pause()
    return clock


def _info(body: dict[str, Any]) -> ClockInfo:
    upcoming = body.get("nextTimer")
    return ClockInfo(
        now=_parse(body["now"]),
        next_timer=_parse(upcoming) if upcoming else None,
        idle=bool(body.get("idle", True)),
    )


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
