"""A counter's value read through its route, and a wait until it holds a value."""

from __future__ import annotations

from tests.e2e.support.client import ApiClient, expect
from tests.e2e.support.clock import Clock
from tests.e2e.support.waiting import wait_until


def value_of(api: ApiClient, key: str) -> int | None:
    """The counter's value, or None while it does not exist (404)."""
    response = api.get(f"/counters/{key}")
    if response.status_code == 404:
        return None
    body = expect(response, 200)
    assert body["key"] == key
    value: int = body["value"]
    return value


def wait_for_value(api: ApiClient, clock: Clock, key: str, expected: int) -> None:
    wait_until(
        lambda: value_of(api, key) == expected,
        clock,
        f"counter {key} == {expected}",
        last_seen=lambda: value_of(api, key),
    )
