"""The Durable extension's `restart` API, which the app itself does not route.

`POST /runtime/webhooks/durabletask/instances/{id}/restart` starts the instance's orchestrator
again with its input, under a new instance id by default. The host's answer carries its
management URLs (webhooks with keys), so it is read here, outside the leak-checked client.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from tests.e2e.support.client import REQUEST_TIMEOUT
from tests.e2e.support.target import Target

WEBHOOK_PATH = "runtime/webhooks/durabletask/instances"


def restart(target: Target, instance_id: str) -> str:
    """Restart `instance_id` under a new instance id; the new id."""
    if target.remote and not target.master_key:
        pytest.skip("remote mode without E2E_MASTER_KEY: the restart webhook needs the master key")
    headers = {"x-functions-key": target.master_key} if target.master_key else {}
    response = httpx.post(
        f"{target.base_url}/{WEBHOOK_PATH}/{quote(instance_id, safe='')}/restart",
        headers=headers,
        timeout=REQUEST_TIMEOUT,
    )
    assert response.status_code == 202, f"restart answered {response.status_code}: {response.text}"
    new_id = str(response.json()["id"])
    assert new_id != instance_id
    return new_id
