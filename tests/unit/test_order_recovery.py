"""Manual recovery of the order saga: compensations that keep failing wait for an operator,
who retries them or records them as resolved by hand; reminders go out until someone does."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from pytest_mock import MockerFixture

from orchestrators import order_saga
from shared.errors import ErrorCode
from shared.models.orders.workflow import DEFAULT_REMINDER_SECONDS, REMINDERS_PER_GENERATION
from tests.support.failures import transient
from tests.support.functions import orchestrator_function
from tests.support.orchestration import FakeTask, OrchestrationDriver
from tests.support.order_saga import (
    ALERT,
    CANCELLED,
    COMPENSATION_ATTEMPTS,
    FORWARD,
    INSTANCE,
    READ,
    RECORDED,
    UNDELIVERABLE,
    Decide,
    Failure,
    always,
    decision,
    first,
    names,
    operator_decides,
    responder,
    run,
)

REMINDER = timedelta(seconds=DEFAULT_REMINDER_SECONDS)


def refund_down(attempts: int | None = None) -> Failure:
    """The refund provider is down (for its first `attempts` calls, or for good)."""

    def error() -> Exception:
        return transient("refund_payment", ErrorCode.UNAVAILABLE, "provider down")

    return always(error) if attempts is None else first(attempts, error)


def reminders_then(count: int, then: Decide) -> Decide:
    """Let `count` reminder timers fire before `then` answers the wait."""
    fired = {"count": 0}

    def decide(waiting: FakeTask) -> FakeTask:
        if fired["count"] < count:
            fired["count"] += 1
            return waiting.child("timer")
        return then(waiting)

    return decide


def alerts(driver: OrchestrationDriver) -> list[dict[str, Any]]:
    return [
        t.input
        for t in driver.activities
        if t.name == "send_notification" and t.input["kind"] == ALERT
    ]


def awaiting(driver: OrchestrationDriver) -> list[dict[str, Any]]:
    return [s for s in driver.custom_statuses if s["status"] == "awaiting_recovery"]


def test_exhausted_compensations_await_recovery_then_a_retry_completes_them(
    mocker: MockerFixture,
) -> None:
    respond = responder(
        operator_decides("retry"),
        create_shipment=UNDELIVERABLE,
        refund_payment=refund_down(COMPENSATION_ATTEMPTS),  # fixed once the operator retries
    )

    driver, output = run(mocker, respond)

    assert names(driver) == [
        *FORWARD,
        "refund_payment",
        "release_inventory",
        CANCELLED,
        RECORDED,
        ALERT,
        READ,
        "refund_payment",  # the retry runs only what was unresolved
    ]
    [waiting] = {s["recoveryRound"]: s for s in awaiting(driver)}.values()
    assert waiting["failedCompensations"] == ["refund_payment"]
    assert waiting["failedStep"] == "create_shipment"
    assert waiting["nextReminder"] is not None
    [record] = [t.input for t in driver.activities if t.name == RECORDED]
    assert record["round"] == 1
    assert record["instanceId"] == INSTANCE
    assert [u["compensation"] for u in record["unresolved"]] == ["refund_payment"]
    assert output["status"] == "compensated"
    assert output["payment"]["status"] == "refunded"
    assert output["failedCompensations"] == []
    assert [(c["compensation"], c["succeeded"]) for c in output["compensations"]] == [
        ("refund_payment", False),
        ("release_inventory", True),
        ("refund_payment", True),
    ]
    [audit] = output["recoveryDecisions"]
    assert (audit["action"], audit["round"]) == ("retry", 1)
    assert "decidedBy" not in audit  # who decided stays in the store, out of history
    assert driver.custom_status["status"] == "compensated"
    refunds = [t.input for t in driver.activities if t.name == "refund_payment"]
    assert all(r == refunds[0] for r in refunds)  # the retry undoes the very same charge


def test_resolved_by_hand_completes_with_the_decision_audited(mocker: MockerFixture) -> None:
    respond = responder(create_shipment=UNDELIVERABLE, refund_payment=refund_down())

    driver, output = run(mocker, respond)

    assert output["status"] == "resolved_by_hand"
    assert driver.custom_status["status"] == "resolved_by_hand"
    [audit] = output["recoveryDecisions"]
    assert audit["action"] == "resolve"
    assert audit["note"] == "refunded by hand in the provider's console"
    assert audit["decidedAt"] == "2026-01-05T12:00:00Z"
    # The failure stays visible next to the decision that settled it.
    assert [c["compensation"] for c in output["failedCompensations"]] == ["refund_payment"]
    assert [t.name for t in driver.activities].count("refund_payment") == COMPENSATION_ATTEMPTS


def test_a_retry_that_fails_again_opens_a_second_round(mocker: MockerFixture) -> None:
    respond = responder(
        operator_decides("retry", "resolve"),
        create_shipment=UNDELIVERABLE,
        refund_payment=refund_down(),
    )

    driver, output = run(mocker, respond)

    rounds = [t.input["round"] for t in driver.activities if t.name == RECORDED]
    assert rounds == [1, 2]
    assert [a["idempotencyKey"] for a in alerts(driver)] == [
        f"{INSTANCE}:operations-alert",
        f"{INSTANCE}:operations-alert-2",
    ]
    assert sorted({s["recoveryRound"] for s in awaiting(driver)}) == [1, 2]
    waits = [t.child("event").name for t in driver.yielded if t.kind == "any"]
    assert waits == ["recovery-decision-1", "recovery-decision-2"]
    assert [d["action"] for d in output["recoveryDecisions"]] == ["retry", "resolve"]
    assert output["status"] == "resolved_by_hand"


def test_operations_are_reminded_at_the_interval_until_someone_decides(
    mocker: MockerFixture,
) -> None:
    respond = responder(
        reminders_then(3, operator_decides("resolve")),
        create_shipment=UNDELIVERABLE,
        refund_payment=refund_down(),
    )

    driver, output = run(mocker, respond)

    reminder_timers = [
        at for t in driver.yielded if t.kind == "any" if (at := t.child("timer").fire_at)
    ]
    assert [b - a for a, b in itertools.pairwise(reminder_timers)] == [REMINDER] * 3
    _first_alert, *reminders = alerts(driver)
    assert [r["idempotencyKey"] for r in reminders] == [
        f"{INSTANCE}:recovery-reminder-1-{n}" for n in (1, 2, 3)
    ]
    assert all(r["to"]["audience"] == "operations" for r in reminders)
    assert "round 1" in reminders[0]["body"]
    # Before each reminder the decision store is read: a decision whose event was lost counts.
    reads = [t for t in driver.activities if t.name == "read_recovery_decision"]
    assert [r.input for r in reads] == [{"orderId": "o-1", "round": 1}] * 4  # and at the start
    nexts = [s["nextReminder"] for s in awaiting(driver)]
    assert len(nexts) == 4
    assert len(set(nexts)) == 4
    assert output["status"] == "resolved_by_hand"


def test_a_decision_found_in_the_store_at_a_reminder_is_acted_on(mocker: MockerFixture) -> None:
    base = responder(
        reminders_then(1, operator_decides()),
        create_shipment=UNDELIVERABLE,
        refund_payment=refund_down(1 + COMPENSATION_ATTEMPTS - 1),
    )

    def respond(task: FakeTask) -> Any:
        if task.name == "read_recovery_decision":
            return {"decision": decision(FakeTask("event", name="recovery-decision-1"), "retry")}
        return base(task)

    driver, output = run(mocker, respond)

    assert output["status"] == "compensated"
    assert [d["action"] for d in output["recoveryDecisions"]] == ["retry"]
    assert len(alerts(driver)) == 1  # no reminder once the decision was found


def test_a_decision_for_another_round_or_order_is_ignored(mocker: MockerFixture) -> None:
    stored = {"reads": 0}
    base = responder(create_shipment=UNDELIVERABLE, refund_payment=refund_down())

    def respond(task: FakeTask) -> Any:
        if task.kind == "any":
            event = task.child("event")
            return event.resolved(decision(event, round=7))  # not the round waited on
        if task.name == "read_recovery_decision":
            stored["reads"] += 1
            found = None if stored["reads"] == 1 else decision(FakeTask("event", name="x-1"))
            return {"decision": found}
        return base(task)

    driver, output = run(mocker, respond)

    # The stray event is ignored; the saga stops listening and finds the decision in the store.
    assert stored["reads"] == 2
    assert output["status"] == "resolved_by_hand"
    assert len([t for t in driver.yielded if t.kind == "any"]) == 1


def test_a_long_wait_continues_as_new_and_resumes_where_it_stood(mocker: MockerFixture) -> None:
    respond = responder(
        reminders_then(REMINDERS_PER_GENERATION, operator_decides()),
        create_shipment=UNDELIVERABLE,
        refund_payment=refund_down(),
    )

    driver, output = run(mocker, respond)

    assert output is None
    assert driver.continued_as_new
    carried = driver.continued_with
    assert carried["resume"]["round"] == 1
    assert carried["resume"]["remindersSent"] == REMINDERS_PER_GENERATION
    assert [u["compensation"] for u in carried["resume"]["unresolved"]] == ["refund_payment"]
    assert carried["orderId"] == "o-1"

    after = OrchestrationDriver(
        mocker,
        orchestrator_function(order_saga.order_fulfillment_saga),
        input=carried,
        instance_id=INSTANCE,
        start=driver.now,
    )
    resumed = after.run(
        responder(
            reminders_then(1, operator_decides("retry")),
            refund_payment=lambda task: None,
        )
    )

    # The resumed refund undoes the very charge the first generation tried to refund.
    [first_refund, *_] = [t.input for t in driver.activities if t.name == "refund_payment"]
    assert [t.input for t in after.activities if t.name == "refund_payment"] == [first_refund]
    # No second alert or record: the round was announced by the first generation.
    assert [t.name for t in after.activities if t.name == RECORDED] == []
    [reminder] = alerts(after)
    assert reminder["idempotencyKey"] == (
        f"{INSTANCE}:recovery-reminder-1-{REMINDERS_PER_GENERATION + 1}"
    )
    assert resumed["status"] == "compensated"
    assert resumed["completedSteps"] == ["reserve_inventory", "charge_payment"]
    assert resumed["failure"]["step"] == "create_shipment"
    assert [c["compensation"] for c in resumed["compensations"]][-1] == "refund_payment"
    assert resumed["payment"]["status"] == "refunded"
    assert resumed["customerNotified"] is True


def test_history_per_generation_is_bounded(mocker: MockerFixture) -> None:
    respond = responder(
        reminders_then(10 * REMINDERS_PER_GENERATION, operator_decides()),
        create_shipment=UNDELIVERABLE,
        refund_payment=refund_down(),
    )

    driver, _ = run(mocker, respond)

    waits = [t for t in driver.yielded if t.kind == "any"]
    assert len(waits) == REMINDERS_PER_GENERATION
    assert driver.continued_as_new


def test_a_round_decided_before_the_wait_begins_is_not_waited_for(mocker: MockerFixture) -> None:
    """A restart of a resolved order (new instance id) finds the decision already recorded."""
    base = responder(create_shipment=UNDELIVERABLE, refund_payment=refund_down())

    def respond(task: FakeTask) -> Any:
        if task.name == "read_recovery_decision":
            return {"decision": decision(FakeTask("event", name="recovery-decision-1"))}
        return base(task)

    driver, output = run(mocker, respond)

    assert output["status"] == "resolved_by_hand"
    assert [t for t in driver.yielded if t.kind == "any"] == []  # no reminder was armed
