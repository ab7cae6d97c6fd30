"""Where `shared.sdk_timestamps` patches the SDK, and when it refuses to.

The patch replaces a module global the SDK looks up at call time. These tests fail when an SDK
upgrade moves or adds a parse site, or renames the global: re-read the SDK's use of dateutil,
update `PATCH_MODULES`, then `CHECKED_SDK_VERSION`.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import azure.durable_functions
import dateutil.parser  # type: ignore[import-untyped]
import pytest
from azure.durable_functions.models.DurableOrchestrationContext import (
    DurableOrchestrationContext,
)
from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus
from azure.durable_functions.models.history.HistoryEvent import HistoryEvent
from pytest_mock import MockerFixture

from shared import sdk_timestamps
from tests.support.timestamps import sdk_parser

ROOT = Path(__file__).resolve().parents[2]
SDK = Path(azure.durable_functions.__file__).parent

#: The SDK functions that parse a timestamp, by the module global they call.
PARSING_FUNCTIONS = (HistoryEvent.__init__, DurableOrchestrationStatus.__init__)

STATUS = {
    "name": "process_order",
    "instanceId": "order-1",
    "createdTime": "2026-01-05T09:00:00Z",
    "lastUpdatedTime": "2026-01-05T09:00:01.1234567Z",
    "runtimeStatus": "Running",
}


@pytest.fixture(autouse=True)
def _restore_sdk() -> Iterator[None]:
    with sdk_parser(fast=sdk_timestamps.installed()):
        yield


@pytest.fixture
def dateutil_calls(mocker: MockerFixture) -> Any:
    """Counts every parse dateutil does, whichever name it was imported under."""
    return mocker.spy(dateutil.parser.parser, "parse")


def _context_json() -> str:
    """A host's context: an episode that scheduled an activity, then the next one's start."""
    first, second = "2026-01-05T09:00:00.0000001Z", "2026-01-05T09:00:01.5Z"
    events: list[tuple[int, str, dict[str, Any]]] = [
        (12, first, {}),  # OrchestratorStarted
        (0, first, {"Input": "{}", "Version": ""}),  # ExecutionStarted
        (4, "2026-01-05T09:00:00Z", {"Name": "chain_tick"}),  # TaskScheduled
        (13, second, {}),  # OrchestratorCompleted
        (12, second, {}),
    ]
    history = [
        {"EventType": kind, "EventId": -1, "IsPlayed": False, "Timestamp": at} | fields
        for kind, at, fields in events
    ]
    context = {"history": history, "instanceId": "i-1", "isReplaying": False}
    return json.dumps(context | {"parentInstanceId": None})


def test_the_installed_sdk_is_the_pinned_and_checked_release() -> None:
    requirements = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    pinned = re.search(r"^azure-functions-durable==([^\s\\]+)", requirements, re.MULTILINE)
    assert pinned is not None
    assert version("azure-functions-durable") == pinned.group(1)
    assert pinned.group(1) == sdk_timestamps.CHECKED_SDK_VERSION, (
        "the SDK was bumped: re-check its timestamp parse sites, then CHECKED_SDK_VERSION"
    )


def test_the_patched_modules_are_the_only_sdk_code_that_uses_dateutil() -> None:
    users = {
        ".".join(("azure", *path.relative_to(SDK.parent).with_suffix("").parts))
        for path in SDK.rglob("*.py")
        if "dateutil" in path.read_text(encoding="utf-8")
    }
    assert users == set(sdk_timestamps.PATCH_MODULES)


def test_each_parse_site_looks_dateutils_parser_up_by_the_patched_name() -> None:
    with sdk_parser(fast=False):
        for module_name in sdk_timestamps.PATCH_MODULES:
            module = importlib.import_module(module_name)
            assert getattr(module, sdk_timestamps.PATCH_NAME) is dateutil.parser.parse
    for function in PARSING_FUNCTIONS:
        assert sdk_timestamps.PATCH_NAME in function.__code__.co_names
        assert function.__globals__ is vars(sys.modules[function.__module__])


def test_installed_the_sdk_parses_history_and_status_without_dateutil(
    dateutil_calls: Any,
) -> None:
    with sdk_parser(fast=True):
        DurableOrchestrationContext.from_json(_context_json())
        status = DurableOrchestrationStatus.from_json(STATUS)
    assert dateutil_calls.call_count == 0
    assert status.last_updated_time is not None
    assert status.last_updated_time.microsecond == 123456


def test_uninstalled_the_sdk_parses_with_dateutil_again(dateutil_calls: Any) -> None:
    with sdk_parser(fast=True):
        sdk_timestamps.uninstall()
        context = DurableOrchestrationContext.from_json(_context_json())
        DurableOrchestrationStatus.from_json(STATUS)
    assert dateutil_calls.call_count == len(context.histories) + 2


def test_install_is_idempotent() -> None:
    with sdk_parser(fast=False):
        assert sdk_timestamps.install()
        assert sdk_timestamps.install()
        assert sdk_timestamps.installed()
        sdk_timestamps.uninstall()
        sdk_timestamps.uninstall()
        assert not sdk_timestamps.installed()


def test_another_sdk_release_is_left_alone(
    mocker: MockerFixture, caplog: pytest.LogCaptureFixture
) -> None:
    mocker.patch.object(sdk_timestamps, "version", return_value="1.8.0")
    with sdk_parser(fast=False), caplog.at_level(logging.WARNING):
        assert sdk_timestamps.install() is False
        assert not sdk_timestamps.installed()
    assert "azure-functions-durable 1.8.0 is not the checked 1.7.0" in caplog.text


def test_a_parse_site_bound_to_something_else_is_left_alone(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def other_parser(text: str) -> Any:
        raise AssertionError("not called")

    status_module = importlib.import_module(sdk_timestamps.PATCH_MODULES[1])
    with sdk_parser(fast=False), caplog.at_level(logging.WARNING):
        monkeypatch.setattr(status_module, sdk_timestamps.PATCH_NAME, other_parser)
        assert sdk_timestamps.install() is False
        history_module = importlib.import_module(sdk_timestamps.PATCH_MODULES[0])
        assert getattr(history_module, sdk_timestamps.PATCH_NAME) is dateutil.parser.parse
        assert getattr(status_module, sdk_timestamps.PATCH_NAME) is other_parser
    assert "DurableOrchestrationStatus.dt_parse is not dateutil's parser" in caplog.text


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", True), ("1", True), ("true", True), ("0", False), ("false", False), (" Off ", False)],
)
def test_the_setting_installs_or_uninstalls(value: str, expected: bool) -> None:
    with sdk_parser(fast=not expected):
        assert sdk_timestamps.apply_setting({"FAST_HISTORY_TIMESTAMPS": value}) is expected
        assert sdk_timestamps.installed() is expected


def test_a_malformed_setting_is_logged_and_keeps_the_default(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with sdk_parser(fast=False), caplog.at_level(logging.ERROR):
        assert sdk_timestamps.apply_setting({"FAST_HISTORY_TIMESTAMPS": "fasle"}) is True
    assert "FAST_HISTORY_TIMESTAMPS: expected true or false, got 'fasle'" in caplog.text


@pytest.mark.parametrize(("value", "expected"), [("", True), ("false", False)])
def test_importing_the_app_applies_the_setting(value: str, expected: bool) -> None:
    """In a fresh interpreter, as the Functions worker imports the app."""
    probe = "import function_app, shared.sdk_timestamps as t; print(t.installed())"
    env = {**os.environ, "FAST_HISTORY_TIMESTAMPS": value, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(expected)
