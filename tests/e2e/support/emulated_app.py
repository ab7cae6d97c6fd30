"""The shop app as the end-to-end suite runs it on the emulator: its folder and its settings."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from tests.support.local_host import INDEXING_SETTINGS

ROOT = Path(__file__).resolve().parents[3]
#: Allow-listed names under which the emulator's health monitors check our endpoint. Fresh per
#: run: a monitor's notifications are keyed by its (singleton) instance id, and a reused Azurite
#: keeps the outbox of earlier runs.
PROBE_NAMES = tuple(f"e2e-{role}-{secrets.token_hex(3)}" for role in ("probe", "restart"))
OPERATIONS_EMAIL = "ops-e2e@example.com"


def app_settings(connection_string: str, probe_url: str | None = None) -> dict[str, str]:
    """App settings of the emulated app (the rest keep the app's defaults)."""
    settings = {
        "AzureWebJobsStorage": connection_string,
        "AppStorage": connection_string,
        "TASKHUB_NAME": "ShopE2E",
        "OPERATIONS_EMAIL": OPERATIONS_EMAIL,
        "HEALTH_CHECK_TIMEOUT_SECONDS": "5",
        # A 1,000-item batch in chunks of 100: ten chunk sub-orchestrations.
        "BATCH_CHUNK_SIZE": "100",
        "BATCH_MAX_PARALLEL": "32",
        # Stand in for App Service Authentication, which sets this on the platform: the
        # approval route then trusts X-MS-CLIENT-PRINCIPAL-NAME as the signed-in user.
        "WEBSITE_AUTH_ENABLED": "True",
        **INDEXING_SETTINGS,
    }
    if probe_url:
        settings["HEALTH_MONITOR_ALLOWLIST"] = json.dumps(dict.fromkeys(PROBE_NAMES, probe_url))
    return settings
