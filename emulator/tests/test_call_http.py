"""``call_http`` and the asynchronous HTTP pattern (202 Accepted + ``Location``).

With the Python SDK (1.x), ``call_http`` does not poll on the real host: the SDK never sends
``asynchronousPatternEnabled``, which Newtonsoft then reads as ``false`` into the extension's
``DurableHttpRequest``, so the extension makes the request once and the orchestrator gets the
202 (azure-functions-durable-python issue 380). The local host does the same; an app that wants
the pattern follows ``Location`` itself, with a durable timer per ``Retry-After``. The response
and the failures are the extension's ``TaskHttpActivityShim``'s.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from durable_webhooks import Durable, StartApp

pytestmark = pytest.mark.emulator


@dataclass
class AcceptingEndpoint:
    """A job endpoint: 202 + ``Location`` + ``Retry-After`` twice, then 200 with the result."""

    url: str = ""
    calls: list[str] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.calls.append(f"{request.method} {request.path}")
        if len(self.calls) < 3:
            location = f"{request.scheme}://{request.host}/jobs/7/status"
            return web.Response(status=202, headers={"Location": location, "Retry-After": "5"})
        return web.json_response({"job": 7, "state": "done"})


@contextmanager
def serving(
    handle: Callable[[web.Request], Awaitable[web.StreamResponse]], port: int = 0
) -> Iterator[str]:
    """``handle`` served on a free loopback port, on its own loop thread; its base URL."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", port)
    loop.run_until_complete(site.start())
    port = runner.addresses[0][1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.run_until_complete(runner.cleanup())
        loop.close()


@pytest.fixture
def endpoint() -> Iterator[AcceptingEndpoint]:
    found = AcceptingEndpoint()
    with serving(found.handle) as base:
        found.url = f"{base}/jobs"
        yield found


@dataclass
class EchoEndpoint:
    """Records each request; answers with content headers, a repeated header and a custom one."""

    url: str = ""
    requests: list[tuple[dict[str, str], str]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append((dict(request.headers), await request.text()))
        response = web.Response(text='{"ok": true}', content_type="application/json")
        response.headers["Last-Modified"] = "Wed, 21 Oct 2015 07:28:00 GMT"
        response.headers.add("Set-Cookie", "a=1")
        response.headers.add("Set-Cookie", "b=2")
        response.headers["X-Request-Id"] = "r-1"
        return response


@pytest.fixture
def echo() -> Iterator[EchoEndpoint]:
    found = EchoEndpoint()
    with serving(found.handle) as base:
        found.url = f"{base}/echo"
        yield found


def test_call_http_hands_a_202_to_the_orchestrator_as_the_real_host_does(
    start_app: StartApp, endpoint: AcceptingEndpoint
) -> None:
    server = start_app("http_calls")
    durable = Durable(server)

    instance_id = durable.start("call_once", {"url": endpoint.url})
    assert server.wait_idle()

    output = durable.body(instance_id)["output"]
    assert output["status"] == 202
    assert output["headers"]["Location"].endswith("/jobs/7/status")
    assert output["headers"]["Retry-After"] == "5"
    assert endpoint.calls == ["POST /jobs"]


def test_an_orchestrator_following_location_gets_the_result_after_two_202s(
    start_app: StartApp, endpoint: AcceptingEndpoint
) -> None:
    server = start_app("http_calls")
    durable = Durable(server)

    instance_id = durable.start("follow_location", {"url": endpoint.url})
    assert server.wait_idle()

    body = durable.body(instance_id)
    assert body["output"] == {"status": 200, "content": '{"job": 7, "state": "done"}', "calls": 3}
    assert endpoint.calls == ["POST /jobs", "GET /jobs/7/status", "GET /jobs/7/status"]
    timers = [e for e in durable.history(instance_id) if e["EventType"] == 10]  # TimerCreated
    assert len(timers) == 2


def test_call_http_answers_response_headers_without_the_content_headers_as_the_host_does(
    start_app: StartApp, echo: EchoEndpoint
) -> None:
    durable = Durable(start_app("http_calls"))

    instance_id = durable.start("call_as_told", {"url": echo.url})
    assert durable.server.wait_idle()

    response = durable.body(instance_id)["output"]
    assert response["statusCode"] == 200
    assert response["content"] == '{"ok": true}'
    headers = {name.lower(): value for name, value in response["headers"].items()}
    assert headers["set-cookie"] == ["a=1", "b=2"]
    assert headers["x-request-id"] == "r-1"
    assert not {"content-type", "content-length", "last-modified"} & set(headers)


def test_call_http_sends_content_as_text_plain_with_none_of_aiohttps_own_headers(
    start_app: StartApp, echo: EchoEndpoint
) -> None:
    durable = Durable(start_app("http_calls"))

    durable.start(
        "call_as_told",
        {"url": echo.url, "method": "POST", "content": {"n": 1}, "headers": {"X-Trace": "t"}},
    )
    assert durable.server.wait_idle()

    [(headers, body)] = echo.requests
    assert body == '{"n": 1}'
    assert headers["Content-Type"] == "text/plain"
    assert headers["X-Trace"] == "t"
    assert not {"User-Agent", "Accept", "Accept-Encoding"} & set(headers)


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        (
            {"Content-Type": "application/json; charset=utf-8"},
            "The format of value 'application/json; charset=utf-8' is invalid.",
        ),
        (
            {"Content-Type": "multipart/form-data"},
            "Multipart content is not supported with CallHttpAsync.",
        ),
        ({"Content-Length": "8"}, "Misused header name, 'Content-Length'."),
    ],
)
def test_call_http_fails_the_task_on_headers_the_hosts_http_client_refuses(
    start_app: StartApp, echo: EchoEndpoint, headers: dict[str, str], reason: str
) -> None:
    durable = Durable(start_app("http_calls"))

    instance_id = durable.start(
        "call_as_told", {"url": echo.url, "method": "POST", "content": "x", "headers": headers}
    )
    assert durable.server.wait_idle()

    assert durable.body(instance_id)["output"]["error"].startswith(reason)
    assert echo.requests == []


def test_call_http_to_a_closed_port_fails_with_the_connection_error_and_the_address(
    start_app: StartApp,
) -> None:
    port = _free_port()
    durable = Durable(start_app("http_calls"))

    instance_id = durable.start("call_as_told", {"url": f"http://127.0.0.1:{port}/x"})
    assert durable.server.wait_idle()

    error = durable.body(instance_id)["output"]["error"]
    assert error.startswith(f"Connection refused (127.0.0.1:{port}) \n ")
    assert "System.Net.Http.HttpRequestException" in error


def test_call_http_is_recorded_as_the_extension_schedules_its_http_activity(
    start_app: StartApp, echo: EchoEndpoint
) -> None:
    durable = Durable(start_app("http_calls"))

    instance_id = durable.start(
        "call_as_told", {"url": echo.url, "method": "POST", "content": "hi", "headers": {"A": "b"}}
    )
    assert durable.server.wait_idle()

    [scheduled] = [e for e in durable.history(instance_id) if e["EventType"] == 4]
    assert scheduled["Name"] == "BuiltIn::HttpActivity"
    assert json.loads(scheduled["Input"]) == [
        {
            "method": "POST",
            "uri": echo.url,
            "headers": {"A": "b"},
            "content": '"hi"',
            "tokenSource": None,
            "asynchronousPatternEnabled": False,
            "retryOptions": None,
            "timeout": None,
        }
    ]


def test_rewinding_after_a_failed_http_call_makes_the_call_again(start_app: StartApp) -> None:
    port = _free_port()
    durable = Durable(start_app("timers"))
    instance_id = durable.start("fetch", {"url": f"http://127.0.0.1:{port}/later"})
    assert durable.server.wait_idle()
    assert durable.body(instance_id)["runtimeStatus"] == "Failed"

    answered: list[str] = []

    async def handle(request: web.Request) -> web.Response:
        answered.append(request.path)
        return web.Response(text="up now")

    with serving(handle, port=port):
        assert durable.post(f"/instances/{instance_id}/rewind").status_code == 202
        assert durable.server.wait_idle()

    status = durable.body(instance_id)
    assert status["runtimeStatus"] == "Completed"
    assert status["output"] == {"status": 200, "content": "up now"}
    assert answered == ["/later"]


def _free_port() -> int:
    """A loopback port nothing listens on (free when asked)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
