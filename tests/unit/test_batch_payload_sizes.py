"""Every payload of the batch pattern stays far below the ~45 KB at which Durable Functions
moves a message to a blob, at the largest sizes the contracts allow (10,000 items, chunks of
up to 1,000, ids of 100 characters, error texts of 300, codes of 40).

Sizes are measured as the SDK sends them: `json.dumps` with its default ASCII escaping (the
`…` that cuts a long error text costs six bytes). Error texts are the app's own messages,
so they are ASCII but for that ellipsis.
"""

from __future__ import annotations

import json
from typing import Any, Final

import pytest
from pydantic import ValidationError

from shared.models.base import Contract
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
from shared.models.batches.items import (
    HARD_MAX_ITEMS,
    MAX_CODE_CHARS,
    MAX_ERROR_CHARS,
    ItemFailure,
    ItemStatus,
    short_error,
)
from shared.models.batches.workflow import (
    MAX_REPORTED_FAILURES,
    BatchInput,
    ChunkInput,
    ChunkSummary,
    plan_batch,
)
from shared.settings import Settings

#: Comfortably under the ~45 KB blob threshold: two thirds of it.
BUDGET: Final = 30_000

LONGEST_BATCH_ID: Final = "b" * 64
LONGEST_ERROR: Final = short_error("e" * (MAX_ERROR_CHARS + 1))  # 299 chars and the ellipsis
LONGEST_CODE: Final = "c" * MAX_CODE_CHARS


def item_id(n: int) -> str:
    return f"{n:05d}".ljust(100, "x")


def longest_failure(n: int = 0) -> ItemFailure:
    return ItemFailure(id=item_id(n), code=LONGEST_CODE, error=LONGEST_ERROR)


def wire_size(payload: Contract) -> int:
    return len(json.dumps(payload.to_json()).encode())


def largest_chunk_size() -> int:
    """The most items a chunk may hold (BATCH_CHUNK_SIZE's upper bound)."""
    metadata = Settings.model_fields["batch_chunk_size"].metadata
    (limit,) = (m.le for m in metadata if getattr(m, "le", None) is not None)
    return int(limit)


def test_the_longest_texts_are_as_long_as_the_contracts_allow() -> None:
    assert len(LONGEST_ERROR) == MAX_ERROR_CHARS
    assert len(item_id(0)) == 100
    ItemFailure.model_validate(longest_failure().to_json())
    assert largest_chunk_size() == 1000


def largest_payloads() -> dict[str, Contract]:
    chunk_size = largest_chunk_size()
    plan = plan_batch(HARD_MAX_ITEMS, chunk_size, 200, 1000)
    last_chunk = plan.chunk_count - 1
    return {
        "process_batch input": BatchInput(batch_id=LONGEST_BATCH_ID, plan=plan),
        "process_batch_chunk input": ChunkInput(
            batch_id=LONGEST_BATCH_ID,
            chunk_index=last_chunk,
            first_position=last_chunk * chunk_size,
            item_count=chunk_size,
            max_parallel=1000,
        ),
        "process_batch_chunk output": ChunkSummary(
            chunk_index=last_chunk, total=chunk_size, processed=0, failed_count=chunk_size
        ),
        "list_batch_chunk_items input": ChunkPageRef(
            batch_id=LONGEST_BATCH_ID,
            chunk_index=last_chunk,
            first_position=HARD_MAX_ITEMS - CHUNK_LISTING_PAGE,
            count=CHUNK_LISTING_PAGE,
        ),
        "list_batch_chunk_items output": ChunkItemIds(
            item_ids=[item_id(n) for n in range(CHUNK_LISTING_PAGE)]
        ),
        "process_batch_item input": BatchItemRequest(
            batch_id=LONGEST_BATCH_ID, chunk_index=last_chunk, item_id=item_id(0)
        ),
        "process_batch_item output": BatchItemResult(
            item_id=item_id(0), status=ItemStatus.FAILED, code=LONGEST_CODE, error=LONGEST_ERROR
        ),
        "record_batch_item_failure input": RecordFailureRequest(
            batch_id=LONGEST_BATCH_ID, failure=longest_failure()
        ),
        "record_batch_chunk_failure input": ChunkFailureRecord(
            batch_id=LONGEST_BATCH_ID,
            chunk_index=last_chunk,
            code=LONGEST_CODE,
            error=LONGEST_ERROR,
        ),
        "record_batch_chunk_failure output": ChunkTally(processed=chunk_size, failed=chunk_size),
        "list_batch_failures input": FailureListingRequest(
            batch_id=LONGEST_BATCH_ID, after=item_id(0), top=FAILURE_LISTING_PAGE
        ),
        "list_batch_failures output": FailureListing(
            failures=[longest_failure(n) for n in range(FAILURE_LISTING_PAGE)], more=True
        ),
        "claim_batch_counter_signal input": CounterClaim(
            batch_id=LONGEST_BATCH_ID, claim_token="0" * 100
        ),
        "claim_batch_counter_signal output": CounterClaimResult(claimed=True),
    }


@pytest.mark.parametrize(("name", "payload"), list(largest_payloads().items()))
def test_the_largest_payload_stays_within_budget(name: str, payload: Contract) -> None:
    assert wire_size(payload) < BUDGET, name


def test_the_pages_are_the_lists_that_grow() -> None:
    """The two listings are most of the budget; a chunk's output is a few counts."""
    sizes = {name: wire_size(payload) for name, payload in largest_payloads().items()}

    assert sizes["list_batch_chunk_items output"] > 20_000
    assert sizes["list_batch_failures output"] > 20_000
    assert sizes["process_batch_chunk output"] < 200
    # Reading the output's failures takes whole pages, two of them at most.
    assert MAX_REPORTED_FAILURES % FAILURE_LISTING_PAGE == 0
    assert MAX_REPORTED_FAILURES // FAILURE_LISTING_PAGE == 2


@pytest.mark.parametrize(
    ("model", "payload"),
    [
        (ChunkItemIds, {"itemIds": [item_id(n) for n in range(CHUNK_LISTING_PAGE + 1)]}),
        (
            FailureListing,
            {
                "failures": [longest_failure(n).to_json() for n in range(FAILURE_LISTING_PAGE + 1)],
                "more": False,
            },
        ),
        (FailureListingRequest, {"batchId": "b", "top": FAILURE_LISTING_PAGE + 1}),
        (ChunkPageRef, {"batchId": "b", "chunkIndex": 0, "firstPosition": 0, "count": 201}),
        (ItemFailure, {"id": "i", "code": "c" * (MAX_CODE_CHARS + 1), "error": "e"}),
        (ItemFailure, {"id": "i", "code": "c", "error": "e" * (MAX_ERROR_CHARS + 1)}),
    ],
)
def test_a_payload_over_its_page_is_refused(model: type[Contract], payload: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        model.model_validate(payload)
