"""HTTP contracts of the batch: `POST /api/batches`, `GET /api/batches/{batchId}` and its
results.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, Strict, StringConstraints, field_validator

from shared import instance_ids
from shared.batch_store import BatchItemRecord
from shared.models.base import Contract
from shared.models.batches.items import HARD_MAX_ITEMS, BatchId, ItemStatus, PriceUpdate
from shared.models.batches.workflow import BatchPlan
from shared.models.http import AcceptedResponse


class BatchRequest(Contract):
    """Body of `POST /api/batches`."""

    batch_id: BatchId | None = Field(
        None,
        description=(
            "Optional caller-chosen id (single use); minted when omitted. It is the instance "
            "id, so it may not start like another pattern's ids: "
            + ", ".join(f"`{prefix}`" for prefix in instance_ids.RESERVED_PREFIXES)
            + " (any case)."
        ),
        json_schema_extra={"not": {"type": "string", "pattern": instance_ids.RESERVED_PATTERN}},
    )
    items: list[PriceUpdate] = Field(min_length=1, max_length=HARD_MAX_ITEMS)
    max_parallel: Annotated[int, Strict(), Field(ge=1, le=1000)] | None = Field(
        None,
        description="Activities in flight at most; clamped to the server's BATCH_MAX_PARALLEL.",
    )

    @field_validator("batch_id")
    @classmethod
    def _not_another_patterns_id(cls, batch_id: str | None) -> str | None:
        if batch_id is not None and instance_ids.is_reserved(batch_id):
            shown = ", ".join(f"'{prefix}'" for prefix in instance_ids.RESERVED_PREFIXES)
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


class BatchResultsPage(Contract):
    batch_id: BatchId
    items: list[BatchItemRecord]
    continuation_token: str | None = Field(
        None, description="Pass back as `continuationToken` for the next page."
    )
