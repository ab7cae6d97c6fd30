"""Entities: calls and signals from orchestrators, error replies, client signal and read."""

from __future__ import annotations

import httpx
import pytest

from durable_webhooks import Durable, StartApp

pytestmark = pytest.mark.emulator


def test_orchestrator_calls_signals_and_gets_error_replies(start_app: StartApp) -> None:
    server = start_app("entities")
    durable = Durable(server)

    instance_id = durable.start("banker", {"key": "alice"})
    server.wait_idle()
    output = durable.body(instance_id)["output"]

    assert output["after_call"] == 15  # the signal was processed first, in order
    assert output["error"] == "insufficient funds: 15 < 100"
    assert output["balance"] == 15
    sent = [e for e in durable.history(instance_id) if e["EventType"] == 14]
    assert [e["InstanceId"] for e in sent] == ["@account@alice"] * 4
    assert '"signal": true' in sent[0]["Input"]


def test_entity_state_over_the_webhook(start_app: StartApp) -> None:
    server = start_app("entities")
    durable = Durable(server)

    assert durable.http.get("/entities/Account/bob").status_code == 404
    assert durable.http.post("/entities/Account/bob").status_code == 400  # no op
    response = durable.http.post("/entities/Account/bob", params={"op": "deposit"}, content=b'"7"')
    assert response.status_code == 202
    server.wait_idle()

    state = durable.http.get("/entities/account/bob")
    assert state.status_code == 200
    assert state.json() == 7

    durable.http.post("/entities/Account/bob", params={"op": "close"}, content=b'"null"')
    server.wait_idle()
    assert durable.http.get("/entities/Account/bob").status_code == 404


def test_sdk_client_signal_and_read(start_app: StartApp) -> None:
    server = start_app("client_ops")
    api = httpx.Client(base_url=server.api_url, timeout=30)

    assert api.get("/counters/c1").json() == {"exists": False, "state": None}
    assert api.post("/counters/c1", params={"amount": "5"}).status_code == 202
    assert api.post("/counters/c1", params={"amount": "2"}).status_code == 202
    server.wait_idle()

    assert api.get("/counters/c1").json() == {"exists": True, "state": 7}


def test_client_signal_with_a_falsy_input_sends_no_input(start_app: StartApp) -> None:
    """Pinned (protocol page 3.2/3.4): ``signal_entity(id, op, 0)`` sends no body, so the
    operation input is null and the SDK's ``get_input()`` raises; the operation fails and the
    state is left as it was."""
    server = start_app("client_ops")
    api = httpx.Client(base_url=server.api_url, timeout=30)

    api.post("/counters/c2", params={"amount": "5"})
    server.wait_idle()
    api.post("/counters/c2", params={"amount": "0"})
    api.post("/counters/c2", params={"amount": "1"})
    server.wait_idle()

    assert api.get("/counters/c2").json() == {"exists": True, "state": 6}
