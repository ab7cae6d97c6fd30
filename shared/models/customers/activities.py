"""Activity contracts of the onboarding chain: `create_customer`, `open_customer_account`."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from shared.idempotency import Fingerprint
from shared.models.base import Contract, IdempotencyKey, Identifier
from shared.models.customers.customer import OnboardingKey


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


class OpenAccountRequest(Contract):
    """Input of `open_customer_account`: fed by `create_customer`'s output."""

    idempotency_key: IdempotencyKey
    customer_id: Identifier
    proposed_account_id: Identifier
