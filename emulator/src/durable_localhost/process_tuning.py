"""Interpreter settings the host changes while it runs, and gives back when it stops.

Requests, episodes and activities share one process. Two interpreter defaults cost requests
most of their tail latency: the GIL switch interval (how long a request waits for a thread
running user code) and the cyclic garbage collector, whose full collections walk every object
the host keeps (instances, histories) and stop every thread meanwhile. The host hands the GIL
over sooner, moves what exists once started (the app, the SDK, loaded state) out of the
collector's sight, and collects young objects less often so fewer of them reach the old
generation, whose collections are the long pauses. Reference counting still frees everything
that is not in a cycle at once; only cyclic garbage waits longer.
"""

from __future__ import annotations

import gc
import sys

#: How long a thread may hold the GIL while another waits for it (CPython's default: 5 ms).
#: The event loop answers HTTP requests and competes for the GIL with the threads running
#: episodes and activities; a shorter hand-over bounds how long a request waits for them.
GIL_SWITCH_INTERVAL_S = 0.001
#: Collector thresholds while the host runs (CPython's defaults: 700, 10, 10).
GC_THRESHOLDS = (3_000, 10, 100)


class ProcessTuning:
    """Applies the host's interpreter settings and restores the previous ones."""

    def __init__(self) -> None:
        self._switch_interval: float | None = None
        self._thresholds: tuple[int, int, int] | None = None

    def hand_gil_over_sooner(self) -> None:
        """The shorter switch interval (from the start: loading state runs threads too)."""
        if self._switch_interval is None:
            self._switch_interval = sys.getswitchinterval()
            sys.setswitchinterval(min(self._switch_interval, GIL_SWITCH_INTERVAL_S))

    def collect_less(self) -> None:
        """Freeze what exists now and raise the thresholds (once the host has started)."""
        if self._thresholds is None:
            self._thresholds = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(*GC_THRESHOLDS)

    def restore(self) -> None:
        """The settings as they were before this object changed them (idempotent)."""
        if self._switch_interval is not None:
            sys.setswitchinterval(self._switch_interval)
            self._switch_interval = None
        if self._thresholds is not None:
            gc.set_threshold(*self._thresholds)
            gc.unfreeze()
            self._thresholds = None
