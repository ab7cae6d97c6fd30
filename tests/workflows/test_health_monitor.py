"""The monitor's stop, continue-as-new and run-id paths in the real SDK on the local host.

`continue_as_new` drops events delivered but not consumed, so a `stop` must be consumed in the
generation it reaches: a stop raised while the check runs is buffered and ends that generation.
A fired interval timer hands the state to the next generation, and each start mints its run id
with the SDK's replay-safe `new_uuid`, so alert keys never collide across starts.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from shared.json_text import decode_json_text
from tests.support.local_host import EXECUTION_STARTED, LocalHost, StartLocalHost
from tests.support.notifications import receipt_for

INSTANCE = "health-monitor-shop"
STATE = {
    "name": "shop",
    "generation": 5,
    "runId": "0123456789ab",
    "intervalSeconds": 60,
    "alertThreshold": 3,
    "consecutiveFailures": 1,
    "checksTotal": 4,
}
FIRST_RUN_STATE = {
    "name": "shop",
    "intervalSeconds": 60,
    "alertThreshold": 1,
}


def _check(healthy: bool) -> dict[str, Any]:
    failure = {} if healthy else {"errorKind": "http_status"}
    return {
        "name": "shop",
        "healthy": healthy,
        "statusCode": 200 if healthy else 503,
        "latencyMs": 8,
        "checkedAt": "2026-01-05T09:00:01+00:00",
    } | failure


def _monitor(local_host: StartLocalHost, healthy: bool = True, stop: bool = False) -> LocalHost:
    """A monitor whose checks answer `healthy`; with `stop`, a stop arrives during the check."""
    host: LocalHost

    def check(payload: Any) -> Any:
        if stop:
            host.raise_event(INSTANCE, "stop", {"requestedAt": "2026-01-05T09:00:00+00:00"})
        return _check(healthy)

    fakes = {"check_endpoint_health": check, "send_notification": receipt_for}
    host = local_host(fakes, paused=True)
    return host


def _settle(host: LocalHost) -> dict[str, Any]:
    assert host.server.wait_idle()
    return host.status(INSTANCE)


def _carried_into_the_next_generation(host: LocalHost) -> dict[str, Any]:
    host.start("health_monitor", STATE, INSTANCE)
    assert _settle(host)["customStatus"]["phase"] == "waiting"
    host.server.clock.advance(timedelta(seconds=61))
    (started,) = [e for e in host.history(INSTANCE) if e["EventType"] == EXECUTION_STARTED]
    carried: Any = json.loads(started["Input"])
    return decode_json_text(carried)  # as the next generation reads its input


def test_a_stop_raised_during_the_check_is_consumed_by_this_generation(
    local_host: StartLocalHost,
) -> None:
    host = _monitor(local_host, stop=True)
    host.start("health_monitor", STATE, INSTANCE)

    status = _settle(host)

    assert status["runtimeStatus"] == "Completed", "stopped now, not at the next check"
    assert status["output"]["outcome"] == "stopped"
    assert status["output"]["generation"] == 5, "no continue-as-new"
    assert status["output"]["checksTotal"] == 5


def test_the_interval_timer_continues_as_new_with_the_carried_state(
    local_host: StartLocalHost,
) -> None:
    host = _monitor(local_host)

    carried = _carried_into_the_next_generation(host)

    assert carried["generation"] == 6
    assert carried["checksTotal"] == 5
    assert carried["consecutiveFailures"] == 0
    assert carried["lastCheck"]["statusCode"] == 200
    status = host.status(INSTANCE)
    assert (status["customStatus"]["generation"], status["customStatus"]["phase"]) == (6, "waiting")


def test_each_start_gets_its_own_run_id_and_replays_keep_it(local_host: StartLocalHost) -> None:
    host = _monitor(local_host, healthy=False)

    host.start("health_monitor", FIRST_RUN_STATE, INSTANCE)
    waiting = _settle(host)["customStatus"]
    response = host.http.post(f"/instances/{INSTANCE}/terminate", params={"reason": "restart"})
    assert response.status_code == 202
    host.server.clock.advance(timedelta(hours=2))
    host.start("health_monitor", FIRST_RUN_STATE, INSTANCE)
    _settle(host)

    key, restarted_key = [n["idempotencyKey"] for n in host.activities.calls("send_notification")]
    assert key.startswith(f"{INSTANCE}:")
    assert key.endswith(":health_alert-g1")
    assert restarted_key != key, "a restart must not reuse the earlier run's outbox row"
    # The key was built an episode after the id was minted, the status later still: replays
    # of the first episode gave the same id.
    assert waiting["runId"] == key.split(":")[1]
    assert waiting["alertOpen"] is True
