"""Batch activities and store against Azurite: staging, paged listing, idempotent pricing,
failure rows and reading the first ones back, the counter claim and paging through results."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from activities import batch_items
from shared import batch_store, storage
from shared.batch_store import BATCH_ITEMS_TABLE, BATCH_RESULTS_TABLE, BatchHeader, chunk_partition
from shared.errors import PermanentError
from shared.models.batches.items import ItemStatus, PriceUpdate
from shared.models.batches.workflow import plan_batch
from tests.support.functions import user_function

pytestmark = pytest.mark.usefixtures("app_storage")

process_item = user_function(batch_items.process_batch_item)
list_items = user_function(batch_items.list_batch_chunk_items)
record_failure = user_function(batch_items.record_batch_item_failure)
list_failures = user_function(batch_items.list_batch_failures)
record_chunk_failure = user_function(batch_items.record_batch_chunk_failure)
claim = user_function(batch_items.claim_batch_counter_signal)


def price_updates(count: int, **overrides: Any) -> list[PriceUpdate]:
    return [
        PriceUpdate.model_validate(
            {"id": f"item-{n:05d}", "sku": f"SKU-{n}", "basePrice": "10.00", "currency": "EUR"}
            | overrides
        )
        for n in range(count)
    ]


def staged(items: list[PriceUpdate], chunk_size: int = 250, max_parallel: int = 8) -> str:
    batch_id = f"b-{uuid.uuid4().hex[:12]}"
    header = BatchHeader(
        batch_id=batch_id,
        plan=plan_batch(len(items), chunk_size, max_parallel, None),
        fingerprint=batch_store.request_fingerprint(items, None),
        created_at=datetime.now(UTC).isoformat(),
    )
    batch_store.stage_batch(header, items)
    return batch_id


def result_rows(batch_id: str) -> list[dict[str, Any]]:
    return list(
        storage.table(BATCH_RESULTS_TABLE).query_entities(
            "PartitionKey eq @pk", parameters={"pk": batch_id}
        )
    )


def page(batch_id: str, chunk_index: int, first: int, count: int) -> list[str]:
    request = {"batchId": batch_id, "chunkIndex": chunk_index, "firstPosition": first}
    ids: list[str] = list_items(request | {"count": count})["itemIds"]
    return ids


def test_staged_chunks_list_their_ids_in_submission_order_a_page_at_a_time() -> None:
    items = list(reversed(price_updates(460)))  # ids sort the other way round
    batch_id = staged(items, chunk_size=250)

    first = page(batch_id, 0, 0, 200) + page(batch_id, 0, 200, 50)
    second = page(batch_id, 1, 250, 200) + page(batch_id, 1, 450, 10)

    assert first == [i.id for i in items[:250]]
    assert second == [i.id for i in items[250:]]
    assert page(batch_id, 1, 300, 3) == [i.id for i in items[300:303]]


def test_a_chunk_with_missing_items_is_a_permanent_failure() -> None:
    batch_id = staged(price_updates(3))

    with pytest.raises(PermanentError, match="has 3 staged items at positions 0-3, expected 4"):
        page(batch_id, 0, 0, 4)


def test_staging_the_same_request_again_is_harmless_and_a_different_one_is_refused() -> None:
    items = price_updates(5)
    batch_id = staged(items)
    plan = plan_batch(5, 250, 8, None)
    same = BatchHeader(batch_id, plan, batch_store.request_fingerprint(items, None), "later")

    batch_store.stage_batch(same, items)
    other = BatchHeader(batch_id, plan, batch_store.request_fingerprint(items, 3), "later")
    with pytest.raises(batch_store.BatchIdTaken):
        batch_store.stage_batch(other, items)

    header = batch_store.get_batch(batch_id)
    assert header is not None
    assert header.created_at != "later"  # the first header stays
    assert header.plan == plan


def test_pricing_an_item_twice_has_one_effect_and_one_answer() -> None:
    batch_id = staged(price_updates(1, discountPercent="25"))
    request = {"batchId": batch_id, "chunkIndex": 0, "itemId": "item-00000"}

    first = process_item(request)
    # Even if the staged record changed in between, the recorded result is what counts.
    storage.table(BATCH_ITEMS_TABLE).upsert_entity(
        {
            "PartitionKey": chunk_partition(batch_id, 0),
            "RowKey": "item-00000",
            "Position": 0,
            "Payload": json.dumps(price_updates(1, currency="XXX")[0].to_json()),
        }
    )
    second = process_item(request)

    assert (
        first
        == second
        == {"itemId": "item-00000", "status": "processed", "code": None, "error": None}
    )
    (row,) = result_rows(batch_id)
    assert (row["Status"], row["FinalPrice"], row["Sku"]) == ("processed", "7.50", "SKU-0")


def test_a_rejected_item_is_recorded_as_failed_once() -> None:
    batch_id = staged(price_updates(1, currency="XXX"))
    request = {"batchId": batch_id, "chunkIndex": 0, "itemId": "item-00000"}

    first = process_item(request)
    second = process_item(request)

    assert first == second
    assert first["status"] == "failed"
    assert first["code"] == "validation"
    (row,) = result_rows(batch_id)
    assert "'XXX' is not supported" in row["Error"]


def test_an_item_that_was_never_staged_is_a_permanent_failure() -> None:
    batch_id = staged(price_updates(1))

    with pytest.raises(PermanentError, match="'ghost' is not staged"):
        process_item({"batchId": batch_id, "chunkIndex": 0, "itemId": "ghost"})
    assert result_rows(batch_id) == []


def test_bad_activity_input_is_a_permanent_failure() -> None:
    with pytest.raises(PermanentError, match="itemId"):
        process_item({"batchId": "b", "chunkIndex": 0, "itemId": "no/slash"})


def test_recording_a_failure_twice_writes_its_row_once_and_keeps_an_existing_row() -> None:
    batch_id = staged(price_updates(2))
    process_item({"batchId": batch_id, "chunkIndex": 0, "itemId": "item-00000"})

    def failure(item_id: str) -> dict[str, Any]:
        return {
            "batchId": batch_id,
            "failure": {"id": item_id, "code": "unavailable", "error": "down"},
        }

    kept = record_failure(failure("item-00000"))
    first = record_failure(failure("item-00001"))
    second = record_failure(failure("item-00001"))

    assert (kept["itemId"], kept["status"]) == ("item-00000", "processed")  # there first
    assert (
        first
        == second
        == {
            "itemId": "item-00001",
            "status": "failed",
            "code": "unavailable",
            "error": "down",
        }
    )
    assert len(result_rows(batch_id)) == 2


def test_a_chunk_given_up_on_gets_a_failed_row_for_each_item_without_a_result() -> None:
    items = price_updates(4) + price_updates(1, id="rejected", currency="XXX")
    batch_id = staged(items, chunk_size=250)
    for done in ("item-00001", "rejected"):  # priced before the chunk failed for good
        process_item({"batchId": batch_id, "chunkIndex": 0, "itemId": done})
    request = {"batchId": batch_id, "chunkIndex": 0, "code": "unexpected", "error": "gone"}

    first = record_chunk_failure(request)
    again = record_chunk_failure(request | {"error": "gone again"})

    assert first == again == {"processed": 1, "failed": 4}
    rows = {row["RowKey"]: row for row in result_rows(batch_id)}
    assert {k: r["Status"] for k, r in rows.items()} == {
        "item-00000": "failed",
        "item-00001": "processed",
        "item-00002": "failed",
        "item-00003": "failed",
        "rejected": "failed",
    }
    assert rows["item-00000"]["Error"] == "gone"  # the first recording's row stays
    assert "'XXX' is not supported" in rows["rejected"]["Error"]
    # ... so /results?status=failed lists every item the batch counts as failed.
    listed, _ = batch_store.list_results(batch_id, ItemStatus.FAILED, 100, None)
    assert [r.id for r in listed] == ["item-00000", "item-00002", "item-00003", "rejected"]
    assert {r.code for r in listed} == {"unexpected", "validation"}


def test_the_first_failures_are_read_back_in_item_id_order_a_page_at_a_time() -> None:
    good = price_updates(3)
    bad = [
        PriceUpdate.model_validate(
            {"id": f"bad-{n}", "sku": "SKU-X", "basePrice": "1.00", "currency": "XXX"}
        )
        for n in (4, 1, 3, 0, 2)
    ]
    batch_id = staged(good + bad)
    for staged_item in good + bad:
        process_item({"batchId": batch_id, "chunkIndex": 0, "itemId": staged_item.id})
    record_failure(
        {"batchId": batch_id, "failure": {"id": "item-00001", "code": "x", "error": "late"}}
    )  # a processed row stays processed

    first = list_failures({"batchId": batch_id, "top": 2})
    second = list_failures({"batchId": batch_id, "after": "bad-1", "top": 2})
    last = list_failures({"batchId": batch_id, "after": "bad-3", "top": 2})

    assert [f["id"] for f in first["failures"]] == ["bad-0", "bad-1"]
    assert first["more"] is True
    assert [f["id"] for f in second["failures"]] == ["bad-2", "bad-3"]
    assert (last["failures"][0]["id"], last["more"]) == ("bad-4", False)
    assert first["failures"][0]["code"] == "validation"
    assert "'XXX' is not supported" in first["failures"][0]["error"]
    assert list_failures({"batchId": f"{batch_id}-none", "top": 50}) == {
        "failures": [],
        "more": False,
    }


def test_only_the_first_execution_may_count_a_batch() -> None:
    batch_id = f"b-{uuid.uuid4().hex[:12]}"

    assert claim({"batchId": batch_id, "claimToken": "execution-1"}) == {"claimed": True}
    assert claim({"batchId": batch_id, "claimToken": "execution-1"}) == {"claimed": True}
    assert claim({"batchId": batch_id, "claimToken": "execution-2"}) == {"claimed": False}


def test_results_page_by_status_with_continuation_tokens() -> None:
    items = price_updates(5)
    rejected = [
        PriceUpdate.model_validate(
            {"id": f"bad-{n}", "sku": "SKU-X", "basePrice": "1.00", "currency": "XXX"}
        )
        for n in range(3)
    ]
    batch_id = staged(items + rejected)
    for staged_item in items + rejected:
        process_item({"batchId": batch_id, "chunkIndex": 0, "itemId": staged_item.id})

    page, token = batch_store.list_results(batch_id, ItemStatus.FAILED, 2, None)
    assert token is not None
    rest, last = batch_store.list_results(batch_id, ItemStatus.FAILED, 2, token)
    everything, _ = batch_store.list_results(batch_id, None, 100, None)

    assert [r.id for r in page + rest] == ["bad-0", "bad-1", "bad-2"]
    assert last is None
    assert len(everything) == 8
    assert {r.status for r in everything} == {ItemStatus.PROCESSED, ItemStatus.FAILED}
    assert next(r for r in everything if r.id == "item-00000").final_price is not None


def test_malformed_continuation_tokens_are_refused() -> None:
    not_ours = batch_store.encode_continuation({"Table": "x"})

    for token in (not_ours, "not-base64-json!", "bnVsbA"):  # the last is base64 of 'null'
        with pytest.raises(batch_store.InvalidContinuationToken):
            batch_store.list_results("my-batch", None, 10, token)


def test_a_token_of_another_batch_reads_nothing_of_it() -> None:
    mine = staged(price_updates(3))
    theirs = [
        PriceUpdate.model_validate(
            {"id": f"theirs-{n}", "sku": "SKU-T", "basePrice": "1.00", "currency": "EUR"}
        )
        for n in range(3)
    ]
    other = staged(theirs)
    for n in range(3):
        process_item({"batchId": mine, "chunkIndex": 0, "itemId": f"item-{n:05d}"})
        process_item({"batchId": other, "chunkIndex": 0, "itemId": f"theirs-{n}"})
    _, token_of_other = batch_store.list_results(other, None, 1, None)

    records, _ = batch_store.list_results(mine, None, 10, token_of_other)

    assert all(record.id.startswith("item-") for record in records)
