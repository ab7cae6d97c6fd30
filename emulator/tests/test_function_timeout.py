"""``functionTimeout`` from host.json: activities fail as timed out, HTTP calls answer 500.

The fixture app sets ``"functionTimeout": "00:00:01"`` and one activity slot; its slow functions
wait on ``release`` (or sleep), which each test sets when it is done so no thread outlives it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from durable_localhost import EmulatorServer
from durable_webhooks import Durable, StartApp

pytestmark = pytest.mark.emulator

TIMEOUT_TEXT = "Timeout value of 00:00:01 was exceeded by function: Functions.{}"


@pytest.fixture
def server(start_app: StartApp) -> Iterator[EmulatorServer]:
    before = set(threading.enumerate())
    started = start_app("timeouts")
    try:
        yield started
    finally:
        release: Any = started.host.app.module.release
        release.set()
        started.stop()
        # A timed-out call's thread is left behind, not joined by stop: it ends once released.
        for thread in set(threading.enumerate()) - before:
            if thread.name.startswith("emulator"):
                thread.join(30)
                assert not thread.is_alive(), f"{thread.name} outlived its release"


def test_an_activity_past_function_timeout_is_a_failed_task_for_the_orchestrator(
    server: EmulatorServer,
) -> None:
    durable = Durable(server)

    instance_id = durable.start("slow_then_fast")
    assert server.wait_idle(timeout=30)

    body = durable.body(instance_id)
    assert body["runtimeStatus"] == "Completed"
    hang, hang_async, quick = body["output"]
    assert f"Activity function 'hang' failed: {TIMEOUT_TEXT.format('hang')}" in hang
    assert TIMEOUT_TEXT.format("hang_async") in hang_async
    # One activity slot, and the hung thread still running: the slot and a thread came back.
    assert quick == "done"


def test_a_timed_out_activity_is_recorded_as_task_failed(server: EmulatorServer) -> None:
    durable = Durable(server)

    instance_id = durable.start("slow_then_fast")
    assert server.wait_idle(timeout=30)

    failed = [e for e in durable.history(instance_id) if e["EventType"] == 6]  # TaskFailed
    assert [e["Reason"] for e in failed] == [
        f"Activity function '{name}' failed: {TIMEOUT_TEXT.format(name)}"
        for name in ("hang", "hang_async")
    ]
    assert "FunctionTimeoutException" in failed[0]["Details"]


def test_a_timeout_error_raised_within_the_limit_is_the_functions_own_failure(
    server: EmulatorServer,
) -> None:
    durable = Durable(server)

    instance_id = durable.start("own_timeouts")
    assert server.wait_idle(timeout=30)

    body = durable.body(instance_id)
    assert body["runtimeStatus"] == "Completed"
    for name, outcome in zip(
        ("raises_timeout", "raises_timeout_async"), body["output"], strict=True
    ):
        assert outcome.startswith(
            f"Activity function '{name}' failed:  TimeoutError: the partner API did not answer"
        ), outcome
        assert "Timeout value of" not in outcome


def test_an_http_function_past_function_timeout_answers_500_with_no_body(
    server: EmulatorServer,
) -> None:
    response = httpx.get(f"{server.api_url}/slow", timeout=30)

    assert response.status_code == 500
    assert response.content == b""
    # The host still answers while the timed-out thread runs on.
    assert httpx.get(f"{server.base_url}/admin/host/status").status_code == 200
