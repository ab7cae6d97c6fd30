"""Activities of the batch import: list a chunk, price one item, record a failure (of an item,
or of every item of a chunk given up on), read the first failures back, claim the count.

Every effect is keyed by (batch id, item id) in the results table, so an activity that runs
twice, or a chunk that is retried as a whole, prices and records each item once. Payloads
stay small whatever the batch size: ids and failures cross in pages, one failure per call.
Business-rule rejections are results (`failed` rows), not exceptions: the item was handled.
Exceptions are for what retrying may fix (storage faults, as `TransientError`) and for input
that can never work (`PermanentError`).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from activities.boundary import Activities
from shared import batch_store
from shared.batch_store import BatchItemRecord, ItemResult
from shared.errors import ErrorCode, PermanentError
from shared.models.batches.activities import (
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
from shared.models.batches.items import (
    ItemFailure,
    ItemStatus,
    PriceUpdate,
    short_code,
    short_error,
)

activity = Activities()
bp = activity.bp

#: Currencies the shop sells in. An item in any other currency fails (and only that item).
SUPPORTED_CURRENCIES: Final = frozenset({"CHF", "EUR", "GBP", "SEK", "USD"})
CENT: Final = Decimal("0.01")


def price_item(item: PriceUpdate) -> ItemResult:
    """The final price after discount, or why this item cannot be priced (deterministic)."""
    if item.currency not in SUPPORTED_CURRENCIES:
        return ItemResult(
            ItemStatus.FAILED,
            item,
            code=ErrorCode.VALIDATION,
            error=f"currency '{item.currency}' is not supported "
            f"(supported: {', '.join(sorted(SUPPORTED_CURRENCIES))})",
        )
    final = (item.base_price * (100 - item.discount_percent) / 100).quantize(
        CENT, rounding=ROUND_HALF_UP
    )
    if final < CENT:
        return ItemResult(
            ItemStatus.FAILED,
            item,
            code=ErrorCode.VALIDATION,
            error=f"a {item.discount_percent}% discount leaves no positive price",
        )
    return ItemResult(ItemStatus.PROCESSED, item, final_price=final)


def _as_result(record: BatchItemRecord) -> BatchItemResult:
    return BatchItemResult(
        item_id=record.id,
        status=record.status,
        code=record.code,
        error=short_error(record.error) if record.error else None,
    )


@activity(ChunkPageRef)
def list_batch_chunk_items(ref: ChunkPageRef) -> ChunkItemIds:
    """One page of a chunk's item ids, by position; a page with gaps is a permanent failure."""
    item_ids = batch_store.list_chunk_item_ids_page(
        ref.batch_id, ref.chunk_index, ref.first_position, ref.count
    )
    if len(item_ids) != ref.count:
        last = ref.first_position + ref.count - 1
        raise PermanentError(
            ErrorCode.NOT_FOUND,
            f"chunk {ref.chunk_index} of batch '{ref.batch_id}' has {len(item_ids)} staged "
            f"items at positions {ref.first_position}-{last}, expected {ref.count}",
        )
    return ChunkItemIds(item_ids=item_ids)


@activity(BatchItemRequest)
def price_batch_item(job: BatchItemRequest) -> BatchItemResult:
    """Price one staged item and record its result row, once per (batch, item)."""
    return _price_and_record(job)


@activity(BatchItemRequest)
def process_batch_item(job: BatchItemRequest) -> BatchItemResult:
    """`price_batch_item` under the name that chunks of versions before 1.1 call.

    Remove it once no such chunk runs (docs/changing-orchestrations.md).
    """
    return _price_and_record(job)


def _price_and_record(job: BatchItemRequest) -> BatchItemResult:
    item = batch_store.load_item(job.batch_id, job.chunk_index, job.item_id)
    if item is None:
        raise PermanentError(
            ErrorCode.NOT_FOUND,
            f"item '{job.item_id}' is not staged in chunk {job.chunk_index} "
            f"of batch '{job.batch_id}'",
        )
    # Pricing is pure, so it may run again; only the first recorded result counts.
    record, _ = batch_store.record_result(job.batch_id, job.item_id, price_item(item))
    return _as_result(record)


@activity(RecordFailureRequest)
def record_batch_item_failure(job: RecordFailureRequest) -> BatchItemResult:
    """Write the row of an item that could not be priced; an existing row (even `processed`) wins.

    The orchestrator counts what this returns, so counts and results table agree even when
    the item's last attempt did write its row but the answer never reached the orchestrator.
    """
    failure = job.failure
    record, _ = batch_store.record_result(
        job.batch_id,
        failure.id,
        ItemResult(ItemStatus.FAILED, code=failure.code, error=failure.error),
    )
    return _as_result(record)


@activity(ChunkFailureRecord)
def record_batch_chunk_failure(job: ChunkFailureRecord) -> ChunkTally:
    """A `failed` row for each item of a chunk the parent gave up on, unless it has a result.

    Without these rows the chunk's items would count as failed but be missing from
    `/results?status=failed`. Returns the chunk's counts as its rows now say.
    """
    processed, failed = batch_store.record_chunk_failure(
        job.batch_id, job.chunk_index, job.code, job.error
    )
    return ChunkTally(processed=processed, failed=failed)


@activity(FailureListingRequest)
def list_batch_failures(query: FailureListingRequest) -> FailureListing:
    """Read-only: a page of the batch's failed rows in item-id order, for the parent's output."""
    records, more = batch_store.first_failures(query.batch_id, query.after, query.top)
    failures = [
        ItemFailure(
            id=record.id,
            code=short_code(record.code or ErrorCode.UNEXPECTED),
            error=short_error(record.error or "failed"),
        )
        for record in records
    ]
    return FailureListing(failures=failures, more=more)


@activity(CounterClaim)
def claim_batch_counter_signal(claim: CounterClaim) -> CounterClaimResult:
    claimed = batch_store.claim_counter_signal(claim.batch_id, claim.claim_token)
    return CounterClaimResult(claimed=claimed)
