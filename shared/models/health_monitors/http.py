"""HTTP contracts of health monitors: start one per endpoint name, stop it, view it."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, StrictInt

from shared.models.base import Contract
from shared.models.health_monitors.activities import EndpointName
from shared.models.health_monitors.workflow import (
    MAX_ALERT_THRESHOLD,
    MAX_INTERVAL_SECONDS,
    MIN_INTERVAL_SECONDS,
    HealthMonitorResult,
    HealthMonitorStatus,
)


class HealthMonitorRequest(Contract):
    """Body of `POST /api/health-monitors`."""

    name: EndpointName = Field(description="A key of the HEALTH_MONITOR_ALLOWLIST setting.")
    interval_seconds: StrictInt | None = Field(
        default=None,
        ge=MIN_INTERVAL_SECONDS,
        le=MAX_INTERVAL_SECONDS,
        description="Pause between checks (default: HEALTH_CHECK_INTERVAL_SECONDS).",
    )
    alert_threshold: StrictInt | None = Field(
        default=None,
        ge=1,
        le=MAX_ALERT_THRESHOLD,
        description="Consecutive failures that open an alert (default: HEALTH_ALERT_THRESHOLD).",
    )


class MonitorRoute(Contract):
    """Route parameters of `/api/health-monitors/{name}`."""

    name: EndpointName


class StopRequest(Contract):
    """Payload of the `stop` event (informational; any payload stops the monitor)."""

    requested_at: datetime
    reason: str = "requested through the API"


class HealthMonitorView(Contract):
    """Body of `GET /api/health-monitors/{name}`."""

    name: str
    id: str
    runtime_status: str
    status: HealthMonitorStatus | None = None
    result: HealthMonitorResult | None = None
