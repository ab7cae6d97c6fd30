"""Contracts of the batch pattern (fan-out/fan-in): a price-list import.

A caller posts up to 10,000 price updates. The starter stages them in a table and starts one
parent orchestration whose input is only a reference and a plan; the parent runs chunk
sub-orchestrations, each pricing its slice of items with a bounded window of activities.
Every item ends as one row in the results table: `processed` (with its final price) or
`failed` (with the reason).
"""

from __future__ import annotations

import math
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Final

from pydantic import Field, Strict, StringConstraints, field_validator, model_validator

from shared.models.approvals import APPROVAL_INSTANCE_PREFIX
from shared.models.base import Contract, DecimalText, Identifier, UnsignedZero
from shared.models.customers import ONBOARDING_PREFIX
from shared.models.health_monitors import HEALTH_MONITOR_INSTANCE_PREFIX
from shared.models.http import AcceptedResponse
from shared.models.monitors import MONITOR_INSTANCE_PREFIX
from shared.models.orders import INSTANCE_PREFIX as ORDER_INSTANCE_PREFIX

BATCHES_TABLE: Final = "Batches"
BATCH_ITEMS_TABLE: Final = "BatchItems"
BATCH_RESULTS_TABLE: Final = "BatchResults"

#: What any deployment accepts; `BATCH_MAX_ITEMS` may only lower it.
HARD_MAX_ITEMS: Final = 10_000
#: Failures listed in an orchestration output; the full list is `GET /batches/{id}/results`.
MAX_REPORTED_FAILURES: Final = 100
#: Activity payloads stay far below the ~45 KB at which Durable Functions moves a message to a
#: blob (and the bytes that every replay parses): lists that grow with a chunk or a batch cross
#: activity boundaries in pages. At the longest ids (100 chars) and error texts (300 chars):
#: ids per page of a chunk's listing (~21 KB) ...
CHUNK_LISTING_PAGE: Final = 200
#: ... and failures per page when the parent reads the first ones for its output (~23 KB).
FAILURE_LISTING_PAGE: Final = 50
#: More chunks run at once only when each still gets at least this many slots. A wide
#: window lets one episode take in many completions; narrow windows over several chunks cost
#: far more replays (2,000 items on the emulator: 4 chunks x 4 slots 109 s, 1 x 16 54 s).
MIN_CHUNK_WINDOW: Final = 16
#: Error texts and codes kept per failed item (outputs and rows stay small).
MAX_ERROR_CHARS: Final = 300
MAX_CODE_CHARS: Final = 40

#: Batch ids become instance ids with `:chunk-<n>` appended, so they carry no ':' themselves.
BatchId = Annotated[
    str,
    StringConstraints(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", max_length=64, strip_whitespace=True
    ),
]
#: A batch id is its orchestration's instance id, and every orchestration shares one namespace.
#: `process_batch` started under another pattern's id replaces that instance if it finished
#: (its history and output are gone: found by fuzzing with batchId `order-<orderId>`) or is
#: "joined" if it runs, so a chosen batch id may not begin like another pattern's ids.
OTHER_PATTERNS_ID_PREFIXES: Final = (
    ORDER_INSTANCE_PREFIX,
    ONBOARDING_PREFIX,
    APPROVAL_INSTANCE_PREFIX,
    MONITOR_INSTANCE_PREFIX,
    HEALTH_MONITOR_INSTANCE_PREFIX,
)


def _any_case(prefix: str) -> str:
    """`order-` as `[oO][rR][dD][eE][rR]-` (the prefixes hold only letters and '-')."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in prefix)


#: The same rule for the OpenAPI document, as a JSON Schema `not` (no lookahead needed).
_OTHER_PATTERNS_IDS = "^(" + "|".join(_any_case(p) for p in OTHER_PATTERNS_ID_PREFIXES) + ")"

Sku = Annotated[
    str,
    StringConstraints(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$", max_length=40, strip_whitespace=True
    ),
]
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$", max_length=3)]
Price = Annotated[
    Decimal,
    Field(gt=0, le=Decimal(1_000_000), max_digits=9, decimal_places=2),
    DecimalText(places=2),
]
Percent = Annotated[
    Decimal,
    Field(ge=0, le=100, max_digits=5, decimal_places=2),
    UnsignedZero,
    DecimalText(places=2),
]
ErrorText = Annotated[str, StringConstraints(max_length=MAX_ERROR_CHARS)]


def short_error(text: str) -> str:
    """An error text cut to what outputs and rows keep."""
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


def short_code(code: str) -> str:
    """An error code cut to what outputs and rows keep (codes are short `ErrorCode` values)."""
    return code[:MAX_CODE_CHARS]


# --- the request ---------------------------------------------------------------------------


class PriceUpdate(Contract):
    """One item: a new list price for a SKU. The batch prices it and records the result.

    Shape errors are a 400 for the whole request. Business rules are checked per item and
    make only that item fail: a currency the shop does not sell in (e.g. `XXX`), or a
    discount that leaves no positive price (e.g. `discountPercent: 100`).
    """

    id: Identifier = Field(description="Unique within the batch; names the item in results.")
    sku: Sku
    base_price: Price = Field(description="List price before discount, at most 2 decimals.")
    currency: CurrencyCode = Field(description="ISO 4217 code; see the supported list.")
    discount_percent: Percent = Field(Decimal(0), description="0-100, at most 2 decimals.")


class BatchRequest(Contract):
    """Body of `POST /api/batches`."""

    batch_id: BatchId | None = Field(
        None,
        description=(
            "Optional caller-chosen id (single use); minted when omitted. It is the instance "
            "id, so it may not start like another pattern's ids: "
            + ", ".join(f"`{prefix}`" for prefix in OTHER_PATTERNS_ID_PREFIXES)
            + " (any case)."
        ),
        json_schema_extra={"not": {"type": "string", "pattern": _OTHER_PATTERNS_IDS}},
    )
    items: list[PriceUpdate] = Field(min_length=1, max_length=HARD_MAX_ITEMS)
    max_parallel: Annotated[int, Strict(), Field(ge=1, le=1000)] | None = Field(
        None,
        description="Activities in flight at most; clamped to the server's BATCH_MAX_PARALLEL.",
    )

    @field_validator("batch_id")
    @classmethod
    def _not_another_patterns_id(cls, batch_id: str | None) -> str | None:
        if batch_id is not None and batch_id.lower().startswith(OTHER_PATTERNS_ID_PREFIXES):
            shown = ", ".join(f"'{prefix}'" for prefix in OTHER_PATTERNS_ID_PREFIXES)
            raise ValueError(f"must not start with {shown}: those are other orchestrations' ids")
        return batch_id

    @field_validator("items")
    @classmethod
    def _unique_ids(cls, items: list[PriceUpdate]) -> list[PriceUpdate]:
        seen: set[str] = set()
        duplicates: list[str] = []
        for item in items:
            if item.id in seen and item.id not in duplicates:
                duplicates.append(item.id)
            seen.add(item.id)
        if duplicates:
            shown = ", ".join(duplicates[:5]) + (" ..." if len(duplicates) > 5 else "")
            raise ValueError(f"item ids must be unique; repeated: {shown}")
        return items


# --- the plan the starter resolves -----------------------------------------------------------


class BatchPlan(Contract):
    """Limits resolved from settings by the starter, fixed for the life of the instance.

    `lanes` chunks run at once, each with a window of `chunk_parallel` activities, so at most
    `lanes * chunk_parallel == max_parallel` activities are in flight across the batch.
    """

    total_items: Annotated[int, Field(ge=1, le=HARD_MAX_ITEMS)]
    chunk_size: Annotated[int, Field(ge=1, le=HARD_MAX_ITEMS)]
    chunk_count: Annotated[int, Field(ge=1, le=HARD_MAX_ITEMS)]
    max_parallel: Annotated[int, Field(ge=1, le=1000)]
    requested_max_parallel: Annotated[int, Field(ge=1, le=1000)] | None = None
    lanes: Annotated[int, Field(ge=1, le=1000)]
    chunk_parallel: Annotated[int, Field(ge=1, le=1000)]

    @model_validator(mode="after")
    def _consistent(self) -> BatchPlan:
        if self.chunk_count != math.ceil(self.total_items / self.chunk_size):
            raise ValueError("chunkCount must be ceil(totalItems / chunkSize)")
        if self.lanes > self.chunk_count:
            raise ValueError("lanes cannot exceed chunkCount")
        if self.lanes * self.chunk_parallel > self.max_parallel:
            raise ValueError("lanes * chunkParallel cannot exceed maxParallel")
        return self

    def chunk_item_count(self, chunk_index: int) -> int:
        start = chunk_index * self.chunk_size
        return max(0, min(self.chunk_size, self.total_items - start))


def plan_batch(
    total_items: int, chunk_size: int, max_parallel_cap: int, requested: int | None
) -> BatchPlan:
    """Chunk the items and share the window between the chunks that run at once.

    The window is clamped to the server cap, then split evenly across as many concurrent
    chunks as keep each window at least `MIN_CHUNK_WINDOW` wide. Only divisors of the window
    are used, so the shares add up to exactly the effective `maxParallel`.
    """
    max_parallel = min(requested or max_parallel_cap, max_parallel_cap)
    chunk_count = math.ceil(total_items / chunk_size)
    most_lanes = max(1, min(chunk_count, max_parallel // MIN_CHUNK_WINDOW))
    lanes = max(d for d in range(1, most_lanes + 1) if max_parallel % d == 0)
    return BatchPlan(
        total_items=total_items,
        chunk_size=chunk_size,
        chunk_count=chunk_count,
        max_parallel=max_parallel,
        requested_max_parallel=requested,
        lanes=lanes,
        chunk_parallel=max_parallel // lanes,
    )


# --- orchestration inputs and activity payloads ----------------------------------------------


class BatchInput(Contract):
    """Input of the `process_batch` orchestration: a reference to staged items and the plan."""

    batch_id: BatchId
    plan: BatchPlan


def chunk_partition(batch_id: str, chunk_index: int) -> str:
    """Where a chunk's staged items live; also the chunk's first instance id."""
    return f"{batch_id}:chunk-{chunk_index}"


Position = Annotated[int, Field(ge=0, lt=HARD_MAX_ITEMS)]


class ChunkInput(Contract):
    """Input of the `process_batch_chunk` sub-orchestration.

    `first_position` is the batch-wide position of the chunk's first item (items are staged
    with their position in the request), so the chunk can list its ids page by page.
    """

    batch_id: BatchId
    chunk_index: Annotated[int, Field(ge=0, lt=HARD_MAX_ITEMS)]
    first_position: Position
    item_count: Annotated[int, Field(ge=1, le=HARD_MAX_ITEMS)]
    max_parallel: Annotated[int, Field(ge=1, le=1000)]


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


class ItemStatus(StrEnum):
    PROCESSED = "processed"
    FAILED = "failed"


class BatchItemResult(Contract):
    """Output of `price_batch_item`: small on purpose, the details are in the results row."""

    item_id: Identifier
    status: ItemStatus
    code: str | None = None
    error: ErrorText | None = None


ErrorCodeText = Annotated[str, StringConstraints(max_length=MAX_CODE_CHARS)]


class ItemFailure(Contract):
    """One failed item as the batch output reports it."""

    id: Identifier
    code: ErrorCodeText
    error: ErrorText


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


# --- progress and outputs --------------------------------------------------------------------


class ChunkProgress(Contract):
    """Custom status of a chunk instance."""

    chunk_index: int
    total: int
    processed: int = 0
    failed: int = 0


class ChunkSummary(Contract):
    """Output of a chunk: counts only. Each failed item is a row in the results table, which
    the parent reads once at the end, so the parent's history carries no failure lists."""

    chunk_index: int
    total: int
    processed: int
    failed_count: int


class ChunkFailure(Contract):
    """A chunk that failed even after its retries: its items' fate is in the results table."""

    chunk_index: int
    item_count: int
    code: str
    error: ErrorText
    results_recorded: bool = Field(
        description="Whether every item of the chunk has a results row: items without a "
        "result got a `failed` row with this error, items the chunk finished keep theirs. "
        "If false, some rows could not be written (storage kept failing): the items without "
        "a row count as failed, but `/results` does not list them."
    )


class BatchStage(StrEnum):
    PROCESSING = "processing"
    FINISHED = "finished"


class BatchProgress(Contract):
    """Custom status of the parent, updated as chunks complete."""

    stage: BatchStage
    total: int
    processed: int
    failed: int
    chunks: int
    chunks_done: int
    max_parallel: int


class BatchOutcome(StrEnum):
    COMPLETED = "completed"
    COMPLETED_WITH_FAILURES = "completed_with_failures"


class BatchSummary(Contract):
    """Output of `process_batch`."""

    batch_id: BatchId
    status: BatchOutcome
    total: int
    processed: int
    failed_count: int
    failed: list[ItemFailure] = Field(
        description=f"The first {MAX_REPORTED_FAILURES} failures in item-id order; all of them "
        "are listed by `GET /api/batches/{batchId}/results?status=failed`."
    )
    failures_truncated: bool
    failed_chunks: list[ChunkFailure]
    chunks: int
    chunk_size: int
    max_parallel: int
    counter_signalled: bool = Field(
        description="Whether this execution added `processed` to counter `items-processed`."
    )


# --- HTTP shapes -----------------------------------------------------------------------------


class BatchAccepted(AcceptedResponse):
    """202 body of `POST /api/batches`: where to poll, plus the limits in effect."""

    batch_id: BatchId
    plan: BatchPlan
    results_url: str


class BatchRouteParams(Contract):
    batch_id: BatchId


class BatchInfo(Contract):
    """`GET /api/batches/{batchId}`: what was submitted and the plan it runs with."""

    batch_id: BatchId
    plan: BatchPlan
    created_at: str
    status_url: str
    results_url: str


class BatchResultsQuery(Contract):
    status: ItemStatus | None = None
    top: Annotated[int, Field(ge=1, le=1000)] = 100
    continuation_token: Annotated[str, StringConstraints(max_length=2000)] | None = None


class BatchItemRecord(Contract):
    """One row of the results table."""

    id: Identifier
    status: ItemStatus
    sku: str | None = None
    currency: str | None = None
    base_price: Decimal | None = None
    discount_percent: Decimal | None = None
    final_price: Decimal | None = None
    code: str | None = None
    error: str | None = None
    recorded_at: str


class BatchResultsPage(Contract):
    batch_id: BatchId
    items: list[BatchItemRecord]
    continuation_token: str | None = Field(
        None, description="Pass back as `continuationToken` for the next page."
    )
