"""Activities of an order's manual recovery: record a round for operators, read their decision.

The saga cannot read tables itself (orchestrators stay deterministic), so both go through
here; the decision route writes decisions directly (shared.recovery_store).
"""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from shared import recovery_store
from shared.errors import validate_payload
from shared.models.order_recovery import RecoveryDecisionQuery, RecoveryRound
from shared.storage_faults import storage_faults_as_transient

bp = df.Blueprint()


@bp.activity_trigger(input_name="record")
def record_order_recovery(record: dict[str, Any]) -> None:
    """Store the round's unresolved compensations (insert-once: a re-run changes nothing)."""
    round_record = validate_payload(RecoveryRound, record)
    with storage_faults_as_transient("record_order_recovery"):
        recovery_store.record_round(round_record)


@bp.activity_trigger(input_name="query")
def read_recovery_decision(query: dict[str, Any]) -> dict[str, Any] | None:
    """The decision recorded on the round, or None while operators have not decided."""
    wanted = validate_payload(RecoveryDecisionQuery, query)
    with storage_faults_as_transient("read_recovery_decision"):
        decision = recovery_store.decision_of(wanted.order_id, wanted.round)
    return None if decision is None else decision.event().to_json()
