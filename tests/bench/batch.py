"""The shop app's batch import (fan-out/fan-in) through its own HTTP routes, on the emulator.

``POST /api/batches`` with N price updates (every 100th in a currency the shop does not sell,
so those items fail by business rule), then ``GET /api/instances/{id}`` polled until the
status is terminal. Azurite holds the app's tables; the emulator keeps Durable state in a
SQLite file, as ``make run`` does. The clock is virtual: no timer is expected, and if a
transient storage fault made an item back off, the backoff would cost no wall time.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from durable_localhost.testing import EmulatorServer
from shared.settings import load_settings
from tests.bench.common import ROOT, Stopwatch, peak_rss_mb, quiet_logs
from tests.bench.machine import load_average
from tests.bench.probes import EpisodeProbe
from tests.bench.results import BatchRun
from tests.support.azurite import start_or_reuse
from tests.support.local_host import INDEXING_SETTINGS

POLL_INTERVAL_S = 0.1
FAIL_EVERY = 100
WARMUP_ITEMS = 20
TERMINAL = {"Completed", "Failed", "Terminated", "Canceled"}


def batch_request(batch_id: str, items: int) -> dict[str, Any]:
    """``items`` price updates; every ``FAIL_EVERY``-th one in an unsupported currency."""
    return {
        "batchId": batch_id,
        "items": [
            {
                "id": f"item-{index:05d}",
                "sku": f"SKU-{index:05d}",
                "basePrice": "19.90",
                "currency": "XXX" if index % FAIL_EVERY == FAIL_EVERY - 1 else "EUR",
                "discountPercent": "10",
            }
            for index in range(items)
        ],
    }


def failing_items(items: int) -> int:
    return sum(1 for index in range(items) if index % FAIL_EVERY == FAIL_EVERY - 1)


def azurite_settings(connection: str, chunk_size: int) -> dict[str, str]:
    return {
        "AppStorage": connection,
        "AzureWebJobsStorage": connection,
        "TASKHUB_NAME": "BenchBatch",
        "BATCH_MAX_PARALLEL": "16",
        "BATCH_CHUNK_SIZE": str(chunk_size),
        "BATCH_MAX_ITEMS": "10000",
        **INDEXING_SETTINGS,
    }


def _run_batch(api: httpx.Client, batch_id: str, items: int, timeout_s: float) -> dict[str, Any]:
    """POST, poll to a terminal status; returns the status body plus the timings."""
    watch = Stopwatch()
    response = api.post("/batches", json=batch_request(batch_id, items))
    if response.status_code != 202:
        raise RuntimeError(f"POST /batches answered {response.status_code}: {response.text}")
    post_s = watch.stop().wall_s
    instance_id = response.json()["id"]
    while True:
        body: dict[str, Any] = api.get(f"/instances/{instance_id}").json()
        if body.get("runtimeStatus") in TERMINAL:
            span = watch.stop()
            return {"body": body, "post_s": post_s, "span": span}
        if watch.stop().wall_s > timeout_s:
            raise RuntimeError(f"batch {batch_id} not finished after {timeout_s} s: {body}")
        time.sleep(POLL_INTERVAL_S)


def largest_history(conn: sqlite3.Connection) -> int:
    """The most history rows any instance's current execution holds in the emulator's store."""
    row = conn.execute(
        "SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM history GROUP BY instance_id)"
    ).fetchone()
    return int(row[0] or 0)


def run(items: int, rounds: int, chunk_size: int | None = None) -> list[BatchRun]:
    """``chunk_size`` defaults to the app's own default (``BATCH_CHUNK_SIZE``)."""
    if chunk_size is None:
        chunk_size = load_settings({}).batch_chunk_size
    quiet_logs()
    azurite = start_or_reuse()
    runs: list[BatchRun] = []
    stamp = time.strftime("%Y%m%d%H%M%S")
    try:
        for round_index in range(rounds + 1):  # round 0 warms up Azurite tables and imports
            warmup = round_index == 0
            with tempfile.TemporaryDirectory(prefix="bench-batch-") as folder:
                server = EmulatorServer(
                    ROOT,
                    clock="virtual",
                    state=Path(folder) / "state.sqlite3",
                    settings=azurite_settings(azurite.connection_string, chunk_size),
                )
                with (
                    server,
                    EpisodeProbe() as probe,
                    httpx.Client(base_url=server.api_url, timeout=120) as api,
                ):
                    count = WARMUP_ITEMS if warmup else items
                    outcome = _run_batch(api, f"bench-{stamp}-{round_index}", count, 900)
                    if warmup:
                        continue
                    largest = server.host.engine.store.read_sync(largest_history)
                    body = outcome["body"]
                    output = body.get("output") or {}
                    runs.append(
                        BatchRun(
                            items=items,
                            failing_items=failing_items(items),
                            chunk_size=chunk_size,
                            post_s=outcome["post_s"],
                            completion_s=outcome["span"].wall_s,
                            runtime_status=str(body.get("runtimeStatus")),
                            processed=int(output.get("processed", -1)),
                            failed=int(output.get("failedCount", -1)),
                            cpu_s=outcome["span"].cpu_s,
                            peak_rss_mb=peak_rss_mb(),
                            episodes=probe.episodes,
                            activities=probe.activities,
                            episode_s=probe.total_episode_s(),
                            sdk_s=probe.total_sdk_s(),
                            sdk_cpu_s=probe.total_sdk_cpu_s(),
                            poll_interval_s=POLL_INTERVAL_S,
                            events_replayed=sum(s.events for s in probe.samples),
                            longest_context=max((s.events for s in probe.samples), default=0),
                            largest_history=largest,
                            load_1min=load_average()[0],
                        )
                    )
    finally:
        azurite.stop()
    return runs
