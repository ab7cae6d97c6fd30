"""Operators decide on an order's unresolved compensations, and find the orders that wait."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import azure.functions as func
import pytest
from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus

from api import order_recovery, orders
from shared import recovery_store
from shared.models.orders.recovery import RecoveryRound
from shared.models.orders.workflow import (
    CompensationName,
    CompensationOutcome,
    SagaStep,
    StepFailure,
)
from tests.support.functions import client_function, user_function
from tests.support.instance_status import instance_status

BASE = "https://shop.example.com/api"
OPERATOR = "ops-lead@example.com"

pytestmark = pytest.mark.usefixtures("app_storage")

decide = client_function(order_recovery.decide_order_recovery)
view = client_function(orders.get_order)
list_recoveries = user_function(order_recovery.list_order_recoveries)


@pytest.fixture(autouse=True)
def _signed_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBSITE_AUTH_ENABLED", "True")


def unique_order() -> str:
    return f"o-{datetime.now(UTC).strftime('%H%M%S%f')}"


def saga(order_id: str, runtime: str = "Running", **custom: Any) -> DurableOrchestrationStatus:
    progress = {
        "orderId": order_id,
        "step": "awaiting_recovery",
        "status": "awaiting_recovery",
        "failedStep": "create_shipment",
        "failedCompensations": ["refund_payment"],
        "recoveryRound": 1,
        **custom,
    }
    return instance_status(
        f"order-{order_id}", runtime, "order_fulfillment_saga", customStatus=progress
    )


def request(
    order_id: str, payload: Any, principal: str | None = OPERATOR, method: str = "POST"
) -> func.HttpRequest:
    headers = {"content-type": "application/json"}
    if principal:
        headers["x-ms-client-principal-name"] = principal
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return func.HttpRequest(
        method,
        f"{BASE}/orders/{order_id}/recovery",
        headers=headers,
        body=raw,
        route_params={"orderId": order_id},
    )


def body(response: func.HttpResponse) -> Any:
    return json.loads(response.get_body())


RETRY = {"round": 1, "action": "retry", "note": "provider is back"}
RESOLVE = {"round": 1, "action": "resolve", "note": "refunded in the provider console"}


async def test_a_decision_is_stored_with_who_and_when_and_raised_as_the_rounds_event(
    client: Any,
) -> None:
    order_id = unique_order()
    client.get_status.return_value = saga(order_id)

    response = await decide(request(order_id, RETRY), client)

    assert response.status_code == 202
    decision = body(response)["decision"]
    assert decision["decidedBy"] == OPERATOR
    assert decision["identitySource"] == "principal"
    assert (decision["action"], decision["round"]) == ("retry", 1)
    assert response.headers["Location"] == f"{BASE}/orders/{order_id}"
    event = {k: v for k, v in decision.items() if k != "decidedBy"}  # no names in history
    client.raise_event.assert_awaited_once_with(f"order-{order_id}", "recovery-decision-1", event)
    stored = recovery_store.decision_of(order_id, 1)
    assert stored is not None
    assert stored.to_json() == decision


async def test_a_repeated_decision_is_idempotent_and_a_different_one_is_409(client: Any) -> None:
    order_id = unique_order()
    client.get_status.return_value = saga(order_id)
    first = body(await decide(request(order_id, RETRY), client))

    again = await decide(request(order_id, RETRY), client)
    other = await decide(request(order_id, RESOLVE), client)

    assert again.status_code == 202
    assert body(again)["decision"] == first["decision"]  # the first one's time, not a new one
    assert other.status_code == 409
    assert OPERATOR in body(other)["detail"]
    assert recovery_store.decision_of(order_id, 1).action.value == "retry"  # type: ignore[union-attr]


async def test_a_repeat_after_the_saga_moved_on_answers_the_recorded_decision(
    client: Any,
) -> None:
    order_id = unique_order()
    client.get_status.return_value = saga(order_id)
    await decide(request(order_id, RESOLVE), client)
    client.raise_event.reset_mock()
    client.get_status.return_value = saga(
        order_id, "Completed", step="resolved_by_hand", status="resolved_by_hand"
    )

    again = await decide(request(order_id, RESOLVE), client)

    assert again.status_code == 202
    client.raise_event.assert_not_awaited()  # nobody waits for it any more


@pytest.mark.parametrize(
    ("runtime", "custom", "detail"),
    [
        ("Completed", {"step": "compensated", "status": "compensated"}, "it is compensated"),
        ("Running", {"step": "charging_payment", "status": "running"}, "it is charging_payment"),
        ("Running", {"recoveryRound": 2}, "it waits on round 2"),
        ("Suspended", {}, "not waiting"),
    ],
)
async def test_a_decision_while_the_order_does_not_wait_on_that_round_is_409(
    client: Any, runtime: str, custom: dict[str, Any], detail: str
) -> None:
    order_id = unique_order()
    client.get_status.return_value = saga(order_id, runtime, **custom)

    response = await decide(request(order_id, RETRY), client)

    assert response.status_code == 409
    assert detail in body(response)["detail"]
    client.raise_event.assert_not_awaited()
    assert recovery_store.decision_of(order_id, 1) is None


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"action": "retry"}, ["round"]),
        ({"round": 0, "action": "retry"}, ["round"]),
        ({"round": "1", "action": "retry"}, ["round"]),
        ({"round": 1, "action": "refund"}, ["action"]),
        ({"round": 1, "action": "resolve"}, ["note"]),
        ({"round": 1, "action": "resolve", "note": ""}, ["note"]),
        ({"round": 1, "action": "retry", "decidedBy": "x"}, ["decidedBy"]),
        ({}, ["round", "action"]),
    ],
)
async def test_a_bad_body_is_400_naming_the_fields(
    client: Any, payload: dict[str, Any], fields: list[str]
) -> None:
    response = await decide(request("o-1", payload), client)

    assert response.status_code == 400
    assert sorted(p["field"] for p in body(response)["errors"]) == sorted(fields)
    client.raise_event.assert_not_awaited()


async def test_not_json_is_400(client: Any) -> None:
    response = await decide(request("o-1", b"{round: 1"), client)

    assert response.status_code == 400


async def test_with_platform_sign_in_the_principal_is_required(client: Any) -> None:
    response = await decide(request("o-1", RETRY, principal=None), client)

    assert response.status_code == 401


async def test_an_operator_other_than_the_principal_is_403(client: Any) -> None:
    payload = {**RETRY, "operator": "someone-else@example.com"}

    response = await decide(request("o-1", payload), client)

    assert response.status_code == 403
    assert body(response)["errors"][0]["field"] == "operator"


async def test_without_platform_sign_in_the_body_operator_is_recorded_as_unverified(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WEBSITE_AUTH_ENABLED")
    order_id = unique_order()
    client.get_status.return_value = saga(order_id)

    missing = await decide(request(order_id, RETRY, principal="spoofed@example.com"), client)
    named = await decide(request(order_id, {**RETRY, "operator": OPERATOR}), client)

    assert missing.status_code == 400
    assert body(missing)["errors"][0]["field"] == "operator"
    assert named.status_code == 202
    assert body(named)["decision"]["identitySource"] == "request_body"
    assert body(named)["decision"]["decidedBy"] == OPERATOR


async def test_an_unknown_order_is_404(client: Any) -> None:
    response = await decide(request("o-unknown", RETRY), client)

    assert response.status_code == 404


def _round(order_id: str, round_number: int = 1) -> RecoveryRound:
    failure = StepFailure(
        step="refund_payment", kind="transient", code="unavailable", message="down", attempts=3
    )
    return RecoveryRound(
        order_id=order_id,
        instance_id=f"order-{order_id}",
        round=round_number,
        failed_step=SagaStep.CREATE_SHIPMENT,
        unresolved=[
            CompensationOutcome(
                step=SagaStep.CHARGE_PAYMENT,
                compensation=CompensationName.REFUND_PAYMENT,
                succeeded=False,
                failure=failure,
            )
        ],
        awaiting_since=datetime(2026, 1, 5, 9, tzinfo=UTC),
    )


def get(path: str, params: dict[str, str] | None = None, **route: str) -> func.HttpRequest:
    return func.HttpRequest(
        "GET", f"{BASE}/{path}", body=b"", params=params or {}, route_params=route
    )


async def test_the_orders_view_shows_the_waiting_round(client: Any) -> None:
    order_id = unique_order()
    recovery_store.record_round(_round(order_id))
    client.get_status.return_value = saga(order_id)

    response = await view(get(f"orders/{order_id}", orderId=order_id), client)

    assert response.status_code == 200
    shown = body(response)
    assert shown["awaitingRecovery"] is True
    assert shown["runtimeStatus"] == "Running"
    assert shown["progress"]["recoveryRound"] == 1
    [waiting] = shown["recovery"]
    assert waiting["unresolved"][0]["compensation"] == "refund_payment"
    assert waiting["decision"] is None


async def test_waiting_orders_are_listed_and_leave_the_list_once_decided(client: Any) -> None:
    order_id = unique_order()
    recovery_store.record_round(_round(order_id))
    client.get_status.return_value = saga(order_id)

    async def listed(state: str) -> list[str]:
        response = await list_recoveries(get("order-recoveries", {"state": state}))
        return [r["orderId"] for r in body(response)["rounds"]]

    before = await listed("awaiting")
    await decide(request(order_id, RESOLVE), client)
    after_awaiting = await listed("awaiting")
    decided = await listed("decided")

    assert order_id in before
    assert order_id not in after_awaiting
    assert order_id in decided


async def test_a_bad_list_filter_is_400_naming_it(client: Any) -> None:
    response = await list_recoveries(get("order-recoveries", {"state": "stuck"}))

    assert response.status_code == 400
    assert body(response)["errors"][0]["field"] == "state"


async def test_a_saga_between_generations_still_takes_its_decision(client: Any) -> None:
    """A long wait continues as new; the instance may read ContinuedAsNew for a moment."""
    order_id = unique_order()
    client.get_status.return_value = saga(order_id, "ContinuedAsNew")

    response = await decide(request(order_id, RETRY), client)

    assert response.status_code == 202
    client.raise_event.assert_awaited_once()
