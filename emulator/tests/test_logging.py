"""Function logs carry the function name and invocation id, once per record."""

from __future__ import annotations

import logging

import httpx
import pytest

from durable_localhost.invocation import FunctionLogFormatter, InvocationLogFilter, invoking
from durable_webhooks import StartApp

pytestmark = pytest.mark.emulator


def test_records_from_a_function_are_labelled(
    start_app: StartApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    caplog.handler.addFilter(InvocationLogFilter())
    server = start_app("chain", settings={"HUB": "HarnessHub"})

    httpx.post(f"{server.api_url}/start/chain", json="Kyiv")
    server.wait_idle()

    hello = [r for r in caplog.records if r.getMessage() == "saying hello to Kyiv"]
    assert len(hello) == 1
    assert getattr(hello[0], "function_name", None) == "hello"
    assert len(str(getattr(hello[0], "invocation_id", ""))) == 36


def test_formatter_shows_name_and_short_invocation_id() -> None:
    record = logging.LogRecord("app", logging.INFO, __file__, 1, "hi %s", ("there",), None)
    with invoking("my_function", "12345678-aaaa-bbbb-cccc-dddddddddddd"):
        InvocationLogFilter().filter(record)

    line = FunctionLogFormatter().format(record)

    assert line.endswith("[my_function] [12345678] hi there")
