"""``--keys``: function/admin levels, the Durable webhooks' system key, and the SDK client."""

from __future__ import annotations

import logging
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest

from durable_webhooks import Durable, StartApp

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


@pytest.mark.parametrize(
    "request_key",
    [
        {"params": {"code": "clé-été"}},
        {"headers": {"x-functions-key": "clé".encode()}},
        {"headers": {"x-functions-key": b"\xff\xfe"}},
        {"params": {"code": "%FF%00"}},
        {"params": {"code": " "}},
    ],
    ids=["non-ascii-code", "utf8-header", "invalid-utf8-header", "percent-garbage", "blank"],
)
def test_a_non_ascii_or_malformed_key_is_a_401(
    start_app: StartApp, request_key: dict[str, Any]
) -> None:
    server = start_app("http_basics", keys=True)
    api = httpx.Client(base_url=server.api_url, timeout=30)
    webhooks = httpx.Client(base_url=server.webhook_url, timeout=30)

    assert api.get("/secret", **request_key).status_code == 401
    assert api.get("/admin-only", **request_key).status_code == 401
    assert webhooks.get("/instances/x", **request_key).status_code == 401


def test_host_status_needs_the_master_key_and_the_root_page_none(start_app: StartApp) -> None:
    server = start_app("http_basics", keys=True)
    url = f"{server.base_url}/admin/host/status"
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, params={"code": server.function_key}).status_code == 401
    assert httpx.get(url, params={"code": server.system_key}).status_code == 401
    found = httpx.get(url, headers={"x-functions-key": server.master_key})
    assert found.status_code == 200
    assert found.json()["state"] == "Running"
    assert httpx.get(f"{server.base_url}/").status_code == 200


def test_host_status_stays_open_without_keys(start_app: StartApp) -> None:
    server = start_app("http_basics")

    assert httpx.get(f"{server.base_url}/admin/host/status").status_code == 200


def test_the_state_file_and_its_sqlite_files_are_owner_only(
    start_app: StartApp, tmp_path: Path
) -> None:
    state = tmp_path / "private" / "state.sqlite3"
    server = start_app("chain", keys=True, state=state, settings={"HUB": "HarnessHub"})
    Durable(server, server.system_key).start("chain", '"Oslo"')
    assert server.wait_idle()

    files = [state, state.with_name("state.sqlite3-wal"), state.with_name("state.sqlite3-shm")]
    assert all(f.exists() for f in files)
    assert {oct(stat.S_IMODE(f.stat().st_mode)) for f in files} == {"0o600"}
    assert stat.S_IMODE(state.parent.stat().st_mode) == 0o700


def test_a_state_file_left_readable_is_made_owner_only(start_app: StartApp, tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite3"
    first = start_app("http_basics", keys=True, state=state)
    first.stop()
    for path in tmp_path.iterdir():
        path.chmod(0o644)

    start_app("http_basics", keys=True, state=state)

    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in tmp_path.iterdir()} == {"0o600"}


@pytest.mark.parametrize(
    ("host", "keys", "warned"),
    [("0.0.0.0", False, True), ("0.0.0.0", True, False), ("127.0.0.1", False, False)],
)
def test_binding_beyond_loopback_without_keys_warns(
    start_app: StartApp, caplog: pytest.LogCaptureFixture, host: str, keys: bool, warned: bool
) -> None:
    caplog.set_level(logging.WARNING, logger="durable_localhost")

    start_app("http_basics", host=host, keys=keys)

    warnings = [r for r in caplog.records if "without --keys" in r.getMessage()]
    assert bool(warnings) is warned
