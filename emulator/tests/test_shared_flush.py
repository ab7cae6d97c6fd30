"""Requests answered together share one flush, and none is answered before its own write."""

from __future__ import annotations

import asyncio

from durable_localhost.shared_flush import SharedFlush


class FakeStore:
    """Writes, and flushes that commit what was written when they were issued."""

    def __init__(self) -> None:
        self.written = 0
        self.committed = 0
        self.flushes = 0
        self.release = asyncio.Event()

    async def flush(self) -> None:
        self.flushes += 1
        upto = self.written
        await self.release.wait()
        self.committed = max(self.committed, upto)


async def _write_then_wait(store: FakeStore, shared: SharedFlush) -> int:
    store.written += 1
    mine = store.written
    await shared()
    return mine


async def test_callers_in_one_turn_share_one_flush_that_covers_every_write() -> None:
    store = FakeStore()
    shared = SharedFlush(store.flush)
    waiting = [asyncio.create_task(_write_then_wait(store, shared)) for _ in range(5)]
    await asyncio.sleep(0)
    store.release.set()

    written = await asyncio.gather(*waiting)

    assert store.flushes == 1
    assert store.committed >= max(written)


async def test_a_write_after_the_flush_was_issued_waits_for_a_new_one() -> None:
    store = FakeStore()
    shared = SharedFlush(store.flush)
    first = asyncio.create_task(_write_then_wait(store, shared))
    for _ in range(3):  # the first flush is issued and waits for release
        await asyncio.sleep(0)
    late = asyncio.create_task(_write_then_wait(store, shared))
    await asyncio.sleep(0)
    store.release.set()

    mine = await late
    await first

    assert store.flushes == 2
    assert store.committed >= mine


async def test_a_cancelled_caller_leaves_the_others_flush_running() -> None:
    store = FakeStore()
    shared = SharedFlush(store.flush)
    quitter = asyncio.create_task(_write_then_wait(store, shared))
    stayer = asyncio.create_task(_write_then_wait(store, shared))
    await asyncio.sleep(0)
    quitter.cancel()
    store.release.set()

    mine = await stayer

    assert quitter.cancelled()
    assert store.committed >= mine
