"""Batch price import (fan-out/fan-in over chunk sub-orchestrations, counted by an entity)."""

from __future__ import annotations

import math
from decimal import Decimal

from tests.e2e.support.client import ApiClient, Json, expect, expect_problem
from tests.e2e.support.clock import Clock
from tests.e2e.support.shop import accepted, order, stock, unique
from tests.e2e.support.target import Target
from tests.e2e.support.waiting import wait_for_instance, wait_until

ITEMS = 1000
PROCESSED_COUNTER = "items-processed"


def price_list(size: int) -> tuple[list[Json], dict[str, str]]:
    """`size` price updates; every 97th has an unsold currency and every 131st a 100 % discount.

    Returns the items and, for each item expected to fail, the reason's key word.
    """
    items: list[Json] = []
    failing: dict[str, str] = {}
    for n in range(size):
        item: Json = {
            "id": f"item-{n:04d}",
            "sku": f"SKU-{n:04d}",
            "basePrice": f"{10 + n % 50}.{n % 100:02d}",
            "currency": "EUR",
            "discountPercent": str(n % 30),
        }
        if n % 97 == 5:
            item["currency"] = "XXX"
            failing[item["id"]] = "currency"
        elif n % 131 == 7:
            item["discountPercent"] = "100"
            failing[item["id"]] = "discount"
        items.append(item)
    return items, failing


def counter_value(api: ApiClient) -> int:
    response = api.get(f"/counters/{PROCESSED_COUNTER}")
    if response.status_code == 404:
        return 0
    value: int = expect(response, 200)["value"]
    return value


def all_results(api: ApiClient, batch_id: str, status: str, page_size: int) -> list[Json]:
    """Every result row of one status, following continuation tokens."""
    found: list[Json] = []
    token: str | None = None
    for _ in range(ITEMS):
        params = {"status": status, "top": page_size, "continuationToken": token}
        page = api.get_json(f"/batches/{batch_id}/results", params)
        assert page["batchId"] == batch_id
        found += page["items"]
        token = page["continuationToken"]
        if token is None:
            return found
    raise AssertionError("the results never ended")


def test_a_thousand_item_batch_reports_its_failures_item_by_item_and_counts_the_rest(
    api: ApiClient, clock: Clock, target: Target
) -> None:
    items, failing = price_list(ITEMS)
    counted_before = counter_value(api)

    response = api.post("/batches", {"items": items, "maxParallel": 32})
    started = expect(response, 202)
    batch_id = started["batchId"]
    assert started["id"] == batch_id
    plan = started["plan"]
    assert plan["totalItems"] == ITEMS
    assert plan["chunkCount"] == math.ceil(ITEMS / plan["chunkSize"])
    assert plan["chunkCount"] > 1  # the batch really fans out over chunks
    assert plan["lanes"] * plan["chunkParallel"] <= plan["maxParallel"] <= 32
    assert started["resultsUrl"].endswith(f"/api/batches/{batch_id}/results")
    assert response.headers["Location"] == started["statusUrl"]

    done = wait_for_instance(api, clock, batch_id, real_timeout=600)

    assert done["runtimeStatus"] == "Completed", done
    summary = done["output"]
    processed = ITEMS - len(failing)
    assert summary["status"] == "completed_with_failures"
    assert (summary["total"], summary["processed"], summary["failedCount"]) == (
        ITEMS,
        processed,
        len(failing),
    )
    assert {f["id"] for f in summary["failed"]} == set(failing)
    assert all(f["code"] == "validation" for f in summary["failed"])
    assert summary["failuresTruncated"] is False
    assert summary["failedChunks"] == []
    assert summary["chunks"] == plan["chunkCount"]
    assert summary["counterSignalled"] is True
    progress = done["customStatus"]
    assert progress["stage"] == "finished"
    assert (progress["processed"], progress["failed"]) == (processed, len(failing))
    assert progress["chunksDone"] == progress["chunks"] == plan["chunkCount"]
    # The fan-out is visible as one finished sub-orchestration per chunk.
    chunks = api.get_json("/instances", {"prefix": f"{batch_id}:chunk-", "top": 100})
    assert chunks["count"] == plan["chunkCount"]
    assert {c["name"] for c in chunks["instances"]} == {"process_batch_chunk"}
    assert {c["runtimeStatus"] for c in chunks["instances"]} == {"Completed"}
    assert sum(c["customStatus"]["processed"] for c in chunks["instances"]) == processed

    # Every failure, item by item, with its reason.
    failures = all_results(api, batch_id, "failed", page_size=1000)
    assert {row["id"]: row["status"] for row in failures} == dict.fromkeys(failing, "failed")
    for row in failures:
        assert row["code"] == "validation"
        assert failing[row["id"]] in row["error"]
    # Every processed item, page by page, with its final price.
    priced = all_results(api, batch_id, "processed", page_size=300)
    assert len(priced) == processed
    assert len({row["id"] for row in priced}) == processed
    sample = next(row for row in priced if row["id"] == "item-0042")
    assert Decimal(sample["finalPrice"]) == (
        Decimal(sample["basePrice"]) * (100 - Decimal(sample["discountPercent"])) / 100
    ).quantize(Decimal("0.01"))

    # The counter entity adds what this batch processed (exactly, when nobody else is batching).
    expected = counted_before + processed
    counted = wait_until(
        lambda: (value := counter_value(api)) >= expected and value,
        clock,
        f"counter {PROCESSED_COUNTER} to reach {expected}",
        last_seen=lambda: counter_value(api),
    )
    if target.exclusive:
        assert counted == expected

    info = api.get_json(f"/batches/{batch_id}")
    assert info["plan"] == plan
    assert info["statusUrl"] == started["statusUrl"]


def test_a_batch_with_a_chosen_id_is_submitted_once(api: ApiClient, clock: Clock) -> None:
    batch_id = unique("prices")
    items, _ = price_list(3)
    request = {"batchId": batch_id, "items": items}

    first = expect(api.post("/batches", request), 202)
    again = expect(api.post("/batches", request), 202)
    assert first["id"] == again["id"] == batch_id
    done = wait_for_instance(api, clock, batch_id)
    assert done["output"]["processed"] == 3
    assert expect(api.post("/batches", request), 202)["id"] == batch_id

    changed = {"batchId": batch_id, "items": items[:2]}
    conflict = api.post("/batches", changed)
    expect_problem(conflict, 409)
    assert conflict.headers["Location"] == first["statusUrl"]
    assert len(all_results(api, batch_id, "processed", page_size=10)) == 3


def test_a_purged_batch_posted_again_is_not_counted_twice(
    api: ApiClient, clock: Clock, target: Target
) -> None:
    batch_id = unique("reprice")
    items, _ = price_list(4)
    request = {"batchId": batch_id, "items": items, "maxParallel": 1000}
    started = expect(api.post("/batches", request), 202)
    assert started["plan"]["requestedMaxParallel"] == 1000
    assert started["plan"]["maxParallel"] < 1000  # clamped to the server's BATCH_MAX_PARALLEL
    first = wait_for_instance(api, clock, batch_id)["output"]
    assert (first["processed"], first["counterSignalled"]) == (4, True)
    wait_until(lambda: counter_value(api) >= 4, clock, "the first count")
    counted = counter_value(api)

    # Purging forgets the orchestration, not the staged items, results or the count's claim.
    assert api.delete(f"/instances/{batch_id}").status_code == 204
    # Posted again at once: on a paused virtual clock too, the second execution must mint a new
    # `new_uuid()` claim token, not the first one's.
    again = expect(api.post("/batches", request), 202)
    assert again["plan"] == started["plan"]
    second = wait_for_instance(api, clock, batch_id)["output"]
    assert second["processed"] == 4
    assert second["counterSignalled"] is False
    clock.settle()
    if target.exclusive:
        assert counter_value(api) == counted
    assert len(all_results(api, batch_id, "processed", page_size=10)) == 4


def test_bad_batches_are_refused_whole(api: ApiClient) -> None:
    items, _ = price_list(3)
    duplicate = [items[0], items[1], {**items[2], "id": items[0]["id"]}]
    expect_problem(api.post("/batches", {"items": duplicate}), 400, ["items"])
    expect_problem(api.post("/batches", {"items": []}), 400, ["items"])
    lower = [{**items[0], "currency": "eur"}]
    expect_problem(api.post("/batches", {"items": lower}), 400, ["items.0.currency"])
    negative = [{**items[0], "basePrice": "-1"}]
    expect_problem(api.post("/batches", {"items": negative}), 400, ["items.0.basePrice"])
    expect_problem(api.post("/batches", {"items": items, "maxParallel": 0}), 400, ["maxParallel"])
    expect_problem(api.post("/batches", {"items": items, "batchId": "a:b"}), 400, ["batchId"])

    missing = unique("batch")
    expect_problem(api.get(f"/batches/{missing}"), 404)
    expect_problem(api.get(f"/batches/{missing}/results"), 404)


def test_a_batch_cannot_take_the_instance_id_of_a_finished_order(
    api: ApiClient, clock: Clock
) -> None:
    """A batchId 'order-<orderId>' would replace the finished saga's instance: refused."""
    body = order({stock(api, 2): 1}, order_id=unique("o"))
    order_instance = accepted(api.post("/orders", body))["id"]
    placed = wait_for_instance(api, clock, order_instance)
    items, _ = price_list(1)

    refused = api.post("/batches", {"batchId": order_instance, "items": items})

    expect_problem(refused, 400, ["batchId"])
    clock.settle()
    after = api.get_json(f"/instances/{order_instance}")
    assert (after["name"], after["runtimeStatus"]) == ("order_fulfillment_saga", "Completed")
    assert after["output"] == placed["output"]
    expect_problem(api.get(f"/batches/{order_instance}"), 404)  # nothing was staged


def test_a_forged_continuation_token_is_a_400(api: ApiClient, clock: Clock) -> None:
    items, _ = price_list(2)
    batch_id = expect(api.post("/batches", {"items": items}), 202)["batchId"]
    wait_for_instance(api, clock, batch_id)
    page = api.get(f"/batches/{batch_id}/results", {"continuationToken": "not-a-token"})
    expect_problem(page, 400, ["continuationToken"])
    expect_problem(api.get(f"/batches/{batch_id}/results", {"status": "lost"}), 400, ["status"])
