"""Eternal health monitor: state across generations, alert once, resolve, stop, bad input,
and notification keys that are unique per run (every start reuses the instance id)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

import pytest
from pytest_mock import MockerFixture

from orchestrators import health_monitor
from orchestrators.common import InvalidOrchestrationInput
from shared.errors import ErrorCode
from shared.models.notifications import NotificationRequest
from tests.support.failures import crashed, permanent
from tests.support.functions import orchestrator_function
from tests.support.notifications import receipt_for
from tests.support.orchestration import DEFAULT_START, FakeTask, OrchestrationDriver
from tests.support.personal_data import assert_no_personal_data

INSTANCE = "health-monitor-shop"
OPS = "ops@example.com"
#: What the mocked `context.new_uuid()` answers in generation 1, and the run id cut from it.
RUN_UUID = "0f1e2d3c-4b5a-4697-8877-665544332211"
RUN = "0f1e2d3c4b5a"


def _state(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "shop",
        "generation": 1,
        "intervalSeconds": 60,
        "alertThreshold": 3,
        **overrides,
    }


def _check(healthy: bool) -> dict[str, Any]:
    return {
        "name": "shop",
        "healthy": healthy,
        "statusCode": 200 if healthy else 503,
        "latencyMs": 12,
        "errorKind": None if healthy else "http_status",
        "checkedAt": DEFAULT_START.isoformat(),
    }


class Generation:
    """Answers one generation: the check's outcome, notifications, and how the wait ends."""

    def __init__(
        self,
        healthy: bool = True,
        stop: bool = False,
        probe_error: Exception | None = None,
        notification_error: Exception | None = None,
    ) -> None:
        self.healthy = healthy
        self.stop = stop
        self.probe_error = probe_error
        self.notification_error = notification_error

    def __call__(self, task: FakeTask) -> Any:
        if task.kind == "activity" and task.name == "check_endpoint_health":
            if self.probe_error is not None:
                raise self.probe_error
            return _check(self.healthy)
        if task.kind == "activity" and task.name == "send_notification":
            if self.notification_error is not None:
                raise self.notification_error
            return receipt_for(task.input)
        if task.kind == "timer":
            return None
        if task.kind == "any":
            return task.child("event", "stop").resolved(None) if self.stop else task.child("timer")
        raise AssertionError(f"unexpected {task!r}")


def _generation(
    mocker: MockerFixture,
    state: dict[str, Any],
    respond: Callable[[FakeTask], Any],
    uuid: str = RUN_UUID,
    instance_id: str = INSTANCE,
) -> tuple[Any, OrchestrationDriver]:
    driver = OrchestrationDriver(
        mocker,
        orchestrator_function(health_monitor.health_monitor),
        input=state,
        instance_id=instance_id,
    )
    driver.context.new_uuid.side_effect = lambda: uuid
    return driver.run(respond), driver


def _run(
    mocker: MockerFixture, checks: Iterable[bool], **state: Any
) -> tuple[dict[str, Any], list[OrchestrationDriver]]:
    """Run one generation per check, feeding each continue_as_new input to the next."""
    current = _state(**state)
    drivers = []
    for healthy in checks:
        _, driver = _generation(mocker, current, Generation(healthy))
        assert driver.continued_as_new
        current = driver.continued_with
        drivers.append(driver)
    return current, drivers


def _notifications(drivers: list[OrchestrationDriver]) -> list[dict[str, Any]]:
    return [
        a.input for driver in drivers for a in driver.activities if a.name == "send_notification"
    ]


def test_continue_as_new_carries_the_next_generation_and_the_counters(
    mocker: MockerFixture,
) -> None:
    # State that carries the operations address is accepted ...
    _, driver = _generation(mocker, _state(notifyRecipient=OPS), Generation(healthy=False))

    carried = driver.continued_with
    assert carried["generation"] == 2
    assert carried["runId"] == RUN
    assert carried["consecutiveFailures"] == 1
    assert carried["checksTotal"] == 1
    assert carried["alertOpen"] is False
    assert carried["lastCheck"]["statusCode"] == 503
    assert carried["startedAt"] == DEFAULT_START.isoformat().replace("+00:00", "Z")
    assert (carried["intervalSeconds"], carried["alertThreshold"]) == (60, 3)
    # ... and the address is never carried on.
    assert "notifyRecipient" not in carried
    [timer] = driver.timers
    assert timer.fire_at == DEFAULT_START + timedelta(seconds=60)
    assert not timer.is_cancelled
    [check] = [a for a in driver.activities if a.name == "check_endpoint_health"]
    assert check.input == {"name": "shop"}, "only the name crosses into history, never a URL"


def test_state_survives_many_generations(mocker: MockerFixture) -> None:
    carried, _ = _run(mocker, [True, False, False, True, False])

    assert carried["generation"] == 6
    assert carried["runId"] == RUN, "minted once, in generation 1, then carried"
    assert carried["checksTotal"] == 5
    assert carried["consecutiveFailures"] == 1
    assert carried["startedAt"] == DEFAULT_START.isoformat().replace("+00:00", "Z")


def test_status_shows_the_phase_counters_and_next_check(mocker: MockerFixture) -> None:
    _, driver = _generation(mocker, _state(generation=4), Generation(healthy=True))

    checking, waiting = driver.custom_statuses
    assert checking["phase"] == "checking"
    assert waiting["phase"] == "waiting"
    assert waiting["generation"] == 4
    assert waiting["checksTotal"] == 1
    assert waiting["nextCheckAt"] == (DEFAULT_START + timedelta(seconds=60)).isoformat().replace(
        "+00:00", "Z"
    )


def test_no_alert_below_the_threshold(mocker: MockerFixture) -> None:
    carried, drivers = _run(mocker, [False, False])

    assert _notifications(drivers) == []
    assert carried["consecutiveFailures"] == 2
    assert carried["alertOpen"] is False


def test_alert_exactly_once_when_failures_reach_the_threshold(mocker: MockerFixture) -> None:
    carried, drivers = _run(mocker, [False] * 6)

    [alert] = _notifications(drivers)
    assert alert["kind"] == "health_alert"
    assert alert["to"]["audience"] == "operations"
    assert alert["idempotencyKey"] == f"{INSTANCE}:{RUN}:health_alert-g3"
    assert alert["data"]["consecutiveFailures"] == 3
    assert alert["data"]["runId"] == RUN
    assert alert["data"]["statusCode"] == 503
    assert carried["alertOpen"] is True
    assert carried["consecutiveFailures"] == 6
    assert carried["alertOpenedAt"] is not None


def test_no_generation_holds_the_operations_address(mocker: MockerFixture) -> None:
    _, drivers = _run(mocker, [False, False, False, True])

    for driver in drivers:
        assert_no_personal_data(driver, None, [OPS])


def test_resolved_once_on_the_first_healthy_check_after_an_alert(mocker: MockerFixture) -> None:
    carried, drivers = _run(mocker, [False, False, False, False, True, True])

    notes = _notifications(drivers)
    assert [(n["kind"], n["idempotencyKey"]) for n in notes] == [
        ("health_alert", f"{INSTANCE}:{RUN}:health_alert-g3"),
        ("health_resolved", f"{INSTANCE}:{RUN}:health_resolved-g5"),
    ]
    assert carried["alertOpen"] is False
    assert carried["consecutiveFailures"] == 0
    assert carried["alertOpenedAt"] is None


def test_a_recovery_without_an_open_alert_sends_nothing(mocker: MockerFixture) -> None:
    carried, drivers = _run(mocker, [False, False, True, False, False])

    assert _notifications(drivers) == []
    assert carried["consecutiveFailures"] == 2


def test_a_new_outage_after_recovery_alerts_again(mocker: MockerFixture) -> None:
    _, drivers = _run(mocker, [False, True, False], alertThreshold=1)

    assert [n["idempotencyKey"] for n in _notifications(drivers)] == [
        f"{INSTANCE}:{RUN}:health_alert-g1",
        f"{INSTANCE}:{RUN}:health_resolved-g2",
        f"{INSTANCE}:{RUN}:health_alert-g3",
    ]


def test_an_alert_that_could_not_be_sent_is_retried_next_generation(
    mocker: MockerFixture,
) -> None:
    failing = Generation(
        healthy=False,
        notification_error=permanent("send_notification", ErrorCode.VALIDATION, "no"),
    )
    state = _state(alertThreshold=1)

    _, first = _generation(mocker, state, failing)
    assert first.continued_with["alertOpen"] is False

    _, second = _generation(mocker, first.continued_with, Generation(healthy=False))
    [alert] = _notifications([second])
    assert alert["idempotencyKey"] == f"{INSTANCE}:{RUN}:health_alert-g2"
    assert second.continued_with["alertOpen"] is True


def test_stop_cancels_the_timer_and_finishes(mocker: MockerFixture) -> None:
    output, driver = _generation(
        mocker, _state(generation=9, checksTotal=8), Generation(healthy=True, stop=True)
    )

    assert not driver.continued_as_new
    [timer] = driver.timers
    assert timer.is_cancelled
    assert output["outcome"] == "stopped"
    assert output["generation"] == 9
    assert output["checksTotal"] == 9
    assert driver.custom_status["phase"] == "stopped"


def test_a_crashed_probe_counts_as_a_failed_check(mocker: MockerFixture) -> None:
    _, driver = _generation(
        mocker, _state(), Generation(probe_error=crashed("check_endpoint_health"))
    )

    carried = driver.continued_with
    assert carried["consecutiveFailures"] == 1
    assert carried["lastCheck"]["errorKind"] == "probe_failed"
    probes = [a for a in driver.activities if a.name == "check_endpoint_health"]
    assert len(probes) == health_monitor.PROBE_BACKOFF.max_attempts


def test_an_endpoint_removed_from_the_allow_list_fails_the_monitor(mocker: MockerFixture) -> None:
    error = permanent("check_endpoint_health", ErrorCode.NOT_ALLOWED, "not allow-listed")

    with pytest.raises(health_monitor.HealthMonitorConfigError, match="shop"):
        _generation(mocker, _state(), Generation(probe_error=error))


@pytest.mark.parametrize(
    "state",
    [
        {"generation": 1},
        _state(name="https://evil.example.com"),
        _state(intervalSeconds=0),
        _state(alertThreshold=0),
        _state(generation=0),
        _state(consecutiveFailures=-1),
        _state(runId="NOT-HEX-AT-ALL"),
        _state(runId="0f1e2d3c4b5a6"),
        _state(runId=""),
        _state(url="http://169.254.169.254"),
    ],
)
def test_invalid_input_fails_clearly(mocker: MockerFixture, state: dict[str, Any]) -> None:
    driver = OrchestrationDriver(
        mocker, orchestrator_function(health_monitor.health_monitor), input=state
    )

    with pytest.raises(InvalidOrchestrationInput, match="invalid orchestration input"):
        driver.run(Generation())

    assert driver.activities == []


def test_state_timestamps_use_orchestration_time_not_the_workers_clock(
    mocker: MockerFixture,
) -> None:
    class OtherClock(Generation):
        def __call__(self, task: FakeTask) -> Any:
            result = super().__call__(task)
            if task.kind == "activity" and task.name == "check_endpoint_health":
                result = {**result, "checkedAt": "2020-01-01T00:00:00Z"}
            return result

    _, driver = _generation(mocker, _state(), OtherClock(healthy=True))

    carried = driver.continued_with
    assert carried["lastHealthyAt"] == DEFAULT_START.isoformat().replace("+00:00", "Z")
    assert carried["lastCheck"]["checkedAt"] == "2020-01-01T00:00:00Z"


# --- notification keys: unique per run, stable within one -------------------------------


def _alert_key(driver: OrchestrationDriver) -> str:
    [alert] = _notifications([driver])
    return str(alert["idempotencyKey"])


def test_a_restarted_monitor_alerts_under_new_keys_in_the_same_generation(
    mocker: MockerFixture,
) -> None:
    # Two starts of one name: same instance id, generations from 1 again, another run id
    # (the SDK's new_uuid differs because each start begins at another orchestration time).
    state = _state(alertThreshold=1)
    _, first_run = _generation(mocker, state, Generation(healthy=False), uuid=RUN_UUID)
    _, second_run = _generation(
        mocker, state, Generation(healthy=False), uuid="a1b2c3d4-e5f6-4789-8abc-def012345678"
    )

    assert _alert_key(first_run) == f"{INSTANCE}:{RUN}:health_alert-g1"
    assert _alert_key(second_run) == f"{INSTANCE}:a1b2c3d4e5f6:health_alert-g1"
    assert second_run.continued_with["runId"] == "a1b2c3d4e5f6"


def test_a_restart_under_a_new_instance_id_keeps_the_keys_of_its_run(
    mocker: MockerFixture,
) -> None:
    """The Durable restart API replays a generation's input under a new id: no second alert."""
    state = _state(alertThreshold=1, runId=RUN)
    _, original = _generation(mocker, state, Generation(healthy=False))
    _, restarted = _generation(
        mocker, state, Generation(healthy=False), instance_id="9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b"
    )

    assert _alert_key(restarted) == _alert_key(original) == f"{INSTANCE}:{RUN}:health_alert-g1"
    [alert] = _notifications([restarted])
    assert alert["correlationId"] == INSTANCE


def test_keys_stay_equal_across_replays_and_retries_within_a_run(mocker: MockerFixture) -> None:
    state = _state(alertThreshold=1)
    retried = Generation(healthy=False)
    attempts = {"count": 0}

    def flaky_send(task: FakeTask) -> Any:
        if task.kind == "activity" and task.name == "send_notification":
            attempts["count"] += 1
            if attempts["count"] == 1:
                raise crashed("send_notification")
        return retried(task)

    _, replayed = _generation(mocker, state, Generation(healthy=False))
    _, replayed_again = _generation(mocker, state, Generation(healthy=False))
    _, with_retry = _generation(mocker, state, flaky_send)

    assert _alert_key(replayed) == _alert_key(replayed_again)
    sends = _notifications([with_retry])
    assert len(sends) == 2, "the crashed send was retried"
    assert {s["idempotencyKey"] for s in sends} == {_alert_key(replayed)}
    # A later generation of the same run uses the carried run id, not a new one.
    _, later = _generation(mocker, replayed.continued_with, Generation(healthy=True), uuid="x")
    [resolved] = _notifications([later])
    assert resolved["idempotencyKey"] == f"{INSTANCE}:{RUN}:health_resolved-g2"
    later.context.new_uuid.assert_not_called()


def test_state_from_before_run_ids_keeps_its_keys_then_mints_a_run_id(
    mocker: MockerFixture,
) -> None:
    # A generation in flight when run ids were introduced may already have written its alert:
    # a retry must find that row, so it keeps the old key; the next generation has a run id.
    legacy = _state(generation=4, alertThreshold=1)
    assert "runId" not in legacy

    _, in_flight = _generation(mocker, legacy, Generation(healthy=False))

    assert _alert_key(in_flight) == f"{INSTANCE}:health_alert-g4"
    assert in_flight.continued_with["runId"] == RUN
    _, next_generation = _generation(mocker, in_flight.continued_with, Generation(healthy=True))
    [resolved] = _notifications([next_generation])
    assert resolved["idempotencyKey"] == f"{INSTANCE}:{RUN}:health_resolved-g5"


def test_a_stopped_run_reports_its_run_id(mocker: MockerFixture) -> None:
    output, driver = _generation(mocker, _state(), Generation(healthy=True, stop=True))

    assert output["runId"] == RUN
    assert driver.custom_status["runId"] == RUN


def test_keys_of_the_longest_names_fit_the_notification_contract(mocker: MockerFixture) -> None:
    name = "n" * 63  # the longest allow-listed endpoint name
    instance = f"health-monitor-{name}"
    state = _state(name=name, alertThreshold=1, generation=1)
    driver = OrchestrationDriver(
        mocker,
        orchestrator_function(health_monitor.health_monitor),
        input=state,
        instance_id=instance,
    )
    driver.context.new_uuid.side_effect = lambda: RUN_UUID

    class Named(Generation):
        def __call__(self, task: FakeTask) -> Any:
            result = super().__call__(task)
            if task.kind == "activity" and task.name == "check_endpoint_health":
                result = {**result, "name": name}
            return result

    driver.run(Named(healthy=False))

    [alert] = _notifications([driver])
    key = alert["idempotencyKey"]
    assert key == f"{instance}:{RUN}:health_alert-g1"
    assert len(key) > 100, "longer than an Identifier: the reason for IdempotencyKey"
    assert NotificationRequest.from_json(alert).idempotency_key == key
