"""A Durable webhooks client for the emulator's own tests, and where their fixture apps live."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from durable_localhost import EmulatorServer
from durable_localhost.model import Instance

APPS = Path(__file__).parent / "apps"
#: The ``start_app`` fixture: ``start_app("chain", **EmulatorServer options)``.
StartApp = Callable[..., EmulatorServer]


class Durable:
    """The Durable webhooks of one emulator, as a test client would call them."""

    def __init__(self, server: EmulatorServer, key: str | None = None) -> None:
        self.server = server
        self.http = httpx.Client(base_url=server.webhook_url, timeout=30)
        self.params = {"code": key} if key else {}

    def start(self, name: str, payload: Any = None, instance_id: str | None = None) -> str:
        path = f"/orchestrators/{name}" + (f"/{instance_id}" if instance_id else "")
        response = self.http.post(path, json=payload, params=self.params)
        assert response.status_code == 202, response.text
        return str(response.json()["id"])

    def status(self, instance_id: str, **flags: str) -> httpx.Response:
        return self.http.get(f"/instances/{instance_id}", params={**flags, **self.params})

    def body(self, instance_id: str, **flags: str) -> dict[str, Any]:
        response = self.status(instance_id, **flags)
        assert response.status_code in (200, 202), response.status_code
        result: dict[str, Any] = response.json()
        return result

    def raise_event(self, instance_id: str, name: str, payload: Any) -> httpx.Response:
        return self.http.post(
            f"/instances/{instance_id}/raiseEvent/{name}",
            content=json.dumps(payload),
            headers={"Content-Type": "application/json"},
            params=self.params,
        )

    def post(self, path: str, **params: str) -> httpx.Response:
        return self.http.post(path, params={**params, **self.params})

    def instance(self, instance_id: str) -> Instance:
        """The engine's record of the instance (it must exist)."""
        found = self.server.host.engine.get(instance_id)
        assert found is not None, instance_id
        return found

    def history(self, instance_id: str) -> list[dict[str, Any]]:
        """The engine's raw history (with EventIds) of the current execution."""
        engine = self.server.host.engine
        instance = engine.get(instance_id)
        assert instance is not None
        return self.server.call(engine.history_of(instance))
