"""What the app exports: one trace per order, workflow fields on every line, no personal data.

Runs against the in-process local host, with the app's own telemetry set-up feeding the
OpenTelemetry SDK's in-memory exporters (tests/support/telemetry.py), so it sees exactly what
an OTLP collector or Application Insights would receive.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan

from tests.e2e.support.client import ApiClient, Json, expect
from tests.e2e.support.clock import Clock
from tests.e2e.support.shop import QUICK_RETRY, UNDELIVERABLE, accepted, order, stock
from tests.e2e.support.target import Target
from tests.e2e.support.waiting import wait_for_custom_status, wait_for_instance
from tests.support.telemetry import Captured, capturing

SAGA_ACTIVITIES = {
    "activity:reserve_inventory",
    "activity:charge_payment",
    "activity:create_shipment",
    "activity:send_notification",
}
FIELDS = ("instanceId", "function", "pattern", "businessKind", "businessId")


@pytest.fixture
def telemetry(target: Target) -> Iterator[Captured]:
    if target.remote:
        pytest.skip("captures the in-process app's telemetry; a remote app exports its own")
    with capturing() as captured:
        yield captured


def place(api: ApiClient, clock: Clock, body: Json, trace_id: str) -> Json:
    traceparent = f"00-{trace_id}-{secrets.token_hex(8)}-01"
    started = accepted(api.post("/orders", body, headers={"traceparent": traceparent}))
    done = wait_for_instance(api, clock, started["id"])
    assert done["runtimeStatus"] == "Completed", done
    return done


def trace_of(span: ReadableSpan) -> str:
    return format(span.context.trace_id, "032x") if span.context else ""


def test_one_trace_from_post_orders_through_the_activities_to_the_table_writes(
    api: ApiClient, clock: Clock, telemetry: Captured
) -> None:
    trace_id = secrets.token_hex(16)
    done = place(api, clock, order({stock(api, 5): 2}), trace_id)

    spans = [s for s in telemetry.spans() if trace_of(s) == trace_id]
    activities = {s.context.span_id: s for s in spans if s.name.startswith("activity:")}
    assert {s.name for s in activities.values()} >= SAGA_ACTIVITIES
    for span in activities.values():
        assert span.attributes is not None
        assert span.attributes["instanceId"] == done["instanceId"]
        assert span.attributes["businessId"] == done["output"]["orderId"]
    table_calls = [s for s in spans if s.name.startswith("TableClient.")]
    # The starter stores the order's details before it starts the saga (no activity parent)...
    assert any(s.parent and s.parent.span_id not in activities for s in table_calls)
    # ... and every saga step writes its tables inside its activity's span.
    parents = {
        activities[s.parent.span_id].name
        for s in table_calls
        if s.parent and s.parent.span_id in activities
    }
    assert parents >= SAGA_ACTIVITIES


def test_orchestrator_and_activity_lines_carry_the_workflow_fields(
    api: ApiClient, clock: Clock, telemetry: Captured
) -> None:
    body = order({stock(api, 1): 2}, stepRetry=QUICK_RETRY)  # out of stock: compensated
    done = place(api, clock, body, secrets.token_hex(16))

    mine = [
        log.log_record
        for log in telemetry.logs()
        if (log.log_record.attributes or {}).get("instanceId") == done["instanceId"]
    ]
    bodies = [str(r.body) for r in mine]
    assert any("activity reserve_inventory failed" in b for b in bodies), bodies
    assert any("compensating" in b for b in bodies), bodies  # the orchestrator's warning
    for record in mine:
        attributes = dict(record.attributes or {})
        assert {name: attributes.get(name) for name in FIELDS} == {
            "instanceId": done["instanceId"],
            "function": attributes["function"],
            "pattern": "saga",
            "businessKind": "orderId",
            "businessId": done["output"]["orderId"],
        }
    failed = next(r for r in mine if "activity reserve_inventory failed" in str(r.body))
    assert dict(failed.attributes or {})["outcome"] == "permanent:out_of_stock"


def test_no_personal_data_reaches_telemetry(
    api: ApiClient, clock: Clock, telemetry: Captured
) -> None:
    email = f"pii-{secrets.token_hex(8)}@example.com"
    token = f"tok_refund_unavailable_{secrets.token_hex(4)}"
    body = order(
        {stock(api, 5): 1},
        payment="tok_refund_unavailable",
        country=UNDELIVERABLE,
        stepRetry=QUICK_RETRY,
        compensationRetry=QUICK_RETRY,
    )  # shipping fails, the refund keeps failing: alerts, notices, a wait for operators
    street = f"{secrets.token_hex(6)} Privacy Lane"
    body |= {"customerEmail": email}
    body["shippingAddress"] |= {"line1": street, "name": f"Piiname {secrets.token_hex(4)}"}
    traceparent = f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"
    started = accepted(api.post("/orders", body, headers={"traceparent": traceparent}))
    wait_for_custom_status(
        api,
        clock,
        started["id"],
        lambda s: s.get("status") == "awaiting_recovery",
        "the order to await recovery",
    )
    clean = order({stock(api, 5): 1}, payment=token)
    place(api, clock, clean, secrets.token_hex(16))

    markers = [email, street, body["shippingAddress"]["name"], token, "tok_refund_unavailable"]
    assert telemetry.logs()
    assert telemetry.spans()
    assert not telemetry.find(markers), "\n".join(telemetry.find(markers))
    # The figure the compensation alerts count, which no platform table has.
    (event,) = events(telemetry, "saga.compensation_failed")
    assert event["instanceId"] == started["id"]
    assert event["failedCompensations"] >= 1
    assert event["recoveryRound"] == 1


def test_a_finished_batch_reports_its_fan_out_width_and_failures(
    api: ApiClient, clock: Clock, telemetry: Captured
) -> None:
    items = [
        {"id": f"item-{n}", "sku": f"SKU-{n}", "basePrice": "10.00", "currency": "EUR"}
        for n in range(5)
    ]
    items[0]["currency"] = "XXX"  # an unsold currency: one item fails for good
    started = expect(api.post("/batches", {"items": items, "maxParallel": 3}), 202)
    wait_for_instance(api, clock, started["batchId"])

    (event,) = events(telemetry, "batch.finished")
    assert event["businessId"] == started["batchId"]
    assert (event["items"], event["processed"], event["failed"]) == (5, 4, 1)
    assert event["fanOutWidth"] == 3


def events(telemetry: Captured, name: str) -> list[dict[str, Any]]:
    """The attributes of every exported `workflow_event` line named `name`."""
    return [
        dict(log.log_record.attributes or {})
        for log in telemetry.logs()
        if (log.log_record.attributes or {}).get("event") == name
    ]
