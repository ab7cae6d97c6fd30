"""The `Approvals` table: who asked and who decides, per approval (PartitionKey = approval id).

The orchestration refers to an approval by its id; the e-mail addresses live only here, so no
history, custom status or output carries them. The starter writes the row before it starts the
instance (insert-if-absent: the id is fresh, a second write would be a bug), the decision
route reads it to check the caller, and the notification activity reads it to address mail.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Final

from shared import storage
from shared.models.approvals.expense import (
    ApproverChainChecks,
    Approvers,
    Email,
    IdentitySource,
)

APPROVALS_TABLE: Final = "Approvals"
ROW: Final = "parties"


class ApprovalParties(ApproverChainChecks):
    """Who asks and who decides, in escalation order: the approvals table's row, never history."""

    requester: Email
    approvers: Approvers
    requester_source: IdentitySource

    def approver(self, stage: int) -> str:
        return self.approvers[stage - 1]


class ApprovalNotFound(LookupError):
    def __init__(self, approval_id: str) -> None:
        super().__init__(f"approval '{approval_id}' has no stored parties")
        self.approval_id = approval_id


def save_parties(approval_id: str, parties: ApprovalParties) -> None:
    """Store the parties of a new approval; a row already there must hold the same parties."""
    row = {
        "PartitionKey": approval_id,
        "RowKey": ROW,
        "Requester": parties.requester,
        "Approvers": json.dumps(parties.approvers),
        "RequesterSource": parties.requester_source.value,
        "CreatedAt": datetime.now(UTC).isoformat(),
    }
    stored, created = storage.insert_once(storage.table(APPROVALS_TABLE), row)
    if not created and _parties(stored) != parties:
        raise ValueError(f"approval '{approval_id}' is stored with other parties")


def load_parties(approval_id: str) -> ApprovalParties:
    row = storage.get_entity(storage.table(APPROVALS_TABLE), approval_id, ROW)
    if row is None:
        raise ApprovalNotFound(approval_id)
    return _parties(row)


def _parties(row: dict[str, object]) -> ApprovalParties:
    return ApprovalParties.model_validate(
        {
            "requester": row["Requester"],
            "approvers": json.loads(str(row["Approvers"])),
            "requester_source": row["RequesterSource"],
        }
    )
