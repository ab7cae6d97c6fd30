"""The export monitor: watch a job (an external system) until it finishes or a deadline passes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.support.client import ApiClient, expect, expect_problem
from tests.e2e.support.clock import Clock
from tests.e2e.support.jobs import create_job, start_monitor
from tests.e2e.support.shop import email, unique
from tests.e2e.support.waiting import wait_for_custom_status, wait_for_instance

RESULT = "https://exports.example.com/e2e/report.csv"


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_a_monitor_completes_when_its_job_does(api: ApiClient, clock: Clock) -> None:
    job = create_job(api)
    recipient = email("analyst")
    first_wait = int(clock.pick(virtual=30, real=1))
    started = start_monitor(
        api,
        {
            "jobId": job["id"],
            "timeoutMinutes": 60,
            "initialIntervalSeconds": first_wait,
            "maxIntervalSeconds": first_wait * 4,
            "notify": recipient.upper(),
        },
    )
    assert started["recipient"] == recipient
    assert started["timeoutSeconds"] == 3600
    monitor = started["id"]

    watching = wait_for_custom_status(
        api,
        clock,
        monitor,
        lambda s: s["state"] == "watching" and s["checks"] >= 1,
        "the first check",
        fire_timers=False,
    )["customStatus"]
    assert watching["lastJobStatus"] == "pending"
    assert watching["jobId"] == job["id"]

    if clock.virtual:
        # Each wait doubles, up to the cap.
        waits = [watching["currentIntervalSeconds"]]
        for _ in range(3):
            clock.fire_next_timer()
            waits.append(
                expect(api.get(f"/instances/{monitor}"), 202)["customStatus"][
                    "currentIntervalSeconds"
                ]
            )
        assert waits == [first_wait, first_wait * 2, first_wait * 4, first_wait * 4]

    expect(api.put(f"/jobs/{job['id']}", {"status": "running"}), 200)
    wait_for_custom_status(
        api, clock, monitor, lambda s: s["lastJobStatus"] == "running", "the job seen running"
    )
    done_job = expect(
        api.put(f"/jobs/{job['id']}", {"status": "completed", "resultLocation": RESULT}), 200
    )
    assert done_job["status"] == "completed"

    finished = wait_for_instance(api, clock, monitor)
    assert finished["runtimeStatus"] == "Completed", finished
    output = finished["output"]
    assert output["outcome"] == "completed"
    assert output["resultLocation"] == RESULT
    assert output["checks"] >= 3
    assert finished["customStatus"]["state"] == "finished"
    assert finished["customStatus"]["outcome"] == "completed"
    (sent,) = api.notifications(monitor)
    assert (sent["kind"], sent["recipient"]) == ("export_completed", recipient)
    assert sent["notificationId"] == output["notificationId"]
    assert sent["data"]["resultLocation"] == RESULT

    # The job is final now: repeating its last update is harmless, going back is refused.
    expect(api.put(f"/jobs/{job['id']}", {"status": "completed", "resultLocation": RESULT}), 200)
    expect_problem(api.put(f"/jobs/{job['id']}", {"status": "running"}), 409)


def test_a_monitor_expires_when_the_deadline_passes(api: ApiClient, clock: Clock) -> None:
    job = create_job(api)
    deadline = clock.instant_after(clock.pick(virtual=600, real=4))
    started = start_monitor(
        api,
        {
            "jobId": job["id"],
            "deadline": deadline.isoformat(),
            "initialIntervalSeconds": int(clock.pick(virtual=60, real=1)),
            "maxIntervalSeconds": int(clock.pick(virtual=240, real=2)),
        },
    )
    assert parse(started["deadline"]) == deadline
    assert started["timeoutSeconds"] is None

    finished = wait_for_instance(api, clock, started["id"])

    assert finished["runtimeStatus"] == "Completed", finished
    output = finished["output"]
    assert output["outcome"] == "timed_out"
    assert parse(output["deadline"]) == deadline
    # The last check happens at the deadline, not one long interval before it.
    assert parse(output["finishedAt"]) >= deadline
    assert finished["customStatus"]["outcome"] == "timed_out"
    (sent,) = api.notifications(started["id"])
    assert sent["kind"] == "export_timed_out"
    assert "pending" in sent["body"]
    assert sent["data"]["outcome"] == "timed_out"
    assert sent["data"]["checks"] == output["checks"]
    assert api.get_json(f"/jobs/{job['id']}")["status"] == "pending"


def test_a_long_watch_continues_as_new_and_still_sees_its_job_finish(
    api: ApiClient, clock: Clock
) -> None:
    if not clock.virtual:
        pytest.skip("needs over 100 one-second checks: minutes of real time, so virtual only")
    job = create_job(api)
    monitor = start_monitor(
        api,
        {
            "jobId": job["id"],
            "timeoutMinutes": 60,
            "initialIntervalSeconds": 1,
            "maxIntervalSeconds": 1,
        },
    )["id"]
    wait_for_custom_status(
        api, clock, monitor, lambda s: s["checks"] == 1, "the first check", fire_timers=False
    )

    # 100 checks per generation: the 101st runs in a fresh history, counters carried over.
    clock.advance(100)
    status = expect(api.get(f"/instances/{monitor}"), 202)["customStatus"]
    assert status["generation"] == 1
    assert status["checks"] == 101
    assert status["state"] == "watching"

    expect(api.put(f"/jobs/{job['id']}", {"status": "completed", "resultLocation": RESULT}), 200)
    finished = wait_for_instance(api, clock, monitor)
    assert finished["output"]["outcome"] == "completed"
    assert finished["output"]["checks"] == 102
    assert len(api.notifications(monitor, "export_completed")) == 1


def test_a_failed_job_alerts_operations(api: ApiClient, clock: Clock) -> None:
    job = create_job(api)
    started = start_monitor(
        api, {"jobId": job["id"], "timeoutMinutes": 30, "initialIntervalSeconds": 1}
    )
    expect(api.put(f"/jobs/{job['id']}", {"status": "failed", "message": "disk full"}), 200)

    finished = wait_for_instance(api, clock, started["id"])

    output = finished["output"]
    assert (output["outcome"], output["message"]) == ("failed", "disk full")
    (alert,) = api.notifications(started["id"])
    assert alert["kind"] == "operations_alert"
    assert "disk full" in alert["body"]


def test_monitors_and_jobs_refuse_bad_requests(api: ApiClient, clock: Clock) -> None:
    missing = unique("job")
    expect_problem(api.post("/monitors", {"jobId": missing}), 404, ["jobId"])
    expect_problem(api.get(f"/jobs/{missing}"), 404)
    expect_problem(api.put(f"/jobs/{missing}", {"status": "running"}), 404)

    job = create_job(api)
    past = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    expect_problem(api.post("/monitors", {"jobId": job["id"], "deadline": past}), 400, ["deadline"])
    far = (datetime.now(UTC) + timedelta(days=8)).isoformat()
    expect_problem(api.post("/monitors", {"jobId": job["id"], "deadline": far}), 400, ["deadline"])
    both = {
        "jobId": job["id"],
        "timeoutMinutes": 5,
        "deadline": clock.instant_after(60).isoformat(),
    }
    expect_problem(api.post("/monitors", both), 400, ["deadline"])
    slower_first = {"jobId": job["id"], "initialIntervalSeconds": 60, "maxIntervalSeconds": 30}
    expect_problem(api.post("/monitors", slower_first), 400, ["maxIntervalSeconds"])
    expect_problem(
        api.post("/monitors", {"jobId": job["id"], "initialIntervalSeconds": 0}),
        400,
        ["initialIntervalSeconds"],
    )
    not_yet = {"status": "running", "resultLocation": RESULT}
    expect_problem(api.put(f"/jobs/{job['id']}", not_yet), 400, ["resultLocation"])
    insecure = {"status": "completed", "resultLocation": "http://exports.example.com/x"}
    expect_problem(api.put(f"/jobs/{job['id']}", insecure), 400, ["resultLocation"])
    expect_problem(api.put(f"/jobs/{job['id']}", {"status": "done"}), 400, ["status"])
    bare = expect(api.post("/jobs"), 201)
    assert bare["description"] is None
