"""Activity contracts of the batch: what `list_batch_chunk_items`, `price_batch_item`,
`record_batch_item_failure`, `record_batch_chunk_failure`, `list_batch_failures` and
`claim_batch_counter_signal` take and return.
"""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import Field

from shared.models.base import Contract, Identifier
from shared.models.batches.items import (
    HARD_MAX_ITEMS,
    BatchId,
    ErrorCodeText,
    ErrorText,
    ItemFailure,
    ItemStatus,
    Position,
)

#: Activity payloads stay far below the ~45 KB at which Durable Functions moves a message to a
#: blob (and the bytes that every replay parses): lists that grow with a chunk or a batch cross
#: activity boundaries in pages. At the longest ids (100 chars) and error texts (300 chars):
#: ids per page of a chunk's listing (~21 KB) ...
CHUNK_LISTING_PAGE: Final = 200
#: ... and failures per page when the parent reads the first ones for its output (~23 KB).
FAILURE_LISTING_PAGE: Final = 50


class ChunkPageRef(Contract):
    """Input of `list_batch_chunk_items`: the ids staged at positions [first, first + count)."""

    batch_id: BatchId
    chunk_index: Annotated[int, Field(ge=0, lt=HARD_MAX_ITEMS)]
    first_position: Position
    count: Annotated[int, Field(ge=1, le=CHUNK_LISTING_PAGE)]


class ChunkItemIds(Contract):
    """Output of `list_batch_chunk_items`: one page of item ids in submission order."""

    item_ids: list[Identifier] = Field(max_length=CHUNK_LISTING_PAGE)


class BatchItemRequest(Contract):
    """Input of `price_batch_item`. Its idempotency key is (batch id, item id)."""

    batch_id: BatchId
    chunk_index: Annotated[int, Field(ge=0, lt=HARD_MAX_ITEMS)]
    item_id: Identifier


class BatchItemResult(Contract):
    """Output of `price_batch_item`: small on purpose, the details are in the results row."""

    item_id: Identifier
    status: ItemStatus
    code: str | None = None
    error: ErrorText | None = None


class RecordFailureRequest(Contract):
    """Input of `record_batch_item_failure`: an item that could not be priced, as a row.

    One item per call, in the item's own window slot: the payload stays small whatever the
    chunk size, and the window keeps counting the recording as the item's work.
    """

    batch_id: BatchId
    failure: ItemFailure


class ChunkFailureRecord(Contract):
    """Input of `record_batch_chunk_failure`: a chunk the parent gave up on.

    Every staged item of the chunk without a result gets a `failed` row with the chunk's
    error; rows already there keep their first result.
    """

    batch_id: BatchId
    chunk_index: Annotated[int, Field(ge=0, lt=HARD_MAX_ITEMS)]
    code: ErrorCodeText
    error: ErrorText


class ChunkTally(Contract):
    """Output of `record_batch_chunk_failure`: the chunk's staged items by their result row."""

    processed: Annotated[int, Field(ge=0, le=HARD_MAX_ITEMS)]
    failed: Annotated[int, Field(ge=0, le=HARD_MAX_ITEMS)]


class FailureListingRequest(Contract):
    """Input of `list_batch_failures`: failed rows in item-id order, after `after` if given."""

    batch_id: BatchId
    after: Identifier | None = None
    top: Annotated[int, Field(ge=1, le=FAILURE_LISTING_PAGE)]


class FailureListing(Contract):
    """Output of `list_batch_failures`: one page, and whether more failed rows follow."""

    failures: list[ItemFailure] = Field(max_length=FAILURE_LISTING_PAGE)
    more: bool


class CounterClaim(Contract):
    """Input of `claim_batch_counter_signal`: one token per orchestration execution."""

    batch_id: BatchId
    claim_token: Identifier


class CounterClaimResult(Contract):
    claimed: bool
