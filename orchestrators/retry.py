"""Retry with exponential backoff, built on durable timers.

azure-functions-durable 1.7.0's `RetryOptions` has only a first interval and an attempt count:
no backoff, no cap, and it retries every failure alike. This helper waits on durable timers
between attempts (so a waiting orchestration costs nothing), grows the delay geometrically up
to a cap, and never retries failures the activity classified as permanent.

Use it with `yield from`:

    receipt = yield from call_activity_with_backoff(context, "charge_payment", payload)
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

import azure.durable_functions as df
from azure.durable_functions.models.Task import TaskBase

from shared.errors import FailureInfo, classify_failure


@dataclass(frozen=True)
class Backoff:
    """How often and how patiently to retry a transient failure."""

    max_attempts: int = 5
    first_delay: timedelta = timedelta(seconds=2)
    multiplier: float = 2.0
    max_delay: timedelta = timedelta(minutes=2)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.first_delay <= timedelta(0) or self.max_delay < self.first_delay:
            raise ValueError("need 0 < first_delay <= max_delay")
        if self.multiplier < 1:
            raise ValueError("multiplier must be >= 1")

    def delay_after(self, attempt: int) -> timedelta:
        """The wait after failed attempt number `attempt` (1-based), capped at `max_delay`."""
        delay = self.first_delay * (self.multiplier ** (attempt - 1))
        return min(delay, self.max_delay)

    def delays(self) -> list[timedelta]:
        """Every wait between attempts, in order (one fewer than `max_attempts`)."""
        return [self.delay_after(attempt) for attempt in range(1, self.max_attempts)]


DEFAULT_BACKOFF = Backoff()


class BackoffPolicy(Protocol):
    """A backoff as a contract states it (an order's `RetryPolicy`)."""

    @property
    def max_attempts(self) -> int: ...
    @property
    def first_delay(self) -> timedelta: ...
    @property
    def multiplier(self) -> float: ...
    @property
    def max_delay(self) -> timedelta: ...


def backoff_of(policy: BackoffPolicy) -> Backoff:
    """The `Backoff` a contract's retry policy asks for."""
    return Backoff(
        max_attempts=policy.max_attempts,
        first_delay=policy.first_delay,
        multiplier=policy.multiplier,
        max_delay=policy.max_delay,
    )


class StepFailed(Exception):
    """A step failed for good: permanently, or transiently on every attempt."""

    def __init__(self, step: str, failure: FailureInfo, attempts: int) -> None:
        self.step = step
        self.failure = failure
        self.attempts = attempts
        super().__init__(
            f"{step} failed after {attempts} attempt(s) "
            f"[{failure.kind}:{failure.code}] {failure.message}"
        )


def retry_with_backoff(
    context: df.DurableOrchestrationContext,
    schedule: Callable[[], TaskBase],
    step: str,
    backoff: Backoff = DEFAULT_BACKOFF,
) -> Generator[TaskBase, Any, Any]:
    """Run the task `schedule()` creates until it succeeds, fails permanently, or runs out.

    `schedule` is called once per attempt, so each attempt is a new durable task.
    Raises `StepFailed` carrying the classified failure.
    """
    attempt = 1
    while True:
        task = schedule()  # outside the try: a scheduling bug is not a transient failure
        try:
            return (yield task)
        except Exception as exc:
            failure = classify_failure(exc)
            if failure.is_permanent or attempt >= backoff.max_attempts:
                raise StepFailed(step, failure, attempt) from exc
            yield context.create_timer(context.current_utc_datetime + backoff.delay_after(attempt))
            attempt += 1


def call_activity_with_backoff(
    context: df.DurableOrchestrationContext,
    activity: str,
    payload: Any = None,
    backoff: Backoff = DEFAULT_BACKOFF,
) -> Generator[TaskBase, Any, Any]:
    """`call_activity` with exponential backoff; the step is named after the activity."""
    return retry_with_backoff(
        context, lambda: context.call_activity(activity, payload), activity, backoff
    )
