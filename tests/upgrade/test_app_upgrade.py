"""The shop app's upgrade drill: stop the host, change defaultVersion, start again.

Each deployment is a new host on one state file, its version set through the app setting a
release sets (docs/changing-orchestrations.md). Approvals wait for decisions and export
monitors wait between polls across the deployments; new instances take the new version; a
rollback leaves the instances the newer version started alone until it comes back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from durable_localhost.testing import EmulatorServer
from tests.e2e.support.approvals import decide, finished, start_approval, view, wait_for_stage
from tests.e2e.support.client import ApiClient, Json, expect
from tests.e2e.support.clock import detect_clock
from tests.e2e.support.emulated_app import OPERATIONS_EMAIL, ROOT, app_settings
from tests.e2e.support.jobs import create_job, start_monitor
from tests.e2e.support.shop import email
from tests.e2e.support.target import Target
from tests.e2e.support.waiting import wait_for_custom_status, wait_for_instance
from tests.support.azurite import Azurite

VERSION_SETTING = "AzureFunctionsJobHost__extensions__durableTask__defaultVersion"
STAGE_SECONDS = 3600


class Deployment:
    """One host of the app at one version, with the e2e suite's client and clock."""

    def __init__(self, server: EmulatorServer) -> None:
        self.server = server
        self.target = Target(
            base_url=server.base_url, health_endpoint_names=(), operations_email=OPERATIONS_EMAIL
        )
        self.api = ApiClient(self.target)
        self.clock = detect_clock(self.target)

    def version_of(self, instance_id: str) -> str | None:
        """The instance's version, from the local host's instance details."""
        details = httpx.get(
            f"{self.server.base_url}/runtime/emulator/instances/{instance_id}", timeout=30
        )
        assert details.status_code == 200, details.text
        version: str | None = details.json()["version"]
        return version


Deploy = Callable[[str], Deployment]


@pytest.fixture
def deploy(azurite: Azurite, tmp_path: Path) -> Iterator[Deploy]:
    """``deploy(version)`` stops the running host and starts the app at ``version``."""
    state = tmp_path / "state.sqlite3"
    current: list[Deployment] = []

    def start(version: str) -> Deployment:
        stop()
        settings = {**app_settings(azurite.connection_string), VERSION_SETTING: version}
        server = EmulatorServer(ROOT, clock="virtual", paused=True, state=state, settings=settings)
        server.start()
        current.append(Deployment(server))
        return current[-1]

    def stop() -> None:
        while current:
            deployment = current.pop()
            deployment.api.close()
            deployment.server.stop()

    yield start
    stop()


def _monitor(deployment: Deployment) -> tuple[str, str]:
    """An export monitor between its polls: its instance id and its job's id."""
    job = create_job(deployment.api)
    started = start_monitor(
        deployment.api,
        {
            "jobId": job["id"],
            "timeoutMinutes": 600,
            "initialIntervalSeconds": 60,
            "maxIntervalSeconds": 240,
            "notify": email("analyst"),
        },
    )
    wait_for_custom_status(
        deployment.api,
        deployment.clock,
        started["id"],
        lambda s: s["state"] == "watching" and s["checks"] >= 1,
        "the first check",
        fire_timers=False,
    )
    return str(started["id"]), str(job["id"])


def _approve(deployment: Deployment, instance_id: str, approver: str) -> Json:
    expect(decide(deployment.api, instance_id, approver, "approve"), 202)
    return finished(deployment.api, deployment.clock, instance_id)


def test_running_approvals_and_monitors_finish_on_their_version_after_an_upgrade(
    deploy: Deploy,
) -> None:
    old = deploy("1.0.0")
    approver = email("manager")
    approval, _ = start_approval(old.api, [approver], STAGE_SECONDS)
    wait_for_stage(old.api, old.clock, approval, 1)
    monitor, job = _monitor(old)

    new = deploy("1.1.0")
    assert _approve(new, approval, approver)["result"]["outcome"] == "approved"
    expect(
        new.api.put(
            f"/jobs/{job}",
            {"status": "completed", "resultLocation": "https://exports.example.com/r.csv"},
        ),
        200,
    )
    new.clock.advance(240)
    done = wait_for_instance(new.api, new.clock, monitor)
    assert done["output"]["outcome"] == "completed", done
    fresh, _ = start_approval(new.api, [approver], STAGE_SECONDS)

    assert new.version_of(approval) == "1.0.0"
    assert new.version_of(monitor) == "1.0.0"  # continue-as-new keeps it
    assert new.version_of(fresh) == "1.1.0"


def test_a_rollback_leaves_newer_approvals_waiting_until_the_newer_version_returns(
    deploy: Deploy,
) -> None:
    new = deploy("1.1.0")
    approver = email("manager")
    approval, _ = start_approval(new.api, [approver], STAGE_SECONDS)
    wait_for_stage(new.api, new.clock, approval, 1)

    rolled_back = deploy("1.0.0")
    expect(decide(rolled_back.api, approval, approver, "approve"), 202)
    rolled_back.server.wait_idle()
    untouched = view(rolled_back.api, approval)
    assert untouched["runtimeStatus"] == "Running"
    assert untouched["status"]["state"] == "awaiting_decision"

    forward = deploy("1.1.0")
    outcome = finished(forward.api, forward.clock, approval)
    assert outcome["result"]["outcome"] == "approved"
