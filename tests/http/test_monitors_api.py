"""`POST /api/monitors`: validation and bounds, the job check, and what the starter resolves."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import azure.functions as func
import pytest

from api import monitors
from shared import job_store, monitor_store
from tests.support.functions import client_function

pytestmark = pytest.mark.usefixtures("app_storage")

BASE = "https://shop.example.com/api"

start = client_function(monitors.start_export_monitor)


@pytest.fixture
def job_id() -> str:
    return job_store.create_job("nightly export").id


def post(payload: Any, content_type: str = "application/json") -> func.HttpRequest:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return func.HttpRequest(
        "POST", f"{BASE}/monitors", headers={"content-type": content_type}, body=raw
    )


def body(response: func.HttpResponse) -> Any:
    return json.loads(response.get_body())


def started_with(client: Any) -> dict[str, Any]:
    name, instance_id, payload = client.start_new.await_args.args
    assert name == "monitor_export_job"
    assert instance_id.startswith("monitor-")
    result: dict[str, Any] = payload
    return result


async def test_a_monitor_starts_with_defaults_resolved(client: Any, job_id: str) -> None:
    response = await start(post({"jobId": job_id}), client)

    assert response.status_code == 202
    answer = body(response)
    assert response.headers["Location"] == f"{BASE}/instances/{answer['id']}"
    assert answer["jobId"] == job_id
    assert answer["timeoutSeconds"] == 3600
    sent = started_with(client)
    assert sent == {
        "monitorId": answer["id"],
        "jobId": job_id,
        "recipient": {"audience": "operations", "ref": None, "detailsFingerprint": None},
        "initialIntervalSeconds": 30,
        "maxIntervalSeconds": 600,
        "deadline": None,
        "timeoutSeconds": 3600,
        "checksPerGeneration": 100,
        "progress": None,
    }


async def test_a_monitor_takes_its_intervals_timeout_and_recipient_from_the_request(
    client: Any, job_id: str
) -> None:
    payload = {
        "jobId": job_id,
        "timeoutMinutes": 5,
        "initialIntervalSeconds": 1,
        "maxIntervalSeconds": 8,
        "notify": "Data-Team@Example.com",
    }

    response = await start(post(payload), client)

    assert response.status_code == 202
    sent = started_with(client)
    assert (sent["timeoutSeconds"], sent["initialIntervalSeconds"], sent["maxIntervalSeconds"]) == (
        300,
        1,
        8,
    )
    # The address is stored by monitor id; the input names it by reference only.
    assert sent["recipient"] == {
        "audience": "monitor_subscriber",
        "ref": sent["monitorId"],
        "detailsFingerprint": None,
    }
    assert "data-team" not in json.dumps(sent)
    assert monitor_store.monitor_recipient(sent["monitorId"]) == "data-team@example.com"
    assert body(response)["recipient"] == "data-team@example.com"


async def test_an_absolute_deadline_is_passed_in_utc(client: Any, job_id: str) -> None:
    local = (datetime.now(UTC) + timedelta(hours=2)).astimezone().replace(microsecond=0)

    response = await start(post({"jobId": job_id, "deadline": local.isoformat()}), client)

    assert response.status_code == 202
    sent = started_with(client)
    assert sent["timeoutSeconds"] is None
    assert datetime.fromisoformat(sent["deadline"].replace("Z", "+00:00")) == local
    assert sent["deadline"].endswith("Z")


async def test_an_unknown_job_is_a_404_naming_the_field(client: Any) -> None:
    response = await start(post({"jobId": "job-nope"}), client)

    assert response.status_code == 404
    assert [e["field"] for e in body(response)["errors"]] == ["jobId"]
    client.start_new.assert_not_awaited()


def in_hours(hours: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"timeoutMinutes": 5, "deadline": in_hours(1)}, {"deadline"}),
        ({"initialIntervalSeconds": 60, "maxIntervalSeconds": 30}, {"maxIntervalSeconds"}),
        # The default cap (600) is checked against the initial wait too: a 400, not an
        # orchestration input that fails to validate in the starter.
        ({"initialIntervalSeconds": 1167}, {"maxIntervalSeconds"}),
        ({"initialIntervalSeconds": 0}, {"initialIntervalSeconds"}),
        ({"initialIntervalSeconds": "5"}, {"initialIntervalSeconds"}),
        ({"maxIntervalSeconds": 6 * 3600 + 1}, {"maxIntervalSeconds"}),
        ({"timeoutMinutes": 0}, {"timeoutMinutes"}),
        ({"timeoutMinutes": 7 * 24 * 60 + 1}, {"timeoutMinutes"}),
        ({"timeoutMinutes": 1.5}, {"timeoutMinutes"}),
        ({"deadline": "2026-01-05T10:00:00"}, {"deadline"}),  # no offset
        ({"deadline": in_hours(-1)}, {"deadline"}),  # in the past
        ({"deadline": in_hours(7 * 24 + 1)}, {"deadline"}),  # too far
        # A Unix time is not the documented ISO 8601, though pydantic would read it as one.
        ({"deadline": int((datetime.now(UTC) + timedelta(hours=1)).timestamp())}, {"deadline"}),
        (
            {"deadline": str(int((datetime.now(UTC) + timedelta(hours=1)).timestamp()))},
            {"deadline"},
        ),
        ({"notify": "not-an-address"}, {"notify"}),
        ({"jobId": "a/b"}, {"jobId"}),
        ({"jobId": None}, {"jobId"}),
        ({"every": 5}, {"every"}),
    ],
)
async def test_bad_requests_are_400s_naming_the_field(
    client: Any, job_id: str, changes: dict[str, Any], expected: set[str]
) -> None:
    response = await start(post({"jobId": job_id, **changes}), client)

    assert response.status_code == 400
    assert {e["field"] for e in body(response)["errors"]} == expected
    client.start_new.assert_not_awaited()


async def test_malformed_non_json_and_oversized_bodies_are_refused(
    client: Any, app_settings: pytest.MonkeyPatch
) -> None:
    app_settings.setenv("MAX_REQUEST_BYTES", "1024")

    malformed = await start(post(b'{"jobId": '), client)
    not_json = await start(post(b"jobId=x", "text/plain"), client)
    too_big = await start(post({"jobId": "x" * 2000}), client)

    assert (malformed.status_code, not_json.status_code, too_big.status_code) == (400, 415, 413)
