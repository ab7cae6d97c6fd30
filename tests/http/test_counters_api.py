"""Counter routes: validated signals (202) and reads (200/404)."""

from __future__ import annotations

import json
from typing import Any

import azure.functions as func
import pytest
from azure.durable_functions.models.EntityStateResponse import EntityStateResponse

from api import counters
from tests.support.functions import client_function

BASE = "https://shop.example.com/api"

signal = client_function(counters.signal_counter)
read = client_function(counters.get_counter)


def post(
    key: str, operation: str, payload: Any = None, content_type: str = "application/json"
) -> func.HttpRequest:
    if payload is None:
        raw = b""
    elif isinstance(payload, bytes):
        raw = payload
    else:
        raw = json.dumps(payload).encode()
    return func.HttpRequest(
        "POST",
        f"{BASE}/counters/{key}/{operation}",
        headers={"content-type": content_type},
        route_params={"key": key, "operation": operation},
        body=raw,
    )


def get(key: str) -> func.HttpRequest:
    return func.HttpRequest("GET", f"{BASE}/counters/{key}", route_params={"key": key}, body=b"")


def body(response: func.HttpResponse) -> Any:
    return json.loads(response.get_body())


def signalled(client: Any) -> tuple[str, str, str, Any]:
    entity, operation, amount = client.signal_entity.await_args.args
    return entity.name, entity.key, operation, amount


@pytest.mark.parametrize("operation", ["add", "subtract"])
async def test_add_and_subtract_signal_the_amount(client: Any, operation: str) -> None:
    response = await signal(post("orders", operation, {"amount": 5}), client)

    assert response.status_code == 202
    assert signalled(client) == ("counter", "orders", operation, 5)
    assert body(response) == {
        "key": "orders",
        "operation": operation,
        "amount": 5,
        "valueUrl": f"{BASE}/counters/orders",
    }
    assert response.headers["Location"] == f"{BASE}/counters/orders"


@pytest.mark.parametrize("payload", [None, {}])
async def test_reset_takes_no_amount(client: Any, payload: Any) -> None:
    response = await signal(post("orders", "reset", payload), client)

    assert response.status_code == 202
    assert signalled(client) == ("counter", "orders", "reset", None)


async def test_reset_with_a_body_is_a_400(client: Any) -> None:
    response = await signal(post("orders", "reset", {"amount": 1}), client)

    assert response.status_code == 400
    assert [e["field"] for e in body(response)["errors"]] == ["body"]
    client.signal_entity.assert_not_awaited()


@pytest.mark.parametrize("operation", ["get", "multiply", "ADD"])
async def test_an_operation_that_cannot_be_signalled_is_a_400(client: Any, operation: str) -> None:
    response = await signal(post("orders", operation, {"amount": 1}), client)

    assert response.status_code == 400
    assert [e["field"] for e in body(response)["errors"]] == ["operation"]
    client.signal_entity.assert_not_awaited()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"amount": "5"}, "amount"),
        ({"amount": True}, "amount"),
        ({"amount": 2.5}, "amount"),
        ({"amount": 0}, "amount"),
        ({"amount": -1}, "amount"),
        ({"amount": 10**12}, "amount"),
        ({}, "amount"),
        ({"amount": 1, "note": "x"}, "note"),
        (None, "body"),
        (b"[1", "body"),
    ],
)
async def test_bad_amounts_are_400s_naming_the_field(client: Any, payload: Any, field: str) -> None:
    response = await signal(post("orders", "add", payload), client)

    assert response.status_code == 400
    assert [e["field"] for e in body(response)["errors"]] == [field]
    client.signal_entity.assert_not_awaited()


async def test_a_bad_key_is_a_400(client: Any) -> None:
    response = await signal(post("bad key!", "add", {"amount": 1}), client)

    assert response.status_code == 400
    assert [e["field"] for e in body(response)["errors"]] == ["key"]


async def test_non_json_is_a_415_and_oversized_is_a_413(
    client: Any, app_settings: pytest.MonkeyPatch
) -> None:
    app_settings.setenv("MAX_REQUEST_BYTES", "1024")

    not_json = await signal(post("orders", "add", b"amount=1", "text/plain"), client)
    too_big = await signal(post("orders", "add", {"amount": 1, "pad": "x" * 2000}), client)
    too_big_reset = await signal(post("orders", "reset", b" " * 2048), client)

    assert (not_json.status_code, too_big.status_code) == (415, 413)
    assert too_big_reset.status_code == 413  # reset takes no body, a huge blank one neither
    client.signal_entity.assert_not_awaited()


@pytest.mark.parametrize(
    "state",
    [
        42,
        {"value": 42, "recentRequests": {"0" * 32: 1_764_752_400}},
        {"value": 42, "rememberedRequests": {"0" * 32: 1_764_838_800}},
    ],
    ids=["stored as a bare integer", "with requests by when sent", "with remembered requests"],
)
async def test_a_counter_is_read_back(client: Any, state: Any) -> None:
    client.read_entity_state.return_value = EntityStateResponse(True, state)

    response = await read(get("orders"), client)

    assert response.status_code == 200
    assert body(response) == {"key": "orders", "value": 42}
    (entity,) = client.read_entity_state.await_args.args
    assert (entity.name, entity.key) == ("counter", "orders")


@pytest.mark.parametrize("state", ["lots", 4.5, {"recentRequests": {}}, {"rememberedRequests": {}}])
async def test_a_counter_holding_no_integer_is_a_500_problem(client: Any, state: Any) -> None:
    client.read_entity_state.return_value = EntityStateResponse(True, state)

    response = await read(get("orders"), client)

    assert response.status_code == 500
    assert body(response)["detail"] == "counter 'orders' holds no integer"


async def test_a_counter_never_signalled_is_a_404(client: Any) -> None:
    response = await read(get("never"), client)

    assert response.status_code == 404


async def test_reading_a_bad_key_is_a_400(client: Any) -> None:
    response = await read(get("a/b"), client)

    assert response.status_code == 400
