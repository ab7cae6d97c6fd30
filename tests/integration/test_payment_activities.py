"""Payment side effects against Azurite: one charge per key, one refund, test tokens."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from activities.payments import charge_payment, refund_payment
from shared import order_store, payment_store, storage
from shared.errors import PermanentError, TransientError
from shared.idempotency import FINGERPRINT_PROPERTY, fingerprint
from shared.models.orders.order import OrderDetails
from shared.models.payments import ChargePaymentRequest
from tests.support.functions import user_function

pytestmark = pytest.mark.usefixtures("app_storage")

charge = user_function(charge_payment)
refund = user_function(refund_payment)


def _key() -> str:
    return f"order-{uuid.uuid4().hex[:8]}:charge-payment"


OTHER_ORDER = fingerprint({"order": "o-1 posted again with other items"})


def _details(token: str = "tok_visa", email: str = "ada@example.com") -> OrderDetails:
    """What the order starter stores for order o-1: the token is read from here."""
    return OrderDetails.from_json(
        {
            "orderId": "o-1",
            "customerEmail": email,
            "items": [{"sku": "sku-a", "quantity": 1}],
            "paymentMethod": token,
            "shippingAddress": {
                "name": "Ada",
                "line1": "1 Analytical St",
                "city": "London",
                "postalCode": "N1 1AA",
                "country": "GB",
            },
        }
    )


def _charge_request(key: str, token: str = "tok_visa", amount: str = "10.20", **extra: Any) -> dict:
    return {
        "idempotencyKey": key,
        "orderId": "o-1",
        "amount": amount,
        "orderFingerprint": _details(token).fingerprint(),
        **extra,
    }


def _charge(key: str, token: str = "tok_visa", amount: str = "10.20", **extra: Any) -> dict:
    """Store the order's details (as the starter does), then charge it."""
    order_store.save_order_details(_details(token))
    return charge(_charge_request(key, token, amount, **extra))


def _fingerprint_of_charge(key: str, **changes: Any) -> str:
    return ChargePaymentRequest.from_json(_charge_request(key, **changes)).fingerprint()


def _refund(key: str, **changes: Any) -> dict:
    """The saga's refund: it names the charge it undoes by that charge's fingerprint."""
    return refund(
        {
            "idempotencyKey": key,
            "orderId": "o-1",
            "chargeFingerprint": _fingerprint_of_charge(key, **changes),
        }
    )


def _payment_rows(key: str) -> list[dict]:
    return list(
        storage.table(payment_store.PAYMENTS_TABLE).query_entities(
            "PartitionKey eq @pk and RowKey eq 'payment'", parameters={"pk": key}
        )
    )


def test_charging_twice_with_one_key_charges_once() -> None:
    key = _key()

    first = _charge(key)
    second = _charge(key)

    assert first == second
    assert first["status"] == "charged"
    assert first["amount"] == "10.20"
    (row,) = _payment_rows(key)
    assert row[FINGERPRINT_PROPERTY] == _fingerprint_of_charge(key)


@pytest.mark.parametrize(
    "changed",
    [
        {"amount": "99.00"},
        {"token": "tok_mastercard"},
        {"orderFingerprint": OTHER_ORDER},  # the same charge for another order with this id
    ],
)
def test_the_key_with_another_charge_is_a_conflict_and_changes_nothing(
    changed: dict[str, Any],
) -> None:
    key = _key()
    first = _charge(key)

    with pytest.raises(PermanentError, match="conflict") as refused:
        _charge(key, **changed)

    assert f"'{key}'" in str(refused.value)
    (row,) = _payment_rows(key)
    assert (row["Amount"], row["Status"], row["PaymentId"]) == (
        "10.20",
        "charged",
        first["paymentId"],
    )


def test_the_token_is_read_from_the_orders_stored_details_not_the_request() -> None:
    key = _key()
    order_store.save_order_details(_details("tok_declined"))

    with pytest.raises(PermanentError, match="payment_declined"):
        charge(_charge_request(key, "tok_declined"))
    with pytest.raises(PermanentError, match="validation"):
        charge({**_charge_request(key), "paymentMethod": "tok_visa"})  # no such field


def test_details_stored_for_another_order_under_the_id_are_a_conflict_and_charge_nothing() -> None:
    key = _key()
    order_store.save_order_details(_details(email="grace@example.com"))

    with pytest.raises(PermanentError, match="conflict") as refused:
        charge(_charge_request(key))  # started for Ada's order, finds Grace's

    assert "different request" in str(refused.value)
    assert "grace@example.com" not in str(refused.value)
    assert _payment_rows(key) == []


def test_an_order_without_stored_details_is_not_found_and_charges_nothing() -> None:
    key = _key()

    with pytest.raises(PermanentError, match="not_found"):
        charge({**_charge_request(key), "orderId": f"o-{uuid.uuid4().hex[:8]}"})
    assert _payment_rows(key) == []


def test_a_refund_naming_another_charge_leaves_the_payment_alone() -> None:
    key = _key()
    _charge(key)

    with pytest.raises(PermanentError, match="conflict") as refused:
        _refund(key, amount="99.00")

    assert "left untouched" in str(refused.value)
    assert _payment_rows(key)[0]["Status"] == "charged"
    assert _refund(key)["status"] == "refunded"  # the charge's own refund still works


def test_refunding_twice_refunds_once() -> None:
    key = _key()
    _charge(key)

    first = _refund(key)
    second = _refund(key)

    assert first == second
    assert first["status"] == "refunded"
    assert _payment_rows(key)[0]["Status"] == "refunded"


def test_a_refund_before_any_charge_voids_the_key_so_a_late_charge_is_refused() -> None:
    key = _key()

    voided = _refund(key)

    assert voided["status"] == "voided"
    assert _payment_rows(key)[0][FINGERPRINT_PROPERTY] == _fingerprint_of_charge(key)
    with pytest.raises(PermanentError, match="voided"):
        _charge(key)
    with pytest.raises(PermanentError, match="different request"):
        _charge(key, amount="99.00")
    assert _payment_rows(key)[0]["Status"] == "voided"


def test_a_charge_run_again_after_its_refund_is_refused_not_reported_as_paid() -> None:
    """A saga restarted under its old id reruns its charge: a refunded key is not payment."""
    key = _key()
    _charge(key)
    _refund(key)

    with pytest.raises(PermanentError, match="conflict"):
        _charge(key)
    assert _payment_rows(key)[0]["Status"] == "refunded"


def test_the_declined_token_is_permanent_every_time() -> None:
    key = _key()

    for _ in range(2):
        with pytest.raises(PermanentError, match="payment_declined"):
            _charge(key, "tok_declined")

    assert _refund(key, token="tok_declined")["status"] == "declined"  # nothing to give back


def test_the_unavailable_token_fails_n_attempts_then_charges_once() -> None:
    key = _key()

    for _ in range(2):
        with pytest.raises(TransientError, match="unavailable"):
            _charge(key, "tok_unavailable_2")
    receipt = _charge(key, "tok_unavailable_2")

    assert receipt["status"] == "charged"
    assert len(_payment_rows(key)) == 1


def test_the_refund_unavailable_token_keeps_the_payment_charged() -> None:
    key = _key()
    _charge(key, "tok_refund_unavailable")

    for _ in range(3):
        with pytest.raises(TransientError):
            _refund(key, token="tok_refund_unavailable")

    assert _payment_rows(key)[0]["Status"] == "charged"


def test_the_counted_refund_token_refunds_after_n_failures() -> None:
    key = _key()
    _charge(key, "tok_refund_unavailable_1")

    with pytest.raises(TransientError):
        _refund(key, token="tok_refund_unavailable_1")

    assert _refund(key, token="tok_refund_unavailable_1")["status"] == "refunded"


def test_invalid_input_is_a_permanent_error() -> None:
    with pytest.raises(PermanentError, match="validation"):
        _charge(_key(), amount="1.001")
