"""The app's orchestrators answer the host byte for byte the same with and without the patch.

Each scenario runs one of this app's orchestrations to its end through the real SDK
(`MiniHost`), once with dateutil and once with `parse_timestamp`, and compares every episode's
context and answer: actions (timer `fireAt` included), custom status, output, and the
`new_uuid` values derived from the replayed clock. The host's timestamps come in each format a
host writes, in each local zone dateutil treats differently.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from orchestrators import batch, expense_approval, export_monitor, health_monitor
from shared.errors import ErrorCode, TransientError
from tests.support import history, sdk_host
from tests.support.functions import user_function
from tests.support.notifications import receipt_for
from tests.support.sdk_host import MiniHost
from tests.support.timestamps import LOCAL_ZONES, local_zone, sdk_parser

Handler = Callable[[str], str]
Episodes = list[tuple[str, str]]


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


def _receipt_or(answers: Callable[[str, Any], Any]) -> Callable[[str, Any], Any]:
    def respond(name: str, payload: Any) -> Any:
        return receipt_for(payload) if name == "send_notification" else answers(name, payload)

    return respond


def _export_monitor(handler: Handler) -> None:
    checks: list[int] = []

    def answers(name: str, payload: Any) -> Any:
        checks.append(1)
        status = "completed" if len(checks) == 4 else "running"
        at = "2026-01-05T09:00:00+00:00"
        return {"id": "job-1", "status": status, "createdAt": at, "updatedAt": at}

    job = {
        "monitorId": "monitor-1",
        "jobId": "job-1",
        "recipient": {"audience": "monitor_subscriber", "ref": "monitor-1"},
        "initialIntervalSeconds": 5,
        "maxIntervalSeconds": 60,
        "timeoutSeconds": 3600,
    }
    MiniHost(handler, job, _receipt_or(answers), name="monitor_export_job", seed=1).run()


def _health_monitor(handler: Handler) -> None:
    """First generation: a failing check, an alert (ids from new_uuid), the interval timer."""

    def answers(name: str, payload: Any) -> Any:
        return {
            "name": "shop",
            "healthy": False,
            "statusCode": 503,
            "latencyMs": 8,
            "errorKind": "http_status",
            "checkedAt": "2026-01-05T09:00:01+00:00",
        }

    state = {
        "name": "shop",
        "intervalSeconds": 60,
        "alertThreshold": 1,
    }
    host = MiniHost(
        handler, state, _receipt_or(answers), name="health_monitor", instance_id="hm-shop"
    )
    host.run()


def _expense_approval(handler: Handler) -> None:
    """Nobody decides: every stage's deadline timer fires, ending in expiry."""
    request = {
        "approvalId": "approval-1",
        "amount": "420.50",
        "currency": "EUR",
        "description": "Conference ticket",
        "stageCount": 2,
        "requesterSource": "request_body",
        "stageTimeoutSeconds": 3600,
    }
    MiniHost(handler, request, _receipt_or(lambda *_: None), name="expense_approval").run()


def _batch_chunk(handler: Handler) -> None:
    """Every third item is busy twice: retry timers inside the sliding window."""
    attempts: dict[str, int] = {}

    def respond(name: str, payload: Any) -> Any:
        if name == "list_batch_chunk_items":
            return {"itemIds": [f"item-{n}" for n in range(payload["count"])]}
        item = payload["itemId"]
        attempts[item] = attempts.get(item, 0) + 1
        if int(item.split("-")[1]) % 3 == 0 and attempts[item] < 3:
            raise TransientError(ErrorCode.UNAVAILABLE, "busy")
        return {"itemId": item, "status": "processed"}

    chunk = {"batchId": "b1", "chunkIndex": 0, "firstPosition": 0, "itemCount": 9, "maxParallel": 3}
    MiniHost(handler, chunk, respond, name="process_batch_chunk").run()


SCENARIOS: dict[str, tuple[Any, Callable[[Handler], None]]] = {
    "export-monitor": (export_monitor.monitor_export_job, _export_monitor),
    "health-monitor": (health_monitor.health_monitor, _health_monitor),
    "expense-approval": (expense_approval.expense_approval, _expense_approval),
    "batch-chunk": (batch.process_batch_chunk, _batch_chunk),
}


def _episodes(name: str, fast: bool) -> Episodes:
    builder, run = SCENARIOS[name]
    handler: Handler = user_function(builder)
    seen: Episodes = []

    def recording(context: str) -> str:
        answer = handler(context)
        seen.append((context, answer))
        return answer

    with sdk_parser(fast=fast):
        run(recording)
    return seen


@pytest.fixture(params=list(STAMPS))
def host_stamps(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The host writes every history timestamp in this format."""
    name: str = request.param
    monkeypatch.setattr(sdk_host, "_ts", STAMPS[name])
    monkeypatch.setattr(history, "_stamp", STAMPS[name])
    return name


@pytest.mark.parametrize("zone", LOCAL_ZONES)
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_every_episode_answers_byte_for_byte_the_same(
    scenario: str, zone: str, host_stamps: str
) -> None:
    with local_zone(zone):
        slow = _episodes(scenario, fast=False)
        fast = _episodes(scenario, fast=True)

    assert len(fast) == len(slow) > 2
    for index, (with_patch, without) in enumerate(zip(fast, slow, strict=True)):
        assert with_patch == without, f"episode {index} differs"
    answers = "".join(answer for _, answer in slow)
    assert '"fireAt"' in answers, "every scenario exercises a durable timer"
