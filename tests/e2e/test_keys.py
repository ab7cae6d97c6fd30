"""Keys: every route needs one except `/api/health`, operator routes only open with the master
key, and no answer ever reveals a key.

Runs against an app that enforces keys: a second emulator started with `--keys` (in a child
process), or the remote app when `E2E_FUNCTION_KEY` (a host key) and `E2E_MASTER_KEY` are given.
The emulator has one function-level key that opens every FUNCTION route, like a host key in
Azure; it has no per-function keys, so "a storefront's key created on `start_order_fulfillment`
opens nothing else" is not checked here. What is checked is stronger for the ADMIN routes: not
even a key that opens every FUNCTION route opens them.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.support.client import (
    ApiClient,
    LeakedManagementUrl,
    check_no_leak,
    expect,
    expect_problem,
)
from tests.e2e.support.clock import Clock, detect_clock
from tests.e2e.support.routes import ANONYMOUS, MASTER_KEY_ONLY, ROUTES, concrete
from tests.e2e.support.shop import accepted, email, signed_in
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


def test_every_route_needs_the_key_the_model_gives_it(keyed_target: Target) -> None:
    if not keyed_target.master_key:
        pytest.skip("E2E_MASTER_KEY is not set: the master-key routes cannot be checked")
    without = ApiClient(keyed_target, send_key=False)
    wrong = ApiClient(keyed_target, key="not-the-key")
    function = ApiClient(keyed_target, key=keyed_target.function_key)
    master = ApiClient(keyed_target, key=keyed_target.master_key)
    try:
        for method, path in sorted(ROUTES):
            url = concrete(path)
            if (method, path) in ANONYMOUS:
                assert without.request(method, url).status_code == 200, path
                continue
            assert without.request(method, url).status_code == 401, (method, path)
            assert wrong.request(method, url).status_code == 401, (method, path)
            by_function_key = function.request(method, url).status_code
            if (method, path) in MASTER_KEY_ONLY:
                assert by_function_key == 401, (method, path)
            else:
                assert by_function_key != 401, (method, path)
            assert master.request(method, url).status_code != 401, (method, path)
        # The key may also come as `?code=`; the routes do not mistake it for a parameter.
        found = without.get(
            "/notifications", {"correlationId": "nobody", "code": master_key(keyed_target)}
        )
        assert expect(found, 200)["notifications"] == []
        refused = without.get(
            "/notifications", {"correlationId": "nobody", "code": keyed_target.function_key}
        )
        assert refused.status_code == 401
    finally:
        for client in (without, wrong, function, master):
            client.close()


def test_a_function_key_cannot_read_an_orders_input_or_control_it(
    keyed_target: Target, keyed_api: ApiClient
) -> None:
    """What the storefront's key can reach about an order: its status, nothing more."""
    storefront = ApiClient(keyed_target, key=keyed_target.function_key)
    try:
        body = {"email": email("storefront"), "name": "Store Front"}
        instance_id = accepted(storefront.post("/customers", body))["id"]
        assert storefront.get(f"/instances/{instance_id}").status_code in (200, 202)
        expect_problem(storefront.get(f"/instances/{instance_id}", {"showInput": True}), 400)
        for method, path in (
            ("GET", f"/instances/{instance_id}/details?showInput=true"),
            ("GET", "/instances"),
            ("POST", f"/instances/{instance_id}/terminate"),
            ("POST", f"/instances/{instance_id}/suspend"),
            ("DELETE", f"/instances/{instance_id}"),
            ("GET", f"/notifications?correlationId={instance_id}"),
        ):
            assert storefront.request(method, path).status_code == 401, (method, path)
        if keyed_target.master_key:
            details = keyed_api.get(f"/instances/{instance_id}/details", {"showInput": True})
            assert expect(details, 200, 202)["input"]
    finally:
        storefront.close()


def master_key(target: Target) -> str:
    assert target.master_key
    return target.master_key


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
    keyed_api.get_json(
        f"/instances/{started['id']}/details", {"showHistory": True, "showInput": True}
    )
    keyed_api.get_json("/instances", {"prefix": "onboarding-"})
    keyed_api.notifications(started["id"])

    requester = email("requester")
    approval = {
        "requester": requester,
        "amount": "5",
        "description": "Keys",
        "approvers": [email("manager")],
    }
    started_approval = keyed_api.post("/approvals", approval, headers=signed_in(requester))
    approval_id = accepted(started_approval)["id"]
    keyed_api.get_json(f"/approvals/{approval_id}")
    accepted(keyed_api.post(f"/instances/{approval_id}/suspend"))
    # A suspend is queued on either host: resume is allowed once the instance shows it.
    wait_for_instance(
        keyed_api, keyed_clock, approval_id, lambda body: body["runtimeStatus"] == "Suspended"
    )
    accepted(keyed_api.post(f"/instances/{approval_id}/resume"))
    accepted(keyed_api.post(f"/instances/{approval_id}/terminate"))
    items = [{"id": "a", "sku": "A", "basePrice": "1.00", "currency": "EUR"}]
    batch = expect(keyed_api.post("/batches", {"items": items}), 202)
    keyed_api.get_json(f"/batches/{batch['batchId']}")
    keyed_api.get_json("/openapi.json")
