"""Fixtures for the emulator's own tests: start a fixture app from ``apps/``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from durable_localhost import EmulatorServer
from durable_webhooks import APPS


@pytest.fixture
def start_app(
    durable_localhost_factory: Callable[..., EmulatorServer],
) -> Callable[..., EmulatorServer]:
    """``start_app("chain", **EmulatorServer options)``; every server is stopped afterwards."""

    def start(app: str, **options: Any) -> EmulatorServer:
        return durable_localhost_factory(APPS / app, **options)

    return start


@pytest.fixture(autouse=True)
def host_storage_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fixture apps carry no ``local.settings.json``: give them the setting every app needs."""
    monkeypatch.setenv("AzureWebJobsStorage", "UseDevelopmentStorage=true")
