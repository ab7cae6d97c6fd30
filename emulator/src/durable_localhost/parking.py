"""Parking one thread until another has work for it, waking it without holding the GIL.

A ``queue.SimpleQueue`` or ``threading.Lock`` wakes the parked thread while the waker holds the
GIL; when the scheduler runs the woken thread at once, the waker sits off the CPU holding the
GIL and neither runs. ``os.eventfd_write`` releases the GIL around the wake-up.
"""

from __future__ import annotations

import os
import threading

#: Whether this platform has ``eventfd`` (Linux); elsewhere a lock parks the thread.
HAS_EVENTFD = hasattr(os, "eventfd")


class Waker:
    """Parks one thread in :meth:`wait` until another calls :meth:`wake` (once per wait)."""

    def __init__(self, use_eventfd: bool = HAS_EVENTFD) -> None:
        self._fd = os.eventfd(0, os.EFD_CLOEXEC) if use_eventfd else -1
        self._lock = threading.Lock()
        self._lock.acquire()

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
            os.close(self._fd)
            self._fd = -1
