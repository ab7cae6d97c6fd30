"""The app's orchestrators answer the host byte for byte the same with and without the patch.

Each scenario runs one of this app's orchestrations to its end on the local host (activities
faked) and keeps every context the host sent. Each context is then answered once with dateutil
and once with `parse_timestamp`, its timestamps written in each format a host writes, in each
local zone dateutil treats differently; the answers (actions with timer `fireAt`, custom status,
output, `new_uuid` values derived from the replayed clock) must be identical.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from durable_localhost import EmulatorServer
from durable_localhost.timeutil import parse
from orchestrators import batch, expense_approval, export_monitor, health_monitor
from shared.errors import ErrorCode, TransientError
from tests.support.expense_approval import INSTANCE, approval_input
from tests.support.functions import user_function
from tests.support.local_host import ROOT, SETTINGS, LocalHost, default_version
from tests.support.notifications import notice_receipt_for, receipt_for
from tests.support.timestamps import LOCAL_ZONES, local_zone, sdk_parser

Scenario = Callable[[LocalHost], None]


def _micro(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _ticks(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "7Z"  # 7th digit, as .NET writes


def _trimmed(moment: datetime) -> str:
    fraction = f".{moment.microsecond:06d}".rstrip("0") if moment.microsecond else ""
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"


def _offset(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def _seconds(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


STAMPS = {
    "microseconds": _micro,
    "azure-ticks": _ticks,
    "emulator-trimmed": _trimmed,
    "offset": _offset,
    "whole-seconds": _seconds,
}


def _export_monitor(host: LocalHost) -> None:
    checks: list[Any] = []

    def job_status(payload: Any) -> Any:
        checks.append(payload)
        status = "completed" if len(checks) == 4 else "running"
        at = "2026-01-05T09:00:00+00:00"
        return {"id": "job-1", "status": status, "createdAt": at, "updatedAt": at}

    host.activities.set("get_export_job_status", job_status)
    job = {
        "monitorId": "monitor-1",
        "jobId": "job-1",
        "recipient": {"audience": "monitor_subscriber", "ref": "monitor-1"},
        "initialIntervalSeconds": 5,
        "maxIntervalSeconds": 60,
        "timeoutSeconds": 3600,
    }
    host.run("monitor_export_job", job, "monitor-1")


def _health_monitor(host: LocalHost) -> None:
    """First generation: a failing check, an alert (ids from new_uuid), the interval timer."""
    host.activities.set(
        "check_endpoint_health",
        lambda payload: {
            "name": "shop",
            "healthy": False,
            "statusCode": 503,
            "latencyMs": 8,
            "errorKind": "http_status",
            "checkedAt": "2026-01-05T09:00:01+00:00",
        },
    )
    state = {
        "name": "shop",
        "intervalSeconds": 60,
        "alertThreshold": 1,
    }
    host.server.clock.pause()
    host.run("health_monitor", state, "hm-shop")
    host.server.clock.advance(timedelta(seconds=61))


def _expense_approval(host: LocalHost) -> None:
    """Nobody decides: every stage's deadline timer fires, ending in expiry."""
    host.activities.set(expense_approval.NOTIFY_APPROVAL_PARTY, notice_receipt_for)
    host.run("expense_approval", approval_input(stageTimeoutSeconds=3600), INSTANCE)


def _batch_chunk(host: LocalHost) -> None:
    """Every third item is busy twice: retry timers inside the sliding window."""
    attempts: dict[str, int] = {}

    def process(payload: Any) -> Any:
        item = payload["itemId"]
        attempts[item] = attempts.get(item, 0) + 1
        if int(item.split("-")[1]) % 3 == 0 and attempts[item] < 3:
            raise TransientError(ErrorCode.UNAVAILABLE, "busy")
        return {"itemId": item, "status": "processed"}

    host.activities.set(
        "list_batch_chunk_items",
        lambda payload: {"itemIds": [f"item-{n}" for n in range(payload["count"])]},
    )
    host.activities.set(batch.item_activity(default_version()), process)
    chunk = {"batchId": "b1", "chunkIndex": 0, "firstPosition": 0, "itemCount": 9, "maxParallel": 3}
    host.run("process_batch_chunk", chunk, "b1:chunk-0")


SCENARIOS: dict[str, tuple[Any, Scenario]] = {
    "export-monitor": (export_monitor.monitor_export_job, _export_monitor),
    "health-monitor": (health_monitor.health_monitor, _health_monitor),
    "expense-approval": (expense_approval.expense_approval, _expense_approval),
    "batch-chunk": (batch.process_batch_chunk, _batch_chunk),
}


@pytest.fixture(scope="module")
def recorded() -> dict[str, list[str]]:
    """Every context the host sent, per scenario (one local host each, one after the other)."""
    contexts: dict[str, list[str]] = {}
    for name, (builder, run) in SCENARIOS.items():
        fakes = {"send_notification": receipt_for}
        with EmulatorServer(ROOT, activity_overrides=fakes, settings=SETTINGS) as server:
            host = LocalHost(server)
            contexts[name] = host.record_episodes(user_function(builder).__name__)
            run(host)
    return contexts


def _restamped(context: str, stamp: Callable[[datetime], str]) -> str:
    body = json.loads(context)
    for event in body["history"]:
        for field in ("Timestamp", "FireAt"):
            if field in event:
                event[field] = stamp(parse(event[field]))
    return json.dumps(body)


@pytest.mark.parametrize("stamps", list(STAMPS))
@pytest.mark.parametrize("zone", LOCAL_ZONES)
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_every_episode_answers_byte_for_byte_the_same(
    recorded: dict[str, list[str]], scenario: str, zone: str, stamps: str
) -> None:
    handler = user_function(SCENARIOS[scenario][0])
    contexts = [_restamped(c, STAMPS[stamps]) for c in recorded[scenario]]

    with local_zone(zone):
        with sdk_parser(fast=False):
            slow = [handler(c) for c in contexts]
        with sdk_parser(fast=True):
            fast = [handler(c) for c in contexts]

    assert len(fast) == len(slow) > 2
    for index, (with_patch, without) in enumerate(zip(fast, slow, strict=True)):
        assert with_patch == without, f"episode {index} differs"
    assert '"fireAt"' in "".join(slow), "every scenario exercises a durable timer"
