"""The export monitor in the real SDK on the local host: its timers back off as planned."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from durable_localhost.timeutil import parse
from tests.support.export_monitor import INSTANCE, job, monitor_input
from tests.support.local_host import TIMER_CREATED, StartLocalHost
from tests.support.notifications import receipt_for


def test_the_monitor_backs_off_until_the_job_completes(local_host: StartLocalHost) -> None:
    checks: list[Any] = []

    def job_status(payload: Any) -> Any:
        checks.append(payload)
        return job("completed" if len(checks) == 4 else "running")

    host = local_host({"get_export_job_status": job_status, "send_notification": receipt_for})

    status = host.run("monitor_export_job", monitor_input(), INSTANCE)

    assert status["output"]["outcome"] == "completed"
    assert (status["customStatus"]["state"], status["customStatus"]["outcome"]) == (
        "finished",
        "completed",
    )
    history = host.history(INSTANCE)
    started = parse(history[0]["Timestamp"])
    fire_at = [parse(e["FireAt"]) for e in history if e["EventType"] == TIMER_CREATED]
    assert [round((b - a).total_seconds()) for a, b in pairwise([started, *fire_at])] == [5, 10, 20]
    (alert,) = host.activities.calls("send_notification")
    assert alert["kind"] == "export_completed"
