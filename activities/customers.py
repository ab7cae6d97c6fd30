"""Customer onboarding's side effects: create the customer, open their account.

The e-mail and name are read from the onboarding's stored details (`shared.onboarding_store`)
and never returned: the outputs carry ids only, since they enter the orchestration's history.
Both are insert-if-absent (see `shared.customer_store`), so a re-run, or a second onboarding
for the same e-mail, never creates a second customer or a second account. Their rows are keyed
by the e-mail and the customer id, not by the idempotency key, so they need no request
fingerprint: a request under the same key with another name is handed the stored customer.
"""

from __future__ import annotations

from activities.boundary import Activities
from shared import customer_store, onboarding_store
from shared.models.customers.activities import (
    CreateCustomerRequest,
    CustomerCreated,
    OpenAccountRequest,
)
from shared.models.customers.customer import Account

activity = Activities()
bp = activity.bp


@activity(CreateCustomerRequest)
def create_customer(command: CreateCustomerRequest) -> CustomerCreated:
    details = onboarding_store.onboarding_details(
        command.onboarding_key, command.details_fingerprint
    )
    customer = customer_store.create_customer(
        command.idempotency_key, command.proposed_customer_id, details.email, details.name
    )
    return CustomerCreated(
        customer_id=customer.customer_id,
        created_at=customer.created_at,
        already_existed=customer.already_existed,
    )


@activity(OpenAccountRequest)
def open_customer_account(command: OpenAccountRequest) -> Account:
    return customer_store.open_account(
        command.idempotency_key, command.customer_id, command.proposed_account_id
    )
