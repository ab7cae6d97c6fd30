"""An order whose compensations keep failing waits for operations, reminds them at an interval,
and finishes once an operator retries the compensations or records them as resolved by hand.

Runs on the emulator's virtual clock: the reminders' hours pass when the test fires the timers.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from tests.e2e.support.client import ApiClient, Json, expect, expect_problem
from tests.e2e.support.clock import Clock
from tests.e2e.support.shop import QUICK_RETRY, UNDELIVERABLE, accepted, order, signed_in, stock
from tests.e2e.support.waiting import (
    wait_for_custom_status,
    wait_for_instance,
    wait_for_notifications,
)

OPERATOR = "ops-lead@example.com"
#: The saga's default reminder interval (shared.models.orders.workflow).
REMINDER = timedelta(hours=4)


def stuck_order(api: ApiClient, payment: str) -> tuple[str, str, Json]:
    """An undeliverable order whose refund fails: (order id, instance id, waiting status)."""
    sku = stock(api, 5, "10.00")
    body = order({sku: 1}, payment=payment, country=UNDELIVERABLE, compensationRetry=QUICK_RETRY)
    started = accepted(api.post("/orders", body))
    instance_id = started["id"]
    return instance_id.removeprefix("order-"), instance_id, body


def await_recovery(api: ApiClient, clock: Clock, instance_id: str, round_number: int = 1) -> Json:
    body = wait_for_custom_status(
        api,
        clock,
        instance_id,
        lambda s: s.get("status") == "awaiting_recovery" and s["recoveryRound"] == round_number,
        f"round {round_number} to await recovery",
    )
    custom: Json = body["customStatus"]
    return custom


def decide(api: ApiClient, order_id: str, **decision: object) -> Json:
    response = api.post(f"/orders/{order_id}/recovery", decision, headers=signed_in(OPERATOR))
    return expect(response, 202)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_a_retry_after_the_cause_is_fixed_finishes_the_compensations(
    api: ApiClient, clock: Clock
) -> None:
    # The refund provider fails 4 times: the 3 attempts of the first pass, and the retry's first.
    order_id, instance_id, _ = stuck_order(api, "tok_refund_unavailable_4")

    waiting = await_recovery(api, clock, instance_id)

    assert waiting["failedCompensations"] == ["refund_payment"]
    running = expect(api.get(f"/instances/{instance_id}"), 202)
    assert running["runtimeStatus"] == "Running"  # never Completed while a refund is owed
    view = api.get_json(f"/orders/{order_id}")
    assert view["awaitingRecovery"] is True
    [round_one] = view["recovery"]
    assert [u["compensation"] for u in round_one["unresolved"]] == ["refund_payment"]
    listed = api.get_json("/order-recoveries")["rounds"]
    assert order_id in [r["orderId"] for r in listed]
    (alert,) = api.notifications(instance_id, "operations_alert")
    assert alert["data"]["recoveryRound"] == 1

    decided = decide(api, order_id, round=1, action="retry", note="provider is back")
    again = decide(api, order_id, round=1, action="retry", note="provider is back")
    done = wait_for_instance(api, clock, instance_id)

    assert again["decision"] == decided["decision"]
    assert decided["decision"]["decidedBy"] == OPERATOR
    assert done["runtimeStatus"] == "Completed"
    output = done["output"]
    assert output["status"] == "compensated"
    assert output["payment"]["status"] == "refunded"
    assert output["failedCompensations"] == []
    assert [d["action"] for d in output["recoveryDecisions"]] == ["retry"]
    assert api.get_json(f"/orders/{order_id}")["awaitingRecovery"] is False
    assert order_id not in [r["orderId"] for r in api.get_json("/order-recoveries")["rounds"]]
    # Decided and finished: a different decision, or another round, is refused.
    other = {"round": 1, "action": "resolve", "note": "x"}
    expect_problem(
        api.post(f"/orders/{order_id}/recovery", other, headers=signed_in(OPERATOR)), 409
    )
    expect_problem(
        api.post(
            f"/orders/{order_id}/recovery",
            {"round": 2, "action": "retry"},
            headers=signed_in(OPERATOR),
        ),
        409,
    )


def test_operations_are_reminded_at_the_interval_until_resolved_by_hand(
    api: ApiClient, clock: Clock
) -> None:
    order_id, instance_id, _ = stuck_order(api, "tok_refund_unavailable")
    waiting = await_recovery(api, clock, instance_id)
    first_reminder = at(waiting["nextReminder"])
    assert first_reminder - at(waiting["awaitingSince"]) == REMINDER

    for count in (1, 2):
        clock.fire_next_timer()
        reminders = wait_for_notifications(
            api, clock, instance_id, "operations_alert", 1 + count, fire_timers=False
        )[1:]
        assert [r["data"]["reminder"] for r in reminders] == list(range(1, count + 1))
    waiting = await_recovery(api, clock, instance_id)
    assert at(waiting["nextReminder"]) == at(waiting["awaitingSince"]) + 3 * REMINDER
    assert "still needs manual compensation" in reminders[-1]["subject"]

    note = "refunded by hand in the provider's console, ticket OPS-42"
    decide(api, order_id, round=1, action="resolve", note=note)
    done = wait_for_instance(api, clock, instance_id, fire_timers=False)

    assert done["runtimeStatus"] == "Completed"
    output = done["output"]
    assert output["status"] == "resolved_by_hand"  # not hidden among compensated orders
    [audit] = output["recoveryDecisions"]
    assert (audit["identitySource"], audit["note"]) == ("principal", note)
    [round_one] = api.get_json(f"/orders/{order_id}")["recovery"]
    assert (round_one["decision"]["decidedBy"], round_one["decision"]["note"]) == (OPERATOR, note)
    assert len(api.notifications(instance_id, "operations_alert")) == 3  # no reminder after


def test_a_decision_needs_the_signed_in_operator_and_a_valid_body(
    api: ApiClient, clock: Clock
) -> None:
    order_id, instance_id, _ = stuck_order(api, "tok_refund_unavailable")
    await_recovery(api, clock, instance_id)
    path = f"/orders/{order_id}/recovery"
    try:
        expect_problem(api.post(path, {"round": 1, "action": "retry"}), 401)
        expect_problem(
            api.post(path, {"round": 1, "action": "resolve"}, headers=signed_in(OPERATOR)),
            400,
            ["note"],
        )
        expect_problem(
            api.post(path, {"action": "later"}, headers=signed_in(OPERATOR)),
            400,
            ["round", "action"],
        )
        expect_problem(
            api.post(path, {"round": 2, "action": "retry"}, headers=signed_in(OPERATOR)), 409
        )
    finally:
        decide(api, order_id, round=1, action="resolve", note="test cleanup")
        wait_for_instance(api, clock, instance_id, fire_timers=False)


def test_a_wait_longer_than_a_generation_continues_as_new_and_still_takes_a_decision(
    api: ApiClient, clock: Clock
) -> None:
    order_id, instance_id, _ = stuck_order(api, "tok_refund_unavailable")
    await_recovery(api, clock, instance_id)
    generation = 20  # REMINDERS_PER_GENERATION

    for count in range(1, generation + 2):
        clock.fire_next_timer()
        wait_for_notifications(
            api, clock, instance_id, "operations_alert", 1 + count, fire_timers=False
        )

    details = expect(api.get(f"/instances/{instance_id}/details", {"showInput": True}), 200, 202)
    carried = details["input"]
    carried = json.loads(carried) if isinstance(carried, str) else carried
    assert carried["resume"]["round"] == 1  # a later generation, same instance
    reminders = api.notifications(instance_id, "operations_alert")[1:]
    assert [r["data"]["reminder"] for r in reminders] == list(range(1, generation + 2))
    waiting = await_recovery(api, clock, instance_id)
    assert at(waiting["nextReminder"]) == at(waiting["awaitingSince"]) + (generation + 2) * REMINDER

    decide(api, order_id, round=1, action="resolve", note="settled after a long wait")
    done = wait_for_instance(api, clock, instance_id, fire_timers=False)
    assert done["output"]["status"] == "resolved_by_hand"
    assert done["output"]["customerNotified"] is True  # carried across generations
