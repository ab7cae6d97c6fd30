"""Settings the real host checks before it starts: storage connection, provider, hub, timeout."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from durable_localhost import EmulatorServer
from durable_localhost.startup_checks import check_startup
from durable_localhost.startup_errors import StartupError
from durable_webhooks import APPS
from test_startup_errors import SCHEDULER_HOST_JSON, make_app

pytestmark = pytest.mark.emulator


def check(raw: dict[str, Any], environ: dict[str, str], hub: str = "Hub") -> Any:
    """The checks on a host.json with ``raw``'s keys (and the version every host.json needs)."""
    return check_startup(Path("/nowhere"), {"version": "2.0", **raw}, hub, environ)


def test_an_identity_based_storage_connection_counts_as_set() -> None:
    settings = check({}, {"AzureWebJobsStorage__accountName": "acct"})

    assert (settings.provider, settings.connection_setting) == (
        "AzureStorage",
        "AzureWebJobsStorage",
    )


def test_a_named_storage_connection_is_looked_up_with_and_without_the_prefix() -> None:
    raw = {"extensions": {"durableTask": {"storageProvider": {"connectionName": "Tasks"}}}}

    assert check(raw, {"AzureWebJobsTasks": "x"}).connection_setting == "AzureWebJobsTasks"
    assert check(raw, {"Tasks": "x"}).connection_setting == "Tasks"
    with pytest.raises(StartupError, match=r"connection named 'Tasks'\. Set Tasks "):
        check(raw, {"AzureWebJobsStorage": "x"})


def test_an_empty_storage_setting_is_missing() -> None:
    with pytest.raises(StartupError, match="connection named 'Storage'"):
        check({}, {"AzureWebJobsStorage": ""})


def test_the_provider_type_is_matched_without_regard_to_case() -> None:
    raw = {"extensions": {"durableTask": {"storageProvider": {"type": "AZUREMANAGED"}}}}

    settings = check(raw, {"DURABLE_TASK_SCHEDULER_CONNECTION_STRING": "Endpoint=x"})

    assert settings.provider == "azureManaged"


@pytest.mark.parametrize("hub", ["ab", "my-hub", "1hub", "x" * 51])
def test_a_hub_name_azure_storage_cannot_hold_is_refused(hub: str) -> None:
    with pytest.raises(StartupError, match="should contain only alphanumeric characters"):
        check({}, {"AzureWebJobsStorage": "x"}, hub=hub)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, timedelta(minutes=30)),
        ("00:10:00", timedelta(minutes=10)),
        ("1.00:00:00", timedelta(days=1)),
        ("-1", None),
        (-1, None),
    ],
)
def test_function_timeout_defaults_to_30_minutes_and_minus_one_means_no_limit(
    value: object, expected: timedelta | None
) -> None:
    raw = {} if value is None else {"functionTimeout": value}

    assert check(raw, {"AzureWebJobsStorage": "x"}).function_timeout == expected


def test_a_function_timeout_that_is_not_a_timespan_is_refused() -> None:
    with pytest.raises(StartupError, match="functionTimeout 'ten minutes' is not a TimeSpan"):
        check({"functionTimeout": "ten minutes"}, {"AzureWebJobsStorage": "x"})


def test_a_scheduler_app_starts_keeps_local_state_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AzureWebJobsStorage")
    app = make_app(tmp_path / "app", host_json=SCHEDULER_HOST_JSON)
    (app / "function_app.py").write_text((APPS / "chain" / "function_app.py").read_text())
    settings = {
        "DURABLE_TASK_SCHEDULER_CONNECTION_STRING": "Endpoint=http://localhost:8080;Authentication=None",
        "TASKHUB_NAME": "default",
    }
    caplog.set_level(logging.INFO, logger="durable_localhost")

    with EmulatorServer(app, settings=settings) as server:
        started = httpx.post(f"{server.api_url}/start/chain", json=["a"])
        assert started.status_code == 202
        assert "taskHub=default" in started.json()["statusQueryGetUri"]

    lines = [r.getMessage() for r in caplog.records if "Storage provider" in r.getMessage()]
    assert len(lines) == 1
    assert "azureManaged (Durable Task Scheduler" in lines[0]
    assert "keeps its own state" in lines[0]


@pytest.mark.parametrize("host_json", [None, {}, {"version": "2.0"}])
def test_host_setting_overrides_need_no_version_in_an_absent_or_empty_host_json(
    tmp_path: Path, host_json: Any
) -> None:
    # The host checks the version in the file; AzureFunctionsJobHost__ settings are another
    # configuration source layered over it, so they never make a file "missing the version".
    app = make_app(tmp_path / "app", host_json=host_json)
    name = "AzureFunctionsJobHost__extensions__durableTask__hubName"

    with EmulatorServer(app, settings={name: "Overridden"}) as server:
        assert server.host.config.hub_name == "Overridden"
