"""Contracts of the eternal health monitor: HTTP bodies, generation state, check results.

The monitored URL never appears here: requests and state carry only the endpoint *name*, a key
of the HEALTH_MONITOR_ALLOWLIST setting, and the check activity resolves the URL itself.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StrictInt, StringConstraints

from shared.models.base import Contract
from shared.models.notifications import Recipient
from shared.settings import EndpointName

#: Orchestrator function name; the routes refuse instances of any other orchestrator.
HEALTH_MONITOR_ORCHESTRATOR = "health_monitor"
#: The event that ends a monitor gracefully.
STOP_EVENT = "stop"

MIN_INTERVAL_SECONDS = 1
MAX_INTERVAL_SECONDS = 86_400
MAX_ALERT_THRESHOLD = 100

#: Tells one start of a monitor from the next: every start reuses the name's instance id and
#: counts generations from 1 again, so idempotency keys carry the run id to stay unique.
RunId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{12}$")]


class CheckErrorKind(StrEnum):
    """Why a check counted as unhealthy (never the raw error text, which may contain the URL)."""

    HTTP_STATUS = "http_status"
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    TLS = "tls"
    REDIRECT_OFF_HOST = "redirect_off_host"
    PROBE_FAILED = "probe_failed"


class MonitorPhase(StrEnum):
    CHECKING = "checking"
    WAITING = "waiting"
    STOPPED = "stopped"
    FAILED = "failed"


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


class HealthCheckRequest(Contract):
    """Input of the `check_endpoint_health` activity: a name, never a URL."""

    name: EndpointName


class HealthCheckResult(Contract):
    """Output of `check_endpoint_health`: small, and free of URLs and error texts."""

    name: EndpointName
    healthy: bool
    status_code: int | None = None
    latency_ms: int = Field(ge=0)
    error_kind: CheckErrorKind | None = None
    checked_at: datetime


class HealthMonitorState(Contract):
    """Everything one generation hands to the next through `continue_as_new`."""

    name: EndpointName
    generation: int = Field(default=1, ge=1)
    run_id: RunId | None = Field(
        default=None,
        description=(
            "Minted by the starter (else by generation 1) and carried on: part of every "
            "idempotency key, so a restart of any generation under a new instance id finds "
            "the effects of its run."
        ),
    )
    interval_seconds: int = Field(ge=MIN_INTERVAL_SECONDS, le=MAX_INTERVAL_SECONDS)
    alert_threshold: int = Field(ge=1, le=MAX_ALERT_THRESHOLD)
    notify_recipient: Recipient | None = Field(
        default=None,
        exclude=True,
        description=(
            "Ignored and never carried on: alerts go to operations, whose address the "
            "notification activity reads from settings. Accepted so state holding it validates."
        ),
    )
    consecutive_failures: int = Field(default=0, ge=0)
    alert_open: bool = False
    alert_opened_at: datetime | None = None
    checks_total: int = Field(default=0, ge=0)
    last_check: HealthCheckResult | None = None
    last_healthy_at: datetime | None = None
    started_at: datetime | None = None


class HealthMonitorStatus(Contract):
    """Custom status: the monitor's phase and counters, readable through HTTP."""

    phase: MonitorPhase
    name: str
    generation: int
    run_id: str | None = None
    interval_seconds: int
    alert_threshold: int
    consecutive_failures: int
    alert_open: bool
    alert_opened_at: datetime | None = None
    checks_total: int
    last_check: HealthCheckResult | None = None
    last_healthy_at: datetime | None = None
    started_at: datetime | None = None
    next_check_at: datetime | None = None


class HealthMonitorResult(Contract):
    """Orchestration output once a monitor stops."""

    name: str
    outcome: MonitorPhase
    generation: int
    run_id: str | None = None
    checks_total: int
    consecutive_failures: int
    alert_open: bool
    last_check: HealthCheckResult | None = None
    stopped_at: datetime


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
