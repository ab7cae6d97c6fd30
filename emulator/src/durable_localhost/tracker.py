"""Quiescence tracking: how much work is in flight, and waiting for changes.

Everything that can create more work (an episode, an activity, an entity batch, an HTTP request)
holds a unit of "busy" while it runs, and takes the next unit *before* releasing its own, so the
count only reaches zero when nothing is runnable. Virtual time auto-advances only then.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from aiohttp import web


class BusyTracker:
    """A counter of in-flight work plus a "something changed" broadcast."""

    def __init__(self) -> None:
        self.busy = 0
        self._waiters: list[asyncio.Future[None]] = []

    def begin(self) -> None:
        """One more unit of work is runnable or running."""
        self.busy += 1

    def end(self) -> None:
        """A unit of work finished (after it queued any follow-up work)."""
        self.busy -= 1
        if self.busy <= 0:
            self.busy = 0
            self.notify()

    def notify(self) -> None:
        """Wake everyone waiting in :meth:`changed`."""
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def changed(self, within: float | None = None) -> None:
        """Wait for the next :meth:`notify` (or the timeout, in real seconds)."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            if within is None:
                await waiter
            else:
                await asyncio.wait_for(asyncio.shield(waiter), within)
        except TimeoutError:
            pass


#: Where the HTTP middleware leaves the tracker a request holds a unit of.
REQUEST_UNIT = web.RequestKey("busy_unit", BusyTracker)


@contextmanager
def lent(tracker: BusyTracker | None) -> Iterator[None]:
    """Give back a held unit while its holder only waits for others' work, then take it again.

    An HTTP request that waits for an instance to finish must not keep virtual time from
    moving: the instance may be waiting for a timer. ``None`` (a request holding no unit)
    lends nothing.
    """
    if tracker is None:
        yield
        return
    tracker.end()
    try:
        yield
    finally:
        tracker.begin()
