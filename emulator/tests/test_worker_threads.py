"""Worker threads for user code: results, failures, cancellation, replacement and batching."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from durable_localhost.worker_threads import WorkerThreads, run_on

pytestmark = [pytest.mark.emulator, pytest.mark.unit]

WAIT_S = 10.0


#: Both ways of parking an idle thread: its own eventfd (Linux) and a lock (elsewhere).
WAKERS = [
    pytest.param(
        True,
        id="eventfd",
        marks=pytest.mark.skipif(not hasattr(os, "eventfd"), reason="no eventfd"),
    ),
    pytest.param(False, id="lock"),
]


@pytest.fixture(params=WAKERS)
def threads(request: pytest.FixtureRequest) -> Iterator[WorkerThreads]:
    pool = WorkerThreads(1, "test-worker", use_eventfd=request.param)
    yield pool
    pool.shutdown(wait=True, cancel_futures=True)


@pytest.mark.parametrize("use_eventfd", WAKERS)
def test_no_call_is_lost_when_many_threads_hand_calls_over_at_once(use_eventfd: bool) -> None:
    pool = WorkerThreads(3, "test-many", use_eventfd=use_eventfd)
    futures: list[Any] = []
    lock = threading.Lock()

    def produce(base: int) -> None:
        for value in range(base, base + 500):
            future = pool.submit(lambda v=value: v)
            with lock:
                futures.append(future)

    producers = [threading.Thread(target=produce, args=(i * 500,)) for i in range(4)]
    try:
        for producer in producers:
            producer.start()
        for producer in producers:
            producer.join(WAIT_S)
        assert sorted(f.result(WAIT_S) for f in futures) == list(range(2000))
    finally:
        pool.shutdown(wait=False)  # a lost wake-up fails above instead of hanging here


@pytest.mark.skipif(not hasattr(os, "eventfd"), reason="no eventfd")
def test_threads_close_their_eventfd_when_they_exit() -> None:
    before = len(os.listdir("/proc/self/fd"))
    pool = WorkerThreads(4, "test-fds", use_eventfd=True)
    assert sorted(pool.submit(pow, 2, n).result(WAIT_S) for n in range(8))[-1] == 128
    pool.shutdown(wait=True)
    assert len(os.listdir("/proc/self/fd")) == before


async def test_a_call_returns_its_value_and_runs_on_a_named_worker_thread(
    threads: WorkerThreads,
) -> None:
    name = await threads.call(lambda: threading.current_thread().name)
    assert name == "test-worker_0"
    assert await run_on(threads, pow, 2, 10) == 1024


async def test_an_exception_reaches_the_caller_unchanged(threads: WorkerThreads) -> None:
    def fail() -> None:
        raise KeyError("missing")

    with pytest.raises(KeyError, match="missing"):
        await threads.call(fail)


async def test_a_call_cancelled_before_a_thread_takes_it_never_runs(
    threads: WorkerThreads,
) -> None:
    release = threading.Event()
    ran: list[str] = []
    blocker = asyncio.ensure_future(threads.call(release.wait, WAIT_S))
    waiting = asyncio.ensure_future(threads.call(ran.append, "second"))
    await asyncio.sleep(0)
    waiting.cancel()
    release.set()
    assert await blocker is True
    await threads.call(ran.append, "third")
    assert ran == ["third"]


def test_shutdown_can_cancel_calls_no_thread_has_taken(threads: WorkerThreads) -> None:
    started, release = threading.Event(), threading.Event()

    def block() -> bool:
        started.set()
        return release.wait(WAIT_S)

    blocker = threads.submit(block)
    queued = threads.submit(lambda: "never")
    assert started.wait(WAIT_S)
    threads.shutdown(wait=False, cancel_futures=True)
    release.set()
    assert blocker.result(WAIT_S) is True
    assert queued.cancelled()
    with pytest.raises(RuntimeError, match="after shutdown"):
        threads.submit(lambda: None)


async def test_replaced_threads_leave_a_stuck_call_behind(threads: WorkerThreads) -> None:
    release = threading.Event()
    stuck = asyncio.ensure_future(threads.call(release.wait, WAIT_S))
    await asyncio.sleep(0.05)
    threads.replace_threads()
    assert await asyncio.wait_for(threads.call(lambda: "fresh"), WAIT_S) == "fresh"
    release.set()
    assert await stuck is True


class _CountingThreads(WorkerThreads):
    """Counts results handed back and loop wake-ups asked for."""

    def __init__(self, workers: int) -> None:
        super().__init__(workers, "test-batch")
        self.handed_back = threading.Semaphore(0)
        self.wakeups = 0

    def _hand_back(self, loop: asyncio.AbstractEventLoop, *args: Any) -> None:
        class Counting:
            def call_soon_threadsafe(inner, callback: Any) -> None:
                self.wakeups += 1
                loop.call_soon_threadsafe(callback)

        super()._hand_back(Counting(), *args)  # type: ignore[arg-type]
        self.handed_back.release()


async def test_results_that_finish_while_the_loop_is_busy_wake_it_once() -> None:
    pool = _CountingThreads(3)
    try:
        calls = [asyncio.ensure_future(pool.call(lambda v=value: v)) for value in range(3)]
        await asyncio.sleep(0)  # the calls are queued
        for _ in calls:  # the loop is busy (blocked) while the three results arrive
            assert pool.handed_back.acquire(timeout=WAIT_S)
        assert await asyncio.gather(*calls) == [0, 1, 2]
    finally:
        pool.shutdown()
    assert pool.wakeups == 1
