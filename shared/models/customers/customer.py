"""What a customer is keyed by (a normalized e-mail and its digest) and the account they get."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, StringConstraints

from shared.models.base import Contract, EmailAddress, Identifier


def _lower(value: str) -> str:
    return value.lower()


#: An e-mail address, normalized: syntax checked (no DNS lookups), then lower-cased as a
#: whole, so `Ada@Example.com` and `ada@example.com` are one customer. Strictly the local
#: part is case-sensitive; no real mailbox provider treats it so, and two customers
#: differing only by case are far more likely a typo than two people.
NormalizedEmail = Annotated[EmailAddress, AfterValidator(_lower)]


def email_key(email: str) -> str:
    """A stable, key-safe digest of a normalized e-mail (e-mails may hold '/', '#', '?')."""
    return hashlib.sha256(email.encode()).hexdigest()[:40]


#: `email_key()` of the e-mail being onboarded: the onboarding's business key.
OnboardingKey = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{40}$")]


class Account(Contract):
    """A customer's account; each customer has exactly one."""

    account_id: Identifier
    customer_id: Identifier
    status: Literal["open"]
    opened_at: datetime
