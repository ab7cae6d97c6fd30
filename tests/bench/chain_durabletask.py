"""chain5 on Microsoft's durabletask SDK with its in-memory test backend (gRPC, in-process),
the starts sent by a ``TaskHubGrpcClient`` in a separate client process (``start_client``).

Concurrency is matched to the emulator's bench app (host.json: 4 orchestrator and 8 activity
work items); the worker runs both kinds on one thread pool, sized 4 + 8 like the emulator's
two pools. The backend keeps state in Python dicts (no persistence) and talks to the worker and
client over gRPC on a loopback port.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from durabletask import task
from durabletask.client import OrchestrationStatus, TaskHubGrpcClient
from durabletask.testing import create_test_backend
from durabletask.worker import ConcurrencyOptions, TaskHubGrpcWorker

from tests.bench.common import Stopwatch, free_port, peak_rss_mb, percentile, quiet_logs
from tests.bench.machine import load_average
from tests.bench.results import ChainRun
from tests.bench.start_client import StartClient

WARMUP_INSTANCES = 20
CHAIN_LENGTH = 5
ORCHESTRATOR_CONCURRENCY = 4
ACTIVITY_CONCURRENCY = 8


def chain_step_1(ctx: task.ActivityContext, value: int) -> int:
    return value + 1


def chain_step_2(ctx: task.ActivityContext, value: int) -> int:
    return value + 1


def chain_step_3(ctx: task.ActivityContext, value: int) -> int:
    return value + 1


def chain_step_4(ctx: task.ActivityContext, value: int) -> int:
    return value + 1


def chain_step_5(ctx: task.ActivityContext, value: int) -> int:
    return value + 1


STEPS = (chain_step_1, chain_step_2, chain_step_3, chain_step_4, chain_step_5)


def chain5(ctx: task.OrchestrationContext, value: int) -> Any:
    for step in STEPS:
        value = yield ctx.call_activity(step, input=value)
    return value


def _utc(value: datetime) -> datetime:
    """The client returns protobuf timestamps as naive UTC datetimes."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def run(instances: int) -> ChainRun:
    quiet_logs()
    port = free_port()
    backend = create_test_backend(port=port)
    address = f"localhost:{port}"
    worker = TaskHubGrpcWorker(
        host_address=address,
        concurrency_options=ConcurrencyOptions(
            maximum_concurrent_orchestration_work_items=ORCHESTRATOR_CONCURRENCY,
            maximum_concurrent_activity_work_items=ACTIVITY_CONCURRENCY,
            maximum_thread_pool_workers=ORCHESTRATOR_CONCURRENCY + ACTIVITY_CONCURRENCY,
        ),
    )
    worker.add_orchestrator(chain5)
    for step in STEPS:
        worker.add_activity(step)
    client = TaskHubGrpcClient(host_address=address)  # waits for completion, in this process
    worker.start()  # type: ignore[no-untyped-call]
    try:
        with StartClient(
            {"engine": "durabletask", "address": address, "name": "chain5"}
        ) as starter:
            for instance_id in starter.start(0, WARMUP_INSTANCES).ids:
                client.wait_for_orchestration_completion(instance_id, timeout=120)

            began = datetime.now(UTC)
            watch = Stopwatch()
            starts = starter.start(0, instances)
            states = [client.wait_for_orchestration_completion(i, timeout=900) for i in starts.ids]
            span = watch.stop()

        latencies: list[float] = []
        last = began
        for value, state in enumerate(states):
            if state is None or state.runtime_status is not OrchestrationStatus.COMPLETED:
                raise RuntimeError(f"instance {value} did not complete: {state}")
            if json.loads(state.serialized_output or "null") != value + CHAIN_LENGTH:
                raise RuntimeError(f"instance {value} returned {state.serialized_output}")
            completed = _utc(state.last_updated_at)
            latencies.append((completed - _utc(state.created_at)).total_seconds())
            last = max(last, completed)
        total = (last - began).total_seconds()
        return ChainRun(
            engine="durabletask",
            variant="in-memory backend",
            instances=instances,
            start_phase_s=starts.wall_s,
            total_s=total,
            throughput_per_s=instances / total,
            latency_p50_s=percentile(latencies, 50),
            latency_p95_s=percentile(latencies, 95),
            cpu_s=span.cpu_s,
            client_cpu_s=starts.cpu_s,
            sdk_cpu_s=-1.0,
            activity_cpu_s=-1.0,
            peak_rss_mb=peak_rss_mb(),
            episodes=-1,
            sdk_share=-1.0,
            sdk_cpu_share=-1.0,
            load_1min=load_average()[0],
        )
    finally:
        client.close()
        worker.stop()  # type: ignore[no-untyped-call]
        backend.stop()
