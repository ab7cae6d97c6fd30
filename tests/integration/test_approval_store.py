"""The approvals table keeps who asked and who decides, once per approval id."""

from __future__ import annotations

import uuid

import pytest

from shared.approval_store import ApprovalNotFound, ApprovalParties, load_parties, save_parties
from shared.models.approvals.expense import IdentitySource

pytestmark = pytest.mark.usefixtures("app_storage")


def _parties(*approvers: str) -> ApprovalParties:
    return ApprovalParties(
        requester="ada@example.com",
        approvers=list(approvers),
        requester_source=IdentitySource.PRINCIPAL,
    )


def test_saved_parties_are_read_back_as_stored() -> None:
    approval_id = f"approval-{uuid.uuid4().hex}"
    parties = _parties("manager@example.com", "director@example.com")

    save_parties(approval_id, parties)
    save_parties(approval_id, parties)  # a repeated write of the same parties is harmless

    assert load_parties(approval_id) == parties


def test_an_id_stored_with_other_parties_is_refused_and_kept() -> None:
    approval_id = f"approval-{uuid.uuid4().hex}"
    save_parties(approval_id, _parties("manager@example.com"))

    with pytest.raises(ValueError, match="other parties"):
        save_parties(approval_id, _parties("mallory@example.com"))

    assert load_parties(approval_id).approvers == ["manager@example.com"]


def test_an_unknown_approval_is_not_found() -> None:
    with pytest.raises(ApprovalNotFound):
        load_parties(f"approval-{uuid.uuid4().hex}")
