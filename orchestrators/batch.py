"""Fan-out/fan-in: price up to 10,000 staged items in chunk sub-orchestrations.

`process_batch` (the parent) runs the plan's chunks as sub-orchestrations, `lanes` at a
time, each with a window of `chunkParallel` item activities: never more than `maxParallel`
activities are in flight across the whole batch. Its history holds a handful of events per
chunk, and each chunk's history stays bounded by the chunk size, because Python replays a
whole history on every wake-up.

`process_batch_chunk` lists its item ids (a page at a time), then prices them through a
sliding window (`orchestrators.window`). A transient failure is retried with backoff inside
the item's slot; an item whose retries run out, or that breaks a business rule, counts as
failed without failing the chunk. A chunk that fails anyway is retried by the parent under a
new instance id (items are idempotent, so finished ones are not redone) and, if it keeps
failing, reported by index so the batch still completes: its items without a result get a
`failed` row with the chunk's error, and it counts as its rows then say.

Failures live in the results table only: every failed item has a row there, a chunk returns
counts, and the parent reads the first `MAX_REPORTED_FAILURES` rows back once, at the end, for
its output. So no history holds lists that grow with the batch (every episode replays the
whole history, and payloads over ~45 KB go to blobs).

Once all chunks are done the parent adds the processed count to counter `items-processed`,
once per batch: the signal is recorded in history (sent once per execution), and a claim
row keeps a restarted execution of the same batch from counting it again.
"""

from __future__ import annotations

import itertools
from collections.abc import Generator
from datetime import timedelta
from typing import Any, Final, NamedTuple

import azure.durable_functions as df
from azure.durable_functions.models.Task import TaskBase

from orchestrators.common import read_input, replay_safe_logger
from orchestrators.retry import Backoff, StepFailed, call_activity_with_backoff, retry_with_backoff
from orchestrators.versions import is_at_least
from orchestrators.window import run_windowed
from shared import instance_ids
from shared.models.batches.activities import (
    CHUNK_LISTING_PAGE,
    FAILURE_LISTING_PAGE,
    BatchItemRequest,
    BatchItemResult,
    ChunkFailureRecord,
    ChunkItemIds,
    ChunkPageRef,
    ChunkTally,
    CounterClaim,
    CounterClaimResult,
    FailureListing,
    FailureListingRequest,
    RecordFailureRequest,
)
from shared.models.batches.items import ItemFailure, ItemStatus, short_code, short_error
from shared.models.batches.workflow import (
    MAX_REPORTED_FAILURES,
    BatchInput,
    BatchOutcome,
    BatchProgress,
    BatchStage,
    BatchSummary,
    ChunkFailure,
    ChunkInput,
    ChunkProgress,
    ChunkSummary,
)
from shared.models.counters import COUNTER_ENTITY, ITEMS_PROCESSED_KEY, CounterOperation

bp = df.Blueprint()

CHUNK_ORCHESTRATOR: Final = "process_batch_chunk"

#: The release whose chunks call the item activity `price_batch_item`. Chunks of older versions
#: are replayed against what they scheduled, `process_batch_item` (kept registered for them).
PRICE_BATCH_ITEM_SINCE: Final = "1.1"

#: One item's transient failures: four attempts over about a minute, then it counts as failed.
ITEM_BACKOFF: Final = Backoff(
    max_attempts=4,
    first_delay=timedelta(seconds=5),
    multiplier=3,
    max_delay=timedelta(seconds=45),
)
#: Bookkeeping steps (listing ids, recording or reading failures): a bit more patience.
CHUNK_STEP_BACKOFF: Final = Backoff(
    max_attempts=5, first_delay=timedelta(seconds=5), max_delay=timedelta(minutes=1)
)
#: A whole chunk that failed: retried twice, minutes apart, under new instance ids.
CHUNK_BACKOFF: Final = Backoff(
    max_attempts=3, first_delay=timedelta(minutes=1), max_delay=timedelta(minutes=5)
)
#: The counter claim before the signal.
CLAIM_BACKOFF: Final = Backoff(max_attempts=4, first_delay=timedelta(seconds=5))


class ChunkOutcome(NamedTuple):
    """How a chunk ended, as the parent counts it: its counts, and its failure if it failed."""

    counts: ChunkSummary
    failure: ChunkFailure | None = None


# --- the parent ------------------------------------------------------------------------------


@bp.orchestration_trigger(context_name="context")
def process_batch(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    batch = read_input(context, BatchInput)
    plan = batch.plan
    progress = BatchProgress(
        stage=BatchStage.PROCESSING,
        total=plan.total_items,
        processed=0,
        failed=0,
        chunks=plan.chunk_count,
        chunks_done=0,
        max_parallel=plan.max_parallel,
    )
    context.set_custom_status(progress.to_json())

    def chunk_done(_: int, outcome: ChunkOutcome) -> None:
        nonlocal progress
        progress = progress.model_copy(
            update={
                "processed": progress.processed + outcome.counts.processed,
                "failed": progress.failed + outcome.counts.failed_count,
                "chunks_done": progress.chunks_done + 1,
            }
        )
        context.set_custom_status(progress.to_json())

    jobs = (_run_chunk(context, batch, index) for index in range(plan.chunk_count))
    outcomes = yield from run_windowed(context, jobs, plan.lanes, on_done=chunk_done)
    failed_count = sum(outcome.counts.failed_count for outcome in outcomes)
    failures = yield from _first_failures(context, batch.batch_id, failed_count)
    summary = _summarize(batch, outcomes, failures)

    signalled = yield from _count_processed_items(context, batch.batch_id, summary.processed)
    context.set_custom_status(progress.model_copy(update={"stage": BatchStage.FINISHED}).to_json())
    return summary.model_copy(update={"counter_signalled": signalled}).to_json()


def _run_chunk(
    context: df.DurableOrchestrationContext, batch: BatchInput, chunk_index: int
) -> Generator[TaskBase, Any, ChunkOutcome]:
    item_count = batch.plan.chunk_item_count(chunk_index)
    chunk = ChunkInput(
        batch_id=batch.batch_id,
        chunk_index=chunk_index,
        first_position=chunk_index * batch.plan.chunk_size,
        item_count=item_count,
        max_parallel=batch.plan.chunk_parallel,
    ).to_json()
    attempts = itertools.count(1)

    def start_attempt() -> TaskBase:
        instance_id = instance_ids.batch_chunk(batch.batch_id, chunk_index, next(attempts))
        return context.call_sub_orchestrator(CHUNK_ORCHESTRATOR, chunk, instance_id)

    try:
        output = yield from retry_with_backoff(
            context, start_attempt, f"chunk-{chunk_index}", CHUNK_BACKOFF
        )
    except StepFailed as failed:
        replay_safe_logger(context, __name__).error("chunk %d failed: %s", chunk_index, failed)
        return (yield from _give_up_chunk(context, batch.batch_id, chunk_index, item_count, failed))
    return ChunkOutcome(ChunkSummary.from_json(output))


def _give_up_chunk(
    context: df.DurableOrchestrationContext,
    batch_id: str,
    chunk_index: int,
    item_count: int,
    failed: StepFailed,
) -> Generator[TaskBase, Any, ChunkOutcome]:
    """Give the chunk's items without a result a `failed` row, and count them as the rows say.

    Items the chunk finished before failing keep their rows (and count as processed); an item
    whose row cannot be written (storage kept failing) counts as failed, unlisted, and the
    chunk's `resultsRecorded` says so.
    """
    code = short_code(failed.failure.code)
    record = ChunkFailureRecord(
        batch_id=batch_id,
        chunk_index=chunk_index,
        code=code,
        error=short_error(
            f"chunk {chunk_index} failed after {failed.attempts} attempt(s): "
            f"{failed.failure.message}"
        ),
    )
    try:
        raw = yield from call_activity_with_backoff(
            context, "record_batch_chunk_failure", record.to_json(), CHUNK_STEP_BACKOFF
        )
        tally = ChunkTally.from_json(raw)
    except StepFailed as unrecorded:
        replay_safe_logger(context, __name__).error(
            "chunk %d: failed rows not written: %s", chunk_index, unrecorded
        )
        tally = ChunkTally(processed=0, failed=0)
    processed = min(tally.processed, item_count)
    failure = ChunkFailure(
        chunk_index=chunk_index,
        item_count=item_count,
        code=code,
        error=short_error(failed.failure.message),
        results_recorded=tally.processed + tally.failed == item_count,
    )
    counts = ChunkSummary(
        chunk_index=chunk_index,
        total=item_count,
        processed=processed,
        failed_count=item_count - processed,
    )
    return ChunkOutcome(counts, failure)


def _first_failures(
    context: df.DurableOrchestrationContext, batch_id: str, failed_count: int
) -> Generator[TaskBase, Any, list[ItemFailure]]:
    """The first failed rows of the results table, in item-id order, for the output.

    Read once, after every chunk is done, in pages that keep each payload small. If the
    table cannot be read the batch still completes; its output lists fewer failures.
    """
    listed: list[ItemFailure] = []
    after: str | None = None
    while len(listed) < min(failed_count, MAX_REPORTED_FAILURES):
        page = FailureListingRequest(
            batch_id=batch_id,
            after=after,
            top=min(FAILURE_LISTING_PAGE, MAX_REPORTED_FAILURES - len(listed)),
        )
        try:
            raw = yield from call_activity_with_backoff(
                context, "list_batch_failures", page.to_json(), CHUNK_STEP_BACKOFF
            )
        except StepFailed as failed:
            replay_safe_logger(context, __name__).error("failures not listed: %s", failed)
            break
        answer = FailureListing.from_json(raw)
        listed += answer.failures
        if not answer.more or not answer.failures:
            break
        after = answer.failures[-1].id
    return listed


def _summarize(
    batch: BatchInput, outcomes: list[ChunkOutcome], listed: list[ItemFailure]
) -> BatchSummary:
    failed_chunks = [o.failure for o in outcomes if o.failure is not None]
    processed = sum(outcome.counts.processed for outcome in outcomes)
    failed_count = sum(outcome.counts.failed_count for outcome in outcomes)
    return BatchSummary(
        batch_id=batch.batch_id,
        status=BatchOutcome.COMPLETED_WITH_FAILURES if failed_count else BatchOutcome.COMPLETED,
        total=batch.plan.total_items,
        processed=processed,
        failed_count=failed_count,
        failed=listed,
        failures_truncated=len(listed) < failed_count,
        failed_chunks=failed_chunks,
        chunks=batch.plan.chunk_count,
        chunk_size=batch.plan.chunk_size,
        max_parallel=batch.plan.max_parallel,
        counter_signalled=False,
    )


def _count_processed_items(
    context: df.DurableOrchestrationContext, batch_id: str, processed: int
) -> Generator[TaskBase, Any, bool]:
    """Signal `add processed` to the counter, unless another execution already counted it."""
    if processed == 0:
        return False
    claim = CounterClaim(batch_id=batch_id, claim_token=str(context.new_uuid()))
    try:
        raw = yield from call_activity_with_backoff(
            context, "claim_batch_counter_signal", claim.to_json(), CLAIM_BACKOFF
        )
    except StepFailed as failed:
        replay_safe_logger(context, __name__).error("counter not updated: %s", failed)
        return False
    if not CounterClaimResult.from_json(raw).claimed:
        return False
    context.signal_entity(
        df.EntityId(COUNTER_ENTITY, ITEMS_PROCESSED_KEY), CounterOperation.ADD.value, processed
    )
    return True


# --- a chunk ---------------------------------------------------------------------------------


@bp.orchestration_trigger(context_name="context")
def process_batch_chunk(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    chunk = read_input(context, ChunkInput)
    item_ids = yield from _list_item_ids(context, chunk)
    progress = ChunkProgress(chunk_index=chunk.chunk_index, total=len(item_ids))
    context.set_custom_status(progress.to_json())

    def item_done(_: int, result: BatchItemResult) -> None:
        nonlocal progress
        field = "processed" if result.status is ItemStatus.PROCESSED else "failed"
        progress = progress.model_copy(update={field: getattr(progress, field) + 1})
        context.set_custom_status(progress.to_json())

    jobs = (_price_item(context, chunk, item_id) for item_id in item_ids)
    results = yield from run_windowed(context, jobs, chunk.max_parallel, on_done=item_done)
    failed = sum(1 for result in results if result.status is ItemStatus.FAILED)
    return ChunkSummary(
        chunk_index=chunk.chunk_index,
        total=len(results),
        processed=len(results) - failed,
        failed_count=failed,
    ).to_json()


def _list_item_ids(
    context: df.DurableOrchestrationContext, chunk: ChunkInput
) -> Generator[TaskBase, Any, list[str]]:
    """The chunk's ids in pages (1,000 ids of 100 characters would be a ~100 KB payload)."""
    item_ids: list[str] = []
    for offset in range(0, chunk.item_count, CHUNK_LISTING_PAGE):
        page = ChunkPageRef(
            batch_id=chunk.batch_id,
            chunk_index=chunk.chunk_index,
            first_position=chunk.first_position + offset,
            count=min(CHUNK_LISTING_PAGE, chunk.item_count - offset),
        )
        raw = yield from call_activity_with_backoff(
            context, "list_batch_chunk_items", page.to_json(), CHUNK_STEP_BACKOFF
        )
        item_ids += ChunkItemIds.from_json(raw).item_ids
    return item_ids


def _price_item(
    context: df.DurableOrchestrationContext, chunk: ChunkInput, item_id: str
) -> Generator[TaskBase, Any, BatchItemResult]:
    """One item's slot: the activity with backoff and, if it gives up, the item's failed row.

    Returns what the results table holds for the item: a business-rule rejection is a row the
    activity wrote; an item whose retries ran out (or that hit a permanent error) gets its row
    here, unless a lost last attempt wrote one first (that row wins and is what counts).
    """
    request = BatchItemRequest(
        batch_id=chunk.batch_id, chunk_index=chunk.chunk_index, item_id=item_id
    ).to_json()
    try:
        raw = yield from call_activity_with_backoff(
            context, item_activity(context.version), request, ITEM_BACKOFF
        )
    except StepFailed as failed:
        failure = ItemFailure(
            id=item_id,
            code=short_code(failed.failure.code),
            error=short_error(f"{failed.failure.message} (after {failed.attempts} attempt(s))"),
        )
        raw = yield from call_activity_with_backoff(
            context,
            "record_batch_item_failure",
            RecordFailureRequest(batch_id=chunk.batch_id, failure=failure).to_json(),
            CHUNK_STEP_BACKOFF,
        )
    return BatchItemResult.from_json(raw)


def item_activity(version: str | None) -> str:
    """The name a chunk of `version` prices its items by (see `PRICE_BATCH_ITEM_SINCE`)."""
    if is_at_least(version, PRICE_BATCH_ITEM_SINCE):
        return "price_batch_item"
    return "process_batch_item"
