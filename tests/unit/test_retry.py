"""The backoff helper: delays grow geometrically to a cap; permanent failures are not retried."""

from __future__ import annotations

from collections.abc import Generator
from datetime import timedelta
from typing import Any

import pytest
from pytest_mock import MockerFixture

from orchestrators.retry import Backoff, StepFailed, call_activity_with_backoff, retry_with_backoff
from shared.errors import ErrorCode
from tests.support.failures import crashed, permanent, transient
from tests.support.orchestration import DEFAULT_START, FakeTask, OrchestrationDriver


def _orchestrator(backoff: Backoff) -> Any:
    def orchestrate(context: Any) -> Generator[Any, Any, Any]:
        result = yield from call_activity_with_backoff(context, "charge", {"n": 1}, backoff)
        return result

    return orchestrate


def test_backoff_sequence_grows_geometrically_and_is_capped() -> None:
    backoff = Backoff(
        max_attempts=6,
        first_delay=timedelta(seconds=1),
        multiplier=3,
        max_delay=timedelta(seconds=20),
    )

    assert backoff.delays() == [timedelta(seconds=s) for s in (1, 3, 9, 20, 20)]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_attempts": 0},
        {"first_delay": timedelta(0)},
        {"first_delay": timedelta(minutes=5), "max_delay": timedelta(minutes=1)},
        {"multiplier": 0.5},
    ],
)
def test_nonsense_backoff_is_rejected(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message varies per field
        Backoff(**kwargs)


def test_transient_failures_wait_on_durable_timers_then_succeed(mocker: MockerFixture) -> None:
    backoff = Backoff(max_attempts=4, first_delay=timedelta(seconds=2), multiplier=2)
    failures = iter([transient("charge"), crashed("charge")])

    def respond(task: FakeTask) -> Any:
        if task.kind == "activity":
            error = next(failures, None)
            if error:
                raise error
            return {"ok": True}
        return None

    driver = OrchestrationDriver(mocker, _orchestrator(backoff))
    assert driver.run(respond) == {"ok": True}

    assert len(driver.activities) == 3
    assert all(a.name == "charge" and a.input == {"n": 1} for a in driver.activities)
    assert [t.fire_at for t in driver.timers] == [
        DEFAULT_START + timedelta(seconds=2),
        DEFAULT_START + timedelta(seconds=2 + 4),
    ]


def test_permanent_failure_is_not_retried(mocker: MockerFixture) -> None:
    def respond(task: FakeTask) -> Any:
        raise permanent("charge", ErrorCode.PAYMENT_DECLINED, "card declined")

    driver = OrchestrationDriver(mocker, _orchestrator(Backoff(max_attempts=5)))
    with pytest.raises(StepFailed) as caught:
        driver.run(respond)

    assert caught.value.attempts == 1
    assert caught.value.failure.code == "payment_declined"
    assert driver.timers == []


def test_gives_up_after_max_attempts_with_the_last_failure(mocker: MockerFixture) -> None:
    def respond(task: FakeTask) -> Any:
        if task.kind == "activity":
            raise transient("charge", ErrorCode.UNAVAILABLE, "still busy")
        return None

    driver = OrchestrationDriver(mocker, _orchestrator(Backoff(max_attempts=3)))
    with pytest.raises(StepFailed) as caught:
        driver.run(respond)

    assert caught.value.attempts == 3
    assert caught.value.failure.message == "still busy"
    assert len(driver.activities) == 3
    assert len(driver.timers) == 2


def test_a_scheduling_error_is_raised_at_once_not_retried(mocker: MockerFixture) -> None:
    def orchestrate(context: Any) -> Generator[Any, Any, Any]:
        def broken() -> Any:
            raise TypeError("bad arguments to call_activity")

        return (yield from retry_with_backoff(context, broken, "broken", Backoff()))

    driver = OrchestrationDriver(mocker, orchestrate)
    with pytest.raises(TypeError, match="bad arguments"):
        driver.run(lambda task: None)

    assert driver.timers == []
