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
from collections.abc import Awaitable
from datetime import timedelta
from typing import TypeVar

from durable_localhost.timeutil import format_timespan
from durable_localhost.worker_threads import WorkerThreads

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


class ReplaceablePool(WorkerThreads):
    """Worker threads that leave a timed-out call's thread behind and carry on with new ones."""

    def abandon(self) -> None:
        """Give later calls fresh threads; the current ones finish what is queued and exit."""
        self.replace_threads()


async def within(
    limit: timedelta | None, call: Awaitable[T], function_name: str, invocation_id: str
) -> T:
    """Await ``call``; past ``limit`` (real time, whatever the clock) raise the host's error.

    The limit cancels the awaiting task itself (``asyncio.timeout``), not a task made to run
    ``call``: one task and two loop turns fewer per activity than ``wait_for``. A
    ``TimeoutError`` the function raises itself is its own failure, not a timeout.
    """
    if limit is None:
        return await call
    deadline = asyncio.timeout(limit.total_seconds())
    try:
        async with deadline:
            return await call
    except TimeoutError:
        if not deadline.expired():
            raise
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
