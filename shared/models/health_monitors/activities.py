"""Activity contracts of the health monitor: `check_endpoint_health` and the names it takes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from shared.models.base import Contract

#: The name of an allow-listed endpoint: a key of the HEALTH_MONITOR_ALLOWLIST setting.
EndpointName = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", max_length=63, strip_whitespace=True),
]


class CheckErrorKind(StrEnum):
    """Why a check counted as unhealthy (never the raw error text, which may contain the URL)."""

    HTTP_STATUS = "http_status"
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    TLS = "tls"
    REDIRECT_OFF_HOST = "redirect_off_host"
    PROBE_FAILED = "probe_failed"


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
