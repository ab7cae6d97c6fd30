"""Payment side effects against Azurite: one charge per key, one refund, test tokens."""

from __future__ import annotations

import uuid

import pytest

from activities.payments import charge_payment, refund_payment
from shared import payment_store, storage
from shared.errors import PermanentError, TransientError
from tests.support.functions import user_function

pytestmark = pytest.mark.usefixtures("app_storage")

charge = user_function(charge_payment)
refund = user_function(refund_payment)


def _key() -> str:
    return f"order-{uuid.uuid4().hex[:8]}:charge-payment"


def _charge(key: str, token: str = "tok_visa", amount: str = "10.20") -> dict:
    return charge(
        {
            "idempotencyKey": key,
            "orderId": "o-1",
            "amount": amount,
            "paymentMethod": token,
            "customerEmail": "ada@example.com",
        }
    )


def _refund(key: str) -> dict:
    return refund({"idempotencyKey": key, "orderId": "o-1"})


def _payment_rows(key: str) -> list[dict]:
    return list(
        storage.table(payment_store.PAYMENTS_TABLE).query_entities(
            "PartitionKey eq @pk and RowKey eq 'payment'", parameters={"pk": key}
        )
    )


def test_charging_twice_with_one_key_charges_once() -> None:
    key = _key()

    first = _charge(key)
    second = _charge(key, amount="99.00")

    assert first == second
    assert first["status"] == "charged"
    assert first["amount"] == "10.20"
    assert len(_payment_rows(key)) == 1


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
    with pytest.raises(PermanentError, match="conflict"):
        _charge(key)
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

    assert _refund(key)["status"] == "declined"  # nothing to give back


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
            _refund(key)

    assert _payment_rows(key)[0]["Status"] == "charged"


def test_the_counted_refund_token_refunds_after_n_failures() -> None:
    key = _key()
    _charge(key, "tok_refund_unavailable_1")

    with pytest.raises(TransientError):
        _refund(key)

    assert _refund(key)["status"] == "refunded"


def test_invalid_input_is_a_permanent_error() -> None:
    with pytest.raises(PermanentError, match="validation"):
        _charge(_key(), amount="1.001")
