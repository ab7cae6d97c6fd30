"""The job store and the monitor's read activity against Azurite."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from activities import jobs
from shared import job_store
from shared.errors import PermanentError
from shared.models.jobs import Job, JobStatus, UpdateJobRequest
from tests.support.functions import user_function

pytestmark = pytest.mark.usefixtures("app_storage")

get_status = user_function(jobs.get_export_job_status)


def update(status: str, **fields: Any) -> UpdateJobRequest:
    return UpdateJobRequest.model_validate({"status": status, **fields})


def test_a_new_job_is_pending_and_can_be_read_back() -> None:
    created = job_store.create_job("orders export")

    assert created.status is JobStatus.PENDING
    assert job_store.get_job(created.id) == created
    assert job_store.get_job("job-unknown") is None


def test_a_job_moves_forward_to_a_final_state() -> None:
    job = job_store.create_job(None)

    running, changed_1 = job_store.update_job(job.id, update("running", message="50%"))
    done, changed_2 = job_store.update_job(
        job.id, update("completed", resultLocation="https://files.example.com/x.csv")
    )

    assert (changed_1, changed_2) == (True, True)
    assert running.message == "50%"
    assert done.status is JobStatus.COMPLETED
    assert done.result_location == "https://files.example.com/x.csv"
    assert done.updated_at >= running.updated_at
    assert job_store.get_job(job.id) == done


def test_repeating_the_final_update_changes_nothing() -> None:
    job = job_store.create_job(None)
    final = update("failed", message="disk full")
    first, _ = job_store.update_job(job.id, final)

    again, changed = job_store.update_job(job.id, final)

    assert (again, changed) == (first, False)


@pytest.mark.parametrize(
    ("first", "then"),
    [
        (update("completed"), update("failed")),
        (update("completed"), update("running")),
        (update("failed", message="a"), update("failed", message="b")),
        (update("running"), update("pending")),
    ],
)
def test_backwards_steps_and_changes_to_final_jobs_are_refused(
    first: UpdateJobRequest, then: UpdateJobRequest
) -> None:
    job = job_store.create_job(None)
    before, _ = job_store.update_job(job.id, first)

    with pytest.raises(job_store.JobTransitionRefused):
        job_store.update_job(job.id, then)
    assert job_store.get_job(job.id) == before


def test_updating_an_unknown_job_is_not_found() -> None:
    with pytest.raises(job_store.JobNotFound):
        job_store.update_job("job-nope", update("running"))


def test_concurrent_final_updates_let_exactly_one_win() -> None:
    job = job_store.create_job(None)
    start = threading.Barrier(8)

    def finish(status: str) -> tuple[Job, bool] | str:
        start.wait()
        try:
            return job_store.update_job(job.id, update(status))
        except job_store.JobTransitionRefused:
            return "refused"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(finish, ["completed", "failed"] * 4))

    final = job_store.get_job(job.id)
    assert final is not None
    assert final.status.is_terminal
    winners = [o for o in outcomes if not isinstance(o, str) and o[1]]
    assert len(winners) == 1
    for status, outcome in zip(["completed", "failed"] * 4, outcomes, strict=True):
        if status == final.status.value:
            assert outcome != "refused"
        else:
            assert outcome == "refused"


def test_the_status_activity_reads_the_job_and_can_run_twice() -> None:
    job = job_store.create_job("x")

    first = get_status({"jobId": job.id})
    second = get_status({"jobId": job.id})

    assert first == second == job.to_json()


def test_an_unknown_job_is_a_permanent_failure_for_the_monitor() -> None:
    with pytest.raises(PermanentError, match="does not exist"):
        get_status({"jobId": "job-missing"})


def test_bad_activity_input_is_a_permanent_failure() -> None:
    with pytest.raises(PermanentError, match="jobId"):
        get_status({"jobId": "a/b"})
