"""Contracts of customer onboarding: the request, each chained step's input and output."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints

from shared import instance_ids
from shared.idempotency import Fingerprint, fingerprint
from shared.models.base import Contract, EmailAddress, IdempotencyKey, Identifier, ShortText
from shared.models.notifications import NotificationReceipt


def _lower(value: str) -> str:
    return value.lower()


#: An e-mail address, normalized: syntax checked (no DNS lookups), then lower-cased as a
#: whole, so `Ada@Example.com` and `ada@example.com` are one customer. Strictly the local
#: part is case-sensitive; no real mailbox provider treats it so, and two customers
#: differing only by case are far more likely a typo than two people.
NormalizedEmail = Annotated[EmailAddress, AfterValidator(_lower)]


def email_key(email: str) -> str:
    """A stable, key-safe digest of a normalized e-mail (e-mails may hold '/', '#', '?')."""
    return hashlib.sha256(email.encode()).hexdigest()[:40]


#: `email_key()` of the e-mail being onboarded: the onboarding's business key.
OnboardingKey = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{40}$")]


class OnboardingRequest(Contract):
    """Body of `POST /api/customers`; stored by `email_key(email)` as the onboarding's details."""

    email: NormalizedEmail
    name: ShortText

    @property
    def key(self) -> str:
        return email_key(self.email)

    def fingerprint(self) -> str:
        return fingerprint({"email": self.email, "name": self.name})


class OnboardingInput(Contract):
    """Input of the `customer_onboarding` orchestration: a reference to the stored details."""

    onboarding_key: OnboardingKey
    details_fingerprint: Fingerprint = Field(
        description="`OnboardingRequest.fingerprint()` of the details stored under the key."
    )

    @property
    def onboarding_id(self) -> str:
        """The onboarding's business id: its steps' keys and its notifications derive from it."""
        return instance_ids.onboarding(self.onboarding_key)


class CustomerRoute(Contract):
    customer_id: Identifier


class CustomerQuery(Contract):
    email: NormalizedEmail


class CreateCustomerRequest(Contract):
    """Input of `create_customer`: the id is proposed; an existing customer keeps theirs.

    The e-mail and name are read from the onboarding's stored details.
    """

    idempotency_key: IdempotencyKey
    proposed_customer_id: Identifier
    onboarding_key: OnboardingKey
    details_fingerprint: Fingerprint


class CustomerCreated(Contract):
    """Output of `create_customer`; the same on every re-run with one key. No personal data."""

    customer_id: Identifier
    created_at: datetime
    already_existed: bool = Field(
        description="True when the e-mail belonged to a customer created by another request."
    )


class Customer(Contract):
    """A customer as stored (`shared.customer_store`)."""

    customer_id: Identifier
    email: NormalizedEmail
    name: ShortText
    created_at: datetime
    already_existed: bool = Field(
        description="True when the e-mail belonged to a customer created by another request."
    )


class OpenAccountRequest(Contract):
    """Input of `open_customer_account`: fed by `create_customer`'s output."""

    idempotency_key: IdempotencyKey
    customer_id: Identifier
    proposed_account_id: Identifier


class Account(Contract):
    """A customer's account; each customer has exactly one."""

    account_id: Identifier
    customer_id: Identifier
    status: Literal["open"]
    opened_at: datetime


class OnboardingStep(Contract):
    """The onboarding's custom status: which step of the chain runs now."""

    step: Literal["creating_customer", "opening_account", "sending_welcome", "completed", "failed"]
    customer_id: Identifier | None = None
    account_id: Identifier | None = None
    failed_step: str | None = None
    error_code: str | None = None
    error: str | None = None


class OnboardingResult(Contract):
    """Output of the onboarding: the customer, their account, the welcome message."""

    customer: CustomerCreated
    account: Account
    welcome: NotificationReceipt


class CustomerView(Contract):
    """Answer of `GET /api/customers/...`."""

    customer_id: Identifier
    email: NormalizedEmail
    name: ShortText
    created_at: datetime
    account: Account | None
