"""Whom an export monitor notifies (`MonitorRecipients` table), when the request named someone.

The starter stores the `notify` address by monitor id before the monitor starts; the
monitor's input says only that it has a recipient of its own, and `send_notification` reads
the address here. Monitors without one alert operations.
"""

from __future__ import annotations

from shared.idempotency import fingerprint
from shared.models.base import Contract
from shared.models.monitors.workflow import Email
from shared.models.notifications import OPERATIONS, Audience, RecipientRef
from shared.personal_details import load_details, save_details

MONITOR_RECIPIENTS_TABLE = "MonitorRecipients"


class MonitorRecipient(Contract):
    """The address a monitor notifies, stored by monitor id."""

    email: Email


def recipient_of(monitor_id: str, notify: str | None) -> RecipientRef:
    """Whom monitor `monitor_id` alerts, by reference: `notify` (stored here) or operations."""
    if notify is None:
        return OPERATIONS
    save_monitor_recipient(monitor_id, notify)
    return RecipientRef(audience=Audience.MONITOR_SUBSCRIBER, ref=monitor_id)


def save_monitor_recipient(monitor_id: str, email: str) -> None:
    recipient = MonitorRecipient(email=email)
    save_details(MONITOR_RECIPIENTS_TABLE, monitor_id, recipient, fingerprint(recipient.to_json()))


def monitor_recipient(monitor_id: str) -> str:
    """The address monitor `monitor_id` notifies; `PermanentError` when none is stored."""
    return load_details(MONITOR_RECIPIENTS_TABLE, monitor_id, MonitorRecipient, None).email
