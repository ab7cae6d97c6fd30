"""The order saga's test world: its input, what each of its activities answers, the failures
and operator decisions a test scripts, and how a test runs it against a mocked context."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from pytest_mock import MockerFixture

from orchestrators import order_saga
from shared.errors import ErrorCode
from shared.models.orders.order import OrderDetails
from tests.support.failures import permanent
from tests.support.functions import orchestrator_function
from tests.support.orchestration import FakeTask, OrchestrationDriver

INSTANCE = "order-o-1"
STEP_ATTEMPTS = 3
COMPENSATION_ATTEMPTS = 4

FORWARD = ["reserve_inventory", "charge_payment", "create_shipment"]
COMPENSATION_OF = {
    "reserve_inventory": "release_inventory",
    "charge_payment": "refund_payment",
    "create_shipment": "cancel_shipment",
}
COMPENSATIONS = set(COMPENSATION_OF.values())
CANCELLED = "order_cancelled"  # the customer's notification once an order is compensated
RECORDED = "record_order_recovery"  # what is unresolved, stored for operators
ALERT = "operations_alert"
READ = "read_recovery_decision"  # a decision already recorded for the round, if any


#: What the starter stores by order id; the saga's input only references it.
DETAILS: dict[str, Any] = {
    "orderId": "o-1",
    "customerEmail": "Ada@Example.com",
    "items": [{"sku": "sku-b", "quantity": 2}, {"sku": "sku-a", "quantity": 1}],
    "paymentMethod": "tok_visa",
    "shippingAddress": {
        "name": "Ada Lovelace",
        "line1": "1 Analytical St",
        "city": "London",
        "postalCode": "N1 1AA",
        "country": "gb",
    },
}


def _fingerprint(details: dict[str, Any]) -> str:
    try:
        return OrderDetails.from_json(details).fingerprint()
    except ValidationError:
        return "0" * 64  # invalid details: the input is refused for them anyway


def order_input(**overrides: Any) -> dict[str, Any]:
    """The saga's input for the order `DETAILS` (with `items` or `orderId` overridden)."""
    details = {**DETAILS, **{k: v for k, v in overrides.items() if k in ("orderId", "items")}}
    value: dict[str, Any] = {
        "orderId": details["orderId"],
        "items": details["items"],
        "orderFingerprint": _fingerprint(details),
        "stepRetry": {
            "maxAttempts": STEP_ATTEMPTS,
            "firstDelaySeconds": 2,
            "multiplier": 2,
            "maxDelaySeconds": 30,
        },
        "compensationRetry": {
            "maxAttempts": COMPENSATION_ATTEMPTS,
            "firstDelaySeconds": 5,
            "multiplier": 3,
            "maxDelaySeconds": 60,
        },
    }
    value.update(overrides)
    return value


def ok(task: FakeTask) -> Any:
    """What each activity returns when it succeeds."""
    key = task.input.get("idempotencyKey")
    match task.name:
        case "reserve_inventory":
            return {
                "reservationKey": key,
                "lines": [
                    {"sku": "sku-a", "quantity": 1, "unitPrice": "10.00", "lineTotal": "10.00"},
                    {"sku": "sku-b", "quantity": 2, "unitPrice": "0.10", "lineTotal": "0.20"},
                ],
                "total": "10.20",
            }
        case "charge_payment" | "refund_payment":
            return {
                "paymentId": "pay-1",
                "idempotencyKey": key,
                "orderId": "o-1",
                "amount": "10.20",
                "currency": "EUR",
                "status": "charged" if task.name == "charge_payment" else "refunded",
            }
        case "create_shipment" | "cancel_shipment":
            return {
                "shipmentId": "shp-1",
                "idempotencyKey": key,
                "orderId": "o-1",
                "carrier": "Parcelo",
                "trackingNumber": "PCL1",
                "status": "created" if task.name == "create_shipment" else "cancelled",
            }
        case "release_inventory":
            return {
                "reservationKey": key,
                "lines": [
                    {"sku": "sku-a", "quantity": 1, "state": "released"},
                    {"sku": "sku-b", "quantity": 2, "state": "released"},
                ],
            }
        case "record_order_recovery":
            return task.input
        case "read_recovery_decision":
            return {"decision": None}
        case "send_notification":
            return {
                "notificationId": key,
                "correlationId": INSTANCE,
                "kind": task.input["kind"],
                "to": task.input["to"],
                "createdAt": "2026-01-05T09:00:00+00:00",
            }
    raise AssertionError(f"unexpected activity {task.name}")


Failure = Callable[[FakeTask], Exception | None]


def decision(event: FakeTask, action: str = "resolve", **fields: Any) -> dict[str, Any]:
    """An operator's decision on the round `event` waits for (by its name)."""
    return {
        "orderId": "o-1",
        "round": int(str(event.name).rsplit("-", 1)[1]),
        "action": action,
        "note": fields.pop("note", "refunded by hand in the provider's console"),
        "identitySource": "principal",
        "decidedAt": "2026-01-05T12:00:00+00:00",
        **fields,
    }


Decide = Callable[[FakeTask], FakeTask]


def operator_decides(*actions: str) -> Decide:
    """Answer each recovery wait with the next of `actions` (then keep resolving)."""
    pending = list(actions)

    def decide(waiting: FakeTask) -> FakeTask:
        event = waiting.child("event")
        action = pending.pop(0) if pending else "resolve"
        return event.resolved(decision(event, action))

    return decide


def responder(decide: Decide | None = None, /, **failures: Failure) -> Callable[[FakeTask], Any]:
    """Activities succeed unless `failures[name](task)` returns an exception to raise.

    A recovery wait is answered by `decide` (default: an operator resolves it by hand).
    """
    decide = decide or operator_decides()

    def respond(task: FakeTask) -> Any:
        if task.kind == "timer":
            return None
        if task.kind == "any":
            return decide(task)
        fail = failures.get(task.name or "")
        if task.name == "send_notification":
            fail = failures.get(f"notify_{task.input['kind']}")
        error = fail(task) if fail else None
        if error is not None:
            raise error
        return ok(task)

    return respond


def always(error: Callable[[], Exception]) -> Failure:
    return lambda task: error()


#: The shipment fails for good: the order cannot be delivered.
UNDELIVERABLE: Failure = always(lambda: permanent("create_shipment", ErrorCode.UNDELIVERABLE))


def first(n: int, error: Callable[[], Exception]) -> Failure:
    calls = {"count": 0}

    def fail(task: FakeTask) -> Exception | None:
        calls["count"] += 1
        return error() if calls["count"] <= n else None

    return fail


def run(
    mocker: MockerFixture, respond: Callable[[FakeTask], Any], **input_overrides: Any
) -> tuple[OrchestrationDriver, Any]:
    """Run the saga for `order_input(**input_overrides)`: the driver and the saga's output."""
    driver = OrchestrationDriver(
        mocker,
        orchestrator_function(order_saga.order_fulfillment_saga),
        input=order_input(**input_overrides),
        instance_id=INSTANCE,
    )
    return driver, driver.run(respond)


def names(driver: OrchestrationDriver) -> list[str]:
    """Activity names in order, consecutive retries collapsed."""
    result: list[str] = []
    for task in driver.activities:
        label = str(task.name if task.name != "send_notification" else task.input["kind"])
        if not result or result[-1] != label:
            result.append(label)
    return result
