"""The batch orchestrations inside the real SDK executor, replayed episode by episode.

The mocked-context tests prove the orchestrators' decisions; these prove the SDK's task
machinery agrees with the sliding window: `task_any` re-yielded over partly completed sets,
several completions landing in one episode, retry timers inside the window, sub-orchestration
retries, and the signal, all with the host's history numbering (see `sdk_host.py`).
"""

from __future__ import annotations

from typing import Any

import pytest

from orchestrators import batch
from shared.errors import ErrorCode, PermanentError, TransientError
from shared.models.batches.workflow import plan_batch
from tests.support.functions import user_function
from tests.support.sdk_host import MiniHost

CHUNK = user_function(batch.process_batch_chunk)
PARENT = user_function(batch.process_batch)


def item_world(
    item_ids: list[str], first_position: int = 0, failed_rows: dict[str, Any] | None = None
) -> Any:
    """Every 7th item is flaky twice, every 11th is down for good, every 5th is rejected.

    `failed_rows` stands in for the results table's failed rows, as the activities write them.
    """
    attempts: dict[str, int] = {}
    rows = {} if failed_rows is None else failed_rows

    def respond(name: str, payload: Any) -> Any:
        if name == "list_batch_chunk_items":
            start = payload["firstPosition"] - first_position
            return {"itemIds": item_ids[start : start + payload["count"]]}
        if name == "record_batch_item_failure":
            failure = payload["failure"]
            rows.setdefault(failure["id"], failure)
            return {"itemId": failure["id"], "status": "failed"} | {
                k: failure[k] for k in ("code", "error")
            }
        assert name == "process_batch_item", name
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

    return respond


@pytest.mark.parametrize("seed", [1, 2])
def test_a_chunk_keeps_its_window_under_the_real_sdk(seed: int) -> None:
    item_ids = [f"item-{n}" for n in range(1, 31)]
    rows: dict[str, Any] = {}
    host = MiniHost(
        CHUNK,
        {"batchId": "b1", "chunkIndex": 0, "firstPosition": 0, "itemCount": 30, "maxParallel": 4},
        item_world(item_ids, failed_rows=rows),
        name="process_batch_chunk",
        seed=seed,
    )

    output = host.run()

    assert host.max_in_flight_activities == 4
    down = [f"item-{n}" for n in (11, 22)]
    rejected = [f"item-{n}" for n in (5, 10, 15, 20, 25, 30)]
    assert output == {
        "chunkIndex": 0,
        "total": 30,
        "processed": 30 - len(down) - len(rejected),
        "failedCount": len(down) + len(rejected),
    }
    assert set(rows) == set(down) | set(rejected)  # every failed item has its row
    for item in down:
        calls = [c for c in host.activity_calls if c[1].get("itemId") == item]
        assert len(calls) == batch.ITEM_BACKOFF.max_attempts
        (recorded,) = [
            c
            for c in host.activity_calls
            if c[0] == "record_batch_item_failure" and c[1]["failure"]["id"] == item
        ]
        assert recorded[1]["failure"]["code"] == "unavailable"
    assert host.custom_statuses[-1]["processed"] == output["processed"]
    # Several completions shared an episode: fewer episodes than answered tasks.
    assert host.episodes < len(host.activity_calls) + len(host.timers)


def test_a_batch_runs_end_to_end_under_the_real_sdk() -> None:
    plan = plan_batch(45, 20, 32, None)
    chunk_windows: list[int] = []
    chunk_ids: list[str] = []
    rows: dict[str, Any] = {}

    def run_chunk(name: str, payload: Any, instance_id: str) -> Any:
        chunk_ids.append(instance_id)
        item_ids = [f"c{payload['chunkIndex']}-{n}" for n in range(1, payload["itemCount"] + 1)]
        world = item_world(item_ids, payload["firstPosition"], rows)
        host = MiniHost(CHUNK, payload, world, name=name, instance_id=instance_id)
        output = host.run()
        chunk_windows.append(host.max_in_flight_activities)
        if instance_id == "b1:chunk-2":
            raise RuntimeError("worker crashed")  # the first attempt of chunk 2 is lost
        return output

    claims: list[Any] = []

    def respond(name: str, payload: Any) -> Any:
        if name == "list_batch_failures":
            listed = sorted(rows)[: payload["top"]]
            return {"failures": [rows[r] for r in listed], "more": len(rows) > len(listed)}
        assert name == "claim_batch_counter_signal"
        claims.append(payload)
        return {"claimed": True}

    host = MiniHost(
        PARENT,
        {"batchId": "b1", "plan": plan.to_json()},
        respond,
        run_chunk,
        name="process_batch",
        instance_id="b1",
    )
    output = host.run()

    assert host.max_in_flight_subs == plan.lanes == 2
    assert max(chunk_windows) == plan.chunk_parallel == 16  # 2 x 16 == maxParallel 32
    assert sorted(chunk_ids) == sorted(
        [f"b1:chunk-{n}" for n in range(3)] + ["b1:chunk-2:attempt-2"]
    )
    assert len(claims) == 1
    assert host.signals == [("@counter@items-processed", "add", output["processed"])]
    assert output["counterSignalled"] is True
    assert output["processed"] + output["failedCount"] == 45
    assert output["failedCount"] == len(rows)
    assert [f["id"] for f in output["failed"]] == sorted(rows)
    assert output["failuresTruncated"] is False
    assert output["failedChunks"] == []


def test_a_permanent_listing_failure_fails_the_chunk_under_the_real_sdk() -> None:
    def respond(name: str, payload: Any) -> Any:
        raise PermanentError(ErrorCode.NOT_FOUND, "chunk 0 of batch 'b1' has 0 staged items")

    host = MiniHost(
        CHUNK,
        {"batchId": "b1", "chunkIndex": 0, "firstPosition": 0, "itemCount": 3, "maxParallel": 2},
        respond,
        name="process_batch_chunk",
    )

    with pytest.raises(Exception, match="0 staged items"):
        host.run()


def test_a_chunk_given_up_on_gets_its_rows_under_the_real_sdk() -> None:
    """Chunk 1 fails on every attempt: the parent writes its rows in its lane, then lists them."""
    plan = plan_batch(30, 10, 16, None)
    rows: dict[str, Any] = {}
    recorded: list[Any] = []

    def run_chunk(name: str, payload: Any, instance_id: str) -> Any:
        if payload["chunkIndex"] == 1:
            raise RuntimeError("worker crashed")
        item_ids = [f"c{payload['chunkIndex']}-{n}" for n in range(1, 11)]
        world = item_world(item_ids, payload["firstPosition"], rows)
        return MiniHost(CHUNK, payload, world, name=name, instance_id=instance_id).run()

    def respond(name: str, payload: Any) -> Any:
        if name == "record_batch_chunk_failure":
            recorded.append(payload)
            for n in range(1, 11):
                failure = {"id": f"c1-{n}", "code": payload["code"], "error": payload["error"]}
                rows.setdefault(f"c1-{n}", failure)
            return {"processed": 0, "failed": 10}
        if name == "list_batch_failures":
            listed = sorted(rows)[: payload["top"]]
            return {"failures": [rows[r] for r in listed], "more": len(rows) > len(listed)}
        assert name == "claim_batch_counter_signal"
        return {"claimed": True}

    host = MiniHost(
        PARENT, {"batchId": "b1", "plan": plan.to_json()}, respond, run_chunk, name="process_batch"
    )
    output = host.run()

    (record,) = recorded
    assert record["chunkIndex"] == 1
    assert "worker crashed" in record["error"]
    assert [c["chunkIndex"] for c in output["failedChunks"]] == [1]
    assert output["failedChunks"][0]["resultsRecorded"] is True
    assert output["processed"] + output["failedCount"] == 30
    assert output["failedCount"] == len(rows)
    assert {f"c1-{n}" for n in range(1, 11)} <= {f["id"] for f in output["failed"]}
