"""host.json: what the issue requires of it, and strict JSON because the SDK demands it.

`import azure.durable_functions` reads host.json with `json.loads` (outside pytest), so a
comment in it would crash the worker in Azure; rationale lives in `"//"` keys instead.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra.paths import HOST_JSON


@pytest.fixture(scope="module")
def host() -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(HOST_JSON.read_text(encoding="utf-8"))
    return parsed


def test_is_strict_json_without_comments() -> None:
    text = HOST_JSON.read_text(encoding="utf-8")

    json.loads(text)  # raises on // or /* */ comments and trailing commas
    assert not any(line.lstrip().startswith(("//", "/*")) for line in text.splitlines())


def test_uses_the_v4_extension_bundle(host: dict[str, Any]) -> None:
    assert host["version"] == "2.0"
    assert host["extensionBundle"] == {
        "id": "Microsoft.Azure.Functions.ExtensionBundle",
        "version": "[4.*, 5.0.0)",
    }


def test_task_hub_comes_from_the_app_setting(host: dict[str, Any]) -> None:
    assert host["extensions"]["durableTask"]["hubName"] == "%TASKHUB_NAME%"


def test_function_timeout_is_explicit(host: dict[str, Any]) -> None:
    hours, minutes, seconds = (int(part) for part in host["functionTimeout"].split(":"))
    assert 0 < hours * 3600 + minutes * 60 + seconds <= 3600


def test_concurrency_is_set_and_explained(host: dict[str, Any]) -> None:
    durable = host["extensions"]["durableTask"]

    assert (
        1
        <= durable["maxConcurrentOrchestratorFunctions"]
        <= durable["maxConcurrentActivityFunctions"]
    )
    assert "maxConcurrentEntityFunctions" in durable
    assert "EP1" in durable["//"]
    assert "GIL" in durable["//"]


def test_payloads_are_never_traced(host: dict[str, Any]) -> None:
    tracing = host["extensions"]["durableTask"]["tracing"]

    assert tracing["traceInputsAndOutputs"] is False


def test_routes_live_under_api(host: dict[str, Any]) -> None:
    assert host["extensions"]["http"]["routePrefix"] == "api"


def test_host_and_worker_spans_join_one_trace(host: dict[str, Any]) -> None:
    tracing = host["extensions"]["durableTask"]["tracing"]

    assert host["telemetryMode"] == "OpenTelemetry"
    assert tracing["distributedTracingEnabled"] is True
    assert tracing["version"] == "V2"
