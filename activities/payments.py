"""Payment side effects against a simulated provider: charge, and refund (the compensation).

The provider is simulated with documented test tokens so every outcome can be forced from
HTTP, and each behaviour is driven by stored state (attempt counters in the `Payments`
table), never by randomness:

| token                          | charge                               | refund               |
|--------------------------------|--------------------------------------|----------------------|
| `tok_declined`                 | permanent `payment_declined`         | nothing to refund    |
| `tok_unavailable_<n>`          | transient `unavailable` n times, ok  | ok                   |
| `tok_refund_unavailable`       | ok                                   | always transient     |
| `tok_refund_unavailable_<n>`   | ok                                   | transient n times    |
| any other `tok_...`            | ok                                   | ok                   |

A charge records one row per idempotency key; a re-run returns that row while it is charged.
A refund moves the row charged -> refunded once, and a refund of a key never charged leaves a
`voided` row that makes a late duplicate charge fail instead of taking money. A charge that
finds its row refunded or voided fails permanently: it must never report money it no longer
holds as paid.

The payment token is not in the charge request: the charge reads it from the order's stored
details (`shared.order_store`), and the payment row keeps it for the refund.

Each payment row stores the charge request's fingerprint (order, amount, currency; see
`ChargePaymentRequest.fingerprint`). A charge whose key holds a payment made for a
different request (an order id reused after a purge, with another amount) fails permanently
with `conflict` before calling the provider, instead of handing back the other order's
receipt; a refund that names the charge it undoes leaves another request's payment alone and
fails with `conflict` too.
"""

from __future__ import annotations

import re

from activities.boundary import Activities
from shared import order_store, payment_store
from shared.errors import ErrorCode, PermanentError, TransientError
from shared.models.payments import (
    ChargePaymentRequest,
    PaymentReceipt,
    PaymentStatus,
    RefundPaymentRequest,
)

activity = Activities()
bp = activity.bp

#: The simulated provider's test token for a declined card: a published name, not a secret.
DECLINED_TOKEN = "tok_declined"  # nosec B105
_CHARGE_UNAVAILABLE = re.compile(r"^tok_unavailable_(\d{1,2})$")
_REFUND_UNAVAILABLE = re.compile(r"^tok_refund_unavailable(?:_(\d{1,2}))?$")


@activity(ChargePaymentRequest)
def charge_payment(command: ChargePaymentRequest) -> PaymentReceipt:
    key = command.idempotency_key
    fingerprint = command.fingerprint()
    existing = payment_store.get_payment(key, fingerprint)
    if existing is not None:
        return _settled(existing)
    token = order_store.order_details(command.order_id, command.order_fingerprint).payment_method
    unavailable = _CHARGE_UNAVAILABLE.match(token)
    if unavailable and payment_store.count_attempt(key, "charge") <= int(unavailable.group(1)):
        raise TransientError(ErrorCode.UNAVAILABLE, "payment provider unavailable, try again")
    status = PaymentStatus.DECLINED if token == DECLINED_TOKEN else PaymentStatus.CHARGED
    receipt = payment_store.record_payment(
        key, command.order_id, command.amount, token, status, fingerprint
    )
    return _settled(receipt)


def _settled(receipt: PaymentReceipt) -> PaymentReceipt:
    """The stored outcome of a charge, raised as the failure it was when it failed."""
    if receipt.status is PaymentStatus.DECLINED:
        raise PermanentError(ErrorCode.PAYMENT_DECLINED, "the payment method was declined")
    if receipt.status is PaymentStatus.VOIDED:
        raise PermanentError(
            ErrorCode.CONFLICT, "this payment was voided by a refund before it was charged"
        )
    if receipt.status is PaymentStatus.REFUNDED:
        # The money went back: a re-run (a restarted saga) must not count it as paid.
        raise PermanentError(ErrorCode.CONFLICT, "this payment was refunded; it is not charged")
    return receipt


@activity(RefundPaymentRequest, compensation=True)
def refund_payment(command: RefundPaymentRequest) -> PaymentReceipt:
    key = command.idempotency_key
    existing = payment_store.get_payment(key, command.charge_fingerprint)
    if existing is not None and existing.status is PaymentStatus.CHARGED:
        failing = _REFUND_UNAVAILABLE.match(payment_store.stored_token(key) or "")
        if failing:
            limit = failing.group(1)
            count = payment_store.count_attempt(key, "refund")
            if limit is None or count <= int(limit):
                raise TransientError(
                    ErrorCode.UNAVAILABLE, "payment provider cannot refund right now"
                )
    return payment_store.refund(key, command.order_id, command.charge_fingerprint)
