"""Versioning across deployments: stop the host, raise defaultVersion, start again.

Each "deployment" is a new host on the same state file whose ``defaultVersion`` comes from the
app setting ``AzureFunctionsJobHost__extensions__durableTask__defaultVersion`` (host.json says
1.0), as a release sets it.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from durable_localhost import EmulatorServer
from durable_localhost.cli import banner
from durable_webhooks import APPS, Durable, StartApp

pytestmark = pytest.mark.emulator

START = datetime(2030, 1, 1, tzinfo=UTC)
SETTING = "AzureFunctionsJobHost__extensions__durableTask__"
V1 = {"version": "1.0", "steps": ["price"]}
V2 = {"version": "2.0", "steps": ["price_v2", "audit"]}

Deploy = Callable[..., tuple[EmulatorServer, Durable]]


@pytest.fixture
def deploy(start_app: StartApp, tmp_path: Path) -> Deploy:
    """``deploy(version, app=...,  **durableTask settings)``: the next host on one state file."""
    state = tmp_path / "state.sqlite3"
    running: list[EmulatorServer] = []

    def start(
        version: str | None = None, app: str | Path = "versions", **durable: str
    ) -> tuple[EmulatorServer, Durable]:
        for server in running:
            server.stop()
        settings = {SETTING + key: value for key, value in durable.items()}
        if version is not None:
            settings[SETTING + "defaultVersion"] = version
        server = start_app(app, start_time=START, paused=True, state=state, settings=settings)
        running.append(server)
        return server, Durable(server)

    return start


def _start(durable: Durable, name: str, version: str | None = None) -> str:
    params = {} if version is None else {"version": version}
    response = durable.http.post(f"/orchestrators/{name}", params=params)
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def _started(durable: Durable, instance_id: str) -> dict[str, Any]:
    """The ExecutionStarted event, as the host stores it."""
    return next(e for e in durable.history(instance_id) if e["EventType"] == 0)


def _started_version(durable: Durable, instance_id: str) -> Any:
    return _started(durable, instance_id)["Version"]


def test_running_instances_keep_their_version_and_new_ones_get_the_new_one(
    deploy: Deploy,
) -> None:
    server, durable = deploy()
    approval = _start(durable, "approval")
    monitor = _start(durable, "monitor")
    eternal = _start(durable, "eternal")
    server.wait_idle()
    assert durable.body(monitor)["runtimeStatus"] == "Running"  # between its polls

    server, durable = deploy("2.0")
    assert durable.raise_event(approval, "decision", "approved").status_code == 202
    server.wait_idle()
    server.clock.advance(timedelta(hours=3))
    fresh = _start(durable, "stamped")
    server.wait_idle()

    assert durable.body(approval)["output"] == {**V1, "decision": "approved"}
    assert durable.body(monitor)["output"] == {"version": "1.0", "polls": ["price"] * 3}
    assert durable.body(eternal)["output"] == {"version": "1.0", "round": 2}
    assert durable.body(fresh)["output"] == V2
    assert _started_version(durable, fresh) == "2.0"


def test_an_older_host_leaves_newer_instances_untouched_by_default(deploy: Deploy) -> None:
    server, durable = deploy("2.0")
    approval = _start(durable, "approval")
    server.wait_idle()
    before = durable.history(approval)

    server, durable = deploy("1.0")
    assert durable.raise_event(approval, "decision", "approved").status_code == 202
    late = _start(durable, "approval", version="2.0")
    older = _start(durable, "stamped")
    server.wait_idle()
    server.clock.advance(timedelta(days=4))  # past the deadline: the timer waits too

    assert durable.body(approval)["runtimeStatus"] == "Running"
    assert durable.history(approval) == before
    assert durable.body(late)["runtimeStatus"] == "Pending"
    assert durable.body(older)["output"] == V1

    server, durable = deploy("2.0")
    server.wait_idle()
    assert durable.body(approval)["output"] == {**V2, "decision": "approved"}
    server.clock.advance(timedelta(days=3))  # its deadline counts from its first episode
    assert durable.body(late)["output"] == {"version": "2.0", "outcome": "expired"}


def test_an_older_host_with_fail_fails_newer_instances_with_the_reason(deploy: Deploy) -> None:
    server, durable = deploy("2.0")
    approval = _start(durable, "approval")
    server.wait_idle()

    server, durable = deploy("1.0", versionFailureStrategy="Fail")
    durable.raise_event(approval, "decision", "approved")
    same = _start(durable, "stamped")
    server.wait_idle()

    status = durable.body(approval, showHistory="true")
    reason = "The orchestration version '2.0' is greater than the worker version '1.0'."
    assert status["runtimeStatus"] == "Failed"
    assert status["output"] == reason
    assert [e["EventType"] for e in status["historyEvents"]][-1] == "ExecutionCompleted"
    assert durable.body(same)["output"] == V1


def test_strict_runs_only_its_own_version(deploy: Deploy) -> None:
    server, durable = deploy("1.0")
    approval = _start(durable, "approval")
    server.wait_idle()

    server, durable = deploy("2.0", versionMatchStrategy="Strict")
    durable.raise_event(approval, "decision", "approved")
    server.wait_idle()
    assert durable.body(approval)["runtimeStatus"] == "Running"

    server, durable = deploy("2.0", versionMatchStrategy="None")
    server.wait_idle()
    assert durable.body(approval)["output"] == {**V1, "decision": "approved"}


def test_instances_from_before_any_version_have_none(deploy: Deploy, tmp_path: Path) -> None:
    unversioned = tmp_path / "unversioned"
    shutil.copytree(APPS / "versions", unversioned)
    host = json.loads((unversioned / "host.json").read_text())
    del host["extensions"]["durableTask"]["defaultVersion"]
    (unversioned / "host.json").write_text(json.dumps(host))

    server, durable = deploy(app=unversioned)
    approval = _start(durable, "approval")
    server.wait_idle()
    assert _started_version(durable, approval) is None

    server, durable = deploy("2.0")
    durable.raise_event(approval, "decision", "approved")
    server.wait_idle()
    assert durable.body(approval)["output"] == {
        "version": None,
        "decision": "approved",
        "steps": ["price"],
    }


def test_sub_orchestrations_get_the_default_or_the_version_they_name(deploy: Deploy) -> None:
    server, durable = deploy("2.0")
    parent = _start(durable, "parent")
    server.wait_idle()
    server.clock.advance(timedelta(seconds=1))

    assert durable.body(parent)["output"] == {
        "version": "2.0",
        "children": ["2.0", "0.9", "0.8"],
    }
    created = [e for e in durable.history(parent) if e["EventType"] == 7]
    assert [e["Version"] for e in created] == ["2.0", "0.9", "0.8"]
    started = _started(durable, created[0]["InstanceId"])
    assert started["Version"] == "2.0"
    assert started["ParentInstance"]["Version"] == "2.0"


def test_a_start_names_its_version_through_the_client_and_the_webhook(deploy: Deploy) -> None:
    server, durable = deploy("2.0")
    through_client = httpx.post(f"{server.api_url}/start/stamped?version=1.5", timeout=30)
    assert through_client.status_code == 202
    older = str(through_client.json()["id"])
    unnamed = httpx.post(f"{server.api_url}/start/stamped", timeout=30).json()["id"]
    empty = _start(durable, "stamped", version="")
    server.wait_idle()

    assert durable.body(older)["output"] == {"version": "1.5", "steps": ["price"]}
    assert durable.body(unnamed)["output"] == V2
    assert _started_version(durable, empty) == ""


def test_status_leaves_the_version_out_and_the_dashboard_shows_it(deploy: Deploy) -> None:
    """The host's status API has no version (its history view drops ``Version`` too)."""
    server, durable = deploy("2.0")
    instance_id = _start(durable, "stamped")
    server.wait_idle()

    status = durable.body(instance_id, showHistory="true", showHistoryOutput="true")
    assert "version" not in {key.lower() for key in status}
    assert all("Version" not in event for event in status["historyEvents"])
    details = httpx.get(f"{server.base_url}/runtime/emulator/instances/{instance_id}", timeout=30)
    assert details.json()["version"] == "2.0"


def test_a_restart_is_a_new_start_on_the_current_version(deploy: Deploy) -> None:
    server, durable = deploy("1.0")
    first = _start(durable, "stamped")
    server.wait_idle()

    server, durable = deploy("2.0")
    restarted = durable.post(f"/instances/{first}/restart").json()["id"]
    server.wait_idle()
    assert durable.body(restarted)["output"] == V2


def test_the_banner_names_the_version_and_strategies(deploy: Deploy) -> None:
    server, _ = deploy("2.0", versionFailureStrategy="Fail")
    assert "Orchestration version: 2.0    match: CurrentOrOlder    on mismatch: Fail" in banner(
        server.host
    )
