"""Shipping side effects against Azurite: one shipment per key, idempotent cancel."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from activities.shipping import cancel_shipment, create_shipment
from shared import order_store, shipment_store, storage
from shared.errors import PermanentError
from shared.idempotency import FINGERPRINT_PROPERTY, fingerprint
from shared.models.orders.order import OrderDetails
from shared.models.shipments import CreateShipmentRequest
from tests.support.functions import user_function

pytestmark = pytest.mark.usefixtures("app_storage")

create = user_function(create_shipment)
cancel = user_function(cancel_shipment)


def _key() -> str:
    return f"order-{uuid.uuid4().hex[:8]}:create-shipment"


def _address(country: str = "DE") -> dict[str, Any]:
    return {
        "name": "Ada",
        "line1": "Hauptstr. 1",
        "city": "Berlin",
        "postalCode": "10115",
        "country": country,
    }


def _details(address: dict[str, Any]) -> OrderDetails:
    """What the order starter stores for order o-1: the address is read from here."""
    return OrderDetails.from_json(
        {
            "orderId": "o-1",
            "customerEmail": "ada@example.com",
            "items": [{"sku": "sku-a", "quantity": 1}],
            "paymentMethod": "tok_visa",
            "shippingAddress": address,
        }
    )


def _request(key: str, address: dict[str, Any] | None = None, **changes: Any) -> dict:
    return {
        "idempotencyKey": key,
        "orderId": "o-1",
        "items": [{"sku": "sku-a", "quantity": 1}],
        "orderFingerprint": _details(address or _address()).fingerprint(),
        **changes,
    }


def _create(key: str, address: dict[str, Any] | None = None, **changes: Any) -> dict:
    """Store the order's details (as the starter does), then book its shipment."""
    order_store.save_order_details(_details(address or _address()))
    return create(_request(key, address, **changes))


def _cancel(key: str, **changes: Any) -> dict:
    """The saga's cancellation: it names the booking it undoes by that booking's fingerprint."""
    booking = CreateShipmentRequest.from_json(_request(key, **changes))
    return cancel(
        {"idempotencyKey": key, "orderId": "o-1", "shipmentFingerprint": booking.fingerprint()}
    )


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
    (row,) = _rows(key)
    assert row[FINGERPRINT_PROPERTY] == CreateShipmentRequest.from_json(_request(key)).fingerprint()


OTHER_ADDRESS = {
    "name": "Ada",
    "line1": "Rue de Rivoli 1",
    "city": "Paris",
    "postalCode": "75001",
    "country": "FR",
}


@pytest.mark.parametrize(
    "changed",
    [
        {"address": OTHER_ADDRESS},
        {"items": [{"sku": "sku-a", "quantity": 2}]},
        {"orderId": "o-2"},
        {"orderFingerprint": fingerprint({"order": "o-1 posted again"})},
    ],
)
def test_the_key_with_another_booking_is_a_conflict_and_changes_nothing(
    changed: dict[str, Any],
) -> None:
    key = _key()
    first = _create(key)

    with pytest.raises(PermanentError, match="conflict") as refused:
        _create(key, **changed)

    assert f"'{key}'" in str(refused.value)
    (row,) = _rows(key)
    assert (row["ShipmentId"], row["Country"], row["Status"]) == (
        first["shipmentId"],
        "DE",
        "created",
    )


def test_the_same_lines_in_another_order_are_the_same_booking() -> None:
    key = _key()
    lines = [{"sku": "sku-a", "quantity": 1}, {"sku": "sku-b", "quantity": 2}]

    first = _create(key, items=lines)

    assert _create(key, items=list(reversed(lines))) == first


def test_a_cancellation_naming_another_booking_leaves_the_shipment_alone() -> None:
    key = _key()
    _create(key)

    with pytest.raises(PermanentError, match="conflict") as refused:
        _cancel(key, address=OTHER_ADDRESS)

    assert "left untouched" in str(refused.value)
    assert _rows(key)[0]["Status"] == "created"
    assert _cancel(key)["status"] == "cancelled"


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
        _create(key, _address("AQ"))

    assert _rows(key) == []


def test_the_address_is_read_from_the_orders_stored_details_not_the_request() -> None:
    with pytest.raises(PermanentError, match="validation"):
        create({**_request(_key()), "address": _address()})  # no such field


def test_details_stored_for_another_order_under_the_id_are_a_conflict_and_book_nothing() -> None:
    key = _key()
    order_store.save_order_details(_details(OTHER_ADDRESS))

    with pytest.raises(PermanentError, match="conflict") as refused:
        create(_request(key))  # started for the Berlin address, finds the Paris one

    assert "different request" in str(refused.value)
    assert "Rivoli" not in str(refused.value)
    assert _rows(key) == []


def test_a_cancel_before_the_booking_refuses_a_late_booking() -> None:
    key = _key()

    assert _cancel(key)["status"] == "cancelled"
    with pytest.raises(PermanentError, match="cancelled before it was booked"):
        _create(key)
    with pytest.raises(PermanentError, match="conflict"):
        _create(key)  # and keeps refusing
    with pytest.raises(PermanentError, match="different request"):
        _create(key, address=OTHER_ADDRESS)


def test_invalid_input_is_a_permanent_error() -> None:
    with pytest.raises(PermanentError, match="validation"):
        create(_request(_key(), items=[]))
