"""Order fulfilment (saga with compensation): stock, payment, shipment and what the buyer sees.

Outcomes are read where a user would read them: the instance's output and custom status, the
SKUs' stock, and the notifications the order sent.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.e2e.support.client import ApiClient, Json, expect, expect_problem
from tests.e2e.support.clock import Clock
from tests.e2e.support.restart import restart
from tests.e2e.support.shop import (
    QUICK_RETRY,
    UNDELIVERABLE,
    accepted,
    address,
    inventory,
    order,
    signed_in,
    stock,
    unique,
)
from tests.e2e.support.target import Target
from tests.e2e.support.waiting import wait_for_custom_status, wait_for_instance


def place(api: ApiClient, clock: Clock, body: Json) -> Json:
    """Place an order and wait until its saga is over; returns the instance status."""
    started = accepted(api.post("/orders", body))
    done = wait_for_instance(api, clock, started["id"])
    assert done["runtimeStatus"] == "Completed", done
    assert done["name"] == "order_fulfillment_saga"
    return done


def compensations(output: Json) -> list[tuple[str, bool]]:
    return [(c["compensation"], c["succeeded"]) for c in output["compensations"]]


def cancellation_notice(api: ApiClient, done: Json, body: Json) -> Json:
    """The one `order_cancelled` notification a compensated order sends its customer."""
    (notice,) = api.notifications(done["instanceId"], "order_cancelled")
    assert notice["recipient"] == body["customerEmail"]
    assert notice["data"]["orderId"] == done["output"]["orderId"]
    # The customer gets a reason in plain words, never the failure's internal text.
    assert done["output"]["failure"]["message"] not in notice["body"]
    assert done["output"]["customerNotified"] is True
    return notice


def assert_stock(api: ApiClient, sku: str, available: int, reserved: int) -> None:
    item = inventory(api, sku)
    assert (item["available"], item["reserved"]) == (available, reserved), item


def test_an_order_is_charged_shipped_confirmed_and_takes_its_stock(
    api: ApiClient, clock: Clock
) -> None:
    books, pens = stock(api, 10, "12.50"), stock(api, 5, "3.20")
    body = order({books: 2, pens: 1})

    done = place(api, clock, body)

    output = done["output"]
    assert output["status"] == "completed"
    assert Decimal(output["total"]) == Decimal("28.20")
    assert output["completedSteps"] == [
        "reserve_inventory",
        "charge_payment",
        "create_shipment",
        "send_confirmation",
    ]
    assert output["payment"]["status"] == "charged"
    assert Decimal(output["payment"]["amount"]) == Decimal("28.20")
    assert output["shipment"]["status"] == "created"
    assert output["failure"] is None
    assert output["compensations"] == []
    assert done["customStatus"]["step"] == "completed"
    assert done["customStatus"]["status"] == "completed"

    assert_stock(api, books, available=8, reserved=2)
    assert_stock(api, pens, available=4, reserved=1)

    (confirmation,) = api.notifications(done["instanceId"])
    assert confirmation["kind"] == "order_confirmation"
    assert confirmation["recipient"] == body["customerEmail"]
    assert confirmation["data"]["orderId"] == output["orderId"]
    assert Decimal(str(confirmation["data"]["total"])) == Decimal("28.20")
    assert confirmation["data"]["trackingNumber"] == output["shipment"]["trackingNumber"]


def test_an_order_that_cannot_be_shipped_is_refunded_and_its_stock_released(
    api: ApiClient, clock: Clock
) -> None:
    sku = stock(api, 10, "40.00")
    body = order({sku: 3}, country=UNDELIVERABLE)

    done = place(api, clock, body)

    output = done["output"]
    assert output["status"] == "compensated"
    assert output["failure"]["step"] == "create_shipment"
    assert output["failure"]["code"] == "undeliverable"
    assert output["failure"]["kind"] == "permanent"
    assert output["completedSteps"] == ["reserve_inventory", "charge_payment"]
    # Undone in reverse order: the refund first, then the stock.
    assert compensations(output) == [("refund_payment", True), ("release_inventory", True)]
    assert output["payment"]["status"] == "refunded"
    assert Decimal(output["payment"]["amount"]) == Decimal("120.00")
    assert output["release"]["lines"] == [{"sku": sku, "quantity": 3, "state": "released"}]
    assert output["shipment"] is None
    assert output["failedCompensations"] == []
    assert done["customStatus"]["step"] == "compensated"
    assert done["customStatus"]["failedStep"] == "create_shipment"

    assert_stock(api, sku, available=10, reserved=0)
    # Nothing was confirmed and nothing needed a human; the customer is told, and refunded.
    (notice,) = api.notifications(done["instanceId"])
    assert notice == cancellation_notice(api, done, body)
    assert notice["data"]["reason"] == "undeliverable"
    assert notice["data"]["payment"] == "refunded"
    assert Decimal(notice["data"]["refundedAmount"]) == Decimal("120.00")
    assert "cannot deliver to the shipping address" in notice["body"]


def test_a_declined_payment_only_releases_the_reservation(api: ApiClient, clock: Clock) -> None:
    sku = stock(api, 4)
    body = order({sku: 4}, payment="tok_declined")

    done = place(api, clock, body)

    output = done["output"]
    assert output["status"] == "compensated"
    assert output["failure"]["step"] == "charge_payment"
    assert output["failure"]["code"] == "payment_declined"
    assert output["failure"]["attempts"] == 1  # a decline is permanent: never retried
    assert output["completedSteps"] == ["reserve_inventory"]
    assert compensations(output) == [("release_inventory", True)]
    assert output["payment"] is None
    assert_stock(api, sku, available=4, reserved=0)
    (notice,) = api.notifications(done["instanceId"])
    assert notice == cancellation_notice(api, done, body)
    assert notice["data"]["reason"] == "payment_declined"
    assert notice["data"]["payment"] == "not_charged"
    assert "You have not been charged." in notice["body"]


def test_a_refund_that_keeps_failing_awaits_recovery_and_alerts_operations(
    api: ApiClient, clock: Clock, target: Target
) -> None:
    sku = stock(api, 6, "10.00")
    body = order(
        {sku: 2},
        payment="tok_refund_unavailable",
        country=UNDELIVERABLE,
        compensationRetry=QUICK_RETRY,
    )
    started = accepted(api.post("/orders", body))

    waiting = wait_for_custom_status(
        api,
        clock,
        started["id"],
        lambda s: s.get("status") == "awaiting_recovery",
        "the order to await recovery",
    )

    assert waiting["runtimeStatus"] == "Running"  # not Completed among the successes
    status = waiting["customStatus"]
    assert status["step"] == "awaiting_recovery"
    assert status["failedStep"] == "create_shipment"
    assert status["failedCompensations"] == ["refund_payment"]
    assert status["recoveryRound"] == 1
    # The stuck refund does not keep the stock reserved.
    assert_stock(api, sku, available=6, reserved=0)
    # The customer is told first, without being promised a refund that has not happened.
    notice, alert = api.notifications(started["id"])
    assert notice["kind"] == "order_cancelled"
    assert notice["recipient"] == body["customerEmail"]
    assert notice["data"]["payment"] == "refund_pending"
    assert "refunded" not in notice["body"]
    assert alert["kind"] == "operations_alert"
    assert alert["data"]["customerNotified"] is True
    if target.operations_email:
        assert alert["recipient"] == target.operations_email
    assert alert["data"]["failedStep"] == "create_shipment"
    assert alert["data"]["failedCompensations"] == ["refund_payment"]
    (failure,) = alert["data"]["failures"]
    assert failure["attempts"] == QUICK_RETRY["maxAttempts"]
    assert failure["kind"] == "transient"

    order_id = started["id"].removeprefix("order-")
    resolution = {"round": 1, "action": "resolve", "note": "refunded by hand"}
    expect(
        api.post(f"/orders/{order_id}/recovery", resolution, headers=signed_in("ops@example.com")),
        202,
    )
    done = wait_for_instance(api, clock, started["id"], fire_timers=False)
    output = done["output"]
    assert output["status"] == "resolved_by_hand"
    assert compensations(output) == [("refund_payment", False), ("release_inventory", True)]
    (broken,) = output["failedCompensations"]
    assert broken["compensation"] == "refund_payment"
    assert output["payment"]["status"] == "charged"  # what the saga saw; the note says the rest
    assert output["operationsAlerted"] is True


def test_a_restarted_order_charges_ships_reserves_and_confirms_once(
    api: ApiClient, clock: Clock, target: Target
) -> None:
    """The Durable `restart` API starts the same input under a new instance id."""
    sku = stock(api, 10, "5.00")
    first = place(api, clock, order({sku: 2}))
    assert_stock(api, sku, available=8, reserved=2)

    restarted_id = restart(target, first["instanceId"])
    again = wait_for_instance(api, clock, restarted_id)

    assert again["runtimeStatus"] == "Completed"
    assert again["output"]["status"] == "completed"
    for effect, field in (("payment", "paymentId"), ("shipment", "shipmentId")):
        assert again["output"][effect][field] == first["output"][effect][field]
    assert again["output"]["payment"]["status"] == "charged"
    assert again["output"]["reservation"] == first["output"]["reservation"]
    assert_stock(api, sku, available=8, reserved=2)  # one reservation
    # One confirmation, filed under the order, and none under the new instance id.
    (confirmation,) = api.notifications(first["instanceId"], "order_confirmation")
    assert confirmation["data"]["shipmentId"] == first["output"]["shipment"]["shipmentId"]
    assert api.notifications(restarted_id) == []


def test_transient_payment_failures_are_retried_until_the_charge_succeeds(
    api: ApiClient, clock: Clock
) -> None:
    sku = stock(api, 3, "9.99")
    # The provider is unavailable for the first two charge attempts.
    body = order({sku: 1}, payment="tok_unavailable_2", stepRetry=QUICK_RETRY)

    done = place(api, clock, body)

    output = done["output"]
    assert output["status"] == "completed"
    assert output["payment"]["status"] == "charged"
    assert_stock(api, sku, available=2, reserved=1)
    history = api.get_json(
        f"/instances/{done['instanceId']}/details",
        {"showHistory": True, "showHistoryOutput": True},
    )["history"]
    charges = [event for event in history if event.get("FunctionName") == "charge_payment"]
    assert [event["EventType"] for event in charges] == [
        "TaskFailed",
        "TaskFailed",
        "TaskCompleted",
    ], charges
    assert [n["kind"] for n in api.notifications(done["instanceId"])] == ["order_confirmation"]


def test_a_charge_that_stays_unavailable_is_voided_and_the_stock_released(
    api: ApiClient, clock: Clock
) -> None:
    sku = stock(api, 3)
    # Unavailable for more attempts than the order allows: the outcome of the last attempt is
    # unknown, so the saga undoes the charge too (a refund of nothing voids the key).
    body = order({sku: 2}, payment="tok_unavailable_9", stepRetry=QUICK_RETRY)

    done = place(api, clock, body)

    output = done["output"]
    assert output["status"] == "compensated"
    assert output["failure"]["step"] == "charge_payment"
    assert output["failure"]["code"] == "unavailable"
    assert output["failure"]["attempts"] == QUICK_RETRY["maxAttempts"]
    assert compensations(output) == [("refund_payment", True), ("release_inventory", True)]
    assert output["payment"]["status"] == "voided"
    assert_stock(api, sku, available=3, reserved=0)
    (notice,) = api.notifications(done["instanceId"])
    assert notice == cancellation_notice(api, done, body)
    assert notice["data"]["reason"] == "technical_problem"  # never "unavailable" or the error
    assert notice["data"]["payment"] == "not_charged"


def test_an_order_beyond_the_stock_takes_nothing(api: ApiClient, clock: Clock) -> None:
    sku = stock(api, 2)
    body = order({sku: 3})

    done = place(api, clock, body)

    output = done["output"]
    assert output["status"] == "compensated"
    assert output["failure"]["step"] == "reserve_inventory"
    assert output["failure"]["code"] == "out_of_stock"
    assert output["completedSteps"] == []
    assert output["compensations"] == []
    assert_stock(api, sku, available=2, reserved=0)
    (notice,) = api.notifications(done["instanceId"])
    assert notice == cancellation_notice(api, done, body)
    assert notice["data"] == {
        "orderId": output["orderId"],
        "reason": "out_of_stock",
        "payment": "not_charged",
    }


def test_a_repeated_order_is_placed_once(api: ApiClient, clock: Clock) -> None:
    sku = stock(api, 10)
    order_id = unique("ord")
    body = order({sku: 2}, order_id=order_id)

    first = accepted(api.post("/orders", body))
    second = accepted(api.post("/orders", body))
    assert first["id"] == second["id"] == f"order-{order_id}"
    wait_for_instance(api, clock, first["id"])
    third = accepted(api.post("/orders", body))
    assert third["id"] == first["id"]

    assert_stock(api, sku, available=8, reserved=2)
    assert len(api.notifications(first["id"], "order_confirmation")) == 1
    # The same order id with other lines is another order, refused.
    changed = {**body, "items": [{"sku": sku, "quantity": 3}]}
    conflict = api.post("/orders", changed)
    expect_problem(conflict, 409)
    assert conflict.headers["Location"] == first["statusUrl"]


def test_restocking_a_sku_keeps_what_orders_reserved(api: ApiClient, clock: Clock) -> None:
    sku = stock(api, 5, "2.00")
    place(api, clock, order({sku: 2}))
    assert_stock(api, sku, available=3, reserved=2)

    restocked = api.put(f"/inventory/{sku}", {"quantity": 50, "unitPrice": "2.50"})
    assert restocked.status_code == 200
    assert_stock(api, sku, available=50, reserved=2)
    assert Decimal(inventory(api, sku)["unitPrice"]) == Decimal("2.50")
    # The next order pays the new price.
    done = place(api, clock, order({sku: 4}))
    assert Decimal(done["output"]["total"]) == Decimal("10.00")
    assert_stock(api, sku, available=46, reserved=6)


def test_buyers_racing_for_the_last_units_never_oversell(api: ApiClient, clock: Clock) -> None:
    sku = stock(api, 3, "99.00")
    started = [accepted(api.post("/orders", order({sku: 2}))) for _ in range(6)]

    outcomes = [wait_for_instance(api, clock, s["id"])["output"] for s in started]

    completed = [o for o in outcomes if o["status"] == "completed"]
    assert len(completed) == 1, [o["status"] for o in outcomes]
    refused = [o for o in outcomes if o["status"] == "compensated"]
    assert len(refused) == 5
    assert {o["failure"]["code"] for o in refused} == {"out_of_stock"}
    assert all(o["customerNotified"] for o in refused)
    assert_stock(api, sku, available=1, reserved=2)


def _other_address() -> Json:
    return {**address(), "line1": "1 Difference Engine Road", "city": "Hamburg"}


@pytest.mark.parametrize(
    ("change", "failed_step"),
    [
        ("quantity", "reserve_inventory"),  # the key's SKU row holds the first order's units
        ("sku", "charge_payment"),  # a new SKU is free under the key; the charge is not
        ("address", "reserve_inventory"),  # same lines, but another order: refused at once
    ],
)
def test_a_purged_order_id_posted_again_with_other_details_takes_nothing_of_the_first(
    api: ApiClient, clock: Clock, change: str, failed_step: str
) -> None:
    """Step keys derive from the order id, which a purge frees for another order."""
    books, pens = stock(api, 10, "12.50"), stock(api, 5, "3.20")
    order_id = unique("ord")
    body = order({books: 2}, order_id=order_id)
    first = place(api, clock, body)
    assert first["output"]["status"] == "completed"
    (confirmation,) = api.notifications(first["instanceId"])
    assert api.delete(f"/instances/{first['instanceId']}").status_code == 204

    changes: dict[str, Json] = {
        "quantity": {"items": [{"sku": books, "quantity": 3}]},
        "sku": {"items": [{"sku": pens, "quantity": 1}]},
        "address": {"shippingAddress": _other_address()},
    }
    again = place(api, clock, {**body, **changes[change]})

    assert again["instanceId"] == first["instanceId"]
    output = again["output"]
    assert output["status"] == "compensated"
    failure = output["failure"]
    assert (failure["step"], failure["kind"], failure["code"]) == (
        failed_step,
        "permanent",
        "conflict",
    )
    key = f"{first['instanceId']}:{failed_step.replace('_', '-')}"
    assert (
        f"idempotency key '{key}' was already used for a different request" in (failure["message"])
    )
    assert failure["attempts"] == 1
    # Nothing of the first order's was handed over, or undone.
    assert output["payment"] is None
    assert output["shipment"] is None
    assert "refund_payment" not in [c["compensation"] for c in output["compensations"]]
    assert output["failedCompensations"] == []
    assert_stock(api, books, available=8, reserved=2)  # the first order's units, still held
    assert_stock(api, pens, available=5, reserved=0)  # the new order's own units are back
    if change == "sku":
        assert compensations(output) == [("release_inventory", True)]
        assert output["release"]["lines"] == [{"sku": pens, "quantity": 1, "state": "released"}]
    else:
        assert output["compensations"] == []
    # The first order's confirmation is still the one on record; the new customer is told.
    confirmation_again, notice = api.notifications(again["instanceId"])
    assert confirmation_again == confirmation
    assert notice["kind"] == "order_cancelled"
    assert notice["data"] == {
        "orderId": order_id,
        "reason": "technical_problem",
        "payment": "not_charged",
    }
    assert key not in notice["body"]
