"""`GET /api/health`: 200 with storage reachable, 503 otherwise, never leaking why."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import azure.functions as func
import pytest

from api import health
from shared import storage
from shared.settings import APP_STORAGE_CONNECTION
from tests.support.functions import user_function

#: Azurite's well-known development account, pointed at a port nothing listens on.
UNREACHABLE = (
    "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
    "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
    "TableEndpoint=http://127.0.0.1:9/devstoreaccount1;"
)


@pytest.fixture(autouse=True)
def _fresh_probe() -> Iterator[None]:
    health.reset_probe_cache()
    yield
    health.reset_probe_cache()


async def get_health() -> func.HttpResponse:
    req = func.HttpRequest("GET", "http://localhost:7071/api/health", body=b"")
    response: func.HttpResponse = await user_function(health.health)(req)
    return response


def body_of(response: func.HttpResponse) -> Any:
    return json.loads(response.get_body())


async def test_healthy_when_table_storage_answers(
    app_storage: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_VERSION", "2026.01.05-abc123")

    response = await get_health()

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert body_of(response) == {
        "status": "healthy",
        "checks": {"storage": "ok"},
        "version": "2026.01.05-abc123",
    }


async def test_unhealthy_without_leaking_the_connection_or_the_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(APP_STORAGE_CONNECTION, UNREACHABLE)
    storage.reset_clients()
    try:
        response = await get_health()
    finally:
        storage.reset_clients()

    text = response.get_body().decode()
    assert response.status_code == 503
    assert body_of(response)["status"] == "unhealthy"
    assert body_of(response)["checks"] == {"storage": "unavailable"}
    for secret in ("127.0.0.1", "AccountKey", "devstoreaccount1", "Error", "Traceback"):
        assert secret not in text


async def test_unhealthy_when_storage_is_not_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(APP_STORAGE_CONNECTION, raising=False)
    for suffix in ("__tableServiceUri", "__accountName"):
        monkeypatch.delenv(APP_STORAGE_CONNECTION + suffix, raising=False)
    storage.reset_clients()
    try:
        response = await get_health()
    finally:
        storage.reset_clients()

    assert response.status_code == 503
    assert "AppStorage" not in response.get_body().decode()


async def test_a_hanging_probe_is_cut_short(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health, "PROBE_DEADLINE_SECONDS", 0.05)

    def hanging_probe(timeout: float) -> bool:
        time.sleep(0.3)
        return True

    monkeypatch.setattr(health, "table_storage_reachable", hanging_probe)

    response = await get_health()

    assert response.status_code == 503


async def test_probe_results_are_reused_briefly(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[float] = []

    def probe(timeout: float) -> bool:
        calls.append(timeout)
        return True

    monkeypatch.setattr(health, "table_storage_reachable", probe)

    first = await get_health()
    second = await get_health()
    health.reset_probe_cache()
    third = await get_health()

    assert [r.status_code for r in (first, second, third)] == [200, 200, 200]
    assert len(calls) == 2


async def test_version_defaults_to_dev(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("APP_VERSION", raising=False)
    monkeypatch.setattr(health, "table_storage_reachable", lambda timeout: True)

    assert body_of(await get_health())["version"] == "dev"
