"""Workflow contracts of the eternal health monitor: limits, carried state, status, result."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from shared.models.base import Contract
from shared.models.health_monitors.activities import EndpointName, HealthCheckResult

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


class MonitorPhase(StrEnum):
    CHECKING = "checking"
    WAITING = "waiting"
    STOPPED = "stopped"
    FAILED = "failed"


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
    consecutive_failures: int = Field(default=0, ge=0)
    alert_open: bool = False
    alert_opened_at: datetime | None = None
    checks_total: int = Field(default=0, ge=0)
    last_check: HealthCheckResult | None = None
    last_healthy_at: datetime | None = None
    started_at: datetime | None = None

    @model_validator(mode="after")
    def _run_id_after_the_first_generation(self) -> HealthMonitorState:
        if self.run_id is None and self.generation > 1:
            raise ValueError("runId is required from generation 2 on")
        return self


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
