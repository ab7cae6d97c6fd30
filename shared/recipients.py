"""The address behind a notification's `RecipientRef`, looked up where the app keeps it.

Orchestrators name recipients by reference so that no address enters their history; the
`send_notification` activity resolves the reference here, reading settings (the operations
address) and the app's tables (an order's customer, a customer, an export monitor's
recipient, an approval's requester or approver). A reference that leads nowhere is a
permanent error naming the reference only.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared import approval_store, customer_store, monitor_store, order_store
from shared.errors import ErrorCode, PermanentError
from shared.models.notifications import RECIPIENT_NAME, Audience, RecipientRef
from shared.settings import get_settings


@dataclass(frozen=True)
class Addressee:
    email: str
    name: str | None = None

    def render(self, text: str) -> str:
        """`text` with its recipient-name placeholder filled (with the address if no name)."""
        return text.replace(RECIPIENT_NAME, self.name or self.email)


def resolve(recipient: RecipientRef) -> Addressee:
    ref = recipient.ref or ""
    match recipient.audience:
        case Audience.OPERATIONS:
            return Addressee(str(get_settings().operations_email))
        case Audience.ORDER_CUSTOMER:
            details = order_store.order_details(ref, recipient.details_fingerprint)
            return Addressee(details.customer_email)
        case Audience.CUSTOMER:
            customer = customer_store.get_customer(ref)
            if customer is None:
                raise PermanentError(ErrorCode.NOT_FOUND, f"customer '{ref}' does not exist")
            return Addressee(customer.email, customer.name)
        case Audience.MONITOR_SUBSCRIBER:
            return Addressee(monitor_store.monitor_recipient(ref))
        case Audience.APPROVAL_REQUESTER:
            return Addressee(approval_store.load_parties(ref).requester)
        case Audience.APPROVAL_APPROVER:
            approvers = approval_store.load_parties(ref).approvers
            stage = recipient.stage or 0
            if not 1 <= stage <= len(approvers):
                raise PermanentError(
                    ErrorCode.NOT_FOUND, f"approval '{ref}' has no approver for stage {stage}"
                )
            return Addressee(approvers[stage - 1])
