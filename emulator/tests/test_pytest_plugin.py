"""The pytest plugin: an app's tests get a started host from fixtures alone."""

from __future__ import annotations

import pytest

from durable_webhooks import APPS

pytestmark = pytest.mark.emulator

DEFAULTS_TEST = """
import httpx


def test_the_app_answers(durable_localhost):
    response = httpx.get(f"{durable_localhost.api_url}/items/3", timeout=30)
    assert response.json()["route"] == {"item_id": "3"}
    assert httpx.get(f"{durable_localhost.api_url}/secret", timeout=30).status_code == 200


def test_the_factory_starts_more(durable_localhost_factory, durable_localhost_app):
    server = durable_localhost_factory(durable_localhost_app, keys=True)
    assert httpx.get(f"{server.api_url}/secret", timeout=30).status_code == 401
"""

OPTIONS_CONFTEST = """
import pytest


@pytest.fixture
def durable_localhost_options():
    return {"keys": True}
"""

OPTIONS_TEST = """
import httpx


def test_options_come_from_the_options_fixture(durable_localhost):
    assert httpx.get(f"{durable_localhost.api_url}/secret", timeout=30).status_code == 401
"""


def test_the_ini_setting_names_the_app(pytester: pytest.Pytester) -> None:
    pytester.makeini(f"[pytest]\ndurable_localhost_app = {APPS / 'http_basics'}\n")
    pytester.makepyfile(test_app=DEFAULTS_TEST)

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")

    result.assert_outcomes(passed=2)


def test_without_the_setting_the_rootdir_is_the_app_and_options_can_be_overridden(
    pytester: pytest.Pytester,
) -> None:
    app = APPS / "http_basics"
    for name in ("function_app.py", "host.json"):
        pytester.path.joinpath(name).write_text((app / name).read_text())
    pytester.makeini("[pytest]\n")
    pytester.makeconftest(OPTIONS_CONFTEST)
    pytester.makepyfile(test_app=OPTIONS_TEST)

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")

    result.assert_outcomes(passed=1)
