"""Activities of an order's manual recovery: record a round for operators, read their decision.

The saga cannot read tables itself (orchestrators stay deterministic), so both go through
here; the decision route writes decisions directly (shared.recovery_store).
"""

from __future__ import annotations

from activities.boundary import Activities
from shared import recovery_store
from shared.models.orders.activities import RecoveryDecisionLookup, RecoveryDecisionQuery
from shared.models.orders.recovery import RecoveryRound

activity = Activities()
bp = activity.bp


@activity(RecoveryRound)
def record_order_recovery(command: RecoveryRound) -> RecoveryRound:
    """Store the round's unresolved compensations (insert-once: a re-run changes nothing)."""
    recovery_store.record_round(command)
    return command


@activity(RecoveryDecisionQuery)
def read_recovery_decision(command: RecoveryDecisionQuery) -> RecoveryDecisionLookup:
    """The decision recorded on the round (without who made it), or none yet."""
    decision = recovery_store.decision_of(command.order_id, command.round)
    return RecoveryDecisionLookup(decision=None if decision is None else decision.event())
