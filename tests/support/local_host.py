"""The app's orchestrators on the local host: the real SDK on virtual time, activities faked.

The mocked-context driver (`orchestration.py`) proves what an orchestrator asks for; this runs it
the way Azure does (history, replay, timers, sub-orchestrations, entities, retries) with each
activity answered by a fake, so no store is needed.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from durable_localhost import EmulatorServer
from shared.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
#: Settings every test start of the app sets. The host resolves a timer's `%SETTING%` schedule
#: when it indexes the app and refuses the app without it. The cleanup timer itself stays off:
#: virtual time would run it at every quarter hour it passes; a test runs it by hand.
INDEXING_SETTINGS = {
    "IDEMPOTENCY_KEY_CLEANUP_SCHEDULE": load_settings({}).idempotency_key_cleanup_schedule,
    "AzureWebJobs.remove_expired_idempotency_keys.Disabled": "true",
}
#: What the host's startup checks require; faked activities never use the storage connection.
SETTINGS = {
    "AzureWebJobsStorage": "UseDevelopmentStorage=true",
    "TASKHUB_NAME": "Workflows",
    **INDEXING_SETTINGS,
}
EXECUTION_STARTED, TIMER_CREATED, ORCHESTRATOR_STARTED, EVENT_SENT = 0, 10, 12, 14
#: History events that schedule a task or a sub-orchestration, and those that answer one.
SCHEDULING, ANSWERS = frozenset({4, 7}), frozenset({5, 6, 8, 9})


class LocalHost:
    """Start orchestrations, raise events and read what happened, through the host's webhooks."""

    def __init__(self, server: EmulatorServer) -> None:
        self.server = server
        self.activities = server.activities
        self.http = httpx.Client(base_url=server.webhook_url, timeout=30)

    def start(self, name: str, payload: Any, instance_id: str = "") -> str:
        response = self.http.post(f"/orchestrators/{name}/{instance_id}".rstrip("/"), json=payload)
        assert response.status_code == 202, response.text
        return str(response.json()["id"])

    def run(self, name: str, payload: Any, instance_id: str = "") -> dict[str, Any]:
        """Start, let virtual time run until nothing is left to do, and return the status."""
        started = self.start(name, payload, instance_id)
        assert self.server.wait_idle(), "the orchestration did not settle"
        return self.status(started)

    def raise_event(self, instance_id: str, name: str, payload: Any) -> None:
        """Raise as the app's Durable client does: the payload JSON-encoded once more."""
        body = json.dumps(json.dumps(payload))
        response = self.http.post(
            f"/instances/{instance_id}/raiseEvent/{name}",
            content=body,
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 202, response.text

    def status(self, instance_id: str) -> dict[str, Any]:
        body: dict[str, Any] = self.http.get(f"/instances/{instance_id}").json()
        return body

    def instance_ids(self) -> list[str]:
        return sorted(s["instanceId"] for s in self.http.get("/instances").json())

    def record_episodes(self, orchestrator: str) -> list[str]:
        """Collect, from now on, every context the host sends `orchestrator`, in order."""
        index = self.server.host.engine.index
        function = index.orchestrators[orchestrator]
        contexts: list[str] = []

        def recording(context: str) -> str:
            contexts.append(context)
            return function.handler(context)

        index.orchestrators[orchestrator] = dataclasses.replace(function, handler=recording)
        return contexts

    def history(self, instance_id: str) -> list[dict[str, Any]]:
        """The host's history of the current execution, EventIds included."""
        engine = self.server.host.engine
        instance = engine.get(instance_id)
        assert instance is not None, instance_id
        return self.server.call(engine.history_of(instance))


StartLocalHost = Callable[..., LocalHost]
"""The `local_host` fixture: `local_host(fakes, **EmulatorServer options)`."""


def default_version() -> str | None:
    """The version the host stamps on new instances (host.json `defaultVersion`)."""
    host_json = json.loads((ROOT / "host.json").read_text())
    version: str | None = (
        host_json.get("extensions", {}).get("durableTask", {}).get("defaultVersion")
    )
    return version


def max_in_flight(history: list[dict[str, Any]], name: str) -> int:
    """The most calls of activity or sub-orchestration `name` not yet answered at any point."""
    open_ids: set[int] = set()
    most = 0
    for event in history:
        if event["EventType"] in SCHEDULING and event["Name"] == name:
            open_ids.add(event["EventId"])
        elif event["EventType"] in ANSWERS:
            open_ids.discard(event["TaskScheduledId"])
        most = max(most, len(open_ids))
    return most
