"""What makes two order requests "the same" for the stores: the fingerprints of the contracts."""

from __future__ import annotations

from typing import Any

import pytest

from shared.models.inventory import ReserveInventoryRequest
from shared.models.orders.order import OrderDetails
from shared.models.payments import ChargePaymentRequest
from shared.models.shipments import CreateShipmentRequest

ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "1 Analytical St",
    "city": "London",
    "postalCode": "N1 1AA",
    "country": "GB",
}


def order(**changes: Any) -> OrderDetails:
    value: dict[str, Any] = {
        "orderId": "o-1",
        "customerEmail": "ada@example.com",
        "items": [{"sku": "sku-a", "quantity": 1}, {"sku": "sku-b", "quantity": 2}],
        "paymentMethod": "tok_visa",
        "shippingAddress": ADDRESS,
    }
    return OrderDetails.from_json({**value, **changes})


@pytest.mark.parametrize(
    "same",
    [
        {"items": [{"sku": "sku-b", "quantity": 2}, {"sku": "sku-a", "quantity": 1}]},
        {"customerEmail": "Ada@Example.COM"},  # normalized before it is fingerprinted
        {"shippingAddress": {**ADDRESS, "country": "gb"}},
    ],
)
def test_an_order_keeps_its_fingerprint_through_what_does_not_change_it(
    same: dict[str, Any],
) -> None:
    assert order(**same).fingerprint() == order().fingerprint()


@pytest.mark.parametrize(
    "other",
    [
        {"orderId": "o-2"},
        {"items": [{"sku": "sku-a", "quantity": 1}]},
        {"items": [{"sku": "sku-a", "quantity": 1}, {"sku": "sku-b", "quantity": 3}]},
        {"customerEmail": "grace@example.com"},
        {"paymentMethod": "tok_mastercard"},
        {"shippingAddress": {**ADDRESS, "line1": "2 Analytical St"}},
    ],
)
def test_any_other_order_detail_gives_another_fingerprint(other: dict[str, Any]) -> None:
    assert order(**other).fingerprint() != order().fingerprint()


def _steps(saga_input: OrderDetails, amount: str = "10.20") -> list[str]:
    fingerprint = saga_input.fingerprint()
    common = {"orderId": saga_input.order_id, "orderFingerprint": fingerprint}
    items = [item.to_json() for item in saga_input.items]
    return [
        ReserveInventoryRequest.from_json(
            {**common, "idempotencyKey": "k", "items": items}
        ).fingerprint(),
        ChargePaymentRequest.from_json(
            {
                **common,
                "idempotencyKey": "k",
                "amount": amount,
            }
        ).fingerprint(),
        CreateShipmentRequest.from_json(
            {
                **common,
                "idempotencyKey": "k",
                "items": items,
            }
        ).fingerprint(),
    ]


def test_each_steps_fingerprint_follows_the_order_it_belongs_to() -> None:
    """A step whose own fields happen to match is still another order's when the order differs."""
    first = _steps(order())
    other_address = _steps(order(shippingAddress={**ADDRESS, "line1": "2 Analytical St"}))

    assert len(set(first)) == 3  # one per effect
    assert all(a != b for a, b in zip(first, other_address, strict=True))
    assert _steps(order()) == first  # and stable


def test_the_charge_fingerprint_follows_the_amount_but_not_the_key() -> None:
    first = _steps(order())

    assert _steps(order(), amount="10.21")[1] != first[1]
    assert (
        ChargePaymentRequest.from_json(
            {
                "idempotencyKey": "another-key",
                "orderId": "o-1",
                "amount": "10.20",
                "orderFingerprint": order().fingerprint(),
            }
        ).fingerprint()
        == first[1]
    )
