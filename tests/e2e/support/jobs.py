"""An export job and a monitor that watches it, created through their routes."""

from __future__ import annotations

from tests.e2e.support.client import ApiClient, Json, expect


def create_job(api: ApiClient) -> Json:
    response = api.post("/jobs", {"description": "Nightly sales export"})
    job = expect(response, 201)
    assert job["status"] == "pending"
    assert response.headers["Location"].endswith(f"/api/jobs/{job['id']}")
    return job


def start_monitor(api: ApiClient, request: Json) -> Json:
    response = api.post("/monitors", request)
    started = expect(response, 202)
    assert started["jobId"] == request["jobId"]
    assert response.headers["Location"] == started["statusUrl"]
    return started
