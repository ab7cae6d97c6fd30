"""The Durable `restart` API never repeats a side effect: keys follow the business identity.

`restart` starts a finished instance's orchestrator again, with its input, under a new
instance id. Each test completes an instance, restarts it, lets the new instance finish and
reads what a user would: the customer and the welcome, the batch's results and the
`items-processed` counter, the export and approval notices, the health alert. Each effect
exists once; the new instance's own correlation in the outbox stays empty.
"""

from __future__ import annotations

import pytest

from tests.e2e.support.client import ApiClient, Json, expect
from tests.e2e.support.clock import Clock
from tests.e2e.support.endpoint import ControllableEndpoint
from tests.e2e.support.restart import restart
from tests.e2e.support.shop import accepted, email, signed_in, unique
from tests.e2e.support.target import Target
from tests.e2e.support.waiting import wait_for_custom_status, wait_for_instance

BATCH_ITEMS = 250  # three chunks of 100: the restart meets finished chunk instances


def completed(api: ApiClient, clock: Clock, instance_id: str) -> Json:
    status = wait_for_instance(api, clock, instance_id)
    assert status["runtimeStatus"] == "Completed", status
    return status


def restart_and_complete(api: ApiClient, clock: Clock, target: Target, instance_id: str) -> Json:
    """Restart a finished instance under a new id and wait for the new one to complete."""
    return completed(api, clock, restart(target, instance_id))


def test_a_restarted_onboarding_makes_no_second_customer_account_or_welcome(
    api: ApiClient, clock: Clock, target: Target
) -> None:
    address = email(unique("restart"))
    started = accepted(api.post("/customers", {"email": address, "name": "Ada Lovelace"}))
    first = completed(api, clock, started["id"])["output"]

    again = restart_and_complete(api, clock, target, started["id"])

    assert again["output"]["customer"]["customerId"] == first["customer"]["customerId"]
    assert again["output"]["account"]["accountId"] == first["account"]["accountId"]
    assert again["output"]["welcome"]["notificationId"] == first["welcome"]["notificationId"]
    assert [n["kind"] for n in api.notifications(started["id"])] == ["welcome"]
    assert api.notifications(again["instanceId"]) == []
    customer = api.get_json("/customers", {"email": address})
    assert customer["customerId"] == first["customer"]["customerId"]


def test_a_restarted_batch_counts_its_items_once(
    api: ApiClient, clock: Clock, target: Target
) -> None:
    items = [
        {"id": f"item-{n:04d}", "sku": f"SKU-{n:04d}", "basePrice": "10.00", "currency": "EUR"}
        for n in range(BATCH_ITEMS)
    ]
    items[7]["currency"] = "XXX"  # one failure, recorded once
    counter = f"/counters/{'items-processed'}"
    before = counter_value(api, counter)
    batch_id = accepted(api.post("/batches", {"batchId": unique("restart-batch"), "items": items}))[
        "batchId"
    ]
    first = completed(api, clock, batch_id)["output"]
    assert (first["processed"], first["failedCount"], first["counterSignalled"]) == (
        BATCH_ITEMS - 1,
        1,
        True,
    )
    counted = counter_value(api, counter)
    if target.exclusive:
        assert counted == before + BATCH_ITEMS - 1

    again = restart_and_complete(api, clock, target, batch_id)["output"]

    assert (again["processed"], again["failedCount"]) == (BATCH_ITEMS - 1, 1)
    assert again["counterSignalled"] is False
    if target.exclusive:
        assert counter_value(api, counter) == counted
    results = api.get_json(f"/batches/{batch_id}/results", {"top": 1000})
    assert sorted(row["id"] for row in results["items"]) == [item["id"] for item in items]


def test_a_restarted_export_monitor_sends_its_alert_once(
    api: ApiClient, clock: Clock, target: Target
) -> None:
    job = expect(api.post("/jobs", {"description": "Restarted export"}), 201)
    wait = int(clock.pick(virtual=30, real=1))
    started = expect(
        api.post(
            "/monitors",
            {"jobId": job["id"], "timeoutMinutes": 60, "initialIntervalSeconds": wait},
        ),
        202,
    )
    monitor = started["id"]
    wait_for_custom_status(
        api, clock, monitor, lambda s: s["checks"] >= 1, "the first check", fire_timers=False
    )
    expect(api.put(f"/jobs/{job['id']}", {"status": "completed"}), 200)
    assert completed(api, clock, monitor)["output"]["outcome"] == "completed"

    again = restart_and_complete(api, clock, target, monitor)

    assert again["output"]["outcome"] == "completed"
    assert [n["kind"] for n in api.notifications(monitor)] == ["export_completed"]
    assert api.notifications(again["instanceId"]) == []


def test_a_restarted_approval_notifies_no_party_twice(
    api: ApiClient, clock: Clock, target: Target
) -> None:
    approver = email("manager")
    stage_seconds = int(clock.pick(virtual=1800, real=5))
    requester = email("requester")
    request = {
        "requester": requester,
        "amount": "80",
        "currency": "EUR",
        "description": "Restarted approval",
        "approvers": [approver],
        "stageTimeoutSeconds": stage_seconds,
    }
    response = api.post("/approvals", request, headers=signed_in(requester))
    if response.status_code == 401 and target.remote:
        pytest.skip("the remote app requires a real signed-in user (App Service Authentication)")
    approval = accepted(response)["id"]
    assert completed(api, clock, approval)["output"]["outcome"] == "expired"

    again = restart_and_complete(api, clock, target, approval)

    assert again["output"]["outcome"] == "expired"
    assert again["output"]["approvalId"] == approval
    assert [n["kind"] for n in api.notifications(approval)] == [
        "approval_requested",
        "approval_expired",
    ]
    assert api.notifications(again["instanceId"]) == []


def test_a_restarted_health_monitor_does_not_alert_again(
    api: ApiClient, clock: Clock, target: Target, probe_endpoint: ControllableEndpoint
) -> None:
    if not target.health_endpoint_names:
        pytest.skip("remote mode without E2E_HEALTH_ENDPOINT_NAME: no endpoint to monitor")
    name = target.health_endpoint_names[-1]
    monitor = f"health-monitor-{name}"
    earlier = len(api.notifications(monitor, "health_alert"))
    probe_endpoint.failing()
    try:
        interval = int(clock.pick(virtual=300, real=1))
        body = {"name": name, "intervalSeconds": interval, "alertThreshold": 1}
        assert accepted(api.post("/health-monitors", body))["id"] == monitor
        wait_for_custom_status(
            api, clock, monitor, lambda s: s["alertOpen"], "the alert", fire_timers=False
        )
        accepted(api.delete(f"/health-monitors/{name}"))
        completed(api, clock, monitor)

        restarted = restart(target, monitor)
        wait_for_custom_status(
            api,
            clock,
            restarted,
            lambda s: s["phase"] == "waiting" and s["alertOpen"],
            "the restarted monitor's first check",
            fire_timers=False,
        )
        accepted(api.post(f"/instances/{restarted}/terminate", {"reason": "test over"}))
    finally:
        probe_endpoint.healthy()

    alerts = api.notifications(monitor, "health_alert")[earlier:]
    assert len(alerts) == 1, alerts
    assert api.notifications(restarted) == []


def counter_value(api: ApiClient, path: str) -> int:
    response = api.get(path)
    if response.status_code == 404:
        return 0
    value: int = expect(response, 200)["value"]
    return value
