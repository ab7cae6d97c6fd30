"""Fixtures of the end-to-end suite: one running shop app, its clock, an HTTP client.

By default the app runs in-process on the project's emulator (virtual clock, paused; state in
memory; the app's tables in the session's Azurite). With `E2E_BASE_URL` set, the same tests run
against that URL instead (see README.md). The fixtures are package-scoped: the emulator (and
the settings it puts in the environment) lives exactly as long as this folder's tests, so the
rest of a full `pytest` run never shares a process with it.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from durable_localhost.testing import EmulatorServer
from tests.e2e.support.client import ApiClient
from tests.e2e.support.clock import Clock, detect_clock
from tests.e2e.support.endpoint import ControllableEndpoint
from tests.e2e.support.keyed_emulator import KeyedEmulator
from tests.e2e.support.target import (
    Target,
    health_endpoint_port,
    remote_base_url,
    remote_target,
)
from tests.support.local_host import INDEXING_SETTINGS

ROOT = Path(__file__).resolve().parents[2]
#: Allow-listed names under which the emulator's health monitors check our endpoint. Fresh per
#: run: a monitor's notifications are keyed by its (singleton) instance id, and a reused Azurite
#: keeps the outbox of earlier runs.
PROBE_NAMES = tuple(f"e2e-{role}-{secrets.token_hex(3)}" for role in ("probe", "restart"))
OPERATIONS_EMAIL = "ops-e2e@example.com"


def app_settings(connection_string: str, probe_url: str | None = None) -> dict[str, str]:
    """App settings of the emulated app (the rest keep the app's defaults)."""
    settings = {
        "AzureWebJobsStorage": connection_string,
        "AppStorage": connection_string,
        "TASKHUB_NAME": "ShopE2E",
        "OPERATIONS_EMAIL": OPERATIONS_EMAIL,
        "HEALTH_CHECK_TIMEOUT_SECONDS": "5",
        # A 1,000-item batch in chunks of 100: ten chunk sub-orchestrations.
        "BATCH_CHUNK_SIZE": "100",
        "BATCH_MAX_PARALLEL": "32",
        # Stand in for App Service Authentication, which sets this on the platform: the
        # approval route then trusts X-MS-CLIENT-PRINCIPAL-NAME as the signed-in user.
        "WEBSITE_AUTH_ENABLED": "True",
        **INDEXING_SETTINGS,
    }
    if probe_url:
        settings["HEALTH_MONITOR_ALLOWLIST"] = json.dumps(dict.fromkeys(PROBE_NAMES, probe_url))
    return settings


@pytest.fixture(scope="package")
def probe_endpoint() -> Iterator[ControllableEndpoint]:
    """The endpoint the health monitor checks; the test switches it healthy or failing."""
    host = "0.0.0.0" if remote_base_url() else "127.0.0.1"
    endpoint = ControllableEndpoint(host, health_endpoint_port()).start()
    try:
        yield endpoint
    finally:
        endpoint.stop()


@pytest.fixture(scope="package")
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    """The running app: `E2E_BASE_URL`, or an in-process emulator for this folder's tests."""
    base_url = remote_base_url()
    if base_url:
        yield remote_target(base_url)
        return
    azurite = request.getfixturevalue("azurite")
    probe_endpoint: ControllableEndpoint = request.getfixturevalue("probe_endpoint")
    server = EmulatorServer(
        ROOT,
        clock="virtual",
        paused=True,
        state=":memory:",
        settings=app_settings(azurite.connection_string, probe_endpoint.url),
    )
    with server:
        yield Target(
            base_url=server.base_url,
            health_endpoint_names=PROBE_NAMES,
            operations_email=OPERATIONS_EMAIL,
        )


@pytest.fixture(scope="package")
def clock(target: Target) -> Iterator[Clock]:
    """Virtual time when the target has the emulator's control API, else real time."""
    found = detect_clock(target)
    if not target.remote:
        assert found.virtual, "the in-process emulator must serve its control API"
    yield found
    close = getattr(found, "close", None)
    if close:
        close()


@pytest.fixture(scope="package")
def api(target: Target) -> Iterator[ApiClient]:
    """The app's routes, with the function key when the target needs one."""
    client = ApiClient(target)
    yield client
    client.close()


@pytest.fixture(scope="package")
def keyed_target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    """An app that enforces function keys: a `--keys` emulator, or the remote app with its key."""
    base_url = remote_base_url()
    if base_url:
        remote = remote_target(base_url)
        if not remote.function_key:
            pytest.skip(
                "remote mode without E2E_FUNCTION_KEY: cannot show that routes need a key "
                "(set E2E_FUNCTION_KEY to the app's function key to run these checks)"
            )
        yield remote
        return
    azurite = request.getfixturevalue("azurite")
    emulator = KeyedEmulator(
        ROOT,
        app_settings(azurite.connection_string),
        tmp_path_factory.mktemp("keyed-emulator") / "emulator.log",
    )
    keyed = emulator.start()
    try:
        yield keyed
    finally:
        emulator.stop()
