"""The `Payments` table: one partition per charge idempotency key.

Rows per partition (PartitionKey = the charge's idempotency key):
- `payment`: PaymentId, OrderId, Amount (decimal text), Currency, Status, Token, ChargedAt,
  RefundedAt, Fingerprint. Status moves charged -> refunded only (ETag-guarded); a refund that
  finds no charge writes a `voided` row, so a late duplicate of the charge is refused instead
  of taking money for an order that was already rolled back.
  Fingerprint is the charge request's (`ChargePaymentRequest.fingerprint()`: order, amount,
  currency, payment method). A charge or refund that brings another fingerprint is about a
  different request reusing the key: `FingerprintMismatch`, and the row stays as it is.
- `attempts|<operation>`: how often the simulated provider was called for this key, so the
  test tokens that fail the first n attempts are driven by stored state, not randomness.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from azure.data.tables import TableClient

from shared import storage
from shared.etag import create_or_retry, read, replace_if_unchanged, with_retries
from shared.idempotency import require_match, stamped
from shared.models.inventory import CURRENCY
from shared.models.payments import PaymentReceipt, PaymentStatus

PAYMENTS_TABLE = "Payments"
PAYMENT_ROW = "payment"


def _table() -> TableClient:
    return storage.table(PAYMENTS_TABLE)


def _now() -> str:
    return datetime.now(UTC).isoformat()


def get_payment(key: str, fingerprint: str | None = None) -> PaymentReceipt | None:
    """The payment under `key`; `FingerprintMismatch` if it was made for another request."""
    found = read(_table(), key, PAYMENT_ROW)
    if found is None:
        return None
    require_match(found[0], fingerprint, _where(key))
    return _receipt(found[0])


def record_payment(
    key: str,
    order_id: str,
    amount: Decimal,
    token: str,
    status: PaymentStatus,
    fingerprint: str,
) -> PaymentReceipt:
    """Record the charge's outcome unless one exists for `key`; return what is stored.

    A payment stored under `key` for another request raises `FingerprintMismatch`.
    """
    row, _ = storage.insert_once(
        _table(),
        {
            "PartitionKey": key,
            "RowKey": PAYMENT_ROW,
            "PaymentId": f"pay-{uuid.uuid4().hex}",
            "OrderId": order_id,
            "Amount": str(amount),
            "Currency": CURRENCY,
            "Status": status.value,
            "Token": token,
            "ChargedAt": _now() if status is PaymentStatus.CHARGED else "",
            "RefundedAt": "",
        },
        fingerprint=fingerprint,
    )
    return _receipt(row)


def refund(key: str, order_id: str, fingerprint: str) -> PaymentReceipt:
    """Refund the charge under `key`: charged -> refunded once; no charge -> voided.

    `fingerprint` is the charge request's: a payment under `key` made for another request is
    not refunded (`FingerprintMismatch`). The void row carries it, so a late duplicate of the
    charge is refused as voided, and another request's charge as a conflict.
    """
    client = _table()

    def attempt() -> PaymentReceipt:
        found = read(client, key, PAYMENT_ROW)
        if found is None:
            void = stamped(
                {
                    "PartitionKey": key,
                    "RowKey": PAYMENT_ROW,
                    "PaymentId": f"pay-{uuid.uuid4().hex}",
                    "OrderId": order_id,
                    "Amount": "0",
                    "Currency": CURRENCY,
                    "Status": PaymentStatus.VOIDED.value,
                    # A voided row keeps no payment token (an empty value, not a password).
                    "Token": "",  # nosec B105
                    "ChargedAt": "",
                    "RefundedAt": _now(),
                },
                fingerprint,
            )
            create_or_retry(client, void)
            return _receipt(void)
        row, etag = found
        require_match(row, fingerprint, _where(key))
        if row["Status"] != PaymentStatus.CHARGED.value:
            return _receipt(row)  # refunded, voided or declined: nothing (more) to give back
        refunded = {**row, "Status": PaymentStatus.REFUNDED.value, "RefundedAt": _now()}
        replace_if_unchanged(client, refunded, etag)
        return _receipt(refunded)

    return with_retries(attempt, f"refund {key}")


def count_attempt(key: str, operation: str) -> int:
    """Add one to the provider-call counter of `operation` under `key`; return the new count."""
    client = _table()
    row_key = f"attempts|{operation}"

    def attempt() -> int:
        found = read(client, key, row_key)
        if found is None:
            create_or_retry(client, {"PartitionKey": key, "RowKey": row_key, "Count": 1})
            return 1
        row, etag = found
        count = int(row["Count"]) + 1
        replace_if_unchanged(client, {**row, "Count": count}, etag)
        return count

    return with_retries(attempt, f"count {operation} attempts of {key}")


def stored_token(key: str) -> str | None:
    """The token the charge under `key` was made with (drives the refund test tokens)."""
    found = read(_table(), key, PAYMENT_ROW)
    return str(found[0]["Token"]) if found else None


def _where(key: str) -> str:
    return f"the payment under idempotency key '{key}'"


def _receipt(row: dict[str, Any]) -> PaymentReceipt:
    return PaymentReceipt(
        payment_id=row["PaymentId"],
        idempotency_key=row["PartitionKey"],
        order_id=row["OrderId"],
        amount=Decimal(row["Amount"]),
        currency=row["Currency"],
        status=PaymentStatus(row["Status"]),
        charged_at=datetime.fromisoformat(row["ChargedAt"]) if row["ChargedAt"] else None,
        refunded_at=datetime.fromisoformat(row["RefundedAt"]) if row["RefundedAt"] else None,
    )
