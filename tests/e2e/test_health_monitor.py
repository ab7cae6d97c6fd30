"""The eternal health monitor against an endpoint the test controls.

The app's HEALTH_MONITOR_ALLOWLIST maps a name to the suite's own tiny HTTP server, whose
health the test switches. Each generation of the monitor checks once, then continues as new;
the test watches generations pass, the alert after N consecutive failures, the resolution on
recovery, and the monitor finishing once stopped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.e2e.support.client import ApiClient, Json, expect, expect_problem
from tests.e2e.support.clock import Clock
from tests.e2e.support.endpoint import ControllableEndpoint
from tests.e2e.support.shop import accepted
from tests.e2e.support.target import Target
from tests.e2e.support.waiting import wait_for_instance, wait_until

THRESHOLD = 2


def monitor_names(target: Target) -> tuple[str, ...]:
    if not target.health_endpoint_names:
        pytest.skip(
            "remote mode: the app's HEALTH_MONITOR_ALLOWLIST must name an endpoint this test "
            "serves; set E2E_HEALTH_ENDPOINT_NAME (allow-listed name) and "
            "E2E_HEALTH_ENDPOINT_PORT (where the app reaches this machine) to run it"
        )
    return target.health_endpoint_names


@pytest.fixture
def endpoint(probe_endpoint: ControllableEndpoint) -> Iterator[ControllableEndpoint]:
    probe_endpoint.healthy()
    yield probe_endpoint
    probe_endpoint.healthy()


def view(api: ApiClient, name: str) -> Json:
    return api.get_json(f"/health-monitors/{name}")


def wait_for_monitor(
    api: ApiClient, clock: Clock, name: str, condition: Callable[[Json], bool], what: str
) -> Json:
    """The monitor's status once `condition` holds for it while it waits for its next check."""
    seen: Json = {}

    def reached() -> Json | None:
        nonlocal seen
        seen = view(api, name)
        status = seen.get("status")
        if not status or status["phase"] != "waiting":
            return None
        return status if condition(status) else None

    # Each timer the wait fires is one more generation: it stops at the first that matches.
    return wait_until(reached, clock, f"monitor {name}: {what}", last_seen=lambda: seen)


def start(api: ApiClient, clock: Clock, name: str) -> str:
    interval = int(clock.pick(virtual=300, real=1))
    body = {"name": name, "intervalSeconds": interval, "alertThreshold": THRESHOLD}
    started = accepted(api.post("/health-monitors", body))
    assert started["id"] == f"health-monitor-{name}"
    return str(started["id"])


def stop(api: ApiClient, clock: Clock, name: str, instance_id: str) -> Json:
    accepted(api.delete(f"/health-monitors/{name}"))
    finished = wait_for_instance(api, clock, instance_id)
    assert finished["runtimeStatus"] == "Completed", finished
    return view(api, name)


def test_the_monitor_runs_generations_alerts_once_resolves_and_stops(
    api: ApiClient, clock: Clock, target: Target, endpoint: ControllableEndpoint
) -> None:
    name = monitor_names(target)[0]
    checks_before = endpoint.checks
    instance_id = f"health-monitor-{name}"
    # Notifications are per instance id, which is fixed per name: count only this run's.
    earlier = len(api.notifications(instance_id))

    def sent(kind: str | None = None) -> list[Json]:
        return [n for n in api.notifications(instance_id)[earlier:] if kind in (None, n["kind"])]

    assert start(api, clock, name) == instance_id
    try:
        # One monitor per name.
        again = api.post("/health-monitors", {"name": name})
        expect_problem(again, 409)
        assert again.headers["Location"].endswith(f"/api/instances/{instance_id}")

        first = wait_for_monitor(api, clock, name, lambda s: s["checksTotal"] >= 1, "a check")
        assert first["lastCheck"]["healthy"] is True
        assert first["lastCheck"]["statusCode"] == 200
        assert (first["consecutiveFailures"], first["alertOpen"]) == (0, False)
        assert first["lastHealthyAt"] is not None
        assert first["nextCheckAt"] is not None

        endpoint.failing()
        alerting = wait_for_monitor(api, clock, name, lambda s: s["alertOpen"], "the alert")
        assert alerting["lastCheck"]["healthy"] is False
        assert alerting["lastCheck"]["statusCode"] == 503
        assert alerting["lastCheck"]["errorKind"] == "http_status"
        if clock.virtual:
            assert alerting["consecutiveFailures"] == THRESHOLD
        (alert,) = sent("health_alert")
        if target.operations_email:
            assert alert["recipient"] == target.operations_email
        assert alert["data"]["endpoint"] == name
        assert alert["data"]["consecutiveFailures"] == THRESHOLD
        assert alert["data"]["statusCode"] == 503

        # Still failing: no second alert.
        wait_for_monitor(
            api, clock, name, lambda s: s["consecutiveFailures"] > THRESHOLD, "more failures"
        )
        assert len(sent("health_alert")) == 1

        endpoint.healthy()
        recovered = wait_for_monitor(api, clock, name, lambda s: not s["alertOpen"], "the recovery")
        assert recovered["consecutiveFailures"] == 0
        assert recovered["lastCheck"]["healthy"] is True
        (resolved,) = sent("health_resolved")
        assert resolved["data"]["endpoint"] == name
        assert [n["kind"] for n in sent()] == [
            "health_alert",
            "health_resolved",
        ]
        # Several generations ran, each one check, under the same instance id.
        assert recovered["generation"] >= 2 + THRESHOLD + 1
        assert recovered["checksTotal"] == recovered["generation"]
        assert endpoint.checks - checks_before >= recovered["checksTotal"]
    finally:
        stopped = stop(api, clock, name, instance_id)

    assert stopped["runtimeStatus"] == "Completed"
    assert stopped["status"]["phase"] == "stopped"
    result = stopped["result"]
    assert result["outcome"] == "stopped"
    assert result["alertOpen"] is False
    assert result["checksTotal"] >= recovered["checksTotal"]
    # Stopped means stopped: no more checks, and nothing left to stop.
    checks = endpoint.checks
    clock.advance(clock.pick(virtual=3600, real=2))
    assert endpoint.checks == checks
    expect_problem(api.delete(f"/health-monitors/{name}"), 404)


def test_a_suspended_monitor_pauses_and_a_terminated_one_can_be_replaced(
    api: ApiClient, clock: Clock, target: Target, endpoint: ControllableEndpoint
) -> None:
    name = monitor_names(target)[0]
    instance_id = start(api, clock, name)
    waiting = wait_for_monitor(api, clock, name, lambda s: s["checksTotal"] >= 1, "a check")

    accepted(api.post(f"/instances/{instance_id}/suspend", {"reason": "maintenance window"}))
    assert view(api, name)["runtimeStatus"] == "Suspended"
    expect_problem(api.post("/health-monitors", {"name": name}), 409)  # still this name's monitor
    checks = endpoint.checks
    clock.advance(3 * waiting["intervalSeconds"])
    paused = view(api, name)
    assert paused["runtimeStatus"] == "Suspended"
    if clock.virtual:
        assert endpoint.checks == checks
        assert paused["status"]["generation"] == waiting["generation"]

    accepted(api.post(f"/instances/{instance_id}/resume"))
    resumed = wait_for_monitor(
        api, clock, name, lambda s: s["generation"] > paused["status"]["generation"], "a resume"
    )
    assert resumed["checksTotal"] > paused["status"]["checksTotal"]

    accepted(api.post(f"/instances/{instance_id}/terminate", {"reason": "decommissioned"}))
    terminated = wait_for_instance(api, clock, instance_id, fire_timers=False)
    assert terminated["runtimeStatus"] == "Terminated"
    assert view(api, name)["runtimeStatus"] == "Terminated"
    expect_problem(api.delete(f"/health-monitors/{name}"), 404)  # nothing running to stop

    # A finished monitor is replaced by the next start.
    assert start(api, clock, name) == instance_id
    wait_for_monitor(api, clock, name, lambda s: s["checksTotal"] == 1, "the new run's check")
    stop(api, clock, name, instance_id)


def test_a_restarted_monitor_alerts_again(
    api: ApiClient, clock: Clock, target: Target, endpoint: ControllableEndpoint
) -> None:
    names = monitor_names(target)
    name = names[-1]
    instance_id = f"health-monitor-{name}"
    earlier = len(api.notifications(instance_id, "health_alert"))
    endpoint.failing()
    for run in (1, 2):
        assert start(api, clock, name) == instance_id
        try:
            wait_for_monitor(api, clock, name, lambda s: s["alertOpen"], f"the alert of run {run}")
        finally:
            stop(api, clock, name, instance_id)
        alerts = api.notifications(instance_id, "health_alert")[earlier:]
        assert len(alerts) == run, f"run {run} of {name} left {len(alerts)} alert(s): {alerts}"


def test_only_allow_listed_endpoints_can_be_monitored(api: ApiClient) -> None:
    refused = expect_problem(api.post("/health-monitors", {"name": "not-listed"}), 400, ["name"])
    assert "HEALTH_MONITOR_ALLOWLIST" in refused["detail"]
    # A URL is never accepted: only a name, and only of the allowed shape.
    expect_problem(
        api.post("/health-monitors", {"name": "x", "url": "http://169.254.169.254/"}), 400, ["url"]
    )
    expect_problem(api.post("/health-monitors", {"name": "Not_A_Name"}), 400, ["name"])
    expect_problem(
        api.post("/health-monitors", {"name": "x", "intervalSeconds": 0}), 400, ["intervalSeconds"]
    )
    expect_problem(api.get("/health-monitors/never-started"), 404)
    expect_problem(api.delete("/health-monitors/never-started"), 404)
    assert expect(api.get("/health"), 200)["status"] == "healthy"
