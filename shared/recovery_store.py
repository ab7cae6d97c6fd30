"""The `OrderRecovery` table: compensations awaiting an operator, and the decisions taken.

PartitionKey = order id. Per recovery round two rows: `round-<n>` (written by the saga: what is
unresolved, and `State` awaiting/decided) and `decision-<n>` (written once by the decision
route: who decided what, when). The decision row is inserted once, so a repeated request finds
the first decision instead of making a second; the round row's `State` lets operators list
what still waits without reading every order.
"""

from __future__ import annotations

import json
from typing import Any, Final, Literal

from shared import storage
from shared.models.orders.recovery import RecoveryDecision, RecoveryRound

ORDER_RECOVERY_TABLE: Final = "OrderRecovery"
AWAITING: Final = "awaiting"
DECIDED: Final = "decided"
#: More waiting orders than operators can read in one list: the list says how many it shows.
MAX_LISTED_ROUNDS: Final = 500

State = Literal["awaiting", "decided", "all"]


def _round_key(round_number: int) -> str:
    return f"round-{round_number:04d}"


def _decision_key(round_number: int) -> str:
    return f"decision-{round_number:04d}"


def record_round(record: RecoveryRound) -> None:
    """Store a round of unresolved compensations; a replayed write keeps the first row."""
    row = {
        "PartitionKey": record.order_id,
        "RowKey": _round_key(record.round),
        "State": AWAITING,
        "Round": json.dumps(record.model_copy(update={"decision": None}).to_json()),
    }
    storage.insert_once(storage.table(ORDER_RECOVERY_TABLE), row)


def record_decision(decision: RecoveryDecision) -> tuple[RecoveryDecision, bool]:
    """Store the decision on its round once; return the stored one and whether it is new."""
    row = {
        "PartitionKey": decision.order_id,
        "RowKey": _decision_key(decision.round),
        "Decision": json.dumps(decision.to_json()),
    }
    client = storage.table(ORDER_RECOVERY_TABLE)
    stored, created = storage.insert_once(client, row)
    client.upsert_entity(
        {"PartitionKey": decision.order_id, "RowKey": _round_key(decision.round), "State": DECIDED}
    )
    return RecoveryDecision.from_json(json.loads(str(stored["Decision"]))), created


def decision_of(order_id: str, round_number: int) -> RecoveryDecision | None:
    row = storage.get_entity(
        storage.table(ORDER_RECOVERY_TABLE), order_id, _decision_key(round_number)
    )
    return None if row is None else RecoveryDecision.from_json(json.loads(str(row["Decision"])))


def rounds_of(order_id: str) -> list[RecoveryRound]:
    """Every recovery round of one order, oldest first, each with its decision if taken."""
    rows = storage.table(ORDER_RECOVERY_TABLE).query_entities(
        "PartitionKey eq @pk", parameters={"pk": order_id}
    )
    return _rounds(list(rows))


def list_rounds(state: State) -> list[RecoveryRound]:
    """Rounds across orders in `state`, up to `MAX_LISTED_ROUNDS`, each with its decision."""
    query = "RowKey ge @first and RowKey lt @after"
    parameters = {"first": "round-", "after": "round."}
    if state != "all":
        query += " and State eq @state"
        parameters["state"] = state
    rows = storage.table(ORDER_RECOVERY_TABLE).query_entities(query, parameters=parameters)
    found = [dict(row) for _, row in zip(range(MAX_LISTED_ROUNDS), rows, strict=False)]
    return [
        r
        if state == AWAITING
        else r.model_copy(update={"decision": decision_of(r.order_id, r.round)})
        for r in _rounds(found)
    ]


def _rounds(rows: list[dict[str, Any]]) -> list[RecoveryRound]:
    decisions = {
        str(row["RowKey"]).removeprefix("decision-"): RecoveryDecision.from_json(
            json.loads(str(row["Decision"]))
        )
        for row in rows
        if "Decision" in row
    }
    rounds = []
    for row in rows:
        if "Round" not in row:
            continue
        record = RecoveryRound.from_json(json.loads(str(row["Round"])))
        decision = decisions.get(str(row["RowKey"]).removeprefix("round-"))
        rounds.append(record.model_copy(update={"decision": decision}))
    return sorted(rounds, key=lambda r: (r.order_id, r.round))
