"""The order saga: forward steps, backoff, compensation of exactly what was done, and the
customer told when their order is cancelled."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from pytest_mock import MockerFixture

from orchestrators import order_saga
from orchestrators.common import InvalidOrchestrationInput
from shared.errors import ErrorCode
from shared.idempotency import key_reused, not_undone
from shared.models.inventory import ReserveInventoryRequest
from shared.models.orders.order import OrderDetails
from shared.models.orders.workflow import OrderSagaInput
from shared.models.payments import ChargePaymentRequest
from shared.models.shipments import CreateShipmentRequest
from tests.support.failures import activity_failed, crashed, permanent, transient
from tests.support.functions import orchestrator_function
from tests.support.orchestration import DEFAULT_START, FakeTask, OrchestrationDriver
from tests.support.order_saga import (
    ALERT,
    CANCELLED,
    COMPENSATION_ATTEMPTS,
    COMPENSATION_OF,
    COMPENSATIONS,
    DETAILS,
    FORWARD,
    INSTANCE,
    READ,
    RECORDED,
    STEP_ATTEMPTS,
    UNDELIVERABLE,
    Failure,
    always,
    first,
    names,
    order_input,
    responder,
    run,
)
from tests.support.personal_data import assert_no_personal_data

OPS = "ops@example.com"
OPERATOR = "ops-lead@example.com"
PERSONAL_DATA = ("ada@example.com", "Ada Lovelace", "Analytical", "tok_visa", OPS)
#: The order's customer, by reference: only the customer of these very details.
CUSTOMER = {
    "audience": "order_customer",
    "ref": "o-1",
    "detailsFingerprint": OrderDetails.from_json(DETAILS).fingerprint(),
}


def compensations_run(driver: OrchestrationDriver) -> list[str]:
    return [name for name in names(driver) if name in COMPENSATIONS]


# --- the forward path -------------------------------------------------------------------


def test_happy_path_runs_the_steps_in_order_and_feeds_each_from_the_last(
    mocker: MockerFixture,
) -> None:
    driver, output = run(mocker, responder())

    assert names(driver) == [*FORWARD, "order_confirmation"]
    reserve, charge, ship, confirm = driver.activities
    assert reserve.input["idempotencyKey"] == f"{INSTANCE}:reserve-inventory"
    assert charge.input["idempotencyKey"] == f"{INSTANCE}:charge-payment"
    assert charge.input["amount"] == "10.20"  # the reserved total, not a recomputation
    assert "address" not in ship.input  # the activity reads it by order id
    assert confirm.input["to"] == CUSTOMER
    assert confirm.input["data"]["trackingNumber"] == "PCL1"
    assert output["status"] == "completed"
    assert output["completedSteps"] == [*FORWARD, "send_confirmation"]
    assert output["total"] == "10.20"
    assert output["compensations"] == []
    assert output["customerNotified"] is None  # only set for a cancelled order
    assert driver.timers == []


def test_custom_status_names_the_current_step(mocker: MockerFixture) -> None:
    driver, _ = run(mocker, responder())

    assert [s["step"] for s in driver.custom_statuses] == [
        "reserving_inventory",
        "charging_payment",
        "creating_shipment",
        "sending_confirmation",
        "completed",
    ]
    assert driver.custom_status["status"] == "completed"


def test_transient_failures_are_retried_with_exponential_backoff(mocker: MockerFixture) -> None:
    respond = responder(charge_payment=first(2, lambda: transient("charge_payment")))

    driver, output = run(mocker, respond)

    assert output["status"] == "completed"
    assert [t.name for t in driver.activities].count("charge_payment") == 3
    assert [t.fire_at for t in driver.timers] == [
        DEFAULT_START + timedelta(seconds=2),
        DEFAULT_START + timedelta(seconds=2 + 4),
    ]
    assert compensations_run(driver) == []


def test_crashes_without_an_error_kind_are_retried_like_transient_ones(
    mocker: MockerFixture,
) -> None:
    respond = responder(create_shipment=first(1, lambda: crashed("create_shipment")))

    driver, output = run(mocker, respond)

    assert output["status"] == "completed"
    assert [t.name for t in driver.activities].count("create_shipment") == 2


# --- permanent failures: exactly the completed prefix, in reverse -----------------------


@pytest.mark.parametrize(
    ("failing", "code", "undone"),
    [
        ("reserve_inventory", ErrorCode.OUT_OF_STOCK, []),
        ("charge_payment", ErrorCode.PAYMENT_DECLINED, ["release_inventory"]),
        ("create_shipment", ErrorCode.UNDELIVERABLE, ["refund_payment", "release_inventory"]),
    ],
)
def test_a_permanent_failure_compensates_exactly_the_completed_steps_in_reverse(
    mocker: MockerFixture, failing: str, code: ErrorCode, undone: list[str]
) -> None:
    respond = responder(**{failing: always(lambda: permanent(failing, code, "no"))})

    driver, output = run(mocker, respond)

    completed = FORWARD[: FORWARD.index(failing)]
    assert names(driver) == [*completed, failing, *undone, CANCELLED]
    assert [t.name for t in driver.activities].count(failing) == 1  # permanent: no retry
    assert output["status"] == "compensated"
    assert output["completedSteps"] == completed
    assert output["failure"] == {
        "step": failing,
        "kind": "permanent",
        "code": code.value,
        "message": "no",
        "attempts": 1,
    }
    assert [c["compensation"] for c in output["compensations"]] == undone
    assert all(c["succeeded"] for c in output["compensations"])
    assert output["failedCompensations"] == []
    assert output["confirmation"] is None
    assert output["customerNotified"] is True
    assert output["operationsAlerted"] is None  # nothing needed a human
    assert driver.custom_status["step"] == "compensated"
    assert driver.custom_status["failedStep"] == failing


def test_compensations_undo_the_effects_of_their_own_steps(mocker: MockerFixture) -> None:
    respond = responder(create_shipment=UNDELIVERABLE)

    driver, output = run(mocker, respond)

    by_name = {t.name: t.input for t in driver.activities}
    assert by_name["refund_payment"] == {
        "idempotencyKey": f"{INSTANCE}:charge-payment",
        "orderId": "o-1",
        "chargeFingerprint": ChargePaymentRequest.from_json(
            by_name["charge_payment"]
        ).fingerprint(),
    }
    assert by_name["release_inventory"]["idempotencyKey"] == f"{INSTANCE}:reserve-inventory"
    assert sorted(by_name["release_inventory"]["skus"]) == ["sku-a", "sku-b"]
    assert output["payment"]["status"] == "refunded"  # the state after undoing
    assert output["release"]["lines"][0]["state"] == "released"


# --- an order id reused after a purge: its keys hold another order's effects -----------


def test_every_step_carries_the_orders_fingerprint_and_each_undo_its_steps(
    mocker: MockerFixture,
) -> None:
    respond = responder(create_shipment=always(lambda: transient("create_shipment")))

    driver, _ = run(mocker, respond)

    by_name = {t.name: t.input for t in driver.activities}
    order = OrderSagaInput.from_json(order_input()).fingerprint()
    for step in FORWARD:
        assert by_name[step]["orderFingerprint"] == order
    reserve = ReserveInventoryRequest.from_json(by_name["reserve_inventory"])
    charge = ChargePaymentRequest.from_json(by_name["charge_payment"])
    ship = CreateShipmentRequest.from_json(by_name["create_shipment"])
    assert by_name["release_inventory"]["reservationFingerprint"] == reserve.fingerprint()
    assert by_name["refund_payment"]["chargeFingerprint"] == charge.fingerprint()
    assert by_name["cancel_shipment"]["shipmentFingerprint"] == ship.fingerprint()


def test_another_order_under_the_same_id_gets_another_fingerprint(
    mocker: MockerFixture,
) -> None:
    first, _ = run(mocker, responder())
    other, _ = run(mocker, responder(), items=[{"sku": "sku-a", "quantity": 3}])

    assert (
        first.activities[0].input["orderFingerprint"]
        != other.activities[0].input["orderFingerprint"]
    )
    assert (
        first.activities[0].input["idempotencyKey"] == other.activities[0].input["idempotencyKey"]
    )


def _reused(step: str) -> Failure:
    key = f"{INSTANCE}:{step.replace('_', '-')}"
    return always(lambda: activity_failed(step, key_reused(key)))


@pytest.mark.parametrize(
    ("failing", "undone"),
    [
        ("reserve_inventory", []),
        ("charge_payment", ["release_inventory"]),
        ("create_shipment", ["refund_payment", "release_inventory"]),
    ],
)
def test_a_key_holding_another_orders_effect_compensates_only_this_orders_steps(
    mocker: MockerFixture, failing: str, undone: list[str]
) -> None:
    driver, output = run(mocker, responder(**{failing: _reused(failing)}))

    completed = FORWARD[: FORWARD.index(failing)]
    assert names(driver) == [*completed, failing, *undone, CANCELLED]
    assert [t.name for t in driver.activities].count(failing) == 1  # permanent: no retry
    assert output["status"] == "compensated"
    failure = output["failure"]
    assert (failure["step"], failure["kind"], failure["code"]) == (failing, "permanent", "conflict")
    assert f"'{INSTANCE}:{failing.replace('_', '-')}'" in failure["message"]
    assert "already used for a different request" in failure["message"]
    # The conflicting step is not compensated: its key holds the other order's effect.
    assert COMPENSATION_OF[failing] not in names(driver)
    assert [c["compensation"] for c in output["compensations"]] == undone
    assert output["operationsAlerted"] is None
    [notice] = cancellation_notices(driver)
    assert notice["data"]["reason"] == "technical_problem"  # never the internal text
    assert "different request" not in notice["body"]


def test_a_compensation_that_finds_another_orders_effect_leaves_it_and_alerts_operations(
    mocker: MockerFixture,
) -> None:
    key = f"{INSTANCE}:create-shipment"
    respond = responder(
        create_shipment=always(lambda: transient("create_shipment")),
        cancel_shipment=always(lambda: activity_failed("cancel_shipment", not_undone(key))),
    )

    driver, output = run(mocker, respond)

    assert names(driver) == [
        *FORWARD,
        "cancel_shipment",
        "refund_payment",
        "release_inventory",
        CANCELLED,
        RECORDED,
        ALERT,
        READ,
    ]
    assert [t.name for t in driver.activities].count("cancel_shipment") == 1  # permanent
    assert output["status"] == "resolved_by_hand"
    [broken] = output["failedCompensations"]
    assert broken["compensation"] == "cancel_shipment"
    assert broken["failure"]["code"] == "conflict"
    assert f"'{key}'" in broken["failure"]["message"]
    assert output["operationsAlerted"] is True
    assert driver.custom_status["failedCompensations"] == ["cancel_shipment"]


def test_custom_status_names_the_compensation_running(mocker: MockerFixture) -> None:
    respond = responder(create_shipment=UNDELIVERABLE)

    driver, _ = run(mocker, respond)

    compensating = [s for s in driver.custom_statuses if s["step"] == "compensating"]
    assert [s["compensating"] for s in compensating] == ["refund_payment", "release_inventory"]
    assert {s["failedStep"] for s in compensating} == {"create_shipment"}
    assert [s["step"] for s in driver.custom_statuses][-2:] == ["notifying_customer", "compensated"]


# --- transient failures that never clear ------------------------------------------------


@pytest.mark.parametrize(
    ("failing", "undone"),
    [
        ("reserve_inventory", ["release_inventory"]),
        ("charge_payment", ["refund_payment", "release_inventory"]),
        ("create_shipment", ["cancel_shipment", "refund_payment", "release_inventory"]),
    ],
)
def test_exhausted_transient_failures_give_up_and_also_undo_the_uncertain_step(
    mocker: MockerFixture, failing: str, undone: list[str]
) -> None:
    respond = responder(**{failing: always(lambda: transient(failing))})

    driver, output = run(mocker, respond)

    completed = FORWARD[: FORWARD.index(failing)]
    assert [t.name for t in driver.activities].count(failing) == STEP_ATTEMPTS
    assert names(driver) == [*completed, failing, *undone, CANCELLED]
    assert output["status"] == "compensated"
    assert output["completedSteps"] == completed
    assert output["failure"]["kind"] == "transient"
    assert output["failure"]["attempts"] == STEP_ATTEMPTS
    assert output["customerNotified"] is True


# --- compensations that keep failing ----------------------------------------------------


@pytest.mark.parametrize("broken", ["cancel_shipment", "refund_payment", "release_inventory"])
def test_a_failing_compensation_awaits_recovery_but_the_others_still_run(
    mocker: MockerFixture, broken: str
) -> None:
    respond = responder(
        create_shipment=always(lambda: transient("create_shipment")),
        **{broken: always(lambda: transient(broken, ErrorCode.UNAVAILABLE, "provider down"))},
    )

    driver, output = run(mocker, respond)

    assert names(driver) == [
        *FORWARD,
        "cancel_shipment",
        "refund_payment",
        "release_inventory",
        CANCELLED,
        RECORDED,
        ALERT,
        READ,
    ]
    assert [t.name for t in driver.activities].count(broken) == COMPENSATION_ATTEMPTS
    assert output["status"] == "resolved_by_hand"
    assert [c["compensation"] for c in output["failedCompensations"]] == [broken]
    assert output["failedCompensations"][0]["failure"]["code"] == "unavailable"
    assert output["failedCompensations"][0]["failure"]["attempts"] == COMPENSATION_ATTEMPTS
    assert sum(not c["succeeded"] for c in output["compensations"]) == 1
    assert output["operationsAlerted"] is True
    assert output["customerNotified"] is True
    assert driver.custom_status["step"] == "resolved_by_hand"
    assert driver.custom_status["status"] == "resolved_by_hand"
    assert driver.custom_status["failedCompensations"] == [broken]


def test_the_operations_alert_names_every_failed_compensation(mocker: MockerFixture) -> None:
    respond = responder(
        create_shipment=UNDELIVERABLE,
        refund_payment=always(lambda: transient("refund_payment")),
        release_inventory=always(lambda: permanent("release_inventory", ErrorCode.VALIDATION)),
    )

    driver, output = run(mocker, respond)

    alerts = [
        t
        for t in driver.activities
        if t.name == "send_notification" and t.input["kind"] == "operations_alert"
    ]
    assert len(alerts) == 1
    alert = alerts[0].input
    assert alert["to"]["audience"] == "operations"
    assert alert["idempotencyKey"] == f"{INSTANCE}:operations-alert"
    assert alert["correlationId"] == INSTANCE
    assert alert["data"]["failedCompensations"] == ["refund_payment", "release_inventory"]
    assert alert["data"]["failedStep"] == "create_shipment"
    assert alert["data"]["customerNotified"] is True
    assert [t.name for t in driver.activities].count("release_inventory") == 1  # permanent
    assert output["status"] == "resolved_by_hand"
    assert driver.custom_status["failedCompensations"] == ["refund_payment", "release_inventory"]


def test_compensation_retries_use_their_own_backoff(mocker: MockerFixture) -> None:
    respond = responder(
        charge_payment=always(lambda: permanent("charge_payment", ErrorCode.PAYMENT_DECLINED)),
        release_inventory=first(2, lambda: transient("release_inventory")),
    )

    driver, output = run(mocker, respond)

    assert output["status"] == "compensated"
    assert [t.fire_at for t in driver.timers] == [
        DEFAULT_START + timedelta(seconds=5),
        DEFAULT_START + timedelta(seconds=5 + 15),
    ]


def test_an_alert_that_cannot_be_written_is_reported_not_hidden(mocker: MockerFixture) -> None:
    respond = responder(
        create_shipment=UNDELIVERABLE,
        refund_payment=always(lambda: transient("refund_payment")),
        notify_operations_alert=always(lambda: transient("send_notification")),
    )

    driver, output = run(mocker, respond)

    assert output["status"] == "resolved_by_hand"
    assert output["operationsAlerted"] is False
    assert output["customerNotified"] is True
    assert driver.custom_status["failedCompensations"] == ["refund_payment"]


# --- the customer is told ------------------------------------------------------------


def cancellation_notices(driver: OrchestrationDriver) -> list[dict[str, Any]]:
    return [
        t.input
        for t in driver.activities
        if t.name == "send_notification" and t.input["kind"] == CANCELLED
    ]


def test_a_compensated_order_tells_the_customer_after_the_compensations(
    mocker: MockerFixture,
) -> None:
    respond = responder(create_shipment=UNDELIVERABLE)

    driver, output = run(mocker, respond)

    assert names(driver)[-3:] == ["refund_payment", "release_inventory", CANCELLED]
    [notice] = cancellation_notices(driver)
    assert notice["idempotencyKey"] == f"{INSTANCE}:cancellation-notice"
    assert notice["correlationId"] == INSTANCE
    assert notice["to"] == CUSTOMER
    assert notice["subject"] == "Your order o-1 could not be completed"
    assert notice["body"] == (
        "We are sorry: we could not complete your order o-1 because we cannot deliver to the "
        "shipping address you gave us. We have refunded the 10.20 EUR you paid."
    )
    assert notice["data"] == {
        "orderId": "o-1",
        "reason": "undeliverable",
        "payment": "refunded",
        "refundedAmount": "10.20",
        "currency": "EUR",
    }
    assert output["status"] == "compensated"
    assert output["customerNotified"] is True


def test_a_compensation_failed_order_tells_the_customer_without_promising_a_refund(
    mocker: MockerFixture,
) -> None:
    respond = responder(
        create_shipment=UNDELIVERABLE,
        refund_payment=always(lambda: transient("refund_payment", ErrorCode.UNAVAILABLE, "down")),
    )

    driver, output = run(mocker, respond)

    assert names(driver)[-6:] == [
        "refund_payment",
        "release_inventory",
        CANCELLED,
        RECORDED,
        ALERT,
        READ,
    ]
    [notice] = cancellation_notices(driver)
    assert notice["data"]["payment"] == "refund_pending"
    assert "refundedAmount" not in notice["data"]
    assert "refunded" not in notice["body"]
    assert "support team is arranging your refund" in notice["body"]
    assert "down" not in notice["body"]
    assert output["status"] == "resolved_by_hand"
    assert output["customerNotified"] is True
    assert output["operationsAlerted"] is True


@pytest.mark.parametrize("refund_breaks", [False, True])
def test_a_notice_that_cannot_be_sent_is_recorded_but_never_changes_the_outcome(
    mocker: MockerFixture, refund_breaks: bool
) -> None:
    failures: dict[str, Failure] = {
        "create_shipment": UNDELIVERABLE,
        "notify_order_cancelled": always(lambda: transient("send_notification")),
    }
    if refund_breaks:
        failures["refund_payment"] = always(lambda: permanent("refund_payment", "broken"))

    driver, output = run(mocker, responder(**failures))

    notices = cancellation_notices(driver)
    assert len(notices) == COMPENSATION_ATTEMPTS  # retried with the compensation backoff
    assert {n["idempotencyKey"] for n in notices} == {f"{INSTANCE}:cancellation-notice"}
    assert [t.fire_at for t in driver.timers][:2] == [
        DEFAULT_START + timedelta(seconds=5),
        DEFAULT_START + timedelta(seconds=5 + 15),
    ]
    assert output["customerNotified"] is False
    if refund_breaks:
        assert output["status"] == "resolved_by_hand"
        assert output["operationsAlerted"] is True
        [alert] = [
            t.input
            for t in driver.activities
            if t.name == "send_notification" and t.input["kind"] == "operations_alert"
        ]
        assert alert["data"]["customerNotified"] is False
    else:
        assert output["status"] == "compensated"
        assert output["operationsAlerted"] is None
        assert all(c["succeeded"] for c in output["compensations"])


def refunded_as(status: str) -> Callable[[FakeTask], Any]:
    """A responder whose refund finds `status` (voided: nothing had been charged)."""
    base = responder(charge_payment=always(lambda: transient("charge_payment")))

    def respond(task: FakeTask) -> Any:
        result = base(task)
        if task.name == "refund_payment":
            result = {**result, "status": status, "amount": "0"}
        return result

    return respond


SECRET = "TableServiceError at https://internal.example.net/Payments: 409"


def refused(step: str, code: ErrorCode) -> Callable[[FakeTask], Any]:
    """A responder whose `step` fails for good with `code`, its message naming internals."""
    return responder(**{step: always(lambda: permanent(step, code, SECRET))})


@pytest.mark.parametrize(
    ("respond", "reason", "payment", "because"),
    [
        (
            refused("reserve_inventory", ErrorCode.OUT_OF_STOCK),
            "out_of_stock",
            "not_charged",
            "some of the items you ordered are not available",
        ),
        (
            refused("reserve_inventory", ErrorCode.NOT_FOUND),
            "out_of_stock",
            "not_charged",
            "some of the items you ordered are not available",
        ),
        (
            refused("charge_payment", ErrorCode.PAYMENT_DECLINED),
            "payment_declined",
            "not_charged",
            "your payment was declined",
        ),
        (
            refused("create_shipment", ErrorCode.UNDELIVERABLE),
            "undeliverable",
            "refunded",
            "we cannot deliver to the shipping address you gave us",
        ),
        (
            responder(
                charge_payment=always(
                    lambda: transient("charge_payment", ErrorCode.UNAVAILABLE, SECRET)
                )
            ),
            "technical_problem",
            "refunded",
            "of a technical problem on our side",
        ),
        (
            refunded_as("voided"),
            "technical_problem",
            "not_charged",
            "of a technical problem on our side",
        ),
        (
            responder(create_shipment=always(lambda: crashed("create_shipment", "KeyError: 'x'"))),
            "technical_problem",
            "refunded",
            "of a technical problem on our side",
        ),
        (
            refused("reserve_inventory", ErrorCode.VALIDATION),
            "technical_problem",
            "not_charged",
            "of a technical problem on our side",
        ),
    ],
    ids=[
        "out-of-stock",
        "unknown-sku",
        "declined",
        "undeliverable",
        "provider-unavailable",
        "voided-charge",
        "crash",
        "validation",
    ],
)
def test_the_notice_gives_a_customer_friendly_reason_and_the_state_of_the_money(
    mocker: MockerFixture,
    respond: Callable[[FakeTask], Any],
    reason: str,
    payment: str,
    because: str,
) -> None:
    driver, output = run(mocker, respond)

    [notice] = cancellation_notices(driver)
    assert notice["data"]["reason"] == reason
    assert notice["data"]["payment"] == payment
    assert f"because {because}." in notice["body"]
    if payment == "refunded":
        assert "We have refunded the 10.20 EUR you paid." in notice["body"]
    else:
        assert notice["body"].endswith("You have not been charged.")
        assert "refund" not in notice["body"]
    # Internal error text is for operators only.
    for internal in (SECRET, "KeyError", output["failure"]["message"], output["failure"]["code"]):
        if internal not in because:
            assert internal not in notice["body"]
            assert internal not in notice["subject"]
    assert output["customerNotified"] is True


# --- past the pivot -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failure", "attempts"),
    [
        (lambda: transient("send_notification"), STEP_ATTEMPTS),
        (lambda: permanent("send_notification", ErrorCode.VALIDATION), 1),
    ],
)
def test_a_confirmation_that_cannot_be_sent_does_not_undo_a_shipped_order(
    mocker: MockerFixture, failure: Callable[[], Exception], attempts: int
) -> None:
    respond = responder(notify_order_confirmation=always(failure))

    driver, output = run(mocker, respond)

    assert compensations_run(driver) == []
    assert output["status"] == "completed"
    assert output["completedSteps"] == FORWARD
    assert output["confirmation"] is None
    assert output["confirmationFailure"]["attempts"] == attempts
    assert output["operationsAlerted"] is True
    alert = driver.activities[-1].input
    assert alert["kind"] == "operations_alert"
    assert alert["idempotencyKey"] == f"{INSTANCE}:confirmation-alert"


# --- personal data -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "failures",
    [
        {},
        {"create_shipment": UNDELIVERABLE},
        {
            "create_shipment": UNDELIVERABLE,
            "refund_payment": always(lambda: transient("refund_payment")),
        },
        {"notify_order_confirmation": always(lambda: transient("send_notification"))},
    ],
    ids=["completed", "compensated", "awaiting_recovery", "confirmation_failed"],
)
def test_no_history_status_or_output_holds_personal_data(
    mocker: MockerFixture, failures: dict[str, Failure]
) -> None:
    driver, output = run(mocker, responder(**failures))

    assert_no_personal_data(driver, output, PERSONAL_DATA)


# --- input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"items": []},
        {"items": [{"sku": "a", "quantity": 1}, {"sku": "a", "quantity": 2}]},
        {"orderFingerprint": "not-a-fingerprint"},
        {"customerEmail": "ada@example.com"},  # personal data has no place in the input
        {"operationsEmail": OPS},
        {"stepRetry": {"maxAttempts": 99, "firstDelaySeconds": 1, "maxDelaySeconds": 2}},
    ],
)
def test_invalid_input_fails_before_any_side_effect(
    mocker: MockerFixture, overrides: dict[str, Any]
) -> None:
    driver = OrchestrationDriver(
        mocker,
        orchestrator_function(order_saga.order_fulfillment_saga),
        input=order_input(**overrides),
        instance_id=INSTANCE,
    )

    with pytest.raises(InvalidOrchestrationInput):
        driver.run(responder())
    assert driver.activities == []


def test_retry_policies_default_when_the_starter_omits_them(mocker: MockerFixture) -> None:
    value = order_input()
    del value["stepRetry"], value["compensationRetry"]
    driver = OrchestrationDriver(
        mocker, orchestrator_function(order_saga.order_fulfillment_saga), input=value
    )

    output = driver.run(responder(charge_payment=first(1, lambda: transient("charge_payment"))))

    assert output["status"] == "completed"
    assert driver.timers[0].fire_at == DEFAULT_START + timedelta(seconds=2)


def test_keys_come_from_the_order_id_so_a_restart_under_a_new_id_repeats_nothing(
    mocker: MockerFixture,
) -> None:
    """The `restart` API runs the same input under a new instance id."""
    respond = responder(
        create_shipment=UNDELIVERABLE,
        refund_payment=always(lambda: transient("refund_payment")),
    )
    keys = []
    for instance_id in (INSTANCE, "4f1c2d0e9a8b4c7d"):
        driver = OrchestrationDriver(
            mocker,
            orchestrator_function(order_saga.order_fulfillment_saga),
            input=order_input(),
            instance_id=instance_id,
        )
        driver.run(respond)
        keys.append(
            [
                (t.input.get("idempotencyKey"), t.input.get("correlationId"))
                for t in driver.activities
            ]
        )

    assert keys[0] == keys[1]
    assert {key.split(":")[0] for key, _ in keys[0] if key} == {"order-o-1"}
    assert {correlation for _, correlation in keys[0] if correlation} == {"order-o-1"}
