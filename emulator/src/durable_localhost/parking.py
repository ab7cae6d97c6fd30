"""Parking one thread until another has work for it, waking it without holding the GIL.

A ``queue.SimpleQueue`` or ``threading.Lock`` wakes the parked thread while the waker holds the
GIL; when the scheduler runs the woken thread at once, the waker sits off the CPU holding the
GIL and neither runs. ``os.eventfd_write`` releases the GIL around the wake-up.
"""

from __future__ import annotations

import os
import threading
import weakref

#: Whether this platform has ``eventfd`` (Linux); elsewhere a lock parks the thread.
HAS_EVENTFD = hasattr(os, "eventfd")

#: Wakers holding a descriptor, reopened in a forked child so it never shares their counters.
_with_descriptor: weakref.WeakSet[Waker] = weakref.WeakSet()


def _new_eventfd() -> int:
    """A fresh eventfd, or -1 where none can be had (out of descriptors, a sandbox without it):
    the waker then parks on its lock, which is slower but never strands a call."""
    try:
        return os.eventfd(0, os.EFD_CLOEXEC)
    except OSError:
        return -1


def _reopen_after_fork() -> None:
    """A forked child (user code may fork without exec) must not consume the parent's wake-ups."""
    for waker in list(_with_descriptor):
        waker._reopen()


class Waker:
    """Parks one thread in :meth:`wait` until another calls :meth:`wake` (once per wait)."""

    def __init__(self, use_eventfd: bool = HAS_EVENTFD) -> None:
        self._lock = threading.Lock()
        self._lock.acquire()
        self._fd = _new_eventfd() if use_eventfd else -1
        if self._fd >= 0:
            _with_descriptor.add(self)

    def wait(self) -> None:
        """Block (without the GIL) until :meth:`wake`."""
        if self._fd >= 0:
            os.eventfd_read(self._fd)
        else:
            self._lock.acquire()

    def wake(self) -> None:
        """Let the parked thread go."""
        if self._fd >= 0:
            os.eventfd_write(self._fd, 1)
        else:
            self._lock.release()

    def close(self) -> None:
        """Release the descriptor (its thread is exiting)."""
        if self._fd >= 0:
            _with_descriptor.discard(self)
            os.close(self._fd)
            self._fd = -1

    def _reopen(self) -> None:
        inherited, self._fd = self._fd, _new_eventfd()
        if inherited >= 0:
            os.close(inherited)
        if self._fd < 0:
            _with_descriptor.discard(self)


if HAS_EVENTFD:
    os.register_at_fork(after_in_child=_reopen_after_fork)
