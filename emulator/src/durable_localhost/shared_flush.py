"""One flush for every caller that asks before it is issued.

Each accepted change is on disk before the Durable API answers. Requests answered in the same
loop turn each asking the store for a flush cost one commit each on the writer thread (and its
GIL hand-overs); joined, they cost one. A caller's changes were made before it joined, so before
the flush it joined was issued: joining never lets an answer overtake its own write.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


class SharedFlush:
    """``await shared()``: returns once a flush issued after the call has completed."""

    def __init__(self, flush: Callable[[], Awaitable[None]]) -> None:
        self._flush = flush
        self._open: asyncio.Future[None] | None = None

    async def __call__(self) -> None:
        if self._open is None:
            self._open = asyncio.ensure_future(self._issue())
        # Shielded: a caller that gives up (a cancelled request) leaves the others' flush be.
        await asyncio.shield(self._open)

    async def _issue(self) -> None:
        self._open = None  # whoever asks from now on may have changed more: a new flush
        await self._flush()
