"""Waiting for the app: poll a route until a condition holds, moving time only as needed.

On a virtual clock a wait never sleeps: it lets the emulator become idle, checks, and only
if the condition still does not hold fires the next timer (within a budget of virtual time),
so a wait for "completed" runs through retries and backoffs at once, and a wait for an
intermediate state stops exactly when it is reached. On a real clock it polls until a real
timeout. Either way a failure says what was last seen.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from tests.e2e.support.client import ApiClient, Json, expect
from tests.e2e.support.clock import Clock

T = TypeVar("T")

FINISHED = frozenset({"Completed", "Failed", "Terminated", "Canceled"})
#: Virtual time a wait may skip by firing timers before it gives up.
DEFAULT_VIRTUAL_BUDGET = timedelta(hours=1)
#: Real time a wait may take against a real clock.
DEFAULT_REAL_TIMEOUT = 90.0


class WaitTimedOut(AssertionError):
    """The condition did not hold in time (or the app went idle without reaching it)."""


def wait_until(
    check: Callable[[], T | None],
    clock: Clock,
    what: str,
    *,
    fire_timers: bool = True,
    virtual_budget: timedelta = DEFAULT_VIRTUAL_BUDGET,
    real_timeout: float = DEFAULT_REAL_TIMEOUT,
    last_seen: Callable[[], Any] | None = None,
) -> T:
    """The first truthy value of `check()`: waiting on the app's clock, never for long."""

    def failure(reason: str) -> WaitTimedOut:
        seen = f"; last seen: {last_seen()!r:.1500}" if last_seen else ""
        return WaitTimedOut(f"waiting for {what}: {reason}{seen}")

    if not clock.virtual:
        deadline = time.monotonic() + real_timeout
        while True:
            found = check()
            if found:
                return found
            if time.monotonic() > deadline:
                raise failure(f"not reached within {real_timeout:.0f} s")
            clock.settle()

    started = clock.now()
    while True:
        found = check()
        if found:
            return found
        info = clock.settle()
        found = check()
        if found:
            return found
        assert info is not None
        if not fire_timers:
            raise failure("the app is idle and this wait may not move time")
        if info.next_timer is None:
            raise failure("the app is idle and no timer is pending")
        if info.next_timer - started > virtual_budget:
            raise failure(f"the next timer is beyond the budget of {virtual_budget}")
        clock.fire_next_timer()


class InstanceWatch:
    """The last status body seen for one instance (for failure messages)."""

    def __init__(self, api: ApiClient, instance_id: str) -> None:
        self.api = api
        self.instance_id = instance_id
        self.last: Json | None = None

    def poll(self) -> Json:
        response = self.api.get(f"/instances/{self.instance_id}")
        self.last = expect(response, 200, 202)
        finished = self.last["runtimeStatus"] in FINISHED
        assert (response.status_code == 200) == finished, (
            f"status {response.status_code} does not match runtimeStatus "
            f"{self.last['runtimeStatus']}"
        )
        return self.last


def wait_for_instance(
    api: ApiClient,
    clock: Clock,
    instance_id: str,
    until: Callable[[Json], bool] | None = None,
    *,
    what: str | None = None,
    **options: Any,
) -> Json:
    """The instance's status body once it is finished, or once `until(body)` holds."""
    watch = InstanceWatch(api, instance_id)

    def reached() -> Json | None:
        body = watch.poll()
        done = until(body) if until else body["runtimeStatus"] in FINISHED
        return body if done else None

    description = what or (f"{instance_id} to finish" if until is None else instance_id)
    return wait_until(reached, clock, description, last_seen=lambda: watch.last, **options)


def wait_for_custom_status(
    api: ApiClient,
    clock: Clock,
    instance_id: str,
    condition: Callable[[Json], bool],
    what: str,
    **options: Any,
) -> Json:
    """The status body once the instance's custom status satisfies `condition`."""

    def matches(body: Json) -> bool:
        custom = body.get("customStatus")
        return isinstance(custom, dict) and condition(custom)

    return wait_for_instance(api, clock, instance_id, matches, what=what, **options)


def wait_for_notifications(
    api: ApiClient,
    clock: Clock,
    correlation_id: str,
    kind: str,
    count: int = 1,
    **options: Any,
) -> list[Json]:
    """The correlation's notifications of `kind` once there are at least `count` of them."""
    seen: list[Json] = []

    def enough() -> list[Json] | None:
        nonlocal seen
        seen = api.notifications(correlation_id, kind)
        return seen if len(seen) >= count else None

    return wait_until(
        enough,
        clock,
        f"{count} {kind} notification(s) of {correlation_id}",
        last_seen=lambda: seen,
        **options,
    )
