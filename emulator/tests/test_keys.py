"""``--keys``: function/admin levels, the Durable webhooks' system key, and the SDK client."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from durable_webhooks import StartApp

pytestmark = pytest.mark.emulator


def test_function_and_admin_levels_are_enforced(start_app: StartApp) -> None:
    server = start_app("http_basics", keys=True)
    api = httpx.Client(base_url=server.api_url, timeout=30)

    assert api.get("/items/1").status_code == 200  # anonymous stays open
    assert api.get("/secret").status_code == 401
    assert api.get("/secret", params={"code": "wrong"}).status_code == 401
    assert api.get("/secret", params={"code": server.function_key}).status_code == 200
    assert api.get("/secret", headers={"x-functions-key": server.master_key}).status_code == 200
    assert api.get("/admin-only", params={"code": server.function_key}).status_code == 401
    assert api.get("/admin-only", params={"code": server.master_key}).status_code == 200


def test_webhooks_need_the_system_or_master_key(start_app: StartApp) -> None:
    server = start_app("client_ops", keys=True)
    webhooks = httpx.Client(base_url=server.webhook_url, timeout=30)

    assert webhooks.get("/instances/x").status_code == 401
    assert webhooks.get("/instances/x", params={"code": server.function_key}).status_code == 401
    assert webhooks.get("/instances/x", params={"code": server.system_key}).status_code == 404
    assert webhooks.get("/instances/x", params={"code": server.master_key}).status_code == 404


def test_sdk_client_works_and_management_urls_carry_the_system_key(start_app: StartApp) -> None:
    server = start_app("client_ops", keys=True)
    api = httpx.Client(base_url=server.api_url, timeout=30)

    started = api.post("/orchestrators/waiter", json={"n": 1})
    assert started.status_code == 202
    status_url = started.json()["statusQueryGetUri"]
    assert f"code={server.system_key}" in status_url
    server.wait_idle()

    assert httpx.get(status_url).json()["runtimeStatus"] == "Running"


def test_keys_are_generated_once_and_kept_with_file_state(
    start_app: StartApp, tmp_path: Path
) -> None:
    state = tmp_path / "state.sqlite3"
    first = start_app("http_basics", keys=True, state=state)
    keys = (first.master_key, first.function_key, first.system_key)
    first.stop()

    second = start_app("http_basics", keys=True, state=state)

    assert (second.master_key, second.function_key, second.system_key) == keys
    assert len(set(keys)) == 3
