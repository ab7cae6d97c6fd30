"""The counter entity through its routes: signals are queued (202) and applied in order."""

from __future__ import annotations

from tests.e2e.support.client import ApiClient, expect, expect_problem
from tests.e2e.support.clock import Clock
from tests.e2e.support.counters import value_of, wait_for_value
from tests.e2e.support.shop import unique


def test_a_counter_adds_subtracts_resets_and_reads(api: ApiClient, clock: Clock) -> None:
    key = unique("visits")
    expect_problem(api.get(f"/counters/{key}"), 404)

    added = api.post(f"/counters/{key}/add", {"amount": 5})
    body = expect(added, 202)
    assert body["key"] == key
    assert (body["operation"], body["amount"]) == ("add", 5)
    assert body["valueUrl"].endswith(f"/api/counters/{key}")
    assert added.headers["Location"] == body["valueUrl"]
    expect(api.post(f"/counters/{key}/add", {"amount": 3}), 202)
    expect(api.post(f"/counters/{key}/subtract", {"amount": 2}), 202)
    wait_for_value(api, clock, key, 6)

    expect(api.post(f"/counters/{key}/subtract", {"amount": 10}), 202)
    wait_for_value(api, clock, key, -4)

    reset = expect(api.post(f"/counters/{key}/reset"), 202)
    assert reset["amount"] is None
    wait_for_value(api, clock, key, 0)
    expect(api.post(f"/counters/{key}/add", {"amount": 1_000_000_000}), 202)
    expect(api.post(f"/counters/{key}/reset", {}), 202)
    wait_for_value(api, clock, key, 0)


def test_many_signals_in_a_row_all_count(api: ApiClient, clock: Clock) -> None:
    key = unique("burst")
    for amount in range(1, 31):
        operation = "subtract" if amount % 5 == 0 else "add"
        expect(api.post(f"/counters/{key}/{operation}", {"amount": amount}), 202)
    expected = sum(a if a % 5 else -a for a in range(1, 31))
    wait_for_value(api, clock, key, expected)


def test_bad_counter_requests_are_refused_before_reaching_the_counter(
    api: ApiClient, clock: Clock
) -> None:
    key = unique("stock-moves")
    expect(api.post(f"/counters/{key}/add", {"amount": 7}), 202)
    wait_for_value(api, clock, key, 7)

    for amount in (0, -1, 1.5, "5", True, 1_000_000_001, None):
        expect_problem(api.post(f"/counters/{key}/add", {"amount": amount}), 400, ["amount"])
    expect_problem(api.post(f"/counters/{key}/subtract", {}), 400, ["amount"])
    expect_problem(api.post(f"/counters/{key}/add"), 400, ["body"])
    expect_problem(api.post(f"/counters/{key}/add", {"amount": 1, "by": 2}), 400, ["by"])
    expect_problem(api.post(f"/counters/{key}/reset", {"amount": 1}), 400, ["body"])
    expect_problem(api.post(f"/counters/{key}/multiply", {"amount": 2}), 400, ["operation"])
    expect_problem(api.get("/counters/no%20spaces"), 400, ["key"])
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    expect_problem(api.post(f"/counters/{key}/add", content="amount=1", headers=form), 415)
    expect_problem(api.post(f"/counters/{key}/add", content="{amount: 1}"), 400, ["body"])

    # None of them changed the counter.
    clock.settle()
    assert value_of(api, key) == 7
