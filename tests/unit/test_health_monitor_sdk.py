"""The monitor's stop and continue-as-new paths against the real SDK executor.

`continue_as_new` drops events delivered but not consumed, so a `stop` must be consumed in the
generation it reaches. These histories show a stop raised while the check runs is buffered
and ends that generation, and that a fired interval timer hands the state to the next one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator
from datetime import timedelta
from typing import Any

import pytest

from orchestrators import health_monitor
from tests.support.functions import orchestrator_function
from tests.support.history import T0, History, actions, timers

pytestmark = pytest.mark.filterwarnings("ignore:Potential duplicate Task completion")

STATE = {
    "name": "shop",
    "generation": 5,
    "intervalSeconds": 60,
    "alertThreshold": 3,
    "notifyRecipient": "ops@example.com",
    "consecutiveFailures": 1,
    "checksTotal": 4,
}
AFTER_CHECK = T0 + timedelta(seconds=1)
HEALTHY = json.dumps(
    {
        "name": "shop",
        "healthy": True,
        "statusCode": 200,
        "latencyMs": 8,
        "checkedAt": AFTER_CHECK.isoformat(),
    }
)
CONTINUE_AS_NEW = 4


def _monitor() -> Callable[..., Generator[Any, Any, Any]]:
    return orchestrator_function(health_monitor.health_monitor)


def _checked() -> History:
    """Generation 5 scheduled its check; the check's answer comes in the next episode."""
    return History(STATE, "health-monitor-shop").scheduled(0, "check_endpoint_health")


def test_a_stop_raised_during_the_check_is_consumed_by_this_generation() -> None:
    history = (
        _checked()
        .new_episode(AFTER_CHECK)
        .raised("stop", {"requestedAt": T0.isoformat()}, AFTER_CHECK)
        .completed(0, HEALTHY, AFTER_CHECK)
    )

    state = history.run(_monitor())

    assert state["isDone"] is True
    assert state["output"]["outcome"] == "stopped"
    assert state["output"]["checksTotal"] == 5
    [timer] = timers(state)
    assert timer["isCanceled"] is True
    assert not [a for a in actions(state) if a["actionType"] == CONTINUE_AS_NEW]


def test_the_interval_timer_continues_as_new_with_the_carried_state() -> None:
    next_check = AFTER_CHECK + timedelta(seconds=60)
    history = (
        _checked()
        .new_episode(AFTER_CHECK)
        .completed(0, HEALTHY, AFTER_CHECK)
        .timer_created(1, next_check, AFTER_CHECK)
        .new_episode(next_check)
        .timer_fired(1, next_check)
    )

    state = history.run(_monitor())

    assert state["isDone"] is True
    [carry] = [a for a in actions(state) if a["actionType"] == CONTINUE_AS_NEW]
    carried = json.loads(carry["input"])
    assert carried["generation"] == 6
    assert carried["checksTotal"] == 5
    assert carried["consecutiveFailures"] == 0
    assert carried["lastCheck"]["statusCode"] == 200
    assert state["customStatus"]["phase"] == "waiting"
