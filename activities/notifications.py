"""Activity `send_notification`: records a notification in the outbox, once per key.

The recipient comes by reference (`to`): the address, and a name for the subject and body,
are looked up here (`shared.recipients`), so they never enter the orchestration's history.
The row mapping lives in `shared.outbox`, which the read route uses too. A key that already
holds a notification of another kind or to another recipient is a permanent `conflict`: the
first notification stays, and this one is not reported as sent. A recipient outside
NOTIFICATION_ALLOWED_DOMAINS is a permanent `not_allowed`, whatever path it came by.
"""

from __future__ import annotations

from activities.boundary import Activities
from shared.models.notifications import NotificationReceipt, NotificationRequest
from shared.outbox import write_notification
from shared.recipient_domains import require_allowed_recipient
from shared.recipients import resolve
from shared.settings import get_settings

activity = Activities()
bp = activity.bp

SUBJECT_LENGTH = 200


@activity(NotificationRequest)
def send_notification(notification: NotificationRequest) -> NotificationReceipt:
    return deliver(notification)


def deliver(notification: NotificationRequest) -> NotificationReceipt:
    """Address `notification` by its reference, check the domain, write it to the outbox."""
    addressee = resolve(notification.to)
    require_allowed_recipient(addressee.email, get_settings().notification_allowed_domains)
    rendered = notification.model_copy(
        update={
            "subject": addressee.render(notification.subject)[:SUBJECT_LENGTH],
            "body": addressee.render(notification.body),
        }
    )
    return write_notification(rendered, addressee.email)
