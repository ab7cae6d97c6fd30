"""Job routes: create (201), read (200/404), change status (200/400/404/409)."""

from __future__ import annotations

import json
from typing import Any

import azure.functions as func
import pytest

from api import jobs
from tests.support.functions import user_function

pytestmark = pytest.mark.usefixtures("app_storage")

BASE = "https://shop.example.com/api"

create = user_function(jobs.create_export_job)
read = user_function(jobs.get_export_job)
change = user_function(jobs.update_export_job)


def request(
    method: str,
    path: str,
    payload: Any = None,
    route: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> func.HttpRequest:
    if payload is None:
        raw = b""
    elif isinstance(payload, bytes):
        raw = payload
    else:
        raw = json.dumps(payload).encode()
    return func.HttpRequest(
        method,
        f"{BASE}/{path}",
        headers={"content-type": content_type},
        route_params=route or {},
        body=raw,
    )


def body(response: func.HttpResponse) -> Any:
    return json.loads(response.get_body())


def fields(response: func.HttpResponse) -> set[str]:
    return {error["field"] for error in body(response)["errors"]}


async def new_job() -> str:
    job_id: str = body(await create(request("POST", "jobs")))["id"]
    return job_id


async def put(job_id: str, payload: Any, content_type: str = "application/json") -> Any:
    return await change(request("PUT", f"jobs/{job_id}", payload, {"jobId": job_id}, content_type))


# --- POST /jobs --------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", [None, {}, {"description": "orders export"}])
async def test_creating_a_job_answers_201_with_a_pending_job(payload: Any) -> None:
    response = await create(request("POST", "jobs", payload))

    assert response.status_code == 201
    job = body(response)
    assert job["status"] == "pending"
    assert job["id"].startswith("job-")
    assert response.headers["Location"] == f"{BASE}/jobs/{job['id']}"


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"description": ""}, "description"), ({"owner": "me"}, "owner"), (b"{", "body")],
)
async def test_bad_create_bodies_are_400s(payload: Any, field: str) -> None:
    response = await create(request("POST", "jobs", payload))

    assert response.status_code == 400
    assert fields(response) == {field}


async def test_create_refuses_non_json_and_oversized_bodies(
    app_settings: pytest.MonkeyPatch,
) -> None:
    app_settings.setenv("MAX_REQUEST_BYTES", "1024")

    not_json = await create(request("POST", "jobs", b"description=x", content_type="text/plain"))
    too_big = await create(request("POST", "jobs", {"description": "x" * 2000}))
    # The body may be left out, but a blank one over the limit is still too big.
    too_big_blank = await create(request("POST", "jobs", b" " * 2048))

    assert (not_json.status_code, too_big.status_code) == (415, 413)
    assert too_big_blank.status_code == 413


# --- GET /jobs/{jobId} -------------------------------------------------------------------------


async def test_a_job_is_read_back() -> None:
    job_id = await new_job()

    response = await read(request("GET", f"jobs/{job_id}", route={"jobId": job_id}))

    assert response.status_code == 200
    assert body(response)["id"] == job_id


async def test_reading_an_unknown_job_is_a_404() -> None:
    response = await read(request("GET", "jobs/job-nope", route={"jobId": "job-nope"}))

    assert response.status_code == 404


async def test_reading_a_malformed_job_id_is_a_400() -> None:
    response = await read(request("GET", "jobs/a:b", route={"jobId": "a:b"}))

    assert response.status_code == 400
    assert fields(response) == {"jobId"}


# --- PUT /jobs/{jobId} -------------------------------------------------------------------------


async def test_a_job_is_moved_to_completed_with_its_result_location() -> None:
    job_id = await new_job()

    running = await put(job_id, {"status": "running"})
    done = await put(
        job_id, {"status": "completed", "resultLocation": "https://files.example.com/e.csv"}
    )

    assert (running.status_code, done.status_code) == (200, 200)
    assert body(done)["status"] == "completed"
    assert body(done)["resultLocation"] == "https://files.example.com/e.csv"


async def test_repeating_the_final_update_is_a_200_no_op() -> None:
    job_id = await new_job()
    first = await put(job_id, {"status": "failed", "message": "disk full"})

    again = await put(job_id, {"status": "failed", "message": "disk full"})

    assert again.status_code == 200
    assert body(again) == body(first)


@pytest.mark.parametrize(
    "then",
    [{"status": "running"}, {"status": "failed"}, {"status": "completed", "message": "other"}],
)
async def test_changing_a_finished_job_is_a_409(then: dict[str, Any]) -> None:
    job_id = await new_job()
    await put(job_id, {"status": "completed"})

    response = await put(job_id, then)

    assert response.status_code == 409
    assert "already completed" in body(response)["detail"]


async def test_a_step_backwards_is_a_409() -> None:
    job_id = await new_job()
    await put(job_id, {"status": "running"})

    response = await put(job_id, {"status": "pending"})

    assert response.status_code == 409


async def test_updating_an_unknown_job_is_a_404() -> None:
    response = await put("job-nope", {"status": "running"})

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"status": "done"}, {"status"}),
        ({}, {"status"}),
        ({"status": "running", "resultLocation": "https://x.example.com/f"}, {"resultLocation"}),
        (
            {"status": "completed", "resultLocation": "http://insecure.example.com"},
            {"resultLocation"},
        ),
        ({"status": "failed", "message": ""}, {"message"}),
        ({"status": "failed", "reason": "x"}, {"reason"}),
        (None, {"body"}),
    ],
)
async def test_bad_updates_are_400s_naming_the_fields(payload: Any, expected: set[str]) -> None:
    job_id = await new_job()

    response = await put(job_id, payload)

    assert response.status_code == 400
    assert fields(response) == expected


async def test_update_refuses_non_json_and_oversized_bodies(
    app_settings: pytest.MonkeyPatch,
) -> None:
    app_settings.setenv("MAX_REQUEST_BYTES", "1024")  # before any request reads the settings
    job_id = await new_job()

    not_json = await put(job_id, b"status=running", "text/plain")
    too_big = await put(job_id, {"status": "failed", "message": "x" * 1500})

    assert (not_json.status_code, too_big.status_code) == (415, 413)
