"""HTTP contracts of the export monitor: `POST /api/monitors` and its 202 answer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    Field,
    Strict,
    ValidationInfo,
    field_validator,
    model_validator,
)

from shared.models.base import Contract, UtcDatetime
from shared.models.http import AcceptedResponse
from shared.models.jobs import JobId
from shared.models.monitors.workflow import (
    DEFAULT_MAX_INTERVAL_SECONDS,
    MAX_TIMEOUT_MINUTES,
    Email,
    IntervalSeconds,
)


class MonitorRequest(Contract):
    """Body of `POST /api/monitors`. Give `timeoutMinutes` or `deadline` (default 60 min)."""

    job_id: JobId
    timeout_minutes: Annotated[int, Strict(), Field(ge=1, le=MAX_TIMEOUT_MINUTES)] | None = None
    deadline: UtcDatetime | None = Field(
        None, description="Absolute end of the watch, with a UTC offset; at most 7 days away."
    )
    initial_interval_seconds: IntervalSeconds = 30
    max_interval_seconds: IntervalSeconds = Field(
        DEFAULT_MAX_INTERVAL_SECONDS,
        description="The cap of the doubling wait; at least initialIntervalSeconds (default 600).",
    )
    notify: Email | None = Field(None, description="Who is alerted; OPERATIONS_EMAIL if absent.")

    @model_validator(mode="before")
    @classmethod
    def _the_default_cap_is_checked_too(cls, data: Any) -> Any:
        """Spell out the default cap, so `_not_below_initial` checks (and names) it as well.

        Field validators skip defaults: `initialIntervalSeconds: 1167` alone passed here and
        failed in MonitorInput inside the starter, a 500.
        """
        if isinstance(data, dict) and not {"maxIntervalSeconds", "max_interval_seconds"} & set(
            data
        ):
            return {**data, "maxIntervalSeconds": DEFAULT_MAX_INTERVAL_SECONDS}
        return data

    @field_validator("deadline")
    @classmethod
    def _not_both(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        if value is not None and info.data.get("timeout_minutes") is not None:
            raise ValueError("give timeoutMinutes or deadline, not both")
        return value

    @field_validator("max_interval_seconds")
    @classmethod
    def _not_below_initial(cls, value: int, info: ValidationInfo) -> int:
        initial = info.data.get("initial_interval_seconds")
        if initial is not None and value < initial:
            raise ValueError("must be at least initialIntervalSeconds (the default is 600)")
        return value


class MonitorAccepted(AcceptedResponse):
    """202 body of `POST /api/monitors`."""

    job_id: str
    recipient: str
    deadline: datetime | None = None
    timeout_seconds: int | None = None
