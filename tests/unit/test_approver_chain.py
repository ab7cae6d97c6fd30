"""The approver chain's rules hold wherever a chain is read: the request body and the stored row."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from shared.approval_store import ApprovalParties
from shared.models.approvals.http import ApprovalRequest
from shared.models.base import Contract

MODELS: list[tuple[type[Contract], dict[str, Any]]] = [
    (ApprovalRequest, {"amount": "12.50", "description": "Books"}),
    (ApprovalParties, {"requesterSource": "principal"}),
]


@pytest.mark.parametrize(("model", "fields"), MODELS, ids=lambda m: getattr(m, "__name__", ""))
@pytest.mark.parametrize(
    ("approvers", "error"),
    [
        (["grace@example.com", "GRACE@example.com"], "duplicate_approver"),
        (["grace@example.com", "Ada@example.com"], "self_approval"),
    ],
)
def test_a_chain_naming_anyone_twice_or_the_requester_is_refused_on_its_field(
    model: type[Contract], fields: dict[str, Any], approvers: list[str], error: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        model.model_validate({"requester": "ada@example.com", "approvers": approvers, **fields})

    assert [(e["type"], e["loc"]) for e in refused.value.errors()] == [(error, ("approvers",))]


@pytest.mark.parametrize(("model", "fields"), MODELS, ids=lambda m: getattr(m, "__name__", ""))
def test_distinct_approvers_other_than_the_requester_are_accepted(
    model: type[Contract], fields: dict[str, Any]
) -> None:
    chain = ["grace@example.com", "linus@example.org"]

    parsed = model.model_validate({"requester": "ada@example.com", "approvers": chain, **fields})

    assert parsed.model_dump()["approvers"] == chain
