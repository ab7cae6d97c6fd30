"""Inventory routes against Azurite: set stock and price, read them back."""

from __future__ import annotations

import json
import uuid
from typing import Any

import azure.functions as func
import pytest

from api import inventory
from tests.support.functions import user_function

BASE = "https://shop.example.com/api"

put_item = user_function(inventory.set_inventory_item)
get_item = user_function(inventory.get_inventory_item)


def put(sku: str, payload: Any, content_type: str = "application/json") -> func.HttpRequest:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return func.HttpRequest(
        "PUT",
        f"{BASE}/inventory/{sku}",
        headers={"content-type": content_type},
        route_params={"sku": sku},
        body=raw,
    )


def get(sku: str) -> func.HttpRequest:
    return func.HttpRequest("GET", f"{BASE}/inventory/{sku}", route_params={"sku": sku}, body=b"")


def body(response: func.HttpResponse) -> Any:
    return json.loads(response.get_body())


def new_sku() -> str:
    return f"sku-{uuid.uuid4().hex[:10]}"


@pytest.mark.usefixtures("app_storage")
async def test_put_creates_then_replaces_and_get_reads_it_back() -> None:
    sku = new_sku()

    created = await put_item(put(sku, {"quantity": 5, "unitPrice": "12.5"}))
    replaced = await put_item(put(sku, {"quantity": 7, "unitPrice": 0.1}))
    read = await get_item(get(sku))

    assert created.status_code == 201
    assert replaced.status_code == 200
    assert read.status_code == 200
    assert body(read)["available"] == 7
    assert body(read)["reserved"] == 0
    assert body(read)["unitPrice"] == "0.10"  # exact, never a float
    assert body(read) == body(replaced)


@pytest.mark.usefixtures("app_storage")
async def test_an_unknown_sku_is_a_404() -> None:
    response = await get_item(get(new_sku()))

    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"quantity": -1, "unitPrice": "1"}, {"quantity"}),
        ({"quantity": 1, "unitPrice": "1.001"}, {"unitPrice"}),
        ({"quantity": 1, "unitPrice": "-1"}, {"unitPrice"}),
        ({"quantity": 1, "unitPrice": "NaN"}, {"unitPrice"}),
        # What Decimal() reads but no client means ("1e5" would stock at 100000.00).
        ({"quantity": 1, "unitPrice": "1e5"}, {"unitPrice"}),
        ({"quantity": 1, "unitPrice": "1_000"}, {"unitPrice"}),
        ({"quantity": 1, "unitPrice": " 12.5 "}, {"unitPrice"}),
        ({"quantity": 1, "unitPrice": "\u0661\u0662"}, {"unitPrice"}),  # Arabic-Indic "12"
        ({"quantity": 1, "unitPrice": ""}, {"unitPrice"}),
        ({"quantity": 1, "unitPrice": "1000000.01"}, {"unitPrice"}),
        ({"quantity": 1_000_001, "unitPrice": "1"}, {"quantity"}),
        ({"quantity": 1.5}, {"quantity", "unitPrice"}),
        ({"quantity": True, "unitPrice": "1"}, {"quantity"}),  # not 1 unit
        ({"quantity": "5", "unitPrice": "1"}, {"quantity"}),
        ({"quantity": 5.0, "unitPrice": "1"}, {"quantity"}),
        ({"quantity": 1, "unitPrice": 1, "color": "red"}, {"color"}),
    ],
)
async def test_bad_bodies_are_400s_naming_every_field(
    payload: dict[str, Any], fields: set[str]
) -> None:
    response = await put_item(put("sku-a", payload))

    assert response.status_code == 400
    assert {e["field"] for e in body(response)["errors"]} == fields


@pytest.mark.usefixtures("app_storage")
async def test_a_refused_update_leaves_the_stored_stock_alone() -> None:
    sku = new_sku()
    await put_item(put(sku, {"quantity": 5, "unitPrice": "2.00"}))

    refused = await put_item(put(sku, {"quantity": True, "unitPrice": "9.00"}))
    read = await get_item(get(sku))

    assert refused.status_code == 400
    assert (body(read)["available"], body(read)["unitPrice"]) == (5, "2.00")


@pytest.mark.usefixtures("app_storage")
async def test_a_negative_zero_price_is_stored_as_zero() -> None:
    """`unitPrice: -0.0` passes `ge=0`; it is stored and shown as "0.00", never "-0.00"."""
    sku = new_sku()

    response = await put_item(put(sku, {"quantity": 1, "unitPrice": -0.0}))
    read = await get_item(get(sku))

    assert response.status_code == 201
    assert body(read)["unitPrice"] == "0.00"


async def test_a_bad_sku_is_a_400() -> None:
    response = await get_item(get("bad sku!"))

    assert response.status_code == 400
    assert body(response)["errors"][0]["field"] == "sku"


async def test_oversized_bodies_are_413s(app_settings: pytest.MonkeyPatch) -> None:
    app_settings.setenv("MAX_REQUEST_BYTES", "1024")

    response = await put_item(put("sku-a", {"quantity": 1, "unitPrice": "1", "x": "y" * 2000}))

    assert response.status_code == 413


async def test_non_json_bodies_are_415s() -> None:
    response = await put_item(put("sku-a", b"quantity=1", "text/plain"))

    assert response.status_code == 415
