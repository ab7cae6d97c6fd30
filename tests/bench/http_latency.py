"""HTTP latency on the emulator: ``POST /api/customers`` and the Durable start API.

The emulator runs in this process; the load comes from ``http_client`` in another process
(1 and 20 concurrent clients, each for a bounded time, the pair repeated ``repeats`` times). The
shop app runs with Azurite and a SQLite file, as ``make run`` does; the start API starts
``chain5`` of the bench's chain app. Before every load the emulator is left to finish the
orchestrations the previous one started, so each load starts from an idle host.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from durable_localhost.testing import EmulatorServer
from tests.bench.batch import azurite_settings
from tests.bench.common import CHAIN_APP, CHAIN_SETTINGS, ROOT, quiet_logs
from tests.bench.machine import load_average
from tests.bench.results import HttpRun
from tests.bench.scenario import RESULT_PREFIX
from tests.support.azurite import start_or_reuse

WARMUP_S = 1.0
SETTLE_TIMEOUT_S = 900  # a 20-client load on a busy machine leaves minutes of backlog


def _load(params: dict[str, Any]) -> dict[str, Any]:
    """Run the load generator in its own interpreter and return its summary."""
    completed = subprocess.run(
        [sys.executable, "-m", "tests.bench.http_client", json.dumps(params)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=params["duration_s"] + 120,
        check=False,
    )
    for line in reversed(completed.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            figures: dict[str, Any] = json.loads(line[len(RESULT_PREFIX) :])
            return figures
    raise RuntimeError(f"http client exited with {completed.returncode}: {completed.stderr}")


@contextmanager
def _emulator(app: Path, settings: dict[str, str]) -> Iterator[EmulatorServer]:
    with tempfile.TemporaryDirectory(prefix="bench-http-") as folder:
        server = EmulatorServer(
            app, clock="wall", state=Path(folder) / "state.sqlite3", settings=settings
        )
        with server:
            yield server


def _measure(
    server: EmulatorServer, target: str, kind: str, url: str, duration_s: float, repeats: int
) -> list[HttpRun]:
    runs: list[HttpRun] = []
    run_id = time.strftime("%H%M%S")
    base = {"kind": kind, "url": url, "headers": {}, "expect": 202}
    _load({**base, "run_id": f"{run_id}w", "concurrency": 1, "duration_s": WARMUP_S})
    # The two loads alternate, so drifting load on a shared machine touches both alike.
    for repeat in range(1, repeats + 1):
        for concurrency in (1, 20):
            if not server.wait_idle(timeout=SETTLE_TIMEOUT_S):
                raise RuntimeError(f"{target}: the previous load's orchestrations did not finish")
            cpu = time.process_time()
            figures = _load(
                {
                    **base,
                    "run_id": f"{run_id}r{repeat}c{concurrency}",
                    "concurrency": concurrency,
                    "duration_s": duration_s,
                }
            )
            runs.append(
                HttpRun(
                    target=target,
                    clients=concurrency,
                    repeat=repeat,
                    duration_s=duration_s,
                    server_cpu_s=time.process_time() - cpu,
                    load_1min=load_average()[0],
                    **figures,
                )
            )
    return runs


def run(duration_s: float, repeats: int = 1) -> list[HttpRun]:
    quiet_logs()
    runs: list[HttpRun] = []
    with _emulator(CHAIN_APP, {**CHAIN_SETTINGS, "TASKHUB_NAME": "BenchHttp"}) as server:
        url = f"{server.webhook_url}/orchestrators/chain5"
        runs += _measure(server, "Durable start API (chain5)", "start", url, duration_s, repeats)
    azurite = start_or_reuse()
    try:
        settings = azurite_settings(azurite.connection_string, chunk_size=100)
        with _emulator(ROOT, settings) as server:
            url = f"{server.api_url}/customers"
            runs += _measure(server, "POST /api/customers", "customers", url, duration_s, repeats)
    finally:
        azurite.stop()
    return runs
