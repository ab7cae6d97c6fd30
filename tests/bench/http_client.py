"""The HTTP latency bench's load generator, run in its own process so it never shares the
emulator's GIL: ``python -m tests.bench.http_client JSON-PARAMS``.

``concurrency`` clients, each on its own keep-alive connection, send requests back to back for
``duration_s`` seconds; every request's latency is the time from sending it to reading the
whole answer. Prints one ``RESULT_PREFIX`` JSON line with the latencies' summary and this
process's CPU over the load (``getrusage``, user + system; start-up and imports excluded).
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from itertools import count
from typing import Any

import aiohttp

from tests.bench.common import percentile
from tests.bench.scenario import RESULT_PREFIX


def body_for(kind: str, serial: int, run_id: str) -> Any:
    """A fresh body per request: a new customer each time, or a chain5 input."""
    if kind == "customers":
        return {"email": f"bench-{run_id}-{serial}@example.com", "name": f"Bench {serial}"}
    return json.dumps(serial)  # the SDK client's double-encoded start input


async def _client(
    session: aiohttp.ClientSession,
    params: dict[str, Any],
    serials: count[int],
    deadline: float,
    latencies: list[float],
    failures: list[int],
) -> None:
    while time.perf_counter() < deadline:
        body = body_for(params["kind"], next(serials), params["run_id"])
        started = time.perf_counter()
        async with session.post(params["url"], json=body, headers=params["headers"]) as response:
            await response.read()
        latencies.append(time.perf_counter() - started)
        if response.status != params["expect"]:
            failures.append(response.status)


def process_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def load(params: dict[str, Any]) -> dict[str, Any]:
    cpu = process_cpu_s()
    latencies: list[float] = []
    failures: list[int] = []
    serials = count()
    connector = aiohttp.TCPConnector(limit=params["concurrency"])
    async with aiohttp.ClientSession(connector=connector) as session:
        deadline = time.perf_counter() + params["duration_s"]
        started = time.perf_counter()
        await asyncio.gather(
            *(
                _client(session, params, serials, deadline, latencies, failures)
                for _ in range(params["concurrency"])
            )
        )
        elapsed = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "unexpected_status": len(failures),
        "statuses": sorted(set(failures)),
        "p50_ms": percentile(latencies, 50) * 1e3 if latencies else -1.0,
        "p99_ms": percentile(latencies, 99) * 1e3 if latencies else -1.0,
        "per_s": len(latencies) / elapsed,
        "client_cpu_s": process_cpu_s() - cpu,
    }


def main(argv: list[str]) -> None:
    figures = asyncio.run(load(json.loads(argv[1])))
    sys.stdout.write(RESULT_PREFIX + json.dumps(figures) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv)
