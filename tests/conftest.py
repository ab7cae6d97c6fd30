"""Shared fixtures: folder-based markers, Azurite for storage tests, settings isolation."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared import storage
from shared.settings import APP_STORAGE_CONNECTION, get_settings
from tests.support.azurite import Azurite, start_or_reuse

TESTS = Path(__file__).parent
#: Each test folder is one level of the test pyramid; its marker is applied automatically.
FOLDER_MARKERS = {
    "unit": "unit",
    "integration": "integration",
    "workflows": "workflow",
    "http": "http",
    "e2e": "e2e",
    "upgrade": "e2e",
    "infra": "infra",
    "browser": "browser",
    "scripts": "scripts",
    "replay": "unit",  # recorded histories replayed in-process: no I/O
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = Path(item.path)
        if not path.is_relative_to(TESTS):
            continue  # another package's tests (emulator/tests) mark themselves
        marker = FOLDER_MARKERS.get(path.relative_to(TESTS).parts[0])
        if marker:
            item.add_marker(getattr(pytest.mark, marker))


@pytest.fixture(scope="session")
def azurite() -> Iterator[Azurite]:
    """An Azurite Table service for the whole session (started on a free port if needed)."""
    instance = start_or_reuse()
    try:
        yield instance
    finally:
        instance.stop()


@pytest.fixture
def app_storage(azurite: Azurite, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point the app's `AppStorage` connection at the test Azurite."""
    monkeypatch.setenv(APP_STORAGE_CONNECTION, azurite.connection_string)
    storage.reset_clients()
    yield azurite.connection_string
    storage.reset_clients()


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    """Settings are cached per process; tests that change the environment see their change."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def app_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Set app settings (by their app-setting names) for one test: `app_settings.setenv(...)`."""
    for name in list(os.environ):
        if name.startswith(("BATCH_", "HEALTH_", "APPROVAL_", "MAX_REQUEST")):
            monkeypatch.delenv(name)
    yield monkeypatch
    get_settings.cache_clear()
