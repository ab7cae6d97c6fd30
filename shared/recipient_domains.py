"""Who the app may send notifications to: addresses in the allow-listed domains only.

Callers choose recipients (a customer's address, an expense's approvers, a monitor's alert
address), so without a limit the app could be made to mail anyone. The API refuses an address
outside NOTIFICATION_ALLOWED_DOMAINS with a 400 naming the field, and the notification activity
refuses it again, so no other path into the outbox can bypass the rule.
"""

from __future__ import annotations

from collections.abc import Iterable

from shared.errors import ErrorCode, PermanentError


def recipient_domain(address: str) -> str:
    """The domain of an e-mail address, lower-cased (`Ada@Example.COM` -> `example.com`)."""
    return address.rpartition("@")[2].strip().rstrip(".").lower()


def recipient_allowed(address: str, allowed_domains: Iterable[str]) -> bool:
    """Whether the address's domain is one of `allowed_domains` exactly (no subdomains)."""
    return "@" in address and recipient_domain(address) in {d.lower() for d in allowed_domains}


def require_allowed_recipient(address: str, allowed_domains: Iterable[str]) -> None:
    """A permanent `not_allowed` error for an address outside the allowed domains."""
    if not recipient_allowed(address, allowed_domains):
        raise PermanentError(
            ErrorCode.NOT_ALLOWED,
            f"recipient domain '{recipient_domain(address)[:253]}' is not in "
            "NOTIFICATION_ALLOWED_DOMAINS",
        )
