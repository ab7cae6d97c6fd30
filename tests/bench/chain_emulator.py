"""chain5 on the emulator: instances started through the Durable HTTP API from a separate
client process (``start_client``), run to completion in this one."""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from durable_localhost.model import RuntimeStatus
from durable_localhost.testing import EmulatorServer
from tests.bench.common import (
    CHAIN_APP,
    CHAIN_SETTINGS,
    Stopwatch,
    peak_rss_mb,
    percentile,
    quiet_logs,
)
from tests.bench.machine import load_average
from tests.bench.probes import EpisodeProbe
from tests.bench.results import ChainRun
from tests.bench.start_client import StartClient

WARMUP_INSTANCES = 20
CHAIN_LENGTH = 5
START_PATH = "/orchestrators/chain5"


def run(instances: int, state: str, sdk_timestamps: bool = False) -> ChainRun:
    """``state``: "memory" (``:memory:``) or "file" (SQLite in a temporary folder).

    ``sdk_timestamps`` installs the shop app's ``shared.sdk_timestamps`` in the SDK first, as
    the shop's ``function_app.py`` does at import (this process is the emulator's).
    """
    quiet_logs()
    if sdk_timestamps:
        from shared import sdk_timestamps as fast_timestamps

        fast_timestamps.install()
    with tempfile.TemporaryDirectory(prefix="bench-chain-") as folder:
        path = ":memory:" if state == "memory" else str(Path(folder) / "state.sqlite3")
        server = EmulatorServer(
            CHAIN_APP,
            clock="wall",
            state=path,
            settings={**CHAIN_SETTINGS, "TASKHUB_NAME": "BenchChain"},
        )
        with (
            server,
            EpisodeProbe() as probe,
            StartClient({"engine": "emulator", "url": server.webhook_url + START_PATH}) as client,
        ):
            client.start(0, WARMUP_INSTANCES)
            if not server.wait_idle(timeout=120):
                raise RuntimeError("warm-up did not finish")
            probe.reset()

            began = datetime.now(UTC)
            watch = Stopwatch()
            starts = client.start(0, instances)
            if not server.wait_idle(timeout=900):
                raise RuntimeError("the burst did not finish within 15 minutes")
            span = watch.stop()

            engine = server.host.engine
            records = [engine.get(instance_id) for instance_id in starts.ids]
            latencies: list[float] = []
            last = began
            for value, record in enumerate(records):
                if record is None or record.status is not RuntimeStatus.COMPLETED:
                    raise RuntimeError(f"instance {value} did not complete: {record}")
                if json.loads(record.output or "null") != value + CHAIN_LENGTH:
                    raise RuntimeError(f"instance {value} returned {record.output}")
                latencies.append((record.updated - record.created).total_seconds())
                last = max(last, record.updated)
            total = (last - began).total_seconds()
            episode_s = probe.total_episode_s()
            return ChainRun(
                engine="emulator",
                variant=f"SQLite {'in memory' if state == 'memory' else 'file'}"
                + (", shared.sdk_timestamps" if sdk_timestamps else ""),
                instances=instances,
                start_phase_s=starts.wall_s,
                total_s=total,
                throughput_per_s=instances / total,
                latency_p50_s=percentile(latencies, 50),
                latency_p95_s=percentile(latencies, 95),
                cpu_s=span.cpu_s,
                client_cpu_s=starts.cpu_s,
                sdk_cpu_s=probe.total_sdk_cpu_s(),
                activity_cpu_s=probe.total_activity_cpu_s(),
                peak_rss_mb=peak_rss_mb(),
                episodes=probe.episodes,
                sdk_share=probe.total_sdk_s() / episode_s if episode_s else -1.0,
                sdk_cpu_share=probe.sdk_cpu_share(),
                load_1min=load_average()[0],
            )
