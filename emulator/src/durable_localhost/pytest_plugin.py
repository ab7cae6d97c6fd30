"""pytest fixtures for any app: a started local host, and a factory for more.

Installed as a ``pytest11`` plugin, so an app's tests only request the fixtures:

* ``durable_localhost``: an :class:`EmulatorServer` for ``durable_localhost_app`` started with
  ``durable_localhost_options`` (virtual clock, state in memory unless overridden);
* ``durable_localhost_factory``: ``factory(app_dir, **options)`` starts more servers;
* ``durable_localhost_app``: the app folder: the ``durable_localhost_app`` ini setting
  (relative to the rootdir), else the rootdir; override the fixture to choose another;
* ``durable_localhost_options``: keyword arguments of :class:`EmulatorServer`; override it to
  pass ``settings``, ``keys``, ``paused``...

Every server a test started is stopped after it, even when the test fails.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from durable_localhost.testing import EmulatorServer

APP_INI = "durable_localhost_app"


def pytest_addoption(parser: pytest.Parser) -> None:
    """The ini setting naming the app folder."""
    parser.addini(APP_INI, "folder of the app's function_app.py (relative to the rootdir)")


@pytest.fixture
def durable_localhost_factory() -> Iterator[Callable[..., EmulatorServer]]:
    """``factory(app_dir, **EmulatorServer options)``: a started server, stopped after the test."""
    servers: list[EmulatorServer] = []

    def start(app_dir: str | Path, **options: Any) -> EmulatorServer:
        server = EmulatorServer(app_dir, **options)
        servers.append(server)
        return server.start()

    yield start
    for server in reversed(servers):
        server.stop()


@pytest.fixture
def durable_localhost_app(pytestconfig: pytest.Config) -> Path:
    """The app folder the ``durable_localhost`` fixture runs."""
    configured = pytestconfig.getini(APP_INI)
    root = Path(pytestconfig.rootpath)
    return (root / str(configured)).resolve() if configured else root


@pytest.fixture
def durable_localhost_options() -> dict[str, Any]:
    """Keyword arguments of :class:`EmulatorServer` for the ``durable_localhost`` fixture."""
    return {}


@pytest.fixture
def durable_localhost(
    durable_localhost_factory: Callable[..., EmulatorServer],
    durable_localhost_app: Path,
    durable_localhost_options: dict[str, Any],
) -> EmulatorServer:
    """The app running on a local host for one test."""
    return durable_localhost_factory(durable_localhost_app, **durable_localhost_options)
