"""The batch orchestrations in the real SDK on the local host, activities faked.

The mocked-context tests prove the orchestrators' decisions; these prove the SDK's task machinery
agrees with the sliding window: `task_any` re-yielded over partly completed sets, several
completions landing in one episode, retry timers inside the window, sub-orchestration retries
under new instance ids, and the counter signal.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from durable_localhost import ActivityFake
from orchestrators import batch
from shared.errors import ErrorCode, PermanentError, TransientError
from shared.models.batches.workflow import plan_batch
from tests.support.local_host import (
    ANSWERS,
    EVENT_SENT,
    ORCHESTRATOR_STARTED,
    StartLocalHost,
    default_version,
    max_in_flight,
)

#: The item activity of the version new instances start at.
ITEM = batch.item_activity(default_version())


def item_world(
    rows: dict[str, Any], broken_chunks: dict[int, int] | None = None
) -> dict[str, ActivityFake]:
    """Every 7th item is flaky twice, every 11th is down for good, every 5th is rejected.

    `rows` stands in for the results table's failed rows; a chunk in `broken_chunks` cannot
    list its items that many times (for every attempt when the count is negative).
    """
    attempts: dict[str, int] = {}
    listings: dict[int, int] = {}
    broken = broken_chunks or {}

    def list_items(payload: Any) -> Any:
        chunk = payload["chunkIndex"]
        listings[chunk] = listings.get(chunk, 0) + 1
        if chunk in broken and (broken[chunk] < 0 or listings[chunk] <= broken[chunk]):
            raise PermanentError(ErrorCode.NOT_FOUND, f"chunk {chunk} has 0 staged items")
        count = payload["count"]
        return {"itemIds": [f"c{chunk}-{n}" for n in range(1, count + 1)]}

    def record_failure(payload: Any) -> Any:
        failure = payload["failure"]
        rows.setdefault(failure["id"], failure)
        return {"itemId": failure["id"], "status": "failed"} | {
            k: failure[k] for k in ("code", "error")
        }

    def process_item(payload: Any) -> Any:
        item_id = payload["itemId"]
        attempts[item_id] = attempts.get(item_id, 0) + 1
        n = int(item_id.rsplit("-", 1)[1])
        if n % 11 == 0:
            raise TransientError(ErrorCode.UNAVAILABLE, "down")
        if n % 7 == 0 and attempts[item_id] < 3:
            raise TransientError(ErrorCode.UNAVAILABLE, "busy")
        if n % 5 == 0:
            rows.setdefault(item_id, {"id": item_id, "code": "validation", "error": "bad"})
            return {"itemId": item_id, "status": "failed", "code": "validation", "error": "bad"}
        return {"itemId": item_id, "status": "processed"}

    def list_failures(payload: Any) -> Any:
        listed = sorted(rows)[: payload["top"]]
        return {"failures": [rows[r] for r in listed], "more": len(rows) > len(listed)}

    def record_chunk_failure(payload: Any) -> Any:
        for n in range(1, 11):
            failure = {"id": f"c{payload['chunkIndex']}-{n}", "code": payload["code"]}
            rows.setdefault(failure["id"], failure | {"error": payload["error"]})
        return {"processed": 0, "failed": 10}

    return {
        "list_batch_chunk_items": list_items,
        "record_batch_item_failure": record_failure,
        ITEM: process_item,
        "list_batch_failures": list_failures,
        "record_batch_chunk_failure": record_chunk_failure,
        "claim_batch_counter_signal": lambda payload: {"claimed": True},
    }


def released_together(count: int, fake: ActivityFake) -> ActivityFake:
    """The first `count` calls answer at one moment, so their results reach one episode."""
    arrived = 0
    gate: asyncio.Event | None = None

    async def together(payload: Any) -> Any:
        nonlocal arrived, gate
        gate = gate or asyncio.Event()
        arrived += 1
        if arrived == count:
            gate.set()
        if arrived <= count:
            await gate.wait()
        return fake(payload)

    return together


def most_answers_in_one_episode(history: list[dict[str, Any]]) -> int:
    counts = [0]
    for event in history:
        if event["EventType"] == ORCHESTRATOR_STARTED:
            counts.append(0)
        elif event["EventType"] in ANSWERS:
            counts[-1] += 1
    return max(counts)


def chunk_input(items: int, window: int) -> dict[str, Any]:
    """Chunk 0 of batch b1: `items` items, `window` of them in flight at most."""
    return {
        "batchId": "b1",
        "chunkIndex": 0,
        "firstPosition": 0,
        "itemCount": items,
        "maxParallel": window,
    }


def test_a_chunk_keeps_its_window_and_retries_inside_it(local_host: StartLocalHost) -> None:
    rows: dict[str, Any] = {}
    world = item_world(rows)
    world[ITEM] = released_together(4, world[ITEM])
    host = local_host(world)
    status = host.run("process_batch_chunk", chunk_input(items=30, window=4), "b1:chunk-0")

    history = host.history("b1:chunk-0")
    assert max_in_flight(history, ITEM) == 4
    assert most_answers_in_one_episode(history) == 4  # the window re-yielded over a set
    down = [f"c0-{n}" for n in (11, 22)]
    rejected = [f"c0-{n}" for n in (5, 10, 15, 20, 25, 30)]
    output = status["output"]
    assert output == {
        "chunkIndex": 0,
        "total": 30,
        "processed": 30 - len(down) - len(rejected),
        "failedCount": len(down) + len(rejected),
    }
    assert status["customStatus"]["processed"] == output["processed"]
    assert set(rows) == set(down) | set(rejected)  # every failed item has its row
    items = host.activities.calls(ITEM)
    for item in down:
        assert [c["itemId"] for c in items].count(item) == batch.ITEM_BACKOFF.max_attempts
        failures = host.activities.calls("record_batch_item_failure")
        (recorded,) = [c for c in failures if c["failure"]["id"] == item]
        assert recorded["failure"]["code"] == "unavailable"


def test_a_batch_runs_end_to_end_with_a_chunk_retried_under_a_new_id(
    local_host: StartLocalHost,
) -> None:
    plan = plan_batch(45, 20, 32, None)
    rows: dict[str, Any] = {}
    host = local_host(item_world(rows, broken_chunks={2: 1}))

    status = host.run("process_batch", {"batchId": "b1", "plan": plan.to_json()}, "b1")

    assert status["runtimeStatus"] == "Completed"
    chunks = [i for i in host.instance_ids() if i.startswith("b1:")]
    assert chunks == ["b1:chunk-0", "b1:chunk-1", "b1:chunk-2", "b1:chunk-2:attempt-2"]
    assert max_in_flight(host.history("b1"), "process_batch_chunk") == plan.lanes == 2
    windows = [max_in_flight(host.history(c), ITEM) for c in chunks]
    assert max(windows) == plan.chunk_parallel == 16  # 2 x 16 == maxParallel 32
    output = status["output"]
    assert len(host.activities.calls("claim_batch_counter_signal")) == 1
    (signal,) = [e for e in host.history("b1") if e["EventType"] == EVENT_SENT]
    assert (signal["InstanceId"], signal["Name"]) == ("@counter@items-processed", "add")
    sent = json.loads(json.loads(signal["Input"])["input"])  # the host's request wraps the SDK's
    assert json.loads(sent) == output["processed"]
    assert output["counterSignalled"] is True
    assert output["processed"] + output["failedCount"] == 45
    assert output["failedCount"] == len(rows)
    assert [f["id"] for f in output["failed"]] == sorted(rows)
    assert output["failuresTruncated"] is False
    assert output["failedChunks"] == []


def test_a_permanent_listing_failure_fails_the_chunk(local_host: StartLocalHost) -> None:
    host = local_host(item_world({}, broken_chunks={0: -1}))
    status = host.run("process_batch_chunk", chunk_input(items=3, window=2))

    assert status["runtimeStatus"] == "Failed"
    assert "0 staged items" in str(status["output"])
    assert len(host.activities.calls("list_batch_chunk_items")) == 1  # permanent: no retry


def test_a_chunk_given_up_on_gets_its_rows_in_its_lane(local_host: StartLocalHost) -> None:
    """Chunk 1 fails on every attempt: the parent writes its rows, then lists them."""
    plan = plan_batch(30, 10, 16, None)
    rows: dict[str, Any] = {}
    host = local_host(item_world(rows, broken_chunks={1: -1}))

    status = host.run("process_batch", {"batchId": "b1", "plan": plan.to_json()}, "b1")

    output = status["output"]
    (record,) = host.activities.calls("record_batch_chunk_failure")
    assert record["chunkIndex"] == 1
    assert "0 staged items" in record["error"]
    assert (
        len(host.activities.calls("list_batch_chunk_items")) == 2 + batch.CHUNK_BACKOFF.max_attempts
    )
    assert [c["chunkIndex"] for c in output["failedChunks"]] == [1]
    assert output["failedChunks"][0]["resultsRecorded"] is True
    assert output["processed"] + output["failedCount"] == 30
    assert output["failedCount"] == len(rows)
    assert {f"c1-{n}" for n in range(1, 11)} <= {f["id"] for f in output["failed"]}
