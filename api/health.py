"""`GET /api/health`: the one anonymous route, polled by the platform's health check.

It needs no durable client: if the Durable extension were broken the host itself would be
unhealthy, and querying the task hub on every probe would cost more than it tells. It checks
the app's own Table Storage, with a hard time bound and a short cache, so a burst of
anonymous calls costs at most one storage round trip per cache period and per instance.
"""

from __future__ import annotations

import asyncio
import os
import time

import azure.functions as func

from api.access import Access
from api.http import json_response
from api.routing import Routes
from shared.models.operations import CheckResult, HealthReport, HealthStatus
from shared.service_health import table_storage_reachable

routes = Routes("operations")
bp = routes.bp

#: Socket timeouts of one storage probe (no retries).
PROBE_TIMEOUT_SECONDS = 3.0
#: Hard bound on the answer, whatever the probe does (token acquisition included).
PROBE_DEADLINE_SECONDS = 4.0
#: How long a probe result is reused.
PROBE_CACHE_SECONDS = 10.0
#: App setting stamped by the deployment with the build id (e.g. the commit).
VERSION_SETTING = "APP_VERSION"

_probe_lock = asyncio.Lock()
_cached: tuple[float, CheckResult] | None = None


def reset_probe_cache() -> None:
    """Forget the cached result (tests, which also run each test on a new event loop)."""
    global _cached, _probe_lock
    _cached = None
    _probe_lock = asyncio.Lock()


async def _storage_check() -> CheckResult:
    global _cached
    async with _probe_lock:  # concurrent callers share one probe
        now = time.monotonic()
        if _cached is not None and now - _cached[0] < PROBE_CACHE_SECONDS:
            return _cached[1]
        try:
            reachable = await asyncio.wait_for(
                asyncio.to_thread(table_storage_reachable, PROBE_TIMEOUT_SECONDS),
                timeout=PROBE_DEADLINE_SECONDS,
            )
        except TimeoutError:
            reachable = False
        result = CheckResult.OK if reachable else CheckResult.UNAVAILABLE
        _cached = (time.monotonic(), result)
        return result


@routes.route(
    "GET",
    "health",
    access=Access.ANONYMOUS,
    summary="Liveness and dependency check (anonymous; 503 when storage is unreachable)",
    responses={200: HealthReport, 503: HealthReport},
)
async def health(req: func.HttpRequest) -> func.HttpResponse:
    checks = {"storage": await _storage_check()}
    healthy = all(result is CheckResult.OK for result in checks.values())
    report = HealthReport(
        status=HealthStatus.HEALTHY if healthy else HealthStatus.UNHEALTHY,
        checks=checks,
        version=os.environ.get(VERSION_SETTING) or "dev",
    )
    return json_response(
        report, status=200 if healthy else 503, headers={"Cache-Control": "no-store"}
    )
