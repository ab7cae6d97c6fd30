"""The export monitor: polling schedule, outcomes and alerts, against a mocked context."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from pytest_mock import MockerFixture

from orchestrators import export_monitor
from shared.errors import ErrorCode
from tests.support.export_monitor import INSTANCE, job, monitor_input
from tests.support.failures import permanent, transient
from tests.support.functions import orchestrator_function
from tests.support.orchestration import DEFAULT_START, FakeTask, OrchestrationDriver, after
from tests.support.personal_data import assert_no_personal_data

monitor = orchestrator_function(export_monitor.monitor_export_job)


class Job:
    """Answers the monitor: the job's status per check, and notification receipts."""

    def __init__(self, statuses: Callable[[int], Any]) -> None:
        self.statuses = statuses
        self.checks = 0
        self.notifications: list[dict[str, Any]] = []
        self.notification_error: Exception | None = None

    def __call__(self, task: FakeTask) -> Any:
        if task.kind == "timer":
            return None
        if task.name == "get_export_job_status":
            assert task.input == {"jobId": "job-1"}
            self.checks += 1
            answer = self.statuses(self.checks)
            if isinstance(answer, Exception):
                raise answer
            return answer
        if task.name == "send_notification":
            self.notifications.append(task.input)
            if self.notification_error is not None:
                raise self.notification_error
            return {
                "notificationId": task.input["idempotencyKey"],
                "correlationId": task.input["correlationId"],
                "kind": task.input["kind"],
                "to": task.input["to"],
                "createdAt": DEFAULT_START.isoformat(),
            }
        raise AssertionError(f"unexpected {task}")


def running_until(check: int, final: dict[str, Any]) -> Callable[[int], Any]:
    return lambda n: final if n >= check else job("running")


def always(status: str) -> Callable[[int], Any]:
    return lambda n: job(status)


def run(
    mocker: MockerFixture, world: Job, instance_id: str = INSTANCE, **overrides: Any
) -> tuple[Any, OrchestrationDriver]:
    driver = OrchestrationDriver(
        mocker, monitor, input=monitor_input(**overrides), instance_id=instance_id
    )
    return driver.run(world), driver


def test_a_restart_under_a_new_instance_id_keys_its_alert_by_the_monitor_id(
    mocker: MockerFixture,
) -> None:
    """The Durable restart API starts the same input under a new id: the alert is the same one."""
    world = Job(always("completed"))

    run(mocker, world, instance_id="5c0ffee0e1d24d7bb7d1a2c3d4e5f607")

    (alert,) = world.notifications
    assert alert["idempotencyKey"] == f"{INSTANCE}:export-completed"
    assert alert["correlationId"] == INSTANCE


def fire_times(driver: OrchestrationDriver) -> list[float]:
    return [(t.fire_at - DEFAULT_START).total_seconds() for t in driver.timers if t.fire_at]


def test_a_completed_job_sends_the_export_completed_alert(mocker: MockerFixture) -> None:
    done = job("completed", resultLocation="https://files.example.com/export.csv")
    world = Job(running_until(3, done))

    output, driver = run(mocker, world)

    assert output["outcome"] == "completed"
    assert output["checks"] == 3
    assert output["resultLocation"] == "https://files.example.com/export.csv"
    assert fire_times(driver) == [5, 15]
    (alert,) = world.notifications
    assert alert["kind"] == "export_completed"
    assert alert["idempotencyKey"] == f"{INSTANCE}:export-completed"
    assert alert["correlationId"] == INSTANCE
    assert (alert["to"]["audience"], alert["to"]["ref"]) == ("monitor_subscriber", INSTANCE)
    assert "https://files.example.com/export.csv" in alert["body"]
    assert output["notificationId"] == f"{INSTANCE}:export-completed"
    assert output["finishedAt"] == after(seconds=15).isoformat().replace("+00:00", "Z")


def test_the_final_status_shows_the_outcome(mocker: MockerFixture) -> None:
    _, driver = run(mocker, Job(running_until(2, job("completed"))))

    final = driver.custom_status
    assert (final["state"], final["outcome"], final["lastJobStatus"]) == (
        "finished",
        "completed",
        "completed",
    )
    assert final["nextCheckAt"] is None
    assert final["checks"] == 2


def test_a_job_completed_at_the_first_check_needs_no_timer(mocker: MockerFixture) -> None:
    output, driver = run(mocker, Job(always("completed")))

    assert (output["outcome"], output["checks"]) == ("completed", 1)
    assert driver.timers == []


def test_a_failed_job_alerts_operations(mocker: MockerFixture) -> None:
    world = Job(running_until(2, job("failed", message="disk full")))

    output, _ = run(mocker, world)

    assert (output["outcome"], output["message"]) == ("failed", "disk full")
    (alert,) = world.notifications
    assert alert["kind"] == "operations_alert"
    assert alert["idempotencyKey"] == f"{INSTANCE}:export-failed"
    assert "disk full" in alert["body"]


@pytest.mark.parametrize("final", [job("completed"), job("failed"), job("running")])
def test_no_history_status_or_output_holds_an_address(
    mocker: MockerFixture, final: dict[str, Any]
) -> None:
    """The recipient is a reference: the address stays in the MonitorRecipients table."""
    output, driver = run(mocker, Job(running_until(2, final)), timeoutSeconds=30)

    assert_no_personal_data(driver, output, ["@"])


def test_the_interval_doubles_up_to_the_cap(mocker: MockerFixture) -> None:
    world = Job(running_until(9, job("completed")))

    output, driver = run(mocker, world)

    assert fire_times(driver) == [5, 15, 35, 75, 135, 195, 255, 315]
    watching = [s for s in driver.custom_statuses if s["state"] == "watching"]
    assert [s["currentIntervalSeconds"] for s in watching] == [
        5,
        10,
        20,
        40,
        60,
        60,
        60,
        60,
    ]
    assert output["checks"] == 9


def test_the_status_shows_checks_and_the_next_check(mocker: MockerFixture) -> None:
    _, driver = run(mocker, Job(running_until(3, job("completed"))))

    second = driver.custom_statuses[1]
    assert second["jobId"] == "job-1"
    assert second["state"] == "watching"
    assert second["lastJobStatus"] == "running"
    assert second["checks"] == 2
    assert second["failedChecks"] == 0
    assert second["nextCheckAt"] == "2026-01-05T09:00:15Z"
    assert second["deadline"] == "2026-01-05T10:00:00Z"


def test_a_job_still_running_at_the_deadline_times_out(mocker: MockerFixture) -> None:
    world = Job(always("running"))

    output, driver = run(mocker, world, timeoutSeconds=100)

    # 5, 10, 20, 40 apart; the next wait (60) is cut to end at the deadline.
    assert fire_times(driver) == [5, 15, 35, 75, 100]
    assert output["outcome"] == "timed_out"
    assert output["checks"] == 6  # the last one exactly at the deadline
    assert output["deadline"] == output["finishedAt"] == "2026-01-05T09:01:40Z"
    (alert,) = world.notifications
    assert alert["kind"] == "export_timed_out"
    assert alert["idempotencyKey"] == f"{INSTANCE}:export-timed-out"


def test_a_check_landing_exactly_on_the_deadline_is_the_last(mocker: MockerFixture) -> None:
    output, driver = run(mocker, Job(always("pending")), timeoutSeconds=35)

    assert fire_times(driver) == [5, 15, 35]
    assert (output["outcome"], output["checks"]) == ("timed_out", 4)


def test_a_job_finishing_at_the_deadline_check_counts_as_completed(mocker: MockerFixture) -> None:
    output, driver = run(mocker, Job(running_until(4, job("completed"))), timeoutSeconds=35)

    assert fire_times(driver) == [5, 15, 35]
    assert output["outcome"] == "completed"


def test_an_absolute_deadline_is_honoured(mocker: MockerFixture) -> None:
    deadline = after(seconds=20).isoformat()

    output, driver = run(mocker, Job(always("running")), timeoutSeconds=None, deadline=deadline)

    assert fire_times(driver) == [5, 15, 20]
    assert output["outcome"] == "timed_out"


def test_a_deadline_already_passed_still_gets_one_check(mocker: MockerFixture) -> None:
    past = (DEFAULT_START - timedelta(minutes=1)).isoformat()

    output, driver = run(mocker, Job(always("running")), timeoutSeconds=None, deadline=past)

    assert (output["outcome"], output["checks"]) == ("timed_out", 1)
    assert driver.timers == []


def test_a_failed_check_is_counted_and_the_watch_goes_on(mocker: MockerFixture) -> None:
    def statuses(n: int) -> Any:
        if n == 2:
            return transient("get_export_job_status", ErrorCode.UNAVAILABLE, "storage busy")
        return job("completed") if n == 4 else job("running")

    output, driver = run(mocker, Job(statuses))

    assert (output["outcome"], output["checks"], output["failedChecks"]) == ("completed", 4, 1)
    assert fire_times(driver) == [5, 15, 35]  # the failed check did not change the schedule
    assert driver.custom_statuses[1]["lastJobStatus"] == "running"


def test_an_unknown_job_ends_the_watch_without_an_alert(mocker: MockerFixture) -> None:
    world = Job(lambda n: permanent("get_export_job_status", ErrorCode.NOT_FOUND, "no job-1"))

    output, driver = run(mocker, world)

    assert (output["outcome"], output["message"]) == ("job_not_found", "no job-1")
    assert world.notifications == []
    assert driver.timers == []


def test_a_check_that_can_never_work_ends_the_watch(mocker: MockerFixture) -> None:
    world = Job(lambda n: permanent("get_export_job_status", ErrorCode.VALIDATION, "bad id"))

    output, _ = run(mocker, world)

    assert output["outcome"] == "check_failed"


def test_an_alert_that_cannot_be_written_does_not_hide_the_outcome(
    mocker: MockerFixture,
) -> None:
    world = Job(always("completed"))
    world.notification_error = permanent("send_notification", ErrorCode.VALIDATION, "too big")

    output, _ = run(mocker, world)

    assert output["outcome"] == "completed"
    assert output["notificationId"] is None
    assert output["notificationError"] == "too big"


def test_long_watches_continue_as_new_with_their_progress(mocker: MockerFixture) -> None:
    output, driver = run(mocker, Job(always("running")), checksPerGeneration=3)

    assert output is None
    assert fire_times(driver) == [5, 15, 35]
    carried = driver.continued_with
    assert carried["progress"] == {
        "startedAt": "2026-01-05T09:00:00Z",
        "deadline": "2026-01-05T10:00:00Z",
        "intervalSeconds": 40,
        "checks": 3,
        "failedChecks": 0,
        "generation": 1,
        "lastJobStatus": "running",
    }

    later = DEFAULT_START + timedelta(seconds=35)
    next_generation = OrchestrationDriver(
        mocker, monitor, input=carried, instance_id=INSTANCE, start=later
    )
    final = next_generation.run(Job(running_until(2, job("completed"))))

    assert [t.fire_at for t in next_generation.timers] == [later + timedelta(seconds=40)]
    assert next_generation.custom_status["generation"] == 1
    assert (final["outcome"], final["checks"]) == ("completed", 5)
    assert final["startedAt"] == "2026-01-05T09:00:00Z"


@pytest.mark.parametrize(
    "broken",
    [
        {"timeoutSeconds": None},  # neither deadline nor timeout
        {"deadline": "2026-01-05T10:00:00Z"},  # both
        {"initialIntervalSeconds": 0},
        {"maxIntervalSeconds": 2},  # below the initial interval
        {"recipient": "analyst@example.com"},  # an address, not a reference
        {"recipient": {"audience": "monitor_subscriber"}},  # whose?
    ],
)
def test_invalid_input_is_refused(mocker: MockerFixture, broken: dict[str, Any]) -> None:
    driver = OrchestrationDriver(mocker, monitor, input=monitor_input(**broken))

    with pytest.raises(Exception, match="invalid orchestration input"):
        driver.run(lambda task: None)


def test_timers_never_exceed_the_interval_cap(mocker: MockerFixture) -> None:
    _, driver = run(mocker, Job(running_until(30, job("completed"))), maxIntervalSeconds=60)

    times: list[datetime] = [DEFAULT_START, *(t.fire_at for t in driver.timers if t.fire_at)]
    gaps = [(b - a).total_seconds() for a, b in pairwise(times)]
    assert max(gaps) == 60
