"""App settings named ``AzureFunctionsJobHost__path__to__key`` override host.json values."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest

from durable_localhost.cli import main
from durable_localhost.config import load_host_config
from durable_localhost.host_overrides import apply_overrides, override_paths
from durable_localhost.versioning import FailureStrategy, MatchStrategy
from durable_webhooks import APPS, StartApp

pytestmark = pytest.mark.emulator

HOST_JSON = {
    "version": "2.0",
    "logging": {"logLevel": {"default": "Information"}},
    "extensions": {
        "http": {"routePrefix": "api"},
        "durableTask": {
            "hubName": "%HUB%",
            "maxConcurrentActivityFunctions": 8,
            "defaultVersion": "1.0",
            "tracing": {"traceInputsAndOutputs": False},
        },
    },
    "watchDirectories": ["shared", "lib"],
}


def _config(tmp_path: Path, environ: dict[str, str], host: dict[str, Any] | None = None) -> Any:
    (tmp_path / "host.json").write_text(json.dumps(HOST_JSON if host is None else host))
    return load_host_config(tmp_path, environ)


def test_a_setting_overrides_the_value_host_json_gives(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        {
            "HUB": "Hub",
            "AzureFunctionsJobHost__extensions__durableTask__defaultVersion": "2.1",
            "AzureFunctionsJobHost__extensions__http__routePrefix": "shop",
        },
    )
    assert config.versioning.default_version == "2.1"
    assert config.route_prefix == "shop"
    assert config.hub_name == "Hub"


def test_names_match_keys_case_insensitively_and_keep_host_json_spelling(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        {"AZUREFUNCTIONSJOBHOST__EXTENSIONS__DURABLETASK__DEFAULTVERSION": "3.0"},
    )
    assert config.versioning.default_version == "3.0"
    durable = config.raw["extensions"]["durableTask"]
    assert durable["defaultVersion"] == "3.0"
    assert "DEFAULTVERSION" not in durable


def test_a_key_host_json_lacks_is_added(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        {
            "AzureFunctionsJobHost__extensions__durableTask__versionMatchStrategy": "Strict",
            "AzureFunctionsJobHost__extensions__durableTask__versionFailureStrategy": "fail",
            "AzureFunctionsJobHost__extensions__durableTask__maxConcurrentEntityFunctions": "3",
        },
    )
    assert config.versioning.match is MatchStrategy.STRICT
    assert config.versioning.failure is FailureStrategy.FAIL
    assert config.max_concurrent_entities == 3


def test_every_host_json_value_can_be_overridden_with_its_type(tmp_path: Path) -> None:
    """Values arrive as text and take the type host.json has there, as the host binds them."""
    durable_key = "AzureFunctionsJobHost__extensions__durableTask__"
    raw = apply_overrides(
        HOST_JSON,
        {
            durable_key + "maxConcurrentActivityFunctions": "2",
            durable_key + "tracing__traceInputsAndOutputs": "TRUE",
            "AzureFunctionsJobHost__logging__logLevel__Function": "Warning",
            "AzureFunctionsJobHost__version": "3.0",
        },
    )
    durable = raw["extensions"]["durableTask"]
    assert durable["maxConcurrentActivityFunctions"] == 2
    assert durable["tracing"]["traceInputsAndOutputs"] is True
    assert raw["logging"]["logLevel"] == {"default": "Information", "Function": "Warning"}
    assert raw["version"] == "3.0"
    assert HOST_JSON["extensions"]["durableTask"]["maxConcurrentActivityFunctions"] == 8  # type: ignore[index]


def test_text_that_does_not_fit_the_type_stays_text_for_its_reader_to_reject(
    tmp_path: Path,
) -> None:
    raw = apply_overrides(
        HOST_JSON,
        {"AzureFunctionsJobHost__extensions__durableTask__maxConcurrentActivityFunctions": "many"},
    )
    assert raw["extensions"]["durableTask"]["maxConcurrentActivityFunctions"] == "many"


def test_array_elements_are_addressed_by_index(tmp_path: Path) -> None:
    raw = apply_overrides(
        HOST_JSON,
        {
            "AzureFunctionsJobHost__watchDirectories__1": "vendor",
            "AzureFunctionsJobHost__watchDirectories__7": "extra",
        },
    )
    assert raw["watchDirectories"] == ["shared", "vendor", "extra"]


def test_colon_separates_levels_too_and_other_settings_are_ignored() -> None:
    paths = override_paths(
        {
            "AzureFunctionsJobHost:extensions:http:routePrefix": "a",
            "AzureFunctionsJobHost": "not a path",
            "AzureFunctionsJobHost__": "empty",
            "AzureFunctionsJobHost____x": "empty level",
            "AzureWebJobsStorage": "UseDevelopmentStorage=true",
            "MyAzureFunctionsJobHost__x": "other prefix",
        }
    )
    assert paths == [(["extensions", "http", "routePrefix"], "a")]


def test_an_override_below_a_plain_value_is_ignored_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="durable_localhost.host"):
        raw = apply_overrides(HOST_JSON, {"AzureFunctionsJobHost__version__major": "3"})
    assert raw["version"] == "2.0"
    assert "version__major ignored" in caplog.text


def test_default_version_is_not_substituted_but_the_hub_name_is(tmp_path: Path) -> None:
    host = {"extensions": {"durableTask": {"hubName": "%HUB%", "defaultVersion": "%VER%"}}}
    config = _config(tmp_path, {"HUB": "Hub", "VER": "2.0"}, host)
    assert config.hub_name == "Hub"
    assert config.versioning.default_version == "%VER%"


def test_overrides_apply_without_a_host_json(tmp_path: Path) -> None:
    config = load_host_config(
        tmp_path, {"AzureFunctionsJobHost__extensions__durableTask__hubName": "Bare"}
    )
    assert config.hub_name == "Bare"


def test_the_running_host_takes_overrides_from_its_settings(start_app: StartApp) -> None:
    """Settings reach the host as local.settings.json values or app settings do."""
    server = start_app(
        "http_basics",
        settings={"AzureFunctionsJobHost__extensions__http__routePrefix": "shop"},
    )
    assert server.api_url.endswith("/shop")
    assert httpx.get(f"{server.base_url}/shop/items/7", timeout=30).status_code == 200
    assert httpx.get(f"{server.base_url}/v1/items/7", timeout=30).status_code == 404


def test_the_command_refuses_an_unknown_strategy_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(
        "AzureFunctionsJobHost__extensions__durableTask__versionFailureStrategy", "Retry"
    )
    code = main(["--app", str(APPS / "versions"), "--port", "0", "--state", ":memory:"])
    error = capsys.readouterr().err
    assert code == 1
    assert "versionFailureStrategy is 'Retry'" in error
    assert "Traceback" not in error
