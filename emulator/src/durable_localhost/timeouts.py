"""``functionTimeout``: a call that runs longer fails as it does on the Functions host.

The host fails the invocation with ``FunctionTimeoutException`` and then restarts the Python
worker, which is how it stops the function. The local host runs functions in its own process
and cannot stop a thread, so a sync function's thread is left to finish in the background (its
result discarded) and the pool it ran on is replaced, so the hung thread costs no capacity. An
``async`` function is cancelled, as the host's cancellation would.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from datetime import timedelta
from typing import Any, TypeVar

from durable_localhost.timeutil import format_timespan

log = logging.getLogger("durable_localhost.host")
T = TypeVar("T")


class FunctionTimeoutError(Exception):
    """A function ran past ``functionTimeout``; the message is the host's."""

    def __init__(self, limit: timedelta, function_name: str) -> None:
        self.limit = limit
        self.function_name = function_name
        super().__init__(
            f"Timeout value of {format_timespan(limit)} was exceeded by function: "
            f"Functions.{function_name}"
        )


class ReplaceablePool(Executor):
    """A thread pool that leaves a timed-out call's thread behind and carries on with new ones."""

    def __init__(self, workers: int, prefix: str) -> None:
        self._workers = workers
        self._prefix = prefix
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix=prefix)

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        """Run ``fn`` on the current pool."""
        return self._pool.submit(fn, *args, **kwargs)

    def abandon(self) -> None:
        """Give later calls a fresh pool; the old one's threads finish on their own."""
        old = self._pool
        self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix=self._prefix)
        old.shutdown(wait=False)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Shut the current pool down (abandoned ones are not waited for)."""
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)


async def within(
    limit: timedelta | None, call: Awaitable[T], function_name: str, invocation_id: str
) -> T:
    """Await ``call``; past ``limit`` (real time, whatever the clock) raise the host's error."""
    if limit is None:
        return await call
    try:
        return await asyncio.wait_for(call, limit.total_seconds())
    except TimeoutError:
        log.error(
            "Timeout value of %s exceeded by function 'Functions.%s' (Id: '%s'). "
            "Initiating cancellation.",
            format_timespan(limit),
            function_name,
            invocation_id,
        )
        log.warning(
            "A function timeout has occurred. The host restarts the worker here; the local "
            "host leaves the function's thread to finish in the background and discards its "
            "result (invocation '%s').",
            invocation_id,
        )
        raise FunctionTimeoutError(limit, function_name) from None
