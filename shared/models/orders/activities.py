"""Activity contracts of the order saga's own activities: reading an operator's decision.

The steps' activity contracts are the domains' own (`shared.models.inventory`, `payments`,
`shipments`); `record_order_recovery` takes a `RecoveryRound` (`recovery.py`).
"""

from __future__ import annotations

from pydantic import Field, StrictInt

from shared.models.base import Contract
from shared.models.orders.order import OrderId
from shared.models.orders.workflow import RecoveryDecisionEvent


class RecoveryDecisionQuery(Contract):
    """Input of `read_recovery_decision`: which round's decision to look up."""

    order_id: OrderId
    round: StrictInt = Field(ge=1)


class RecoveryDecisionLookup(Contract):
    """Output of `read_recovery_decision`: the round's decision, if one was recorded."""

    decision: RecoveryDecisionEvent | None = None
