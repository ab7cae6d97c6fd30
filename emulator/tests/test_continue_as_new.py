"""continue_as_new: a new execution each round, and delivered-but-unconsumed events dropped."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from durable_webhooks import Durable, StartApp

pytestmark = pytest.mark.emulator

START = datetime(2030, 1, 1, tzinfo=UTC)


def test_eternal_orchestration_runs_a_day_of_rounds(start_app: StartApp) -> None:
    server = start_app("continue_as_new", start_time=START, paused=True)
    durable = Durable(server)

    instance_id = durable.start("eternal", {"round": 0, "rounds": 24})
    first_execution = durable.instance(instance_id).execution_id
    server.clock.advance(timedelta(days=1))

    status = durable.body(instance_id)
    assert status["runtimeStatus"] == "Completed"
    assert status["output"] == {"round": 24, "rounds": 24}
    assert durable.instance(instance_id).execution_id != first_execution
    # Only the last execution's history is kept.
    history = durable.history(instance_id)
    assert sum(1 for e in history if e["EventType"] == 0) == 1


def test_continue_as_new_drops_delivered_but_unconsumed_events(start_app: StartApp) -> None:
    server = start_app("continue_as_new", start_time=START, paused=True)
    durable = Durable(server)

    instance_id = durable.start("consumer", {"round": 0})
    server.wait_idle()
    durable.raise_event(instance_id, "ping", "too early")
    server.wait_idle()  # delivered to round 0, which does not wait for it
    durable.raise_event(instance_id, "next", None)
    server.wait_idle()  # round 0 continues as new; round 1 waits for "next" again
    assert durable.body(instance_id)["input"] == '{"round": 1}'

    durable.raise_event(instance_id, "next", None)
    server.wait_idle()
    server.clock.advance(timedelta(hours=1))

    assert durable.body(instance_id)["output"] == {"round": 1, "ping": None}


def test_eternal_orchestration_reads_running_between_generations(start_app: StartApp) -> None:
    server = start_app("continue_as_new", start_time=START, paused=True)
    durable = Durable(server)

    instance_id = durable.start("eternal", {"round": 0, "rounds": 24})
    server.clock.advance(timedelta(hours=3))

    status = durable.body(instance_id)
    assert status["input"] == '{"round": 3, "rounds": 24}'  # the host re-encodes it
    assert status["runtimeStatus"] == "Running"
    running = durable.http.get("/instances", params={"runtimeStatus": "Running"}).json()
    assert [i["instanceId"] for i in running] == [instance_id]
    durable.post(f"/instances/{instance_id}/suspend")
    durable.post(f"/instances/{instance_id}/resume")
    server.clock.advance(timedelta(hours=1))
    assert durable.body(instance_id)["runtimeStatus"] == "Running"


PAYLOADS = {
    "text": "hello",
    "empty text": "",
    "text that is JSON": '{"a": 1}',
    "non-ascii text": "café ✓",
    "dict": {"a": 1, "nested": [1, {"b": None}], "flag": False},
    "list": [1, "two", None],
    "none": None,
    "zero": 0,
}


def _relayed(start_app: StartApp, payload: Any) -> tuple[Any, list[dict[str, Any]]]:
    """What the next generation's ``get_input()`` returned, and that generation's history."""
    durable = Durable(start_app("continue_as_new"))
    instance_id = durable.start("relay", {"send": payload})
    assert durable.server.wait_idle()
    status = durable.body(instance_id)
    assert status["runtimeStatus"] == "Completed", status
    return status["output"]["received"], durable.history(instance_id)


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_the_next_generation_gets_exactly_the_input_passed_to_continue_as_new(
    start_app: StartApp, payload: Any
) -> None:
    received, history = _relayed(start_app, payload)

    assert received == payload
    assert type(received) is type(payload)
    # As the extension's shim records it: ContinueAsNew(the SDK's JSON text) serializes that
    # text once more, so ExecutionStarted.Input is a JSON string holding the payload's JSON.
    started = next(e for e in history if e["EventType"] == 0)
    assert json.loads(json.loads(started["Input"])) == payload


def test_a_pydantic_payload_survives_continue_as_new(start_app: StartApp) -> None:
    pydantic = pytest.importorskip("pydantic")

    class Order(pydantic.BaseModel):  # type: ignore[name-defined,misc]
        order_id: str
        total: Decimal
        placed_at: datetime
        lines: list[dict[str, int]]

    order = Order(
        order_id="o-1",
        total=Decimal("12.50"),
        placed_at=START,
        lines=[{"sku": 7, "qty": 2}],
    )

    as_dict, _ = _relayed(start_app, order.model_dump(mode="json"))
    as_text, _ = _relayed(start_app, order.model_dump_json())

    assert Order.model_validate(as_dict) == order
    assert Order.model_validate_json(as_text) == order
