"""A client that retries with its `Idempotency-Key` (say, after a dropped connection).

An approval start and a counter signal retried with the same key have one effect and get
the first answer; the same key with another body is a 409 naming the key; without the header
every request counts; a malformed key is a 400 naming the header.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import httpx
import pytest

from shared import request_replays, storage
from tests.e2e.support.client import ApiClient, expect, expect_problem
from tests.e2e.support.clock import Clock
from tests.e2e.support.counters import value_of, wait_for_value
from tests.e2e.support.shop import email, signed_in, unique
from tests.e2e.support.target import Target
from tests.e2e.support.waiting import wait_until


def keyed(key: str, user: str | None = None) -> dict[str, str]:
    return {"Idempotency-Key": key, **(signed_in(user) if user else {})}


def test_a_retried_counter_signal_counts_once(api: ApiClient, clock: Clock) -> None:
    counter = unique("retried")
    key = f"signal-{secrets.token_hex(6)}"

    first = api.post(f"/counters/{counter}/add", {"amount": 5}, headers=keyed(key))
    again = api.post(f"/counters/{counter}/add", {"amount": 5}, headers=keyed(key))

    assert expect(again, 202) == expect(first, 202)
    assert again.headers["Idempotent-Replayed"] == "true"
    wait_for_value(api, clock, counter, 5)
    other = api.post(f"/counters/{counter}/add", {"amount": 6}, headers=keyed(key))
    assert f"'{key}'" in expect_problem(other, 409)["detail"]
    # Without the header, each request is its own signal.
    api.post(f"/counters/{counter}/add", {"amount": 1})
    api.post(f"/counters/{counter}/add", {"amount": 1})
    wait_for_value(api, clock, counter, 7)
    assert value_of(api, counter) == 7


def test_a_retried_approval_start_starts_one_approval(
    api: ApiClient, clock: Clock, target: Target
) -> None:
    requester = email("requester")
    request = {
        "requester": requester,
        "amount": "42",
        "currency": "EUR",
        "description": "Retried expense",
        "approvers": [email("manager")],
    }
    key = f"approval-{secrets.token_hex(6)}"

    first = api.post("/approvals", request, headers=keyed(key, requester))
    if first.status_code == 401 and target.remote:
        pytest.skip("the remote app requires a real signed-in user (App Service Authentication)")
    again = api.post("/approvals", request, headers=keyed(key, requester))

    started = expect(first, 202)
    assert expect(again, 202) == started
    assert again.headers["Location"] == first.headers["Location"]
    listed = api.get_json("/instances", {"prefix": started["id"]})
    assert [i["instanceId"] for i in listed["instances"]] == [started["id"]]
    changed = api.post("/approvals", {**request, "amount": "43"}, headers=keyed(key, requester))
    assert f"'{key}'" in expect_problem(changed, 409)["detail"]
    malformed = api.post("/approvals", request, headers=keyed("not a key", requester))
    expect_problem(malformed, 400, ["Idempotency-Key"])
    expect(api.post(f"/instances/{started['id']}/terminate", {"reason": "test over"}), 202)


def test_the_cleanup_timer_removes_an_expired_key_when_the_host_runs_it(
    target: Target, clock: Clock, app_storage: str
) -> None:
    """Run by hand through the admin API, as Core Tools documents; its schedule is off here."""
    if target.remote:
        pytest.skip("seeds an expired key in the app's storage, which only a local run reaches")
    scope, key = f"signal_counter.{secrets.token_hex(16)}", f"expired-{secrets.token_hex(6)}"
    # Expired long ago, so its index row is the first any run reads, whatever else is stored.
    long_ago = datetime(2000, 1, 1, tzinfo=UTC)
    assert isinstance(
        request_replays.claim(scope, key, "request", now=long_ago), request_replays.Claim
    )
    table = storage.table(request_replays.IDEMPOTENT_REQUESTS_TABLE)

    ran = httpx.post(
        f"{target.base_url}/admin/functions/remove_expired_idempotency_keys", json={"input": ""}
    )

    assert ran.status_code == 202
    wait_until(
        lambda: storage.get_entity(table, scope, key) is None, clock, "the expired key to go"
    )
