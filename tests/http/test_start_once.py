"""`start_once`: its policies as every starter uses them, and an id held by another orchestrator.

Instance ids share one namespace across orchestrators. An instance of another orchestrator
started under an `order-`/`onboarding-` id by other means than this app's routes must never
be "joined" (the caller would poll someone else's workflow as their order) nor replaced by a
start over its history when it has ended.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import azure.functions as func
import pytest

from api import customers, orders
from api.http import HttpProblem
from api.start_once import JOIN, SINGLETON, StartPolicy, start_once
from shared import instance_ids
from shared.models.customers.customer import email_key
from tests.http import samples
from tests.http.samples import post_json
from tests.support.functions import client_function
from tests.support.instance_status import instance_status, no_instance

pytestmark = pytest.mark.usefixtures("app_storage")

BASE = "https://shop.example.com/api"

start_order = client_function(orders.start_order_fulfillment)
start_onboarding = client_function(customers.start_customer_onboarding)

ORDER = {**samples.ORDER, "orderId": "o-42"}
ORDER_INSTANCE = "order-o-42"
ONBOARDING = {"email": "ada@example.com", "name": "Ada"}
ONBOARDING_INSTANCE = instance_ids.onboarding(email_key("ada@example.com"))
ACTIVE_STATES = ("Pending", "Running", "Suspended", "ContinuedAsNew")
FINISHED_STATES = ("Completed", "Failed", "Terminated")


def instance(name: str | None, runtime: str, instance_id: str, input_: Any = None) -> Any:
    return instance_status(instance_id, runtime, name, input=input_)


def assert_conflict_naming(response: func.HttpResponse, instance_id: str) -> None:
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert f"'{instance_id}'" in json.loads(response.get_body())["detail"]
    assert response.headers["Location"] == f"{BASE}/instances/{instance_id}"


@pytest.mark.parametrize("runtime", ["Pending", "Running", "Completed", "Failed", "Terminated"])
async def test_an_order_id_held_by_another_orchestrator_is_a_409(client: Any, runtime: str) -> None:
    # Same input even: what tells the instances apart is the orchestrator.
    client.get_status.return_value = instance("process_batch", runtime, ORDER_INSTANCE, ORDER)

    response = await start_order(post_json("orders", ORDER), client)

    assert_conflict_naming(response, ORDER_INSTANCE)
    client.start_new.assert_not_awaited()


@pytest.mark.parametrize("runtime", ["Running", "Completed", "Failed", "Terminated"])
async def test_an_onboarding_id_held_by_another_orchestrator_is_a_409(
    client: Any, runtime: str
) -> None:
    """Onboarding restarts a failed instance even with other details: not another's, though."""
    client.get_status.return_value = instance("expense_approval", runtime, ONBOARDING_INSTANCE)

    response = await start_onboarding(post_json("customers", ONBOARDING), client)

    assert_conflict_naming(response, ONBOARDING_INSTANCE)
    client.start_new.assert_not_awaited()


async def test_losing_a_start_race_to_another_orchestrator_is_a_409(client: Any) -> None:
    not_yet = no_instance()
    theirs = instance("health_monitor", "Running", ORDER_INSTANCE)
    client.get_status.side_effect = [not_yet, theirs]
    client.start_new.side_effect = Exception("An orchestration with this id already exists")

    response = await start_order(post_json("orders", ORDER), client)

    assert_conflict_naming(response, ORDER_INSTANCE)


async def test_the_same_orchestrators_instance_is_still_joined(client: Any) -> None:
    client.get_status.return_value = instance(
        "customer_onboarding", "Running", ONBOARDING_INSTANCE, ONBOARDING
    )

    response = await start_onboarding(post_json("customers", ONBOARDING), client)

    assert response.status_code == 202
    client.start_new.assert_not_awaited()


async def test_a_status_without_a_name_is_taken_as_ours(client: Any) -> None:
    """The host always names the orchestrator; if it did not, joining is the safe reading."""
    client.get_status.return_value = instance(None, "Running", ORDER_INSTANCE)

    response = await start_order(post_json("orders", ORDER), client)

    assert response.status_code == 202
    client.start_new.assert_not_awaited()


# --- before_start: where a starter stores the request's personal details ---------------------


def _direct_start(
    before_start: Any = None,
    policy: StartPolicy = JOIN,
    restart_with_other_details: bool = False,
) -> Any:
    """`start_once` on its own; a refusal is answered with its status, as the route does."""

    async def call(client: Any) -> int:
        try:
            started = await start_once(
                client,
                policy,
                "order_fulfillment_saga",
                ORDER_INSTANCE,
                {"key": "mine"},
                same_request=lambda stored: stored == {"key": "mine"},
                conflict_detail="other details",
                restart_with_other_details=restart_with_other_details,
                before_start=before_start,
            )
        except HttpProblem as refused:
            return refused.problem.status
        return 201 if started else 202

    return call


STARTED, JOINED, REFUSED = 201, 202, 409


@pytest.mark.parametrize(
    ("policy", "runtime", "stored", "answer"),
    [
        (JOIN, None, None, STARTED),
        *((JOIN, runtime, {"key": "mine"}, JOINED) for runtime in ACTIVE_STATES),
        (JOIN, "Completed", {"key": "mine"}, JOINED),
        (JOIN, "Failed", {"key": "mine"}, STARTED),  # started again: its steps are idempotent
        (JOIN, "Terminated", {"key": "mine"}, STARTED),
        *((JOIN, runtime, {"key": "other"}, REFUSED) for runtime in ACTIVE_STATES),
        (JOIN, "Completed", {"key": "other"}, REFUSED),
        (JOIN, "Failed", {"key": "other"}, REFUSED),
        (JOIN, "Terminated", {"key": "other"}, REFUSED),
        (SINGLETON, None, None, STARTED),
        *((SINGLETON, runtime, {"key": "mine"}, REFUSED) for runtime in ACTIVE_STATES),
        *((SINGLETON, runtime, {"key": "other"}, STARTED) for runtime in FINISHED_STATES),
    ],
)
async def test_each_policy_joins_refuses_or_starts_as_its_table_says(
    client: Any, policy: StartPolicy, runtime: str | None, stored: Any, answer: int
) -> None:
    if runtime is not None:
        client.get_status.return_value = instance(
            "order_fulfillment_saga", runtime, ORDER_INSTANCE, json.dumps(stored)
        )

    assert await _direct_start(policy=policy)(client) == answer
    assert client.start_new.await_count == int(answer == STARTED)


@pytest.mark.parametrize("policy", [JOIN, SINGLETON])
@pytest.mark.parametrize("runtime", [*ACTIVE_STATES, *FINISHED_STATES])
async def test_every_policy_refuses_another_orchestrators_instance(
    client: Any, policy: StartPolicy, runtime: str
) -> None:
    client.get_status.return_value = instance("process_batch", runtime, ORDER_INSTANCE, "{}")

    assert await _direct_start(policy=policy)(client) == REFUSED
    client.start_new.assert_not_awaited()


async def test_a_failed_instance_may_start_over_with_other_details_only_when_allowed(
    client: Any,
) -> None:
    client.get_status.return_value = instance(
        "order_fulfillment_saga", "Failed", ORDER_INSTANCE, json.dumps({"key": "other"})
    )

    assert await _direct_start(restart_with_other_details=True)(client) == STARTED
    # ... but a running one with other details is still a conflict.
    client.get_status.return_value = instance(
        "order_fulfillment_saga", "Running", ORDER_INSTANCE, json.dumps({"key": "other"})
    )
    assert await _direct_start(restart_with_other_details=True)(client) == REFUSED


@pytest.mark.parametrize(
    ("policy", "winner_input", "answer"),
    [(JOIN, {"key": "mine"}, JOINED), (JOIN, {"key": "other"}, REFUSED), (SINGLETON, {}, REFUSED)],
)
async def test_a_start_that_loses_a_race_answers_as_its_policy_does(
    client: Any, policy: StartPolicy, winner_input: Any, answer: int
) -> None:
    winner = instance("order_fulfillment_saga", "Running", ORDER_INSTANCE, json.dumps(winner_input))
    client.get_status.side_effect = [None, winner]
    client.start_new.side_effect = Exception("An Orchestration instance already exists")

    assert await _direct_start(policy=policy)(client) == answer


async def test_a_failed_start_with_no_running_instance_is_not_hidden(client: Any) -> None:
    client.get_status.side_effect = [None, None]
    client.start_new.side_effect = RuntimeError("host unavailable")

    with pytest.raises(RuntimeError, match="host unavailable"):
        await _direct_start()(client)


@pytest.mark.parametrize(
    ("runtime", "stored", "status", "stores"),
    [
        (None, None, STARTED, True),  # new: store, then start
        ("Running", {"key": "mine"}, 202, False),  # joined: nothing written
        ("Completed", {"key": "mine"}, 202, False),
        ("Running", {"key": "other"}, 409, False),  # conflict: the stored details stay
        ("Failed", {"key": "mine"}, STARTED, True),  # restarted: stored again, then started
        ("Failed", {"key": "other"}, 409, False),
    ],
)
async def test_details_are_stored_only_when_an_instance_is_about_to_start(
    client: Any, mocker: Any, runtime: str | None, stored: Any, status: int, stores: bool
) -> None:
    if runtime is not None:
        client.get_status.return_value = instance(
            "order_fulfillment_saga", runtime, ORDER_INSTANCE, json.dumps(stored)
        )
    before_start = mocker.AsyncMock()

    answered = await _direct_start(before_start)(client)

    assert answered == status
    assert before_start.await_count == int(stores)
    assert client.start_new.await_count == int(stores)


def test_every_starter_starts_through_start_once() -> None:
    """One policy decides what a start meets: no route calls the client's `start_new` itself."""
    api_dir = Path(__file__).resolve().parents[2] / "api"
    direct = [
        path.name
        for path in sorted(api_dir.glob("*.py"))
        if path.name != "start_once.py" and ".start_new(" in path.read_text(encoding="utf-8")
    ]
    assert direct == []
