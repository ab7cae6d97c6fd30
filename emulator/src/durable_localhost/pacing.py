"""HTTP requests first: while any is in flight, background work starts at a bounded pace.

Requests, episodes, activities and entity batches share one event loop and one GIL. Left
alone, a burst of background work (every start queues an orchestration) makes each request
wait behind it. While a request is in flight, each unit of background work (an episode, an
activity, an entity batch) starts at least ``interval`` after the previous one, so requests
get most of the loop and the GIL and background work still progresses. Pacing only delays
when work starts, never what it does or in which order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

#: The gap between two background starts while requests are in flight.
DEFAULT_INTERVAL_S = 0.002


class BackgroundPacing:
    """Counts requests in flight and spaces out background starts meanwhile."""

    def __init__(self, interval: float = DEFAULT_INTERVAL_S) -> None:
        self.interval = interval
        self.requests = 0
        self._next_start = 0.0

    def request_began(self) -> None:
        """A request is being handled."""
        self.requests += 1

    def request_ended(self) -> None:
        """A request was answered (or failed)."""
        self.requests -= 1

    @contextmanager
    def waiting(self) -> Iterator[None]:
        """A request that only waits for an instance to finish holds nothing back meanwhile."""
        self.request_ended()
        try:
            yield
        finally:
            self.request_began()

    async def __aenter__(self) -> None:
        """Wait for the next background slot when requests are in flight; go at once if not."""
        if self.requests <= 0:
            return
        now = asyncio.get_running_loop().time()
        start = max(now, self._next_start)
        self._next_start = start + self.interval
        if start > now:
            await asyncio.sleep(start - now)

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        return None
