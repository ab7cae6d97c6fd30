"""Shipping side effects against Azurite: one shipment per key, idempotent cancel."""

from __future__ import annotations

import uuid

import pytest

from activities.shipping import cancel_shipment, create_shipment
from shared import shipment_store, storage
from shared.errors import PermanentError
from tests.support.functions import user_function

pytestmark = pytest.mark.usefixtures("app_storage")

create = user_function(create_shipment)
cancel = user_function(cancel_shipment)


def _key() -> str:
    return f"order-{uuid.uuid4().hex[:8]}:create-shipment"


def _create(key: str, country: str = "DE") -> dict:
    return create(
        {
            "idempotencyKey": key,
            "orderId": "o-1",
            "address": {
                "name": "Ada",
                "line1": "Hauptstr. 1",
                "city": "Berlin",
                "postalCode": "10115",
                "country": country,
            },
            "items": [{"sku": "sku-a", "quantity": 1}],
        }
    )


def _cancel(key: str) -> dict:
    return cancel({"idempotencyKey": key, "orderId": "o-1"})


def _rows(key: str) -> list[dict]:
    return list(
        storage.table(shipment_store.SHIPMENTS_TABLE).query_entities(
            "PartitionKey eq @pk", parameters={"pk": key}
        )
    )


def test_booking_twice_with_one_key_books_one_shipment() -> None:
    key = _key()

    first = _create(key)
    second = _create(key)

    assert first == second
    assert first["status"] == "created"
    assert first["trackingNumber"]
    assert len(_rows(key)) == 1


def test_cancelling_twice_cancels_once() -> None:
    key = _key()
    created = _create(key)

    first = _cancel(key)
    second = _cancel(key)

    assert first == second
    assert first["status"] == "cancelled"
    assert first["shipmentId"] == created["shipmentId"]
    assert len(_rows(key)) == 1


def test_an_unsupported_country_is_undeliverable_and_books_nothing() -> None:
    key = _key()

    with pytest.raises(PermanentError, match="undeliverable"):
        _create(key, country="AQ")

    assert _rows(key) == []


def test_a_cancel_before_the_booking_refuses_a_late_booking() -> None:
    key = _key()

    assert _cancel(key)["status"] == "cancelled"
    with pytest.raises(PermanentError, match="conflict"):
        _create(key)
    with pytest.raises(PermanentError, match="conflict"):
        _create(key)  # and keeps refusing


def test_invalid_input_is_a_permanent_error() -> None:
    with pytest.raises(PermanentError, match="validation"):
        _create(_key(), country="Germany")
