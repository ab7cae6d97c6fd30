"""Sending a notification from an orchestrator, where failing to send must not fail the work.

Every pattern tells someone something (a welcome, an escalation, an alert), and in every one a
notification that cannot be written after its retries is recorded and logged, never allowed
to change the outcome: an approval still escalates, a shipped order stays shipped.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import azure.durable_functions as df
from azure.durable_functions.models.Task import TaskBase

from orchestrators.common import replay_safe_logger
from orchestrators.retry import DEFAULT_BACKOFF, Backoff, StepFailed, call_activity_with_backoff
from shared.models.notifications import NotificationReceipt, NotificationRequest

SEND_NOTIFICATION = "send_notification"


@dataclass(frozen=True)
class Delivery:
    """What became of one notification: its receipt, or why it could not be written."""

    receipt: NotificationReceipt | None
    error: StepFailed | None

    @property
    def sent(self) -> bool:
        return self.receipt is not None


def send_notification(
    context: df.DurableOrchestrationContext,
    notification: NotificationRequest,
    backoff: Backoff = DEFAULT_BACKOFF,
) -> Generator[TaskBase, Any, Delivery]:
    """Write `notification` to the outbox with backoff; report, never raise, a failure."""
    try:
        receipt = yield from call_activity_with_backoff(
            context, SEND_NOTIFICATION, notification.to_json(), backoff
        )
    except StepFailed as failed:
        replay_safe_logger(context, __name__).error(
            "%s notification %s not sent: %s",
            notification.kind.value,
            notification.idempotency_key,
            failed,
        )
        return Delivery(receipt=None, error=failed)
    return Delivery(receipt=NotificationReceipt.from_json(receipt), error=None)
