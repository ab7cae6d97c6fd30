"""Function chaining: customer onboarding.

create customer -> open account -> send welcome, each step fed by the previous one's output
(the customer id opens the account; customer and account make the welcome). The custom
status names the step running now, so a caller polling the instance sees the chain advance.

Ids are proposed here with `context.new_uuid()` (deterministic on replay) and the activities
keep the first stored ones, so retries and re-posts converge on one customer and one account.
The input is a reference (the onboarding key and the fingerprint of the stored e-mail and
name): `create_customer` reads the details, the welcome names its recipient by customer id,
and no output holds the e-mail or the name.

A step that still fails after its retries fails the instance, with the custom status naming
the step: every step is idempotent, so re-posting the same e-mail restarts it safely.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import timedelta
from typing import Any

import azure.durable_functions as df
from azure.durable_functions.models.Task import TaskBase

from orchestrators.common import read_input, replay_safe_logger, step_key
from orchestrators.notify import SEND_NOTIFICATION
from orchestrators.retry import Backoff, StepFailed, call_activity_with_backoff
from shared.models.customers import (
    Account,
    CreateCustomerRequest,
    CustomerCreated,
    OnboardingInput,
    OnboardingResult,
    OnboardingStep,
    OpenAccountRequest,
)
from shared.models.notifications import (
    RECIPIENT_NAME,
    Audience,
    NotificationKind,
    NotificationReceipt,
    NotificationRequest,
    RecipientRef,
)

bp = df.Blueprint()

#: Onboarding has no deadline; a dependency blip is ridden out for about a minute.
ONBOARDING_BACKOFF = Backoff(
    max_attempts=5,
    first_delay=timedelta(seconds=2),
    multiplier=2,
    max_delay=timedelta(seconds=30),
)


class OnboardingFailed(Exception):
    """A step kept failing; the instance fails and names it (custom status and message)."""


@bp.orchestration_trigger(context_name="context")
def customer_onboarding(
    context: df.DurableOrchestrationContext,
) -> Generator[TaskBase, Any, dict[str, Any]]:
    request = read_input(context, OnboardingInput)
    onboarding_id = request.onboarding_id
    log = replay_safe_logger(context, __name__)
    step: OnboardingStep = OnboardingStep(step="creating_customer")
    try:
        context.set_custom_status(step.to_json())
        customer = CustomerCreated.from_json(
            (
                yield from call_activity_with_backoff(
                    context,
                    "create_customer",
                    CreateCustomerRequest(
                        idempotency_key=step_key(onboarding_id, "create-customer"),
                        proposed_customer_id=f"cus-{context.new_uuid()}",
                        onboarding_key=request.onboarding_key,
                        details_fingerprint=request.details_fingerprint,
                    ).to_json(),
                    ONBOARDING_BACKOFF,
                )
            )
        )

        step = OnboardingStep(step="opening_account", customer_id=customer.customer_id)
        context.set_custom_status(step.to_json())
        account = Account.from_json(
            (
                yield from call_activity_with_backoff(
                    context,
                    "open_customer_account",
                    OpenAccountRequest(
                        idempotency_key=step_key(onboarding_id, "open-account"),
                        customer_id=customer.customer_id,
                        proposed_account_id=f"acc-{context.new_uuid()}",
                    ).to_json(),
                    ONBOARDING_BACKOFF,
                )
            )
        )

        step = step.model_copy(update={"step": "sending_welcome", "account_id": account.account_id})
        context.set_custom_status(step.to_json())
        welcome = NotificationReceipt.from_json(
            (
                yield from call_activity_with_backoff(
                    context,
                    SEND_NOTIFICATION,
                    _welcome(onboarding_id, customer, account).to_json(),
                    ONBOARDING_BACKOFF,
                )
            )
        )
    except StepFailed as failed:
        context.set_custom_status(
            step.model_copy(
                update={
                    "step": "failed",
                    "failed_step": step.step,
                    "error_code": failed.failure.code,
                    "error": failed.failure.message,
                }
            ).to_json()
        )
        log.warning("onboarding failed at %s: %s", step.step, failed)
        raise OnboardingFailed(f"onboarding failed while {step.step}: {failed}") from None

    context.set_custom_status(step.model_copy(update={"step": "completed"}).to_json())
    return OnboardingResult(customer=customer, account=account, welcome=welcome).to_json()


def _welcome(
    onboarding_id: str, customer: CustomerCreated, account: Account
) -> NotificationRequest:
    return NotificationRequest(
        idempotency_key=step_key(onboarding_id, "welcome"),
        correlation_id=onboarding_id,
        kind=NotificationKind.WELCOME,
        to=RecipientRef(audience=Audience.CUSTOMER, ref=customer.customer_id),
        subject=f"Welcome, {RECIPIENT_NAME}",
        body=f"Your account {account.account_id} is open.",
        data={"customerId": customer.customer_id, "accountId": account.account_id},
    )
