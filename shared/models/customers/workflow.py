"""Workflow contracts of the onboarding chain: its input, its custom status and its output."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared import instance_ids
from shared.idempotency import Fingerprint
from shared.models.base import Contract, Identifier
from shared.models.customers.activities import CustomerCreated
from shared.models.customers.customer import Account, OnboardingKey
from shared.models.notifications import NotificationReceipt


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
