"""`POST /api/orders`: validation, one saga per order id, settings passed in the input."""

from __future__ import annotations

import json
from typing import Any

import azure.functions as func
import pytest

from api import orders
from shared import order_store
from tests.support.functions import client_function
from tests.support.instance_status import instance_status, no_instance

BASE = "https://shop.example.com/api"

pytestmark = pytest.mark.usefixtures("app_storage")

start = client_function(orders.start_order_fulfillment)


def order(**overrides: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "orderId": "o-42",
        "customerEmail": "ada@example.com",
        "items": [{"sku": "sku-a", "quantity": 2}],
        "paymentMethod": "tok_visa",
        "shippingAddress": {
            "name": "Ada",
            "line1": "Hauptstr. 1",
            "city": "Berlin",
            "postalCode": "10115",
            "country": "de",
        },
    }
    value.update(overrides)
    return value


def existing(runtime: str, input_: Any) -> Any:
    return instance_status("order-o-42", runtime, "order_fulfillment_saga", input=input_)


def post(payload: Any) -> func.HttpRequest:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return func.HttpRequest(
        "POST", f"{BASE}/orders", headers={"content-type": "application/json"}, body=raw
    )


def body(response: func.HttpResponse) -> Any:
    return json.loads(response.get_body())


async def started_earlier(client: Any, runtime: str) -> dict[str, Any]:
    """Post `order()`, then let its instance be found in `runtime`: its stored input."""
    await start(post(order()), client)
    stored: dict[str, Any] = client.start_new.await_args.args[2]
    client.start_new.reset_mock()
    client.get_status.return_value = existing(runtime, stored)
    return stored


def started_input(client: Any) -> dict[str, Any]:
    client.start_new.assert_awaited_once()
    name, instance_id, payload = client.start_new.await_args.args
    assert name == "order_fulfillment_saga"
    return {"instanceId": instance_id, **payload}


async def test_an_order_stores_its_details_and_starts_the_saga_with_references(
    client: Any,
) -> None:
    response = await start(post(order()), client)

    assert response.status_code == 202
    assert response.headers["Location"] == f"{BASE}/instances/order-o-42"
    saga = started_input(client)
    assert saga["instanceId"] == "order-o-42"
    assert set(saga) == {
        "instanceId",
        "orderId",
        "items",
        "orderFingerprint",
        "stepRetry",
        "compensationRetry",
    }
    details = order_store.order_details("o-42", saga["orderFingerprint"])
    assert details.customer_email == "ada@example.com"
    assert details.payment_method == "tok_visa"
    assert details.shipping_address.country == "DE"
    assert saga["stepRetry"]["maxAttempts"] == 4
    assert saga["compensationRetry"]["maxAttempts"] == 6


async def test_without_an_order_id_each_post_is_a_new_order(client: Any) -> None:
    value = order()
    del value["orderId"]

    first = await start(post(value), client)
    second = await start(post(value), client)

    assert first.status_code == second.status_code == 202
    assert body(first)["id"] != body(second)["id"]
    assert body(first)["id"].startswith("order-")


async def test_retry_policies_can_be_shortened_per_request(client: Any) -> None:
    policy = {"maxAttempts": 2, "firstDelaySeconds": 1, "maxDelaySeconds": 1}

    await start(post(order(stepRetry=policy, compensationRetry=policy)), client)

    saga = started_input(client)
    assert saga["stepRetry"]["maxAttempts"] == 2
    assert saga["compensationRetry"]["firstDelaySeconds"] == 1


async def test_a_repost_of_the_same_order_points_at_the_running_saga(client: Any) -> None:
    await start(post(order()), client)
    stored = client.start_new.await_args.args[2]
    client.start_new.reset_mock()
    client.get_status.return_value = existing("Running", json.dumps(stored))

    response = await start(post(order()), client)

    assert response.status_code == 202
    assert body(response)["id"] == "order-o-42"
    client.start_new.assert_not_awaited()


async def test_reusing_an_order_id_for_another_order_is_a_conflict(client: Any) -> None:
    await started_earlier(client, "Completed")

    response = await start(post(order(items=[{"sku": "sku-a", "quantity": 3}])), client)

    assert response.status_code == 409
    assert response.headers["Location"] == f"{BASE}/instances/order-o-42"
    client.start_new.assert_not_awaited()


@pytest.mark.parametrize(
    "other",
    [
        {"customerEmail": "grace@example.com"},
        {"paymentMethod": "tok_mastercard"},
        {"shippingAddress": {**order()["shippingAddress"], "line1": "Hauptstr. 2"}},
    ],
)
async def test_other_personal_details_under_an_order_id_are_a_conflict_that_stores_nothing(
    client: Any, other: dict[str, Any]
) -> None:
    """The saga's input holds only the details' fingerprint, which tells the orders apart."""
    stored = await started_earlier(client, "Running")

    response = await start(post(order(**other)), client)

    assert response.status_code == 409
    client.start_new.assert_not_awaited()
    kept = order_store.order_details("o-42", stored["orderFingerprint"])
    assert kept.customer_email == "ada@example.com"
    assert kept.payment_method == "tok_visa"


@pytest.mark.parametrize("runtime", ["Failed", "Terminated", "Canceled"])
async def test_an_order_that_ended_badly_is_restarted_by_the_same_order(
    client: Any, runtime: str
) -> None:
    await started_earlier(client, runtime)

    response = await start(post(order()), client)

    assert response.status_code == 202
    assert started_input(client)["instanceId"] == "order-o-42"


@pytest.mark.parametrize("runtime", ["Failed", "Terminated", "Canceled"])
async def test_an_order_that_ended_badly_is_not_restarted_as_another_order(
    client: Any, runtime: str
) -> None:
    """The restart would reuse the old run's step keys: the old charge, for other items."""
    await started_earlier(client, runtime)

    response = await start(post(order(items=[{"sku": "sku-b", "quantity": 9}])), client)

    assert response.status_code == 409
    assert response.headers["Location"] == f"{BASE}/instances/order-o-42"
    client.start_new.assert_not_awaited()


async def test_two_first_posts_racing_both_get_the_one_saga(client: Any) -> None:
    """Both saw no instance; the host refuses the second start while the first one runs."""
    await start(post(order()), client)
    stored = client.start_new.await_args.args[2]
    not_yet = no_instance()
    client.get_status.side_effect = [not_yet, existing("Running", stored)]
    client.start_new.side_effect = Exception("an instance with ID 'order-o-42' already exists")

    response = await start(post(order()), client)

    assert response.status_code == 202
    assert body(response)["id"] == "order-o-42"


async def test_a_racing_post_with_other_details_is_a_conflict(client: Any) -> None:
    await start(post(order()), client)
    stored = client.start_new.await_args.args[2]
    not_yet = no_instance()
    client.get_status.side_effect = [not_yet, existing("Pending", stored)]
    client.start_new.side_effect = Exception("an instance with ID 'order-o-42' already exists")

    response = await start(post(order(items=[{"sku": "sku-b", "quantity": 9}])), client)

    assert response.status_code == 409


async def test_a_start_that_fails_for_another_reason_is_still_an_error(client: Any) -> None:
    client.start_new.side_effect = Exception("task hub unavailable")

    response = await start(post(order()), client)

    assert response.status_code == 500
    assert "task hub" not in response.get_body().decode()


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"items": []}, {"items"}),
        ({"items": [{"sku": "a", "quantity": 1}] * 2}, {"items"}),
        ({"items": [{"sku": "a", "quantity": 1}] * 51}, {"items"}),
        ({"items": [{"sku": "a/b", "quantity": 0}]}, {"items.0.sku", "items.0.quantity"}),
        ({"paymentMethod": "4111 1111 1111 1111"}, {"paymentMethod"}),
        ({"customerEmail": "ada"}, {"customerEmail"}),
        ({"orderId": "has space"}, {"orderId"}),
        (
            {"shippingAddress": {"name": "", "line1": "x", "city": "y", "postalCode": "1"}},
            {"shippingAddress.name", "shippingAddress.country"},
        ),
        (
            {"stepRetry": {"maxAttempts": 50, "firstDelaySeconds": 0, "maxDelaySeconds": 1}},
            {"stepRetry.maxAttempts", "stepRetry.firstDelaySeconds"},
        ),
        ({"total": "0.01"}, {"total"}),
    ],
)
async def test_bad_orders_are_400s_naming_every_field(
    client: Any, overrides: dict[str, Any], fields: set[str]
) -> None:
    response = await start(post(order(**overrides)), client)

    assert response.status_code == 400
    assert {e["field"] for e in body(response)["errors"]} == fields
    client.start_new.assert_not_awaited()


async def test_malformed_json_is_a_400(client: Any) -> None:
    response = await start(post(b'{"items": ['), client)

    assert response.status_code == 400
    assert body(response)["errors"][0]["field"] == "body"


async def test_oversized_orders_are_413s(client: Any, app_settings: pytest.MonkeyPatch) -> None:
    app_settings.setenv("MAX_REQUEST_BYTES", "1024")

    response = await start(post(order(padding="x" * 2000)), client)

    assert response.status_code == 413
    client.start_new.assert_not_awaited()
