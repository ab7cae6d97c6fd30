"""The end-to-end suite's fixtures, for every folder that drives the running app (each
folder's conftest imports them, so each gets its own package-scoped app)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from durable_localhost.testing import EmulatorServer
from tests.e2e.support.client import ApiClient
from tests.e2e.support.clock import Clock, detect_clock
from tests.e2e.support.emulated_app import OPERATIONS_EMAIL, PROBE_NAMES, ROOT, app_settings
from tests.e2e.support.endpoint import ControllableEndpoint
from tests.e2e.support.keyed_emulator import KeyedEmulator
from tests.e2e.support.target import (
    Target,
    health_endpoint_port,
    remote_base_url,
    remote_target,
)


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
