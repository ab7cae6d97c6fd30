"""The monitor's stop and continue-as-new paths against the real SDK executor.

`continue_as_new` drops events delivered but not consumed, so a `stop` must be consumed in the
generation it reaches. These histories show a stop raised while the check runs is buffered
and ends that generation, and that a fired interval timer hands the state to the next one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator
from datetime import datetime, timedelta
from typing import Any

import pytest

from orchestrators import health_monitor
from tests.support.functions import orchestrator_function
from tests.support.history import T0, History, actions, timers
from tests.support.notifications import receipt_for

pytestmark = pytest.mark.filterwarnings("ignore:Potential duplicate Task completion")

STATE = {
    "name": "shop",
    "generation": 5,
    "runId": "0123456789ab",
    "intervalSeconds": 60,
    "alertThreshold": 3,
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


# --- run ids: the SDK's replay-safe new_uuid, per start --------------------------------

FIRST_RUN_STATE = {
    "name": "shop",
    "intervalSeconds": 60,
    "alertThreshold": 1,
}
UNHEALTHY = json.dumps(
    {
        "name": "shop",
        "healthy": False,
        "statusCode": 503,
        "latencyMs": 8,
        "errorKind": "http_status",
        "checkedAt": AFTER_CHECK.isoformat(),
    }
)


def _alert_keys(state: dict[str, Any]) -> list[str]:
    return [
        json.loads(a["input"])["idempotencyKey"]
        for a in actions(state)
        if a.get("functionName") == "send_notification"
    ]


def _first_generation_alerting(start: datetime) -> History:
    """Generation 1 of a start at `start`: its failed check opens an alert (threshold 1)."""
    return (
        History(FIRST_RUN_STATE, "health-monitor-shop", start=start)
        .scheduled(0, "check_endpoint_health", start)
        .new_episode(start)
        .completed(0, UNHEALTHY, start)
    )


def test_each_start_gets_its_own_run_id_and_replays_keep_it() -> None:
    first_start, restart = T0, T0 + timedelta(hours=2)

    first = _first_generation_alerting(first_start)
    [key] = _alert_keys(first.run(_monitor()))
    [restarted_key] = _alert_keys(_first_generation_alerting(restart).run(_monitor()))

    assert key.startswith("health-monitor-shop:")
    assert key.endswith(":health_alert-g1")
    assert restarted_key != key, "a restart must not reuse the earlier run's outbox row"
    # Replaying the same history (and the next episode, with the send done) keeps the key.
    assert _alert_keys(first.run(_monitor())) == [key]
    sent = first.scheduled(1, "send_notification", first_start).new_episode(first_start)
    receipt = receipt_for(
        {
            "idempotencyKey": key,
            "correlationId": "health-monitor-shop",
            "kind": "health_alert",
            "to": {"audience": "operations"},
            "subject": "ALERT",
        }
    )
    replayed = sent.completed(1, json.dumps(receipt), first_start)
    state = replayed.run(_monitor())
    assert _alert_keys(state) == [key]
    run_id = key.split(":")[1]
    assert state["customStatus"]["runId"] == run_id
    assert state["customStatus"]["alertOpen"] is True
