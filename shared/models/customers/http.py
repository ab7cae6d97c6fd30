"""HTTP contracts of customers: `POST /api/customers` (onboarding) and the customer's view."""

from __future__ import annotations

from datetime import datetime

from shared.idempotency import fingerprint
from shared.models.base import Contract, Identifier, ShortText
from shared.models.customers.customer import Account, NormalizedEmail, email_key


class OnboardingRequest(Contract):
    """Body of `POST /api/customers`; stored by `email_key(email)` as the onboarding's details."""

    email: NormalizedEmail
    name: ShortText

    @property
    def key(self) -> str:
        return email_key(self.email)

    def fingerprint(self) -> str:
        return fingerprint({"email": self.email, "name": self.name})


class CustomerRoute(Contract):
    customer_id: Identifier


class CustomerQuery(Contract):
    email: NormalizedEmail


class CustomerView(Contract):
    """Answer of `GET /api/customers/...`."""

    customer_id: Identifier
    email: NormalizedEmail
    name: ShortText
    created_at: datetime
    account: Account | None
