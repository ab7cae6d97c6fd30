"""Customers and their accounts, in three tables.

- `CustomerEmails` (PartitionKey = digest of the normalized e-mail, RowKey = "email"): the
  uniqueness claim. Inserting it is atomic, so however many onboardings race for one e-mail,
  exactly one customer id wins and every other request is handed that id.
- `Customers` (PartitionKey = customer id, RowKey = "profile"): the customer.
- `Accounts` (PartitionKey = customer id, RowKey = "primary"): one account per customer.

Every write is insert-if-absent, so re-running a step (same key, or another request for the
same e-mail) converges on the rows the first run wrote.

These rows store no request fingerprint (see `shared.idempotency`), unlike the order's effect
rows, because they are not keyed by the idempotency key but by natural keys: the claim by the
normalized e-mail, the account by the customer id. What defines the effect *is* the row's
key, so a fingerprint of it could never differ. A request that differs in anything else (the
name) is by design another request for the same customer, handed the stored one: onboarding
restarts a failed instance with a corrected name on exactly that basis.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import Field

from shared import storage
from shared.models.base import Contract, Identifier, ShortText
from shared.models.customers.customer import Account, NormalizedEmail, email_key

EMAILS_TABLE = "CustomerEmails"
CUSTOMERS_TABLE = "Customers"
ACCOUNTS_TABLE = "Accounts"
EMAIL_ROW = "email"
PROFILE_ROW = "profile"
PRIMARY_ACCOUNT_ROW = "primary"


class Customer(Contract):
    """A customer as stored, one row per customer id."""

    customer_id: Identifier
    email: NormalizedEmail
    name: ShortText
    created_at: datetime
    already_existed: bool = Field(
        description="True when the e-mail belonged to a customer created by another request."
    )


class CustomerNotFound(LookupError):
    pass


def _now() -> str:
    return datetime.now(UTC).isoformat()


def create_customer(key: str, proposed_id: str, email: str, name: str) -> Customer:
    """The customer owning `email`, creating them with `proposed_id` if nobody owns it yet.

    `already_existed` is derived from who made the claim (its idempotency key), so a re-run
    with the same key reports the same thing as the first run.
    """
    claim, _ = storage.insert_once(
        storage.table(EMAILS_TABLE),
        {
            "PartitionKey": email_key(email),
            "RowKey": EMAIL_ROW,
            "Email": email,
            "CustomerId": proposed_id,
            "ClaimedBy": key,
            "ClaimedAt": _now(),
        },
    )
    # The profile is written after the claim; whoever finds it missing writes it (a crash
    # between the two inserts is healed by the next run for this e-mail).
    profile, _ = storage.insert_once(
        storage.table(CUSTOMERS_TABLE),
        {
            "PartitionKey": claim["CustomerId"],
            "RowKey": PROFILE_ROW,
            "Email": email,
            "Name": name,
            "CreatedAt": claim["ClaimedAt"],
            "CreatedBy": claim["ClaimedBy"],
        },
    )
    return _customer(profile, already_existed=claim["ClaimedBy"] != key)


def get_customer(customer_id: str) -> Customer | None:
    profile = storage.get_entity(storage.table(CUSTOMERS_TABLE), customer_id, PROFILE_ROW)
    return _customer(profile, already_existed=True) if profile else None


def find_customer_id(email: str) -> str | None:
    claim = storage.get_entity(storage.table(EMAILS_TABLE), email_key(email), EMAIL_ROW)
    return str(claim["CustomerId"]) if claim else None


def open_account(key: str, customer_id: str, proposed_account_id: str) -> Account:
    """The customer's account, opening it with `proposed_account_id` if they have none."""
    if get_customer(customer_id) is None:
        raise CustomerNotFound(f"customer '{customer_id}' does not exist")
    row, _ = storage.insert_once(
        storage.table(ACCOUNTS_TABLE),
        {
            "PartitionKey": customer_id,
            "RowKey": PRIMARY_ACCOUNT_ROW,
            "AccountId": proposed_account_id,
            "Status": "open",
            "OpenedAt": _now(),
            "OpenedBy": key,
        },
    )
    return _account(row)


def get_account(customer_id: str) -> Account | None:
    row = storage.get_entity(storage.table(ACCOUNTS_TABLE), customer_id, PRIMARY_ACCOUNT_ROW)
    return _account(row) if row else None


def _customer(profile: dict[str, Any], *, already_existed: bool) -> Customer:
    return Customer(
        customer_id=profile["PartitionKey"],
        email=profile["Email"],
        name=profile["Name"],
        created_at=datetime.fromisoformat(profile["CreatedAt"]),
        already_existed=already_existed,
    )


def _account(row: dict[str, Any]) -> Account:
    return Account(
        account_id=row["AccountId"],
        customer_id=row["PartitionKey"],
        status=row["Status"],
        opened_at=datetime.fromisoformat(row["OpenedAt"]),
    )
