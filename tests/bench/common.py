"""Measurement helpers shared by the scenarios: clocks, percentiles, memory, quiet logs."""

from __future__ import annotations

import logging
import resource
import socket
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHAIN_APP = Path(__file__).resolve().parent / "apps" / "chain"
#: The chain app's settings: the host refuses to start without its storage connection.
CHAIN_SETTINGS = {"AzureWebJobsStorage": "UseDevelopmentStorage=true"}


@dataclass
class Span:
    """Wall and process CPU seconds (all threads) of one measured window."""

    wall_s: float
    cpu_s: float


class Stopwatch:
    """Measures wall time and process-wide CPU time between ``start`` and ``stop``."""

    def __init__(self) -> None:
        self._wall = time.perf_counter()
        self._cpu = time.process_time()

    def stop(self) -> Span:
        return Span(time.perf_counter() - self._wall, time.process_time() - self._cpu)


def peak_rss_mb() -> float:
    """This process's peak resident set size so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of a non-empty sample."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def time_calls(fn: Callable[[], object], repeats: int, warmup: int = 1) -> list[float]:
    """Seconds per call of ``fn``, ``repeats`` times after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    samples: list[float] = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return samples


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def quiet_logs() -> None:
    """Keep per-function log lines (thousands of them) out of the bench's output and timings."""
    logging.disable(logging.WARNING)
