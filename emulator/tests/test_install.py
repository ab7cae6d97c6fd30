"""The package installs into a fresh virtual environment and its command runs an app.

Slow (it installs the dependencies from the package index): marked ``install``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from durable_webhooks import APPS

pytestmark = [pytest.mark.emulator, pytest.mark.install]

PACKAGE = Path(__file__).resolve().parents[1]
_LISTENING = re.compile(r"Listening on (http://\S+)")
INSTALL_TIMEOUT_SECONDS = 600
_NOT_SHIPPED = ("tests", "build", "*.egg-info", "__pycache__", ".pytest_cache", ".local")
START_TIMEOUT_SECONDS = 60


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment with nothing but ``pip install <package folder>``.

    The package is copied first: building it writes ``build/`` and ``*.egg-info`` next to
    its sources.
    """
    root = tmp_path_factory.mktemp("fresh-venv")
    source = root / "package"
    shutil.copytree(PACKAGE, source, ignore=shutil.ignore_patterns(*_NOT_SHIPPED))
    subprocess.run([sys.executable, "-m", "venv", str(root)], check=True)
    subprocess.run(
        [str(root / "bin" / "pip"), "install", "--quiet", str(source)],
        check=True,
        timeout=INSTALL_TIMEOUT_SECONDS,
        cwd=root,
    )
    return root


@pytest.fixture
def running_app(venv: Path, tmp_path: Path) -> Iterator[str]:
    """``durable-localhost`` from the fresh environment serving the ``http_basics`` app."""
    log_path = tmp_path / "host.log"
    command = [
        str(venv / "bin" / "durable-localhost"),
        "--app",
        str(APPS / "http_basics"),
        "--port",
        "0",
        "--state",
        ":memory:",
    ]
    with log_path.open("wb") as log:
        # Outside the checkout, so nothing is imported from the source tree.
        process = subprocess.Popen(command, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline and process.poll() is None:
            found = _LISTENING.search(log_path.read_text(errors="replace"))
            if found:
                yield found.group(1)
                return
            time.sleep(0.1)
        pytest.fail(f"durable-localhost did not start:\n{log_path.read_text(errors='replace')}")
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_the_installed_command_serves_an_apps_http_functions(running_app: str) -> None:
    response = httpx.get(f"{running_app}/v1/items/7", timeout=30)  # its routePrefix is v1

    assert response.status_code == 200
    assert response.json()["route"] == {"item_id": "7"}


def test_the_installed_command_serves_the_dashboards_pages(running_app: str) -> None:
    page = httpx.get(f"{running_app}/_dashboard/", timeout=30)
    script = httpx.get(f"{running_app}/_dashboard/app.js", timeout=30)

    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert script.status_code == 200
    assert script.headers["Content-Type"].startswith("text/javascript")


def test_the_installed_package_brings_its_module_entry_and_pytest_plugin(venv: Path) -> None:
    python = str(venv / "bin" / "python")
    probe = (
        "import importlib.metadata as m, durable_localhost;"
        "print(durable_localhost.__file__);"
        "print(sorted(e.value for e in m.entry_points(group='pytest11')))"
    )

    found = subprocess.run([python, "-c", probe], check=True, capture_output=True, text=True)
    usage = subprocess.run(
        [python, "-m", "durable_localhost", "--help"], check=True, capture_output=True, text=True
    )

    location, plugins = found.stdout.splitlines()
    assert Path(location).is_relative_to(venv)
    assert plugins == "['durable_localhost.pytest_plugin']"
    assert usage.stdout.startswith("usage: durable-localhost")
