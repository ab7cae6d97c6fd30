"""A forged Host header never reaches a URL the app returns.

On the platform, the request URL a handler sees is built from the caller's Host header. Any
URL built from it (Location, statusUrl, the OpenAPI server) would point the caller's next
request, function key included, at a host of the forger's choice. The app builds its URLs
from settings (`Settings.app_origin`) instead.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import azure.functions as func
import pytest
from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus

from api import approvals, counters, customers, instances, openapi, orders
from tests.http.samples import APPROVAL, ORDER, PUBLIC_ORIGIN
from tests.support.functions import client_function, user_function
from tests.support.instance_status import instance_status

FORGED = "evil.example"
API = Path(__file__).resolve().parents[2] / "api"


def forged(
    method: str, path: str, body: Any = None, route: dict[str, str] | None = None
) -> func.HttpRequest:
    return func.HttpRequest(
        method,
        f"https://{FORGED}/api/{path}",
        headers={
            "host": FORGED,
            "x-forwarded-host": FORGED,
            "x-original-host": FORGED,
            "content-type": "application/json",
        },
        route_params=route or {},
        body=json.dumps(body).encode() if body is not None else b"",
    )


def running(instance_id: str) -> DurableOrchestrationStatus:
    return instance_status(instance_id, "Running", "order_fulfillment_saga")


#: Cases that act on an instance that already runs (the others start one).
EXISTING_INSTANCE = {"status", "terminate"}
CASES: dict[str, Callable[[Any], Awaitable[func.HttpResponse]]] = {
    "order": lambda client: client_function(orders.start_order_fulfillment)(
        forged("POST", "orders", ORDER), client
    ),
    "onboarding": lambda client: client_function(customers.start_customer_onboarding)(
        forged("POST", "customers", {"email": "ada@example.com", "name": "Ada"}), client
    ),
    "approval": lambda client: client_function(approvals.start_expense_approval)(
        forged("POST", "approvals", APPROVAL), client
    ),
    "counter": lambda client: client_function(counters.signal_counter)(
        forged("POST", "counters/c/add", {"amount": 1}, {"key": "c", "operation": "add"}), client
    ),
    "status": lambda client: client_function(instances.get_instance_status)(
        forged("GET", "instances/order-1", route={"instanceId": "order-1"}), client
    ),
    "terminate": lambda client: client_function(instances.CONTROL_FUNCTIONS["terminate"])(
        forged("POST", "instances/order-1/terminate", route={"instanceId": "order-1"}), client
    ),
    "openapi": lambda client: user_function(openapi.get_openapi_document)(
        forged("GET", "openapi.json")
    ),
}


@pytest.fixture(autouse=True)
def approvals_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """Approval parties are stored before the start; this test needs no table."""
    monkeypatch.setattr(approvals, "save_parties", lambda *_: None)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.usefixtures("app_storage")
async def test_a_forged_host_appears_in_no_returned_url(case: str, client: Any) -> None:
    if case in EXISTING_INSTANCE:
        client.get_status.return_value = running("order-1")

    response = await CASES[case](client)

    assert response.status_code < 300, response.get_body()
    text = response.get_body().decode() + json.dumps(dict(response.headers))
    assert FORGED not in text
    assert PUBLIC_ORIGIN in text


def _request_url_reads(tree: ast.AST) -> list[str]:
    """`<x>.url` reads and Host-like header lookups: the ways a handler could echo the host."""
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "url":
            found.append(f"line {node.lineno}: .url")
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value.lower() in {"host", "x-forwarded-host", "x-original-host"}
        ):
            found.append(f"line {node.lineno}: {node.value!r}")
    return found


@pytest.mark.parametrize("module", sorted(API.glob("*.py")), ids=lambda p: p.name)
def test_no_handler_reads_the_request_url_or_host(module: Path) -> None:
    assert _request_url_reads(ast.parse(module.read_text())) == []


def test_the_check_catches_a_url_built_from_the_request() -> None:
    source = "def base(req):\n    return urlsplit(req.url).netloc\n"

    assert _request_url_reads(ast.parse(source)) == ["line 2: .url"]
