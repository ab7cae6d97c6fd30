"""The command refuses an app the real host refuses: one message naming the file, exit code 1.

Each test runs ``python -m durable_localhost`` as a subprocess on a small app in a temporary
folder, as a user runs it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.emulator

APP = """\
import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="ping")
def ping(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("pong")
"""
STORAGE = {"AzureWebJobsStorage": "UseDevelopmentStorage=true"}
SCHEDULER_HOST_JSON = {
    "version": "2.0",
    "extensions": {
        "durableTask": {
            "hubName": "%TASKHUB_NAME%",
            "storageProvider": {
                "type": "azureManaged",
                "connectionStringName": "DURABLE_TASK_SCHEDULER_CONNECTION_STRING",
            },
        }
    },
}


def make_app(
    folder: Path,
    *,
    host_json: str | Mapping[str, Any] | None = None,
    settings: dict[str, str] | None = None,
    code: str | None = APP,
) -> Path:
    """An app folder with ``function_app.py``, and ``host.json``/``local.settings.json``."""
    folder.mkdir(parents=True, exist_ok=True)
    if code is not None:
        (folder / "function_app.py").write_text(code)
    if host_json is not None:
        text = host_json if isinstance(host_json, str) else json.dumps(host_json, indent=2)
        (folder / "host.json").write_text(text)
    if settings is not None:
        (folder / "local.settings.json").write_text(json.dumps({"Values": settings}))
    return folder


def start(app: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """Run the command until it gives up (every app here is refused at startup)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AzureWebJobs")}
    for name in ("TASKHUB_NAME", "DURABLE_TASK_SCHEDULER_CONNECTION_STRING"):
        env.pop(name, None)
    command = [sys.executable, "-m", "durable_localhost", "--app", str(app), "--port", "0"]
    return subprocess.run(
        [*command, "--state", ":memory:", *options],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def assert_refused(result: subprocess.CompletedProcess[str], *expected: str) -> str:
    """Exit code 1, the expected text on stderr, and no traceback."""
    assert result.returncode == 1, result.stderr
    for text in expected:
        assert text in result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


def test_an_app_without_azurewebjobsstorage_is_refused(tmp_path: Path) -> None:
    result = start(make_app(tmp_path / "app", settings={"FUNCTIONS_WORKER_RUNTIME": "python"}))

    assert_refused(
        result,
        "local.settings.json: Unable to resolve the Azure Storage connection named 'Storage'",
        "Set AzureWebJobsStorage",
    )


def test_a_hub_name_setting_nobody_defines_is_refused_at_its_line(tmp_path: Path) -> None:
    host_json = '{\n  "version": "2.0",\n  "extensions": {"durableTask": {\n'
    host_json += '    "hubName": "%TASKHUB_NAME%"\n  }}\n}\n'

    result = start(make_app(tmp_path / "app", host_json=host_json, settings=STORAGE))

    assert_refused(
        result, "host.json:4: Task hub name '%TASKHUB_NAME%'", "No app setting named 'TASKHUB_NAME'"
    )


def test_an_unknown_storage_provider_type_is_refused(tmp_path: Path) -> None:
    host_json = {
        "version": "2.0",
        "extensions": {"durableTask": {"storageProvider": {"type": "cosmos"}}},
    }

    result = start(make_app(tmp_path / "app", host_json=host_json, settings=STORAGE))

    assert_refused(
        result,
        "Storage provider type (cosmos) was not found. "
        "Available storage providers: AzureStorage, azureManaged.",
    )


def test_a_scheduler_app_without_its_connection_setting_is_refused(tmp_path: Path) -> None:
    settings = {**STORAGE, "TASKHUB_NAME": "default"}

    result = start(make_app(tmp_path / "app", host_json=SCHEDULER_HOST_JSON, settings=settings))

    assert_refused(
        result,
        "No connection string configuration was found for the app setting or environment "
        "variable named 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING'",
    )


def test_a_function_timeout_below_one_second_is_refused(tmp_path: Path) -> None:
    host_json = {"version": "2.0", "functionTimeout": "00:00:00"}
    app = make_app(tmp_path / "app", host_json=host_json, settings=STORAGE)

    assert_refused(start(app), "host.json:3: FunctionTimeout must be greater than 00:00:01")


@pytest.mark.parametrize(
    ("host_json", "expected"),
    [
        ({"logging": {}}, "host.json: The host.json file is missing the required 'version'"),
        ({"version": "3.0"}, "host.json:2: '3.0' is an invalid value for host.json 'version'"),
    ],
)
def test_a_host_json_without_version_2_is_refused(
    tmp_path: Path, host_json: dict[str, object], expected: str
) -> None:
    result = start(make_app(tmp_path / "app", host_json=host_json, settings=STORAGE))

    assert_refused(result, expected)


def test_a_host_json_that_is_not_json_names_the_line(tmp_path: Path) -> None:
    host_json = '{\n  // comments are fine\n  "version": "2.0",\n  "logging" {}\n}\n'

    result = start(make_app(tmp_path / "app", host_json=host_json, settings=STORAGE))

    assert_refused(result, "host.json:4: host.json is not valid JSON")


def test_an_import_error_names_the_line_of_function_app_py(tmp_path: Path) -> None:
    code = "import azure.durable_functions as df\nimport not_installed_anywhere\n"

    result = start(make_app(tmp_path / "app", settings=STORAGE, code=code))

    assert_refused(
        result,
        "function_app.py:2: Worker failed to index functions: "
        "ModuleNotFoundError: No module named 'not_installed_anywhere'",
        "--verbose shows the traceback",
    )


def test_an_import_error_in_a_module_of_the_app_names_that_module(tmp_path: Path) -> None:
    app = make_app(tmp_path / "app", settings=STORAGE, code="import helpers\n")
    (app / "helpers.py").write_text("x = 1\nraise RuntimeError('no config')\n")

    assert_refused(start(app), "helpers.py:2: Worker failed to index functions: RuntimeError")


def test_a_syntax_error_names_its_line(tmp_path: Path) -> None:
    result = start(make_app(tmp_path / "app", settings=STORAGE, code="x = 1\ndef broken(:\n"))

    assert_refused(result, "function_app.py:2: Worker failed to index functions: SyntaxError")


def test_a_folder_without_function_app_py_is_refused(tmp_path: Path) -> None:
    result = start(make_app(tmp_path / "empty", settings=STORAGE, code=None))

    assert_refused(result, "no function_app.py in")


def test_verbose_shows_the_traceback(tmp_path: Path) -> None:
    code = "import not_installed_anywhere\n"

    result = start(make_app(tmp_path / "app", settings=STORAGE, code=code), "--verbose")

    assert result.returncode == 1
    assert "Traceback" in result.stderr
    assert "function_app.py:1: Worker failed to index functions" in result.stderr


def test_a_port_in_use_is_refused_with_the_port_named(tmp_path: Path) -> None:
    app = make_app(tmp_path / "app", settings=STORAGE)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command = [sys.executable, "-m", "durable_localhost", "--app", str(app)]
        result = subprocess.run(
            [*command, "--port", str(port), "--state", ":memory:"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    assert_refused(result, f"Port {port} is unavailable", "specify another port using --port")
