"""What an expense approval is made of: amounts, identities, approver chains, verdicts."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from shared.models.base import Contract, DecimalText, EmailAddress

MAX_APPROVERS = 5
MIN_STAGE_SECONDS = 1
#: 6 days: longer durable timers become "long timers" whose cancellation is unreliable.
MAX_STAGE_SECONDS = 144 * 3600
MAX_STAGE_HOURS = 144
Email = EmailAddress
Approvers = Annotated[
    list[Email],
    Field(
        min_length=1,
        max_length=MAX_APPROVERS,
        description="Escalation order: the first decides first; each next one on timeout.",
    ),
]
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$", max_length=3)]
Description = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Comment = Annotated[str, StringConstraints(max_length=1000)]
Amount = Annotated[
    Decimal,
    Field(gt=0, le=Decimal("1000000000"), max_digits=12, decimal_places=2),
    AfterValidator(lambda amount: amount.quantize(Decimal("0.01"))),
    DecimalText(places=2),
]
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def identity_key(identity: str) -> str:
    """An identity as compared: ASCII letters lower-cased, every other character kept as is.

    No Unicode case folding or compatibility normalization: a long s (U+017F) folds to `s` and
    fullwidth letters normalize to ASCII ones, yet each spelling is another mailbox and another
    sign-in name.
    """
    return identity.translate(_ASCII_LOWER)


def same_person(a: str, b: str) -> bool:
    """Whether two e-mail addresses or principal names name the same person (see identity_key)."""
    return identity_key(a) == identity_key(b)


class ApproverChainChecks(Contract):
    """Refuses an approver chain that names anyone twice or includes the requester.

    A base for every model with a `requester` field declared before its `approvers`.
    """

    @field_validator("approvers", check_fields=False)
    @classmethod
    def _distinct_and_not_the_requester(
        cls, approvers: list[str], info: ValidationInfo
    ) -> list[str]:
        keys = [identity_key(a) for a in approvers]
        if len(set(keys)) != len(keys):
            raise PydanticCustomError("duplicate_approver", "each approver may appear only once")
        requester = info.data.get("requester")
        if isinstance(requester, str) and identity_key(requester) in keys:
            raise PydanticCustomError(
                "self_approval", "the requester cannot approve their own expense"
            )
        return approvers


class Verdict(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


class ApprovalState(StrEnum):
    AWAITING_DECISION = "awaiting_decision"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"


class IdentitySource(StrEnum):
    """Where an identity came from: App Service Authentication (verified) or the request body."""

    PRINCIPAL = "principal"
    REQUEST_BODY = "request_body"

    @property
    def verified(self) -> bool:
        return self is IdentitySource.PRINCIPAL


class _ExpenseFields(Contract):
    amount: Amount = Field(description="Positive, at most 2 decimals; serialized as a string.")
    currency: CurrencyCode = "EUR"
    description: Description
