"""A client that retries with its `Idempotency-Key` (say, after a dropped connection).

An approval start and a counter signal retried with the same key have one effect and get
the first answer; the same key with another body is a 409 naming the key; without the header
every request counts; a malformed key is a 400 naming the header.
"""

from __future__ import annotations

import secrets

import pytest

from tests.e2e.support.client import ApiClient, expect, expect_problem
from tests.e2e.support.clock import Clock
from tests.e2e.support.counters import value_of, wait_for_value
from tests.e2e.support.shop import email, signed_in, unique
from tests.e2e.support.target import Target


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
