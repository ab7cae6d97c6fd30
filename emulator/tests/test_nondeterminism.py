"""A replay that asks for different steps than the history holds fails the instance clearly."""

from __future__ import annotations

import os

import pytest

from durable_webhooks import Durable, StartApp

pytestmark = pytest.mark.emulator


def test_changed_code_path_fails_with_a_non_determinism_error(
    start_app: StartApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FICKLE_VARIANT", raising=False)
    server = start_app("nondeterminism")
    durable = Durable(server)

    instance_id = durable.start("fickle")
    server.wait_idle()
    assert durable.body(instance_id)["runtimeStatus"] == "Running"

    monkeypatch.setenv("FICKLE_VARIANT", "b")
    durable.raise_event(instance_id, "continue", None)
    server.wait_idle()
    status = durable.body(instance_id)

    assert status["runtimeStatus"] == "Failed"
    assert status["output"].startswith(
        "Orchestrator function 'fickle' failed: Non-Deterministic workflow detected: "
        "orchestrator 'fickle', step 0 (event id 0): the history holds CallActivity "
        "'first_step', but the replay asked for CallActivity 'second_step'."
    )
    assert os.environ["FICKLE_VARIANT"] == "b"


def test_same_code_path_completes(start_app: StartApp, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FICKLE_VARIANT", raising=False)
    server = start_app("nondeterminism")
    durable = Durable(server)

    instance_id = durable.start("fickle")
    server.wait_idle()
    durable.raise_event(instance_id, "continue", None)
    server.wait_idle()

    assert durable.body(instance_id)["output"] == "finished"
