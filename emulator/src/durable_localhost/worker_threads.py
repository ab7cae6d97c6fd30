"""A fixed set of threads for user code, handing results back to the event loop in batches.

Every episode and activity crosses from the loop to a thread and back. ``run_in_executor`` pays
for that with two futures chained by callbacks, a Python-level semaphore the workers contend
for, and one loop wake-up per result; on a busy host those hand-offs, not the user code, were
most of an episode's time. Here a call is one queued item and one loop future, and results that
finish while the loop is busy wait in one list that a single wake-up drains.

Handing a call over wakes one idle thread, the one that went idle last, through its own
``eventfd`` where the platform has one: writing it releases the GIL, so when the scheduler runs
the woken thread at once the loop is not left holding the GIL off the CPU (with a queue's lock,
it was, and the woken thread could not start until the loop ran again).
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, TypeVar

from durable_localhost.parking import HAS_EVENTFD, Waker

T = TypeVar("T")

#: A queued call: where its outcome goes, and what to run.
_Item = tuple[Callable[[Any, BaseException | None], None], Callable[..., Any], tuple[Any, ...]]
_STOP = None


class _Lane:
    """Calls waiting for a thread, and the threads waiting for a call (last idle on top)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.items: deque[_Item | None] = deque()
        self.idle: list[Waker] = []

    def add(self, item: _Item | None) -> Waker | None:
        """Queue ``item``; the idle thread to wake for it, if any (woken by the caller)."""
        with self.lock:
            self.items.append(item)
            return self.idle.pop() if self.idle else None

    def put(self, item: _Item | None) -> None:
        """Queue ``item`` and wake an idle thread for it, if any."""
        waker = self.add(item)
        if waker is not None:
            waker.wake()

    def take(self, waker: Waker) -> _Item | None:
        """The next item, parking on ``waker`` while there is none."""
        while True:
            with self.lock:
                if self.items:
                    return self.items.popleft()
                self.idle.append(waker)
            waker.wait()

    def drain(self) -> list[_Item]:
        """Remove every queued call (not the stop markers) and return them."""
        with self.lock:
            calls = [item for item in self.items if item is not None]
            stops = len(self.items) - len(calls)
            self.items.clear()
            self.items.extend([_STOP] * stops)
        return calls


class WorkerThreads(Executor):
    """``workers`` threads named ``prefix_N``, started on first use, running calls in order."""

    def __init__(self, workers: int, prefix: str, *, use_eventfd: bool | None = None) -> None:
        self._workers = max(1, workers)
        self._prefix = prefix
        self._eventfd = HAS_EVENTFD if use_eventfd is None else use_eventfd
        self._lane = _Lane()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._shutdown = False
        # Results waiting for the loop, and whether a drain of them is already scheduled.
        self._finished: list[tuple[asyncio.Future[Any], Any, BaseException | None]] = []
        self._drain_scheduled = False

    # ------------------------------------------------------------------ calling

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on a worker thread and wait for it without blocking the loop.

        Cancelling the caller before a thread picks the call up means it never runs.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()

        def settle(value: Any, error: BaseException | None) -> None:
            self._hand_back(loop, future, value, error)

        self._put((settle, fn, args), lambda: future.cancelled())
        return await future

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        """``Executor.submit`` (``loop.run_in_executor`` and plain threads use it)."""
        future: Future[T] = Future()

        def settle(value: Any, error: BaseException | None) -> None:
            if isinstance(error, _Skipped):
                future.cancel()
            elif error is not None:
                future.set_exception(error)
            else:
                future.set_result(value)

        def run() -> T:
            return fn(*args, **kwargs)

        self._put((settle, run, ()), lambda: not future.set_running_or_notify_cancel())
        return future

    def _put(self, item: _Item, cancelled: Callable[[], bool]) -> None:
        settle, fn, args = item

        def guarded(*call_args: Any) -> Any:
            if cancelled():
                raise _Skipped
            return fn(*call_args)

        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot schedule new calls after shutdown")
            if len(self._threads) < self._workers:
                self._start_thread()
            # Queued under the lock, so replace_threads never strands it behind stop markers;
            # woken after it, so the wake-up (which releases the GIL) holds no lock.
            waker = self._lane.add((settle, guarded, args))
        if waker is not None:
            waker.wake()

    # ------------------------------------------------------------------ threads

    def _start_thread(self) -> None:
        thread = threading.Thread(
            target=self._work,
            args=(self._lane,),
            name=f"{self._prefix}_{len(self._threads)}",
            daemon=True,
        )
        self._threads.append(thread)
        thread.start()

    def _work(self, lane: _Lane) -> None:
        waker = Waker(self._eventfd)
        try:
            self._serve(lane, waker)
        finally:
            waker.close()

    def _serve(self, lane: _Lane, waker: Waker) -> None:
        while True:
            item = lane.take(waker)
            if item is _STOP:
                return
            settle, fn, args = item
            del item
            try:
                value = fn(*args)
            except _Skipped:
                continue
            except BaseException as exc:
                settle(None, exc)
            else:
                settle(value, None)
            del settle, fn, args

    # ------------------------------------------------------------------ back on the loop

    def _hand_back(
        self,
        loop: asyncio.AbstractEventLoop,
        future: asyncio.Future[Any],
        value: Any,
        error: BaseException | None,
    ) -> None:
        """Queue a result for the loop; wake it only if no drain is pending yet."""
        with self._lock:
            self._finished.append((future, value, error))
            if self._drain_scheduled:
                return
            self._drain_scheduled = True
        try:
            loop.call_soon_threadsafe(self._drain)
        except RuntimeError:  # the loop is closed: nobody waits for these results any more
            with self._lock:
                self._finished.clear()
                self._drain_scheduled = False

    def _drain(self) -> None:
        with self._lock:
            finished, self._finished = self._finished, []
            self._drain_scheduled = False
        for future, value, error in finished:
            if future.done():
                continue
            if isinstance(error, _Skipped):
                future.cancel()
            elif error is not None:
                future.set_exception(error)
            else:
                future.set_result(value)

    # ------------------------------------------------------------------ stopping

    def replace_threads(self) -> None:
        """Later calls go to fresh threads; the current ones finish what is queued and exit."""
        with self._lock:
            lane, threads = self._lane, self._threads
            self._lane, self._threads = _Lane(), []
        for _ in threads:
            lane.put(_STOP)

    def retire(self) -> None:
        """Let the threads finish what is queued and exit, without waiting for them."""
        with self._lock:
            self._shutdown = True
            lane, threads = self._lane, list(self._threads)
        for _ in threads:
            lane.put(_STOP)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop the threads; ``cancel_futures`` drops calls no thread has picked up yet."""
        if cancel_futures:
            for item in self._lane.drain():
                _cancel_queued(item)
        self.retire()
        if wait:
            for thread in self._threads:
                if thread is not threading.current_thread():
                    thread.join()


class _Skipped(Exception):
    """The caller gave up on the call before a thread picked it up."""


def _cancel_queued(item: _Item) -> None:
    """Tell the caller of a call that will never run (its future is cancelled)."""
    settle, _fn, _args = item
    settle(None, _Skipped())


async def run_on(executor: Executor, fn: Callable[..., T], *args: Any) -> T:
    """Run ``fn(*args)`` on ``executor`` from the loop (the short path for worker threads)."""
    if isinstance(executor, WorkerThreads):
        return await executor.call(fn, *args)
    return await asyncio.get_running_loop().run_in_executor(executor, fn, *args)
