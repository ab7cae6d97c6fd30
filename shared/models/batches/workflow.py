"""Workflow contracts of the batch: the plan, the inputs, progress and results of `process_batch`
and its `process_batch_chunk` sub-orchestrations.

The starter resolves the plan once; the parent's input is only a reference to the staged items
and that plan, so no history carries the items.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Annotated, Final

from pydantic import Field, model_validator

from shared.models.base import Contract
from shared.models.batches.items import HARD_MAX_ITEMS, BatchId, ErrorText, ItemFailure, Position

#: Failures listed in an orchestration output; the full list is `GET /batches/{id}/results`.
MAX_REPORTED_FAILURES: Final = 100
#: More chunks run at once only when each still gets at least this many slots. A wide
#: window lets one episode take in many completions; narrow windows over several chunks cost
#: far more replays (2,000 items on the emulator: 4 chunks x 4 slots 109 s, 1 x 16 54 s).
MIN_CHUNK_WINDOW: Final = 16


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


class BatchInput(Contract):
    """Input of the `process_batch` orchestration: a reference to staged items and the plan."""

    batch_id: BatchId
    plan: BatchPlan


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
