"""Waiting for an operator's decision on compensations that kept failing.

The saga waits on one event per round (`recovery-decision-<round>`) raced against a reminder
timer. When the wait begins and at each reminder it reads the decision store, so a decision
whose event went elsewhere (raised while the saga continued as new, or to the instance this one
restarted) is still found; then it reminds operations. After
`REMINDERS_PER_GENERATION` reminders it hands back where it stands, and the saga continues as
new: the wait has no deadline, and the history stays small however long it lasts.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

import azure.durable_functions as df
from azure.durable_functions.models.Task import TaskBase
from pydantic import ValidationError

from orchestrators.common import decode_json_text, replay_safe_logger
from orchestrators.retry import DEFAULT_BACKOFF, StepFailed, call_activity_with_backoff
from shared.models.orders.activities import RecoveryDecisionLookup, RecoveryDecisionQuery
from shared.models.orders.workflow import (
    REMINDERS_PER_GENERATION,
    RecoveryDecisionEvent,
    recovery_event_name,
)

RECORD_ORDER_RECOVERY = "record_order_recovery"
READ_RECOVERY_DECISION = "read_recovery_decision"

#: Publishes the waiting state with the time of the next reminder.
ShowWaiting = Callable[[datetime], None]
#: Sends reminder number n (counted over the whole wait) to operations.
Remind = Callable[[int], Generator[TaskBase, Any, bool]]


class _Cancellable(Protocol):
    def cancel(self) -> None: ...


@dataclass(frozen=True)
class Waiting:
    """Where a wait stands: carried over when the saga continues as new."""

    order_id: str
    round: int
    #: When the round began to wait: reminder n is due `n` intervals later.
    since: datetime
    reminders_sent: int = 0


def await_decision(
    context: df.DurableOrchestrationContext,
    waiting: Waiting,
    interval: timedelta,
    show: ShowWaiting,
    remind: Remind,
) -> Generator[TaskBase, Any, RecoveryDecisionEvent | Waiting]:
    """The decision on `waiting.round`, or the state to continue as new with."""
    log = replay_safe_logger(context, __name__)
    event = context.wait_for_external_event(recovery_event_name(waiting.round))
    # Decided already: by an earlier instance of this order (restarted under a new id), or
    # while this one continued as new.
    stored = yield from _stored_decision(context, waiting)
    if stored is not None:
        return stored
    listening = True
    sent = waiting.reminders_sent
    for _ in range(REMINDERS_PER_GENERATION):
        next_reminder = waiting.since + interval * (sent + 1)
        show(next_reminder)
        timer = context.create_timer(next_reminder)
        if listening:
            winner = yield context.task_any([event, timer])
            if winner == event:
                decision = _valid_decision(event.result, waiting)
                if decision is not None:
                    cast(_Cancellable, timer).cancel()
                    return decision
                # The API validates what it raises: ignore this one, and read later decisions
                # from the store at each reminder rather than waiting on the name again.
                log.warning("round %d: ignored an invalid decision event", waiting.round)
                listening = False
                yield timer
        else:
            yield timer
        stored = yield from _stored_decision(context, waiting)
        if stored is not None:
            return stored
        sent += 1
        yield from remind(sent)
    return Waiting(
        order_id=waiting.order_id, round=waiting.round, since=waiting.since, reminders_sent=sent
    )


def _valid_decision(raw: Any, waiting: Waiting) -> RecoveryDecisionEvent | None:
    try:
        decision = RecoveryDecisionEvent.from_json(decode_json_text(raw))
    except (ValidationError, ValueError):
        return None
    if (decision.order_id, decision.round) != (waiting.order_id, waiting.round):
        return None
    return decision


def _stored_decision(
    context: df.DurableOrchestrationContext, waiting: Waiting
) -> Generator[TaskBase, Any, RecoveryDecisionEvent | None]:
    """The decision recorded for this round, if any; a store that fails is asked next time."""
    query = RecoveryDecisionQuery(order_id=waiting.order_id, round=waiting.round)
    try:
        raw = yield from call_activity_with_backoff(
            context, READ_RECOVERY_DECISION, query.to_json(), DEFAULT_BACKOFF
        )
    except StepFailed as failed:
        replay_safe_logger(context, __name__).error("decision store unreadable: %s", failed)
        return None
    found = RecoveryDecisionLookup.from_json(raw).decision
    return None if found is None else _valid_decision(found.to_json(), waiting)
