"""The host passes W3C trace context as the real one does: from an HTTP start through the
orchestration, its sub-orchestrations and activities, into the OpenTelemetry context."""

from __future__ import annotations

import logging
import re

import httpx
import pytest

from durable_localhost import trace_context
from durable_localhost.trace_context import child_of
from durable_webhooks import StartApp

pytestmark = pytest.mark.emulator

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def traces_by_place(caplog: pytest.LogCaptureFixture) -> dict[str, set[str]]:
    """place -> trace ids seen there (OpenTelemetry's, and the invocation context's)."""
    seen: dict[str, set[str]] = {}
    for record in caplog.records:
        message = record.getMessage()
        if message.startswith("trace "):
            _, place, current, given = [*message.split(" "), ""][:4]
            ids = seen.setdefault(place, set())
            ids.add(current)
            if given:
                ids.add(given.split("-")[1])
    return seen


def test_one_trace_from_the_start_request_to_every_activity(
    start_app: StartApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    server = start_app("tracing")

    parent = f"00-{TRACE}-00f067aa0ba902b7-01"
    httpx.post(f"{server.api_url}/start", headers={"traceparent": parent})
    server.wait_idle()

    seen = traces_by_place(caplog)
    assert set(seen) == {"http", "parent", "child", "step-a", "step-b"}
    assert all(ids == {TRACE} for ids in seen.values()), seen


def test_a_request_without_traceparent_starts_one_new_trace(
    start_app: StartApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    server = start_app("tracing")

    httpx.post(f"{server.api_url}/start")
    server.wait_idle()

    ids = set().union(*traces_by_place(caplog).values())
    assert len(ids) == 1
    assert ids != {"0" * 32}


@pytest.mark.parametrize("header", [None, "", "garbage", f"00-{'0' * 32}-00f067aa0ba902b7-01"])
def test_an_invalid_parent_gives_a_new_valid_trace(header: str | None) -> None:
    made = child_of(header)

    assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-01", made)
    assert made.split("-")[1] != "0" * 32


def test_a_child_keeps_the_trace_and_flags_with_a_new_span() -> None:
    parent = f"00-{TRACE}-00f067aa0ba902b7-00"

    made = child_of(parent)

    assert made.startswith(f"00-{TRACE}-")
    assert made.endswith("-00")
    assert made.split("-")[2] != "00f067aa0ba902b7"


def test_new_ids_are_distinct_valid_w3c_ids() -> None:
    made = [child_of(None) for _ in range(1000)]

    assert all(re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-01", m) for m in made)
    assert len({m.split("-")[1] for m in made}) == len(made)
    assert len({m.split("-")[2] for m in made}) == len(made)


def test_an_all_zero_draw_is_drawn_again(monkeypatch: pytest.MonkeyPatch) -> None:
    draws = iter([0, 7, 0, 9])
    monkeypatch.setattr(trace_context._random, "getrandbits", lambda _bits: next(draws))

    made = child_of(None)

    assert made == f"00-{'0' * 31}7-{'0' * 15}9-01"
