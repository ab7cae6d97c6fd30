"""Fixtures of the browser tests: the shop app on the emulator (the end-to-end suite's own
fixtures, virtual clock paused) and a headless Debian Chromium driven by Playwright.

The browser is Debian's `chromium` package, never a Playwright download: `DASHBOARD_CHROMIUM`
names another binary. Without one, every test here is skipped with the reason (and `make test`
says it did not run them).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.screenshots import WIDE
from tests.e2e.support.fixtures import api, clock, keyed_target, probe_endpoint, target

__all__ = [
    "api",
    "browser",
    "clock",
    "dashboard",
    "keyed_target",
    "page",
    "probe_endpoint",
    "target",
]

CHROMIUM_ENV = "DASHBOARD_CHROMIUM"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Milliseconds a browser expectation may wait; the page refreshes itself every 2 s.
EXPECT_TIMEOUT_MS = 20_000


def chromium_path() -> str | None:
    """The Chromium to drive: `DASHBOARD_CHROMIUM`, else `chromium` on PATH."""
    chosen = os.environ.get(CHROMIUM_ENV) or shutil.which("chromium")
    return chosen if chosen and Path(chosen).exists() else None


@pytest.fixture(scope="package")
def browser() -> Iterator[object]:
    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium found (apt-get install chromium, or set DASHBOARD_CHROMIUM)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser) -> Iterator[object]:
    from playwright.sync_api import expect

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    context = browser.new_context(viewport=WIDE)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield opened
    finally:
        context.close()
    assert not errors, f"the page threw: {errors}"


@pytest.fixture
def dashboard(target) -> str:
    """The dashboard's address on the app under test."""
    if target.remote:
        pytest.skip("the browser tests drive the in-process emulator's dashboard")
    return f"{target.base_url}/_dashboard/"
