"""Batch routes: the starter's validation, limits, staging and idempotent re-posts; the reads."""

from __future__ import annotations

import json
from typing import Any

import azure.functions as func
import pytest
from azure.core.exceptions import HttpResponseError
from azure.data.tables import TableClient
from pytest_mock import MockerFixture

from activities import batch_items
from api import batches
from shared import batch_store
from shared.models.http import MAX_PROBLEM_ERRORS
from tests.support.functions import client_function, user_function
from tests.support.instance_status import instance_status

pytestmark = pytest.mark.usefixtures("app_storage")

BASE = "https://shop.example.com/api"

start = client_function(batches.start_batch)
get_batch = user_function(batches.get_batch)
list_results = user_function(batches.list_batch_results)


def existing(runtime: str, name: str = "process_batch") -> Any:
    return instance_status("x", runtime, name)


def items(count: int, **overrides: Any) -> list[dict[str, Any]]:
    return [
        {"id": f"i{n}", "sku": f"SKU-{n}", "basePrice": "9.99", "currency": "EUR"} | overrides
        for n in range(count)
    ]


def post(payload: Any, content_type: str = "application/json") -> func.HttpRequest:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return func.HttpRequest(
        "POST", f"{BASE}/batches", headers={"content-type": content_type}, body=raw
    )


def get(path: str, route: dict[str, str], params: dict[str, str] | None = None) -> Any:
    return func.HttpRequest(
        "GET", f"{BASE}/{path}", route_params=route, params=params or {}, body=b""
    )


def body(response: func.HttpResponse) -> Any:
    return json.loads(response.get_body())


def fields(response: func.HttpResponse) -> set[str]:
    return {error["field"] for error in body(response)["errors"]}


# --- POST /batches -----------------------------------------------------------------------------


async def test_a_batch_is_staged_and_started_with_only_a_reference_and_its_plan(
    client: Any, app_settings: pytest.MonkeyPatch
) -> None:
    app_settings.setenv("BATCH_CHUNK_SIZE", "10")
    app_settings.setenv("BATCH_MAX_PARALLEL", "32")

    response = await start(post({"items": items(25)}), client)

    assert response.status_code == 202
    answer = body(response)
    batch_id = answer["batchId"]
    assert batch_id.startswith("batch-")
    assert response.headers["Location"] == f"{BASE}/instances/{batch_id}"
    assert answer["resultsUrl"] == f"{BASE}/batches/{batch_id}/results"
    assert answer["plan"] == {
        "totalItems": 25,
        "chunkSize": 10,
        "chunkCount": 3,
        "maxParallel": 32,
        "requestedMaxParallel": None,
        "lanes": 2,
        "chunkParallel": 16,
    }
    client.start_new.assert_awaited_once_with(
        "process_batch", batch_id, {"batchId": batch_id, "plan": answer["plan"]}
    )
    assert batch_store.list_chunk_item_ids(batch_id, 2) == ["i20", "i21", "i22", "i23", "i24"]


async def test_max_parallel_is_clamped_to_the_server_cap_and_reported(
    client: Any, app_settings: pytest.MonkeyPatch
) -> None:
    app_settings.setenv("BATCH_MAX_PARALLEL", "8")

    response = await start(post({"items": items(3), "maxParallel": 50}), client)

    plan = body(response)["plan"]
    assert (plan["maxParallel"], plan["requestedMaxParallel"]) == (8, 50)


async def test_more_items_than_the_setting_allows_is_a_400_naming_items(
    client: Any, app_settings: pytest.MonkeyPatch
) -> None:
    app_settings.setenv("BATCH_MAX_ITEMS", "5")

    response = await start(post({"items": items(6)}), client)

    assert response.status_code == 400
    assert fields(response) == {"items"}
    client.start_new.assert_not_awaited()


async def test_more_than_ten_thousand_items_is_a_400_naming_items(client: Any) -> None:
    payload = {"items": [{"id": f"i{n}"} for n in range(10_001)]}

    response = await start(post(payload), client)

    assert response.status_code == 400
    assert "items" in fields(response)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"items": items(2, id="same")}, {"items"}),
        (
            {"items": [*items(1), {**items(1)[0], "id": "i9", "basePrice": "0"}]},
            {"items.1.basePrice"},
        ),
        ({"items": items(1), "maxParallel": "4"}, {"maxParallel"}),
        ({"items": items(1), "maxParallel": 0}, {"maxParallel"}),
        ({"items": items(1), "batchId": "a:b"}, {"batchId"}),
        ({"items": []}, {"items"}),
        ({"items": items(1), "priority": "high"}, {"priority"}),
        ({}, {"items"}),
    ],
)
async def test_bad_requests_are_400s_naming_every_field(
    client: Any, payload: dict[str, Any], expected: set[str]
) -> None:
    response = await start(post(payload), client)

    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert fields(response) == expected
    client.start_new.assert_not_awaited()


async def test_malformed_json_is_a_400(client: Any) -> None:
    response = await start(post(b'{"items": ['), client)

    assert response.status_code == 400
    assert fields(response) == {"body"}


async def test_oversized_bodies_are_413s(client: Any, app_settings: pytest.MonkeyPatch) -> None:
    app_settings.setenv("MAX_REQUEST_BYTES", "1024")

    response = await start(post({"items": items(30)}), client)

    assert response.status_code == 413
    client.start_new.assert_not_awaited()


async def test_non_json_bodies_are_415s(client: Any) -> None:
    response = await start(post(b"items=1", "text/plain"), client)

    assert response.status_code == 415


@pytest.mark.parametrize("runtime", ["Pending", "Running", "Completed"])
async def test_the_same_request_under_its_batch_id_joins_the_first_one(
    client: Any, runtime: str
) -> None:
    payload = {"batchId": f"retry-{runtime.lower()}-{id(client)}", "items": items(3)}
    first = await start(post(payload), client)
    client.get_status.return_value = existing(runtime)

    second = await start(post(payload), client)

    assert second.status_code == 202
    assert body(second) == body(first)
    client.start_new.assert_awaited_once()


async def test_the_same_request_restarts_a_batch_that_ended_badly(client: Any) -> None:
    payload = {"batchId": f"restart-{id(client)}", "items": items(3)}
    await start(post(payload), client)
    client.get_status.return_value = existing("Failed")

    again = await start(post(payload), client)

    assert again.status_code == 202
    assert client.start_new.await_count == 2


async def test_another_request_under_a_used_batch_id_is_a_409(client: Any) -> None:
    batch_id = f"taken-{id(client)}"
    await start(post({"batchId": batch_id, "items": items(3)}), client)

    response = await start(post({"batchId": batch_id, "items": items(4)}), client)

    assert response.status_code == 409
    assert response.headers["Location"] == f"{BASE}/instances/{batch_id}"
    client.start_new.assert_awaited_once()


@pytest.mark.parametrize(
    "batch_id",
    [
        "order-o-1001",
        "Order-o-1001",
        "onboarding-1f2e",
        "approval-9a",
        "monitor-7b",
        "health-monitor-self",
    ],
)
async def test_a_batch_id_shaped_like_another_patterns_ids_is_a_400(
    client: Any, batch_id: str
) -> None:
    """A batchId 'order-<id>' would replace the finished order saga (history and output)."""
    response = await start(post({"batchId": batch_id, "items": items(1)}), client)

    assert response.status_code == 400
    assert fields(response) == {"batchId"}
    client.start_new.assert_not_awaited()


async def test_a_batch_id_that_names_another_orchestration_is_a_409(client: Any) -> None:
    batch_id = f"elsewhere-{id(client)}"
    # An instance started by other means than this app's routes (no prefix to refuse).
    client.get_status.return_value = existing("Completed", name="order_fulfillment_saga")

    response = await start(post({"batchId": batch_id, "items": items(1)}), client)

    assert response.status_code == 409
    assert response.headers["Location"] == f"{BASE}/instances/{batch_id}"
    client.start_new.assert_not_awaited()  # and nothing was staged under that id:
    assert (await get_batch(get(f"batches/{batch_id}", {"batchId": batch_id}))).status_code == 404


async def test_losing_a_start_race_to_the_same_request_joins_it(client: Any) -> None:
    client.start_new.side_effect = Exception("An orchestration with this id already exists")
    client.get_status.return_value = existing("Running")  # the other request started it

    response = await start(post({"batchId": f"race-{id(client)}", "items": items(2)}), client)

    assert response.status_code == 202


async def test_a_start_that_really_fails_is_a_500_without_details(client: Any) -> None:
    client.start_new.side_effect = Exception("host unreachable: secret detail")

    response = await start(post({"items": items(2)}), client)

    assert response.status_code == 500
    assert b"secret detail" not in response.get_body()


# --- GET /batches/{batchId} and /results ----------------------------------------------------------


async def test_a_batch_can_be_read_back(client: Any) -> None:
    started = body(await start(post({"items": items(3)}), client))
    batch_id = started["batchId"]

    response = await get_batch(get(f"batches/{batch_id}", {"batchId": batch_id}))

    assert response.status_code == 200
    assert body(response)["plan"] == started["plan"]
    assert body(response)["statusUrl"] == f"{BASE}/instances/{batch_id}"


async def test_reading_an_unknown_batch_is_a_404() -> None:
    response = await get_batch(get("batches/nope", {"batchId": "nope"}))

    assert response.status_code == 404


async def test_a_malformed_batch_id_is_a_400() -> None:
    response = await get_batch(get("batches/a:b", {"batchId": "a:b"}))

    assert response.status_code == 400
    assert fields(response) == {"batchId"}


async def test_results_are_listed_and_filtered(client: Any) -> None:
    started = body(
        await start(post({"items": items(2) + items(1, id="bad", currency="XXX")}), client)
    )
    batch_id = started["batchId"]
    process = user_function(batch_items.process_batch_item)
    for item_id in ("i0", "i1", "bad"):
        process({"batchId": batch_id, "chunkIndex": 0, "itemId": item_id})

    response = await list_results(
        get(f"batches/{batch_id}/results", {"batchId": batch_id}, {"status": "failed"})
    )

    assert response.status_code == 200
    page = body(response)
    assert [(i["id"], i["status"], i["code"]) for i in page["items"]] == [
        ("bad", "failed", "validation")
    ]
    assert page["continuationToken"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "weird"}, "status"),
        ({"top": "0"}, "top"),
        ({"top": "1001"}, "top"),
        ({"continuationToken": "garbage!"}, "continuationToken"),
        ({"unknown": "1"}, "unknown"),
    ],
)
async def test_bad_result_queries_are_400s(client: Any, params: dict[str, str], field: str) -> None:
    batch_id = body(await start(post({"items": items(1)}), client))["batchId"]

    response = await list_results(get(f"batches/{batch_id}/results", {"batchId": batch_id}, params))

    assert response.status_code == 400
    assert fields(response) == {field}


async def test_a_token_azure_storage_refuses_is_a_400_naming_it(
    client: Any, mocker: MockerFixture
) -> None:
    """Azurite takes any continuation keys; Azure Storage answers 400: ours is a 400 too."""
    batch_id = body(await start(post({"items": items(1)}), client))["batchId"]
    refused = HttpResponseError(message="One of the request inputs is not valid.")
    refused.status_code = 400
    table = mocker.create_autospec(TableClient, instance=True)
    table.query_entities.return_value.by_page.return_value.__next__.side_effect = refused
    mocker.patch.object(batch_store, "_results", return_value=table)
    forged = batch_store.encode_continuation({"PartitionKey": "1!8!x", "RowKey": "%%%"})
    assert forged is not None

    response = await list_results(
        get(f"batches/{batch_id}/results", {"batchId": batch_id}, {"continuationToken": forged})
    )

    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert fields(response) == {"continuationToken"}


async def test_results_of_an_unknown_batch_are_a_404() -> None:
    response = await list_results(get("batches/nope/results", {"batchId": "nope"}))

    assert response.status_code == 404


async def test_an_invalid_batch_of_9000_items_gets_a_small_answer_that_counts_every_error(
    client: Any,
) -> None:
    """Four errors per item (36,000): the first 100 are listed, the rest only counted."""
    bad = [{"id": "", "sku": "", "basePrice": "-1", "currency": "euro"} for _ in range(9000)]

    response = await start(post({"items": bad}), client)

    assert response.status_code == 400
    problem = body(response)
    assert len(problem["errors"]) == MAX_PROBLEM_ERRORS
    assert problem["errors"][0]["field"] == "items.0.id"
    assert problem["moreErrors"] == 36_000 - MAX_PROBLEM_ERRORS
    assert "36000 invalid field(s)" in problem["detail"]
    assert len(response.get_body()) < 20_000
    client.start_new.assert_not_called()
