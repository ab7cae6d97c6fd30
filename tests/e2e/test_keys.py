"""Function keys: every route needs one except `/api/health`, and no answer ever reveals one.

Runs against an app that enforces keys: a second emulator started with `--keys` (in a child
process), or the remote app when `E2E_FUNCTION_KEY` is given.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.support.client import ApiClient, LeakedManagementUrl, check_no_leak, expect
from tests.e2e.support.clock import Clock, detect_clock
from tests.e2e.support.routes import ANONYMOUS, ROUTES, concrete
from tests.e2e.support.shop import accepted, email
from tests.e2e.support.target import Target
from tests.e2e.support.waiting import wait_for_instance


@pytest.fixture(scope="module")
def keyed_api(keyed_target: Target) -> Iterator[ApiClient]:
    client = ApiClient(keyed_target)
    yield client
    client.close()


@pytest.fixture(scope="module")
def keyed_clock(keyed_target: Target) -> Iterator[Clock]:
    found = detect_clock(keyed_target)
    yield found
    close = getattr(found, "close", None)
    if close:
        close()


def test_every_route_but_health_needs_a_function_key(
    keyed_target: Target, keyed_api: ApiClient
) -> None:
    without = ApiClient(keyed_target, send_key=False)
    wrong = ApiClient(keyed_target, key="not-the-key")
    try:
        for method, path in sorted(ROUTES):
            url = concrete(path)
            if (method, path) in ANONYMOUS:
                assert without.request(method, url).status_code == 200, path
                continue
            assert without.request(method, url).status_code == 401, (method, path)
            assert wrong.request(method, url).status_code == 401, (method, path)
            assert keyed_api.request(method, url).status_code != 401, (method, path)
        # The key may also come as `?code=`; the routes do not mistake it for a parameter.
        key = keyed_target.function_key
        found = without.get("/notifications", {"correlationId": "nobody", "code": key})
        assert expect(found, 200)["notifications"] == []
    finally:
        without.close()
        wrong.close()


def test_the_durable_webhooks_do_not_open_with_a_function_key(keyed_target: Target) -> None:
    webhooks = f"{keyed_target.base_url}/runtime/webhooks/durabletask/instances"
    with httpx.Client(timeout=30, event_hooks={"response": [check_no_leak]}) as http:
        assert http.get(webhooks).status_code == 401
        assert http.get(webhooks, headers={"x-functions-key": "not-the-key"}).status_code == 401
        function_key = {"x-functions-key": keyed_target.function_key or ""}
        assert http.get(webhooks, headers=function_key).status_code == 401


def test_the_leak_check_catches_management_urls_and_keys() -> None:
    request = httpx.Request("POST", "http://shop.example/api/orders")
    host_style = '{"statusQueryGetUri": "http://h/runtime/webhooks/durabletask/instances/1"}'
    for body in (host_style, '{"url": "https://shop.example/api/x?code=secret"}'):
        with pytest.raises(LeakedManagementUrl):
            check_no_leak(httpx.Response(202, text=body, request=request))
    located = httpx.Response(202, headers={"Location": "/x?code=k"}, request=request)
    with pytest.raises(LeakedManagementUrl):
        check_no_leak(located)
    check_no_leak(
        httpx.Response(202, text='{"statusUrl": "https://shop/api/i/1"}', request=request)
    )


def test_a_keyed_app_never_hands_out_a_key(
    keyed_target: Target, keyed_api: ApiClient, keyed_clock: Clock
) -> None:
    """Every answer passes the client's leak check (no `code=`, no `runtime/webhooks`)."""
    if not keyed_target.remote:
        assert keyed_clock.virtual  # the control API opened with the master key
    # Even when the caller sent its key in the query string, the URLs it gets back are clean.
    without = ApiClient(keyed_target, send_key=False)
    try:
        body = {"email": email("keyed"), "name": "Key Holder"}
        started = accepted(
            without.post("/customers", body, params={"code": keyed_target.function_key})
        )
    finally:
        without.close()
    done = wait_for_instance(keyed_api, keyed_clock, started["id"])
    assert done["runtimeStatus"] == "Completed", done
    keyed_api.get_json(f"/instances/{started['id']}", {"showHistory": True, "showInput": True})
    keyed_api.get_json("/instances", {"prefix": "onboarding-"})
    keyed_api.notifications(started["id"])

    approval = {
        "requester": email("requester"),
        "amount": "5",
        "description": "Keys",
        "approvers": [email("manager")],
    }
    approval_id = accepted(keyed_api.post("/approvals", approval))["id"]
    keyed_api.get_json(f"/approvals/{approval_id}")
    accepted(keyed_api.post(f"/instances/{approval_id}/suspend"))
    accepted(keyed_api.post(f"/instances/{approval_id}/resume"))
    accepted(keyed_api.post(f"/instances/{approval_id}/terminate"))
    items = [{"id": "a", "sku": "A", "basePrice": "1.00", "currency": "EUR"}]
    batch = expect(keyed_api.post("/batches", {"items": items}), 202)
    keyed_api.get_json(f"/batches/{batch['batchId']}")
    keyed_api.get_json("/openapi.json")
