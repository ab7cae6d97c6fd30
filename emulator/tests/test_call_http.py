"""``call_http`` and the asynchronous HTTP pattern (202 Accepted + ``Location``).

With the Python SDK (1.x), ``call_http`` does not poll on the real host: the SDK never sends
``asynchronousPatternEnabled``, so the extension makes the request once and the orchestrator
gets the 202 (azure-functions-durable-python issue 380). The local host does the same; an app
that wants the pattern follows ``Location`` itself, with a durable timer per ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
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


@pytest.fixture
def endpoint() -> Iterator[AcceptingEndpoint]:
    """The endpoint served by aiohttp on a free loopback port, on its own loop thread."""
    found = AcceptingEndpoint()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", found.handle)
    runner = web.AppRunner(app)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = runner.addresses[0][1]
    found.url = f"http://127.0.0.1:{port}/jobs"
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield found
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.run_until_complete(runner.cleanup())
        loop.close()


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
