"""The batch orchestrations against a mocked context: window bound, retries, partial failure,
chunking, progress and the once-per-batch counter signal."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from pytest_mock import MockerFixture

from orchestrators import batch
from orchestrators.common import InvalidOrchestrationInput
from shared.errors import ErrorCode
from shared.models.batches.activities import CHUNK_LISTING_PAGE, FAILURE_LISTING_PAGE
from shared.models.batches.workflow import MAX_REPORTED_FAILURES, plan_batch
from tests.support.batch_chunk import ChunkWorld, chunk_input, chunk_orchestrator, ids
from tests.support.failures import crashed, permanent, transient
from tests.support.functions import orchestrator_function
from tests.support.orchestration import DEFAULT_START, FakeTask, OrchestrationDriver

parent_orchestrator = orchestrator_function(batch.process_batch)


def unique(tasks: list[FakeTask]) -> list[FakeTask]:
    return list({id(task): task for task in tasks}.values())


def run_chunk(mocker: MockerFixture, world: ChunkWorld, max_parallel: int) -> tuple[Any, Any]:
    driver = OrchestrationDriver(
        mocker,
        chunk_orchestrator,
        input=chunk_input(len(world.item_ids), max_parallel),
        instance_id="b1:chunk-0",
    )
    return driver.run(world), driver


# --- a chunk ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("items", "window"), [(40, 4), (7, 16), (30, 1)])
def test_a_chunk_never_has_more_than_its_window_in_flight(
    mocker: MockerFixture, items: int, window: int
) -> None:
    world = ChunkWorld(ids(items), limit=window)

    output, driver = run_chunk(mocker, world, window)

    assert world.max_activities_in_flight == min(window, items)
    assert output == {"chunkIndex": 0, "total": items, "processed": items, "failedCount": 0}
    item_calls = [a for a in unique(driver.activities) if a.name == "process_batch_item"]
    assert sorted(a.input["itemId"] for a in item_calls) == sorted(ids(items))
    assert item_calls[0].input == {"batchId": "b1", "chunkIndex": 0, "itemId": "item-0"}


def test_the_chunk_lists_its_items_first(mocker: MockerFixture) -> None:
    _, driver = run_chunk(mocker, ChunkWorld(ids(3), limit=2), 2)

    first = driver.yielded[0]
    assert (first.name, first.input) == (
        "list_batch_chunk_items",
        {"batchId": "b1", "chunkIndex": 0, "firstPosition": 0, "count": 3},
    )


def test_a_big_chunk_lists_its_ids_a_page_of_positions_at_a_time(mocker: MockerFixture) -> None:
    """1,000 ids of 100 characters would be a ~100 KB payload: the listing is paged."""
    size = 2 * CHUNK_LISTING_PAGE + 50
    world = ChunkWorld(ids(3 * size), limit=16)  # the batch; this chunk is its second third
    driver = OrchestrationDriver(
        mocker,
        chunk_orchestrator,
        input={**chunk_input(size, 16, chunk_index=1), "firstPosition": size},
        instance_id="b1:chunk-1",
    )

    output = driver.run(world)

    assert world.list_requests == [
        {"batchId": "b1", "chunkIndex": 1, "firstPosition": size, "count": CHUNK_LISTING_PAGE},
        {
            "batchId": "b1",
            "chunkIndex": 1,
            "firstPosition": size + CHUNK_LISTING_PAGE,
            "count": CHUNK_LISTING_PAGE,
        },
        {
            "batchId": "b1",
            "chunkIndex": 1,
            "firstPosition": size + 2 * CHUNK_LISTING_PAGE,
            "count": 50,
        },
    ]
    priced = [
        a.input["itemId"] for a in unique(driver.activities) if a.name == "process_batch_item"
    ]
    assert sorted(priced) == sorted(ids(3 * size)[size : 2 * size])
    assert output["processed"] == size


def test_rejected_items_count_as_failed_without_failing_the_chunk(mocker: MockerFixture) -> None:
    world = ChunkWorld(ids(6), limit=3, script={"item-1": ["reject"], "item-4": ["reject"]})

    output, _ = run_chunk(mocker, world, 3)

    assert output == {"chunkIndex": 0, "total": 6, "processed": 4, "failedCount": 2}
    assert world.record_requests == []  # the activity wrote those rows itself


def test_transient_failures_are_retried_with_backoff_in_the_same_slot(
    mocker: MockerFixture,
) -> None:
    flaky = [transient("process_batch_item"), crashed("process_batch_item"), "ok"]
    world = ChunkWorld(ids(1), limit=1, script={"item-0": flaky})

    output, driver = run_chunk(mocker, world, 1)

    assert output["processed"] == 1
    assert world.attempts["item-0"] == 3
    first, second = (t.fire_at for t in unique(driver.timers))
    assert first == DEFAULT_START + timedelta(seconds=5)
    assert second == first + timedelta(seconds=15)


def test_retry_timers_hold_their_item_slot(mocker: MockerFixture) -> None:
    """While an item waits to retry, its slot is taken: the window counts timers too."""
    script = {f"item-{n}": [transient("process_batch_item"), "ok"] for n in range(0, 20, 3)}
    world = ChunkWorld(ids(20), limit=4, script=script, seed=5)

    output, _ = run_chunk(mocker, world, 4)

    assert output["processed"] == 20
    assert world.max_activities_in_flight <= 4


def test_items_whose_retries_run_out_get_their_failed_row(mocker: MockerFixture) -> None:
    down = transient("process_batch_item", ErrorCode.UNAVAILABLE, "table storage unavailable")
    world = ChunkWorld(ids(5), limit=2, script={"item-2": [down]})

    output, _ = run_chunk(mocker, world, 2)

    assert world.attempts["item-2"] == batch.ITEM_BACKOFF.max_attempts
    assert world.record_requests == [
        {
            "batchId": "b1",
            "failure": {
                "id": "item-2",
                "code": "unavailable",
                "error": "table storage unavailable (after 4 attempt(s))",
            },
        }
    ]
    assert (output["processed"], output["failedCount"]) == (4, 1)


def test_a_permanent_item_error_is_not_retried(mocker: MockerFixture) -> None:
    missing = permanent("process_batch_item", ErrorCode.NOT_FOUND, "item 'item-0' is not staged")
    world = ChunkWorld(ids(2), limit=2, script={"item-0": [missing]})

    output, _ = run_chunk(mocker, world, 2)

    assert world.attempts["item-0"] == 1
    assert [r["failure"] for r in world.record_requests] == [
        {
            "id": "item-0",
            "code": "not_found",
            "error": "item 'item-0' is not staged (after 1 attempt(s))",
        }
    ]
    assert (output["processed"], output["failedCount"]) == (1, 1)


def test_recording_a_failure_holds_the_items_window_slot(mocker: MockerFixture) -> None:
    """The failed row is written in the item's slot: the window bound counts it too."""
    down = transient("process_batch_item")
    script = {f"item-{n}": [down] for n in range(0, 12, 2)}
    world = ChunkWorld(ids(12), limit=3, script=script, seed=4)

    output, _ = run_chunk(mocker, world, 3)

    assert len(world.record_requests) == 6
    assert (output["processed"], output["failedCount"]) == (6, 6)


def test_a_failure_that_cannot_be_recorded_fails_the_chunk(mocker: MockerFixture) -> None:
    """Without its row the item would be missing from /results: the parent retries the chunk."""
    world = ChunkWorld(ids(3), limit=3, script={"item-1": [transient("process_batch_item")]})
    world.record_failure = permanent("record_batch_item_failure", ErrorCode.VALIDATION, "bad")

    with pytest.raises(Exception, match="record_batch_item_failure"):
        run_chunk(mocker, world, 3)


def test_the_results_table_wins_over_a_lost_last_attempt(mocker: MockerFixture) -> None:
    """The last attempt wrote its row but its answer was lost: the item counts as processed."""
    down = transient("process_batch_item")
    world = ChunkWorld(
        ids(3),
        limit=3,
        script={"item-1": [down]},
        recorded={"item-1": {"itemId": "item-1", "status": "processed"}},
    )

    output, _ = run_chunk(mocker, world, 3)

    assert (output["processed"], output["failedCount"]) == (3, 0)


def test_a_chunk_reports_counts_only_however_many_items_fail(mocker: MockerFixture) -> None:
    """Its output is in the parent's history, replayed on every parent episode: no lists."""
    count = MAX_REPORTED_FAILURES + 20
    world = ChunkWorld(ids(count), limit=8, script={i: ["reject"] for i in ids(count)})

    output, _ = run_chunk(mocker, world, 8)

    assert output == {"chunkIndex": 0, "total": count, "processed": 0, "failedCount": count}


def test_chunk_progress_is_published_per_item(mocker: MockerFixture) -> None:
    world = ChunkWorld(ids(4), limit=2, script={"item-3": ["reject"]})

    _, driver = run_chunk(mocker, world, 2)

    assert driver.custom_statuses[0] == {"chunkIndex": 0, "total": 4, "processed": 0, "failed": 0}
    assert driver.custom_status == {"chunkIndex": 0, "total": 4, "processed": 3, "failed": 1}
    assert len(driver.custom_statuses) == 5


def test_a_chunk_that_cannot_list_its_items_fails(mocker: MockerFixture) -> None:
    world = ChunkWorld(ids(3), limit=2)
    world.list_failure = permanent("list_batch_chunk_items", ErrorCode.NOT_FOUND, "not staged")

    with pytest.raises(Exception, match="not staged"):
        run_chunk(mocker, world, 2)


def test_a_chunk_refuses_invalid_input(mocker: MockerFixture) -> None:
    driver = OrchestrationDriver(mocker, chunk_orchestrator, input={**chunk_input(3, 0)})

    with pytest.raises(InvalidOrchestrationInput, match="maxParallel"):
        driver.run(lambda task: None)


# --- the parent -------------------------------------------------------------------------------


class ParentWorld:
    """Answers the parent's tasks: chunk sub-orchestrations by a callback, the claim, timers,
    and the failure listing from `failed_rows` (the results table's failed rows)."""

    def __init__(
        self,
        chunk: Callable[[dict[str, Any], str], Any],
        lanes: int,
        claimed: bool | Exception = True,
        seed: int = 2,
        failed_rows: list[str] | None = None,
        chunk_tally: dict[str, int] | Exception | None = None,
    ) -> None:
        self.chunk = chunk
        self.lanes = lanes
        self.claimed = claimed
        self.rng = random.Random(seed)
        self.max_chunks_in_flight = 0
        self.claims: list[dict[str, Any]] = []
        self.failed_rows = sorted(failed_rows or [])
        self.listings: list[dict[str, Any]] = []
        self.listing_failure: Exception | None = None
        self.chunk_tally = chunk_tally
        self.chunk_records: list[dict[str, Any]] = []

    def __call__(self, task: FakeTask) -> Any:
        if task.kind == "activity" and task.name == "claim_batch_counter_signal":
            self.claims.append(task.input)
            if isinstance(self.claimed, Exception):
                raise self.claimed
            return {"claimed": self.claimed}
        if task.kind == "activity" and task.name == "list_batch_failures":
            return self._list_failures(task.input)
        assert task.kind == "any", task
        winner = self.rng.choice(task.children)
        if winner.name == "record_batch_chunk_failure":  # in the given-up chunk's lane
            self.chunk_records.append(winner.input)
            if isinstance(self.chunk_tally, Exception):
                return winner.resolved(self.chunk_tally)
            assert self.chunk_tally is not None, "no tally scripted for a failed chunk"
            return winner.resolved(self.chunk_tally)
        assert len(task.children) <= self.lanes
        subs = sum(1 for child in task.children if child.kind == "sub_orchestrator")
        self.max_chunks_in_flight = max(self.max_chunks_in_flight, subs)
        if winner.kind == "timer":
            return winner.resolved(None)
        assert winner.name == "process_batch_chunk"
        assert winner.instance_id is not None
        try:
            return winner.resolved(self.chunk(winner.input, winner.instance_id))
        except Exception as exc:
            return winner.resolved(exc)

    def _list_failures(self, request: dict[str, Any]) -> dict[str, Any]:
        self.listings.append(request)
        if self.listing_failure is not None:
            raise self.listing_failure
        after = request.get("after")
        rows = [r for r in self.failed_rows if after is None or r > after]
        page = rows[: request["top"]]
        return {
            "failures": [{"id": r, "code": "validation", "error": "bad"} for r in page],
            "more": len(rows) > len(page),
        }


def all_processed(chunk: dict[str, Any], instance_id: str) -> dict[str, Any]:
    return {
        "chunkIndex": chunk["chunkIndex"],
        "total": chunk["itemCount"],
        "processed": chunk["itemCount"],
        "failedCount": 0,
    }


def parent_input(total: int, chunk_size: int, max_parallel: int) -> dict[str, Any]:
    plan = plan_batch(total, chunk_size, max_parallel, None)
    return {"batchId": "b1", "plan": plan.to_json()}


def run_parent(
    mocker: MockerFixture, world: ParentWorld, input_: dict[str, Any]
) -> tuple[Any, OrchestrationDriver]:
    driver = OrchestrationDriver(mocker, parent_orchestrator, input=input_, instance_id="b1")
    return driver.run(world), driver


def test_items_are_split_into_chunk_sub_orchestrations(mocker: MockerFixture) -> None:
    input_ = parent_input(total=45, chunk_size=10, max_parallel=32)
    assert (input_["plan"]["lanes"], input_["plan"]["chunkParallel"]) == (2, 16)
    world = ParentWorld(all_processed, lanes=2)

    output, driver = run_parent(mocker, world, input_)

    subs = sorted(
        unique([t for t in driver._atomic_yielded() if t.kind == "sub_orchestrator"]),
        key=lambda t: t.input["chunkIndex"],
    )
    assert [s.instance_id for s in subs] == [f"b1:chunk-{n}" for n in range(5)]
    assert [s.input["itemCount"] for s in subs] == [10, 10, 10, 10, 5]
    assert [s.input["firstPosition"] for s in subs] == [0, 10, 20, 30, 40]
    assert {s.input["maxParallel"] for s in subs} == {16}
    assert world.max_chunks_in_flight == 2  # 2 chunks x 16 items = maxParallel 32
    assert output["processed"] == 45
    assert output["status"] == "completed"
    assert (output["chunks"], output["chunkSize"], output["maxParallel"]) == (5, 10, 32)
    assert world.listings == []  # nothing failed: no failures to read back


def test_progress_is_published_as_chunks_complete(mocker: MockerFixture) -> None:
    _, driver = run_parent(mocker, ParentWorld(all_processed, lanes=1), parent_input(25, 10, 4))

    assert [(s["stage"], s["chunksDone"], s["processed"]) for s in driver.custom_statuses] == [
        ("processing", 0, 0),
        ("processing", 1, 10),
        ("processing", 2, 20),
        ("processing", 3, 25),
        ("finished", 3, 25),
    ]
    assert driver.custom_status["total"] == 25


def test_the_processed_count_is_signalled_once_to_the_counter(mocker: MockerFixture) -> None:
    world = ParentWorld(all_processed, lanes=1)

    output, driver = run_parent(mocker, world, parent_input(25, 10, 4))

    assert output["counterSignalled"] is True
    (call,) = driver.context.signal_entity.call_args_list
    entity, operation, amount = call.args
    assert (entity.name, entity.key, operation, amount) == ("counter", "items-processed", "add", 25)
    assert world.claims == [{"batchId": "b1", "claimToken": world.claims[0]["claimToken"]}]


def test_a_batch_counted_by_an_earlier_execution_is_not_counted_again(
    mocker: MockerFixture,
) -> None:
    output, driver = run_parent(
        mocker, ParentWorld(all_processed, lanes=1, claimed=False), parent_input(5, 10, 4)
    )

    assert output["counterSignalled"] is False
    driver.context.signal_entity.assert_not_called()


def test_a_failing_claim_does_not_fail_the_batch(mocker: MockerFixture) -> None:
    refused = permanent("claim_batch_counter_signal", ErrorCode.VALIDATION, "bad")
    world = ParentWorld(all_processed, lanes=1, claimed=refused)

    output, driver = run_parent(mocker, world, parent_input(5, 10, 4))

    assert (output["status"], output["counterSignalled"]) == ("completed", False)
    driver.context.signal_entity.assert_not_called()


def test_nothing_is_signalled_when_nothing_was_processed(mocker: MockerFixture) -> None:
    def all_failed(chunk: dict[str, Any], _: str) -> dict[str, Any]:
        return {**all_processed(chunk, _), "processed": 0, "failedCount": 3}

    world = ParentWorld(all_failed, lanes=1, failed_rows=["i0", "i1", "i2"])
    output, driver = run_parent(mocker, world, parent_input(3, 10, 4))

    assert (output["processed"], output["failedCount"]) == (0, 3)
    assert output["status"] == "completed_with_failures"
    assert [f["id"] for f in output["failed"]] == ["i0", "i1", "i2"]
    assert output["failuresTruncated"] is False
    assert world.claims == []
    driver.context.signal_entity.assert_not_called()


def test_a_failed_chunk_is_retried_under_a_new_instance_id(mocker: MockerFixture) -> None:
    def flaky(chunk: dict[str, Any], instance_id: str) -> dict[str, Any]:
        if instance_id == "b1:chunk-1":
            raise crashed("process_batch_chunk", "Orchestrator function failed: worker died")
        return all_processed(chunk, instance_id)

    output, driver = run_parent(mocker, ParentWorld(flaky, lanes=1), parent_input(20, 10, 4))

    started = [t.instance_id for t in unique(list(driver._atomic_yielded())) if t.instance_id]
    assert started == ["b1:chunk-0", "b1:chunk-1", "b1:chunk-1:attempt-2"]
    assert [t.fire_at for t in unique(driver.timers)] == [DEFAULT_START + timedelta(minutes=1)]
    assert output["processed"] == 20
    assert output["failedChunks"] == []


def broken(chunk: dict[str, Any], instance_id: str) -> dict[str, Any]:
    if chunk["chunkIndex"] == 0:
        raise crashed("process_batch_chunk", "storage down")
    return all_processed(chunk, instance_id)


def test_a_chunk_failing_every_attempt_gets_failed_rows_and_the_batch_completes(
    mocker: MockerFixture,
) -> None:
    """Chunk 0 priced 4 of its 10 items before failing for good: those keep their rows."""
    rows = [f"c0-{n}" for n in range(6)]
    world = ParentWorld(
        broken, lanes=1, failed_rows=rows, chunk_tally={"processed": 4, "failed": 6}
    )

    output, _ = run_parent(mocker, world, parent_input(15, 10, 4))

    (record,) = world.chunk_records
    assert (record["batchId"], record["chunkIndex"], record["code"]) == ("b1", 0, "unexpected")
    assert record["error"].startswith("chunk 0 failed after 3 attempt(s): ")
    assert "storage down" in record["error"]
    assert output["failedChunks"] == [
        {
            "chunkIndex": 0,
            "itemCount": 10,
            "code": "unexpected",
            "error": output["failedChunks"][0]["error"],
            "resultsRecorded": True,
        }
    ]
    assert "storage down" in output["failedChunks"][0]["error"]
    assert (output["processed"], output["failedCount"]) == (5 + 4, 6)
    assert output["status"] == "completed_with_failures"
    assert [f["id"] for f in output["failed"]] == rows  # listed by /results too
    assert output["failuresTruncated"] is False


def test_a_failed_chunk_whose_rows_cannot_be_written_says_so(mocker: MockerFixture) -> None:
    down = transient("record_batch_chunk_failure", ErrorCode.UNAVAILABLE, "storage down")
    world = ParentWorld(broken, lanes=1, chunk_tally=down)

    output, _ = run_parent(mocker, world, parent_input(15, 10, 4))

    assert len(world.chunk_records) == batch.CHUNK_STEP_BACKOFF.max_attempts
    assert output["failedChunks"][0]["resultsRecorded"] is False
    assert (output["processed"], output["failedCount"]) == (5, 10)
    assert (output["failed"], output["failuresTruncated"]) == ([], True)
    assert output["status"] == "completed_with_failures"


def test_failed_chunk_items_missing_from_staging_count_as_failed_and_unrecorded(
    mocker: MockerFixture,
) -> None:
    rows = [f"c0-{n}" for n in range(5)]
    world = ParentWorld(
        broken, lanes=1, failed_rows=rows, chunk_tally={"processed": 2, "failed": 5}
    )

    output, _ = run_parent(mocker, world, parent_input(15, 10, 4))

    assert output["failedChunks"][0]["resultsRecorded"] is False  # 3 of 10 items have no row
    assert (output["processed"], output["failedCount"]) == (5 + 2, 8)
    assert [f["id"] for f in output["failed"]] == rows
    assert output["failuresTruncated"] is True


def half_failed(chunk: dict[str, Any], _: str) -> dict[str, Any]:
    return {**all_processed(chunk, _), "processed": 40, "failedCount": 60}


def failed_rows(chunks: int) -> list[str]:
    return [f"c{n}-{i:02d}" for n in range(chunks) for i in range(60)]


def test_the_first_failures_are_read_back_from_the_results_table_in_pages(
    mocker: MockerFixture,
) -> None:
    """Chunks report counts; the parent reads the first failed rows once, at the end."""
    world = ParentWorld(half_failed, lanes=2, failed_rows=failed_rows(3))

    output, driver = run_parent(mocker, world, parent_input(300, 100, 32))

    assert (output["processed"], output["failedCount"]) == (120, 180)
    assert world.listings == [
        {"batchId": "b1", "after": None, "top": FAILURE_LISTING_PAGE},
        {"batchId": "b1", "after": "c0-49", "top": MAX_REPORTED_FAILURES - FAILURE_LISTING_PAGE},
    ]
    assert [f["id"] for f in output["failed"]] == sorted(failed_rows(3))[:MAX_REPORTED_FAILURES]
    assert output["failed"][0] == {"id": "c0-00", "code": "validation", "error": "bad"}
    assert output["failuresTruncated"] is True
    # ... after every chunk is done: the reads are the last activities but the claim.
    names = [a.name for a in driver.activities]
    assert names == ["list_batch_failures", "list_batch_failures", "claim_batch_counter_signal"]


def test_a_short_failure_list_is_read_in_one_page_and_not_truncated(
    mocker: MockerFixture,
) -> None:
    def few_failed(chunk: dict[str, Any], _: str) -> dict[str, Any]:
        return {**all_processed(chunk, _), "processed": chunk["itemCount"] - 2, "failedCount": 2}

    rows = [f"item-{n}" for n in range(6)]
    world = ParentWorld(few_failed, lanes=1, failed_rows=rows)

    output, _ = run_parent(mocker, world, parent_input(30, 10, 4))

    assert world.listings == [{"batchId": "b1", "after": None, "top": FAILURE_LISTING_PAGE}]
    assert [f["id"] for f in output["failed"]] == rows
    assert output["failuresTruncated"] is False


def test_failures_that_cannot_be_read_back_do_not_fail_the_batch(mocker: MockerFixture) -> None:
    world = ParentWorld(half_failed, lanes=1, failed_rows=failed_rows(1))
    world.listing_failure = permanent("list_batch_failures", ErrorCode.VALIDATION, "bad")

    output, _ = run_parent(mocker, world, parent_input(100, 100, 4))

    assert output["status"] == "completed_with_failures"
    assert (output["failedCount"], output["failed"], output["failuresTruncated"]) == (60, [], True)
    assert output["counterSignalled"] is True


def test_the_parent_refuses_an_inconsistent_plan(mocker: MockerFixture) -> None:
    input_ = parent_input(45, 10, 32)
    input_["plan"]["lanes"] = 4  # 4 lanes x 16 > maxParallel 32

    driver = OrchestrationDriver(mocker, parent_orchestrator, input=input_)
    with pytest.raises(InvalidOrchestrationInput):
        driver.run(lambda task: None)
