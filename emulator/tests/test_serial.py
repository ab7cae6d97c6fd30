"""Serial runs: the same requests on a paused virtual clock record byte-identical histories."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from durable_webhooks import Durable, StartApp

pytestmark = pytest.mark.emulator

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _fan_out_histories(start_app: StartApp) -> str:
    """Every history of one run of a parent whose children (and their activities) fan out."""
    server = start_app("suborchestrations", serial=True, paused=True, start_time=START)
    durable = Durable(server)
    parent_id = durable.start("parent", instance_id="serial-parent")
    assert server.wait_idle()
    created = [e["InstanceId"] for e in durable.history(parent_id) if e["EventType"] == 7]
    return json.dumps({i: durable.history(i) for i in [parent_id, *created]}, sort_keys=True)


def test_two_serial_runs_of_a_fan_out_record_the_same_histories(start_app: StartApp) -> None:
    first = _fan_out_histories(start_app)
    second = _fan_out_histories(start_app)

    assert '"EventType": 8' in first  # the children really ran and answered
    assert first == second


def test_a_serial_run_still_completes_every_instance(start_app: StartApp) -> None:
    server = start_app("suborchestrations", serial=True, paused=True, start_time=START)
    durable = Durable(server)

    instance_id = durable.start("parent")
    assert server.wait_idle()

    output = durable.body(instance_id)["output"]
    assert output["many"] == [0, 2, 4]
