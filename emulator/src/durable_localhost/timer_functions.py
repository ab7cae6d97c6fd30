"""Calling a timer function as the worker does: a ``func.TimerRequest`` built by its converter.

The host hands the worker the timer info as JSON (``Schedule``, ``ScheduleStatus`` when the
monitor runs, ``IsPastDue``) and logs why an unscheduled run happened. A failing or timed-out
function is logged as failed, as for any trigger; nothing is retried and the host goes on.
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from azure.functions import meta
from azure.functions.timer import TimerRequestConverter

from durable_localhost.invocation import FunctionContext, invoking
from durable_localhost.invokers import call_user_function
from durable_localhost.timer_status import ScheduleStatus
from durable_localhost.timer_triggers import TimerTrigger

log = logging.getLogger("durable_localhost.host")


@dataclass(frozen=True)
class TimerRun:
    """One invocation: why it runs and the status the function sees."""

    status: ScheduleStatus | None  # None without the schedule monitor
    past_due: bool = False
    run_on_startup: bool = False
    original_schedule: datetime | None = None
    manual: bool = False  # through the admin API

    @property
    def scheduled(self) -> bool:
        """A run at an occurrence, not one at startup or by hand."""
        return not (self.past_due or self.run_on_startup or self.manual)

    def reason(self, fired_at: datetime, zone: tzinfo) -> str:
        """The ``Reason`` of the host's ``Executing`` line."""
        if self.manual:
            return "This function was programmatically called via the host APIs."
        return f"Timer fired at {fired_at.astimezone(zone).isoformat()}"

    def timer_info(self, trigger: TimerTrigger, zone: tzinfo) -> str:
        """The JSON the host sends the worker for the trigger."""
        return json.dumps(
            {
                "Schedule": {"AdjustForDST": trigger.schedule.adjusts_for_dst},
                "ScheduleStatus": self.status.for_function(zone) if self.status else None,
                "IsPastDue": self.past_due,
            }
        )

    def trigger_details(self, zone: tzinfo) -> str:
        """The host's ``Trigger Details:`` text for an unscheduled run (empty otherwise)."""
        details: list[str] = []
        if self.past_due:
            details.append("UnscheduledInvocationReason: IsPastDue")
        elif self.run_on_startup:
            details.append("UnscheduledInvocationReason: RunOnStartup")
        if self.original_schedule is not None:
            original = self.original_schedule.astimezone(zone).isoformat()
            details.append(f"OriginalSchedule: {original}")
        return ", ".join(details)


async def invoke_timer(
    trigger: TimerTrigger,
    run: TimerRun,
    fired_at: datetime,
    zone: tzinfo,
    executor: Executor,
    app_dir: Path,
    function_timeout: timedelta | None,
) -> bool:
    """Run the function once; True when it succeeded. Never raises for the function's errors."""
    function = trigger.function
    with invoking(function.function_name) as invocation:
        log.info(
            "Executing 'Functions.%s' (Reason='%s', Id=%s)",
            function.function_name,
            run.reason(fired_at, zone),
            invocation.invocation_id,
        )
        details = run.trigger_details(zone)
        if details:
            log.info("Trigger Details: %s", details)
        try:
            request = TimerRequestConverter.decode(
                meta.Datum(value=run.timer_info(trigger, zone), type="json"),
                trigger_metadata=None,
            )
            kwargs: dict[str, Any] = {function.arg_name: request}
            if function.wants_context:
                kwargs["context"] = FunctionContext(invocation, app_dir)
            await call_user_function(
                executor, invocation, function.handler, kwargs, function_timeout
            )
        except Exception as exc:
            log.error(
                "Executed 'Functions.%s' (Failed, Id=%s): %s: %s",
                function.function_name,
                invocation.invocation_id,
                type(exc).__name__,
                exc,
                exc_info=exc,
            )
            return False
        log.info(
            "Executed 'Functions.%s' (Succeeded, Id=%s)",
            function.function_name,
            invocation.invocation_id,
        )
        return True
