"""The host API the dashboard reads: listing at scale, timers, functions, instance detail, pages."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import httpx
import pytest
from aiohttp.test_utils import make_mocked_request

from durable_localhost import EmulatorServer
from durable_localhost.cli import banner, build_parser, options_from
from durable_localhost.dashboard import (
    STATIC_DIR,
    DashboardAccess,
    StaticPages,
    dashboard_clashes,
    is_loopback,
)
from durable_localhost.debugging import (
    DEFAULT_DEBUG_PORT,
    DebuggerUnavailableError,
    listen_for_debugger,
)
from durable_localhost.history import EventType
from durable_webhooks import APPS, Durable, StartApp

pytestmark = pytest.mark.emulator

START = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture
def durable(start_app: StartApp) -> Durable:
    return Durable(start_app("events", start_time=START, paused=True))


def control(server: EmulatorServer, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.get(f"{server.base_url}/runtime/emulator/{path}", timeout=30, **kwargs)


def listing(durable: Durable, token: str | None = None, **query: str) -> httpx.Response:
    headers = {"x-ms-continuation-token": token} if token else {}
    return durable.http.get("/instances", params=query, headers=headers)


# ------------------------------------------------------------------ listing


def test_listing_pages_past_100_with_a_total_and_filters_by_name(durable: Durable) -> None:
    approvals = [durable.start("approval", instance_id=f"appr-{n:03}") for n in range(130)]
    waiter = durable.start("late_waiter", instance_id="wait-1")
    durable.server.wait_idle()

    seen: list[str] = []
    token = None
    while True:
        page = listing(durable, token, name="approval", top="100", newestFirst="true")
        assert page.status_code == 200
        assert page.headers["x-emulator-total-count"] == "130"
        seen += [row["instanceId"] for row in page.json()]
        token = page.headers.get("x-ms-continuation-token")
        if token is None:
            break

    assert seen == list(reversed(approvals))
    assert waiter not in seen
    oldest_first = listing(durable, top="2").json()
    assert [row["instanceId"] for row in oldest_first] == approvals[:2]


def test_listing_filters_combine_prefix_status_and_name(durable: Durable) -> None:
    durable.start("approval", instance_id="shop-a")
    durable.start("approval", instance_id="other-b")
    durable.start("late_waiter", instance_id="shop-c")
    durable.server.wait_idle()

    found = listing(durable, instanceIdPrefix="shop-", runtimeStatus="Running", name="approval")

    assert [row["instanceId"] for row in found.json()] == ["shop-a"]
    assert found.headers["x-emulator-total-count"] == "1"


@pytest.mark.parametrize(
    ("query", "token"),
    [({"top": "0"}, None), ({"top": "ten"}, None), ({}, "-5"), ({}, "abc")],
)
def test_bad_paging_numbers_are_400_naming_them(
    durable: Durable, query: dict[str, str], token: str | None
) -> None:
    response = listing(durable, token, **query)

    assert response.status_code == 400
    message = response.json()["ExceptionMessage"]
    assert ("top" in message) if query else ("continuation token" in message)


# ------------------------------------------------------------------ timers and instance detail


def test_timers_list_each_waiting_instance_next_timer_soonest_first(durable: Durable) -> None:
    first = durable.start("approval", instance_id="first")
    durable.server.clock.advance(timedelta(hours=1))
    second = durable.start("approval", instance_id="second")
    durable.server.wait_idle()

    rows = control(durable.server, "timers").json()

    assert [r["instanceId"] for r in rows] == [first, second]
    assert rows[0]["name"] == "approval"
    assert rows[0]["fireAt"].startswith("2030-01-04T00:00:00")
    assert control(durable.server, "timers", params={"top": "1"}).json() == rows[:1]
    assert control(durable.server, "timers", params={"top": "0"}).status_code == 400

    durable.raise_event(first, "decision", "yes")
    durable.server.wait_idle()
    assert [r["instanceId"] for r in control(durable.server, "timers").json()] == [second]


def test_instance_detail_has_raw_history_version_and_timers(durable: Durable) -> None:
    instance_id = durable.start("late_waiter")
    durable.server.wait_idle()

    detail = control(durable.server, f"instances/{instance_id}").json()

    assert detail["name"] == "late_waiter"
    assert detail["executionId"]
    assert detail["version"] is None or isinstance(detail["version"], str)
    assert detail["parentInstanceId"] is None
    types = {event["EventType"] for event in detail["history"]}
    assert {EventType.TASK_SCHEDULED, EventType.TASK_COMPLETED, EventType.TIMER_CREATED} <= types
    scheduled = next(e for e in detail["history"] if e["EventType"] == EventType.TASK_SCHEDULED)
    assert scheduled["Name"] == "slow_step"
    assert [t["timerId"] for t in detail["timers"]] == [1]

    missing = control(durable.server, "instances/nope")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


def test_instance_detail_reads_any_instance_id(durable: Durable) -> None:
    odd = "order 7/é?#"
    durable.server.call(_start(durable.server, "approval", odd))
    durable.server.wait_idle()

    found = control(durable.server, "instances/order%207%2F%C3%A9%3F%23")

    assert found.status_code == 200, found.text
    assert found.json()["instanceId"] == odd


async def _start(server: EmulatorServer, name: str, instance_id: str) -> None:
    server.host.engine.start_orchestration(name, instance_id, None)


# ------------------------------------------------------------------ functions and host


def test_functions_are_listed_by_trigger_with_routes(start_app: StartApp) -> None:
    server = start_app("http_basics")

    rows = control(server, "functions").json()

    http = [r for r in rows if r["trigger"] == "httpTrigger"]
    assert http, rows
    assert all(r["path"].endswith(r["route"]) and r["methods"] for r in http)
    assert all(r["authLevel"] in ("anonymous", "function", "admin") for r in http)


def test_host_describes_its_clock_and_features(durable: Durable) -> None:
    info = control(durable.server, "host").json()

    assert info["hubName"]
    assert info["clock"]["mode"] == "virtual"
    assert info["clock"]["now"].startswith("2030-01-01T00:00:00")
    assert info["features"] == {"timeControl": True}


def test_a_scaled_clock_skips_ahead_and_its_timers_fire(start_app: StartApp) -> None:
    server = start_app("timers", clock="scaled", time_scale=1.0)
    durable = Durable(server)
    instance_id = durable.start("nap", {"seconds": 3600})
    server.wait_idle(timeout=5)
    assert control(server, "clock").json()["mode"] == "scaled"

    moved = httpx.post(f"{server.base_url}/runtime/emulator/clock/next-timer", timeout=30)
    assert moved.status_code == 200

    def done() -> bool:
        return bool(durable.body(instance_id)["runtimeStatus"] == "Completed")

    for _ in range(200):
        if done():
            break
        server.wait_idle(timeout=0.05)
    assert durable.body(instance_id)["output"] == "rested"
    bad = httpx.post(f"{server.base_url}/runtime/emulator/clock/advance?seconds=x", timeout=30)
    assert bad.status_code == 400


def test_wall_clock_serves_no_time_control(start_app: StartApp) -> None:
    server = start_app("events", clock="wall")

    assert control(server, "host").json()["features"]["timeControl"] is False
    assert control(server, "clock").status_code == 404


# ------------------------------------------------------------------ keys and pages


def test_keys_guard_the_dashboard_endpoints_with_the_master_key(start_app: StartApp) -> None:
    server = start_app("events", keys=True)

    for path in ("host", "functions", "timers", "instances/x"):
        assert control(server, path).status_code == 401
        function_key = {"x-functions-key": server.function_key}
        assert control(server, path, headers=function_key).status_code == 401
    master = {"x-functions-key": server.master_key}
    assert control(server, "host", headers=master).json()["keysEnforced"] is True
    assert control(server, "functions", params={"code": server.master_key}).status_code == 200


def test_the_page_and_its_modules_are_served_without_outside_resources(durable: Durable) -> None:
    base = durable.server.base_url

    redirect = httpx.get(f"{base}/_dashboard", follow_redirects=False)
    page = httpx.get(f"{base}/_dashboard/")
    script = httpx.get(f"{base}/_dashboard/app.js")

    assert redirect.status_code == 302
    assert redirect.headers["Location"] == "/_dashboard/"
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert script.headers["content-type"].startswith("text/javascript")
    for path in STATIC_DIR.iterdir():
        text = httpx.get(f"{base}/_dashboard/{path.name}").text
        assert text == path.read_text()
        assert not re.search(r"https?://", text), path.name
    assert httpx.get(f"{base}/_dashboard/../server.py").status_code == 404
    assert httpx.get(f"{base}/_dashboard/missing.js").status_code == 404


def test_dashboard_off_serves_neither_pages_nor_endpoints() -> None:
    server = EmulatorServer(APPS / "events")
    server.options.dashboard = DashboardAccess.OFF
    with server:
        assert httpx.get(f"{server.base_url}/_dashboard/").status_code == 404
        assert control(server, "host").status_code == 404


@pytest.mark.parametrize(
    ("remote", "allowed"),
    [
        ("127.0.0.1", True),
        ("127.8.0.1", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("10.0.0.7", False),
        ("192.168.1.20", False),
        ("::ffff:10.0.0.7", False),
        (None, False),
        ("not an address", False),
    ],
)
def test_only_loopback_callers_are_loopback(remote: str | None, allowed: bool) -> None:
    assert is_loopback(remote) is allowed


async def test_pages_refuse_other_callers_unless_opened_to_any() -> None:
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: (
        ("10.0.0.7", 5000) if name == "peername" else default
    )
    request = make_mocked_request(
        "GET", "/_dashboard/", match_info={"name": ""}, transport=transport
    )

    refused = await StaticPages(DashboardAccess.LOOPBACK).serve(request)
    opened = await StaticPages(DashboardAccess.ANY).serve(request)

    assert refused.status == 403
    assert opened.status == 200


def test_clashes_with_app_routes_only_without_a_route_prefix() -> None:
    routes = ["_dashboard", "_dashboard/x", "_dashboards", "orders"]

    assert dashboard_clashes(routes, "") == ["_dashboard", "_dashboard/x"]
    assert dashboard_clashes(routes, "api") == []


def test_start_by_name_then_list_shows_the_input_when_asked(durable: Durable) -> None:
    durable.start("approval", {"amount": 5}, instance_id="with-input")
    durable.server.wait_idle()

    rows = listing(durable, instanceIdPrefix="with-", showInput="true").json()

    assert rows[0]["input"] == {"amount": 5}
    assert json.loads(json.dumps(rows))[0]["name"] == "approval"


# ------------------------------------------------------------------ command line


def test_the_banner_prints_the_dashboard_address_unless_it_is_off() -> None:
    for access, shown in ((DashboardAccess.LOOPBACK, True), (DashboardAccess.OFF, False)):
        server = EmulatorServer(APPS / "events")
        server.options.dashboard = access
        with server:
            text = banner(server.host)
            address = f"Dashboard:    {server.base_url}/_dashboard/"
        assert (address in text) is shown, text


def test_dashboard_and_debug_options_parse() -> None:
    plain = options_from(build_parser().parse_args([]))
    chosen = build_parser().parse_args(["--dashboard", "any", "--debug", "--debug-wait"])

    assert plain.dashboard is DashboardAccess.LOOPBACK
    assert options_from(chosen).dashboard is DashboardAccess.ANY
    assert (chosen.debug, chosen.debug_wait) == (DEFAULT_DEBUG_PORT, True)
    assert build_parser().parse_args(["--debug", "6000"]).debug == 6000
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--dashboard", "public"])


def test_debug_without_debugpy_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> None:
        raise ImportError(name)

    monkeypatch.setattr("durable_localhost.debugging.importlib.import_module", missing)

    with pytest.raises(DebuggerUnavailableError, match="pip install debugpy"):
        listen_for_debugger(5678, wait=False)
