"""Instance management routes: status, listing with filters, suspend/resume, terminate, purge."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.e2e.support.client import ApiClient, Json, expect, expect_problem
from tests.e2e.support.clock import Clock
from tests.e2e.support.shop import accepted, email, signed_in, unique
from tests.e2e.support.waiting import wait_for_instance


def waiting_approval(api: ApiClient, clock: Clock) -> str:
    """A running instance that stays running: an approval waiting for its first decision."""
    requester = email("requester")
    request = {
        "requester": requester,
        "amount": "10",
        "description": "Keeps running",
        "approvers": [email("manager")],
        "stageTimeoutHours": 24,
    }
    started = api.post("/approvals", request, headers=signed_in(requester))
    instance_id: str = accepted(started)["id"]
    wait_for_instance(
        api, clock, instance_id, lambda body: body["runtimeStatus"] == "Running", fire_timers=False
    )
    return instance_id


def status_of(api: ApiClient, instance_id: str) -> Json:
    return expect(api.get(f"/instances/{instance_id}"), 200, 202)


def listed(api: ApiClient, **params: object) -> Json:
    return api.get_json("/instances", params)


def ids(listing: Json) -> list[str]:
    return [instance["instanceId"] for instance in listing["instances"]]


def created(body: Json) -> datetime:
    return datetime.fromisoformat(body["createdTime"].replace("Z", "+00:00"))


def test_a_running_instance_is_suspended_resumed_terminated_and_purged(
    api: ApiClient, clock: Clock
) -> None:
    instance_id = waiting_approval(api, clock)
    running = api.get(f"/instances/{instance_id}")
    assert running.status_code == 202
    assert running.headers["Location"].endswith(f"/api/instances/{instance_id}")
    assert running.headers["Retry-After"]
    body = running.json()
    assert body["name"] == "expense_approval"
    assert not {"input", "history"} & set(body)
    details = f"/instances/{instance_id}/details"
    with_input = expect(api.get(details, {"showInput": True}), 202)
    assert with_input.get("input") is not None  # only when asked for (202 bodies too)
    assert "input" not in expect(api.get(details), 202)
    # The status route (a storefront's key opens it) never serves input or history.
    expect_problem(api.get(f"/instances/{instance_id}", {"showInput": True}), 400, ["showInput"])

    # A running instance cannot be purged.
    expect_problem(api.delete(f"/instances/{instance_id}"), 409)

    accepted(api.post(f"/instances/{instance_id}/suspend", {"reason": "audit"}))
    assert status_of(api, instance_id)["runtimeStatus"] == "Suspended"
    expect_problem(api.post(f"/instances/{instance_id}/suspend"), 409)
    assert ids(listed(api, status="suspended", prefix=instance_id)) == [instance_id]

    accepted(api.post(f"/instances/{instance_id}/resume"))
    assert status_of(api, instance_id)["runtimeStatus"] == "Running"
    expect_problem(api.post(f"/instances/{instance_id}/resume"), 409)

    accepted(api.post(f"/instances/{instance_id}/terminate", {"reason": "withdrawn by e2e"}))
    terminated = wait_for_instance(api, clock, instance_id, fire_timers=False)
    assert terminated["runtimeStatus"] == "Terminated"
    assert terminated["output"] == "withdrawn by e2e"
    for verb in ("terminate", "suspend", "resume"):
        conflict = expect_problem(api.post(f"/instances/{instance_id}/{verb}"), 409)
        assert "Terminated" in conflict["detail"]

    purged = api.delete(f"/instances/{instance_id}")
    assert purged.status_code == 204
    assert purged.content == b""
    expect_problem(api.get(f"/instances/{instance_id}"), 404)
    expect_problem(api.delete(f"/instances/{instance_id}"), 404)


def test_unknown_and_malformed_instance_ids(api: ApiClient) -> None:
    missing = unique("nobody")
    expect_problem(api.get(f"/instances/{missing}"), 404)
    for verb in ("terminate", "suspend", "resume"):
        expect_problem(api.post(f"/instances/{missing}/{verb}"), 404)
    expect_problem(api.delete(f"/instances/{missing}"), 404)
    expect_problem(api.get("/instances/bad%20id!"), 400, ["instanceId"])
    details = f"/instances/{missing}/details"
    expect_problem(api.get(details, {"showHistoryOutput": True}), 400)  # needs showHistory
    expect_problem(api.get(details, {"showInput": "yes"}), 400, ["showInput"])
    expect_problem(api.get(details), 404)
    # A reason that is not text is named.
    expect_problem(api.post(f"/instances/{missing}/terminate", {"reason": 42}), 400, ["reason"])


def test_instances_are_listed_by_status_prefix_and_creation_time(
    api: ApiClient, clock: Clock
) -> None:
    running = [waiting_approval(api, clock) for _ in range(3)]
    onboarding = accepted(api.post("/customers", {"email": email("lin"), "name": "Lin"}))["id"]
    wait_for_instance(api, clock, onboarding)

    approvals = listed(api, prefix="approval-", status="Running", top=100)
    assert set(running) <= set(ids(approvals))
    assert all(i["runtimeStatus"] == "Running" for i in approvals["instances"])
    assert all(i["name"] == "expense_approval" for i in approvals["instances"])
    # Summaries only: no input, output or history in a listing.
    assert not {"input", "output", "history"} & set(approvals["instances"][0])

    completed = listed(api, prefix=onboarding, status="completed,failed")
    assert ids(completed) == [onboarding]
    assert ids(listed(api, prefix=onboarding, status="Running")) == []

    # Newest first, and `top` cuts the list and says so.
    page = listed(api, prefix="approval-", status="Running", top=2)
    assert page["count"] == 2
    assert page["truncated"] is True
    times = [i["createdTime"] for i in listed(api, prefix="approval-", top=100)["instances"]]
    assert times == sorted(times, reverse=True)

    first_created = created(status_of(api, running[0]))
    window = listed(
        api,
        prefix=running[0],
        createdFrom=(first_created - timedelta(seconds=1)).isoformat(),
        createdTo=(first_created + timedelta(seconds=1)).isoformat(),
    )
    assert ids(window) == [running[0]]
    before = listed(
        api, prefix=running[0], createdTo=(first_created - timedelta(seconds=1)).isoformat()
    )
    assert ids(before) == []

    # Entities live in the same store but are not listed as instances.
    key = unique("listed")
    expect(api.post(f"/counters/{key}/add", {"amount": 1}), 202)
    clock.settle()
    everything = listed(api, top=100)
    assert not [i for i in ids(everything) if i.startswith("@") or key in i]

    for instance_id in running:
        accepted(api.post(f"/instances/{instance_id}/terminate"))


def test_bad_listing_filters_are_named(api: ApiClient) -> None:
    expect_problem(api.get("/instances", {"status": "Running,Sleeping"}), 400, ["status"])
    expect_problem(api.get("/instances", {"top": 0}), 400, ["top"])
    expect_problem(api.get("/instances", {"createdFrom": "yesterday"}), 400, ["createdFrom"])
    naive = {"createdTo": "2026-01-01T00:00:00"}  # no offset: which time zone?
    expect_problem(api.get("/instances", naive), 400, ["createdTo"])
    expect_problem(
        api.get(
            "/instances",
            {"createdFrom": "2026-02-01T00:00:00Z", "createdTo": "2026-01-01T00:00:00Z"},
        ),
        400,
    )
    expect_problem(api.get("/instances", {"colour": "blue"}), 400, ["colour"])
