"""A timer's schedule status (``Last``, ``Next``, ``LastUpdated``) and the past-due check.

The host's schedule monitor (``useMonitor``) keeps this status in storage so that an occurrence
missed while the app was down runs once at the next start, marked past due. The local host keeps
the same record in its state store; these functions decide what the monitor decides.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from durable_localhost.cron import Schedule
from durable_localhost.timeutil import parse, to_wire

#: How the host writes ``default(DateTime)`` (a timer that never ran) to the function.
NEVER = "0001-01-01T00:00:00+00:00"


@dataclass(frozen=True)
class ScheduleStatus:
    """``None`` stands for the host's ``default(DateTime)``: not known or never happened."""

    last: datetime | None
    next: datetime | None
    last_updated: datetime | None

    def to_json(self) -> str:
        """The stored form (UTC timestamps)."""
        return json.dumps(
            {
                "Last": _wire(self.last),
                "Next": _wire(self.next),
                "LastUpdated": _wire(self.last_updated),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> ScheduleStatus:
        """Read a stored status."""
        raw = json.loads(text)
        return cls(
            _unwire(raw.get("Last")), _unwire(raw.get("Next")), _unwire(raw.get("LastUpdated"))
        )

    def for_function(self, zone: tzinfo) -> dict[str, str]:
        """As the function sees it: local times with offset (``2026-12-03T09:00:00+00:00``)."""
        return {
            "Last": _local(self.last, zone),
            "Next": _local(self.next, zone),
            "LastUpdated": _local(self.last_updated, zone),
        }


def _wire(value: datetime | None) -> str | None:
    return to_wire(value) if value is not None else None


def _unwire(value: str | None) -> datetime | None:
    return parse(value) if value else None


def _local(value: datetime | None, zone: tzinfo) -> str:
    return value.astimezone(zone).isoformat() if value is not None else NEVER


@dataclass(frozen=True)
class PastDueCheck:
    """What the monitor found at startup: the status to keep and how late the timer is."""

    status: ScheduleStatus
    late_by: timedelta  # zero: not past due
    rewritten: bool  # the status changed and is written back


def check_past_due(
    stored: ScheduleStatus | None, schedule: Schedule, now: datetime
) -> PastDueCheck:
    """The host's ``ScheduleMonitor.CheckPastDueAsync``.

    A timer with no status gets one (``Next`` from now) and is not past due. Otherwise the next
    occurrence is recomputed from ``Last`` (or ``LastUpdated``): if it differs from the stored
    ``Next``, the schedule changed while the host was down and the status is rebased (from now,
    when the recomputed occurrence is already past, so a schedule change never counts as
    missed). Past due means ``now`` is after the recorded ``Next``.
    """
    if stored is None:
        status = ScheduleStatus(None, schedule.next_after(now), now)
        return PastDueCheck(status, timedelta(0), rewritten=True)
    status, rewritten = stored, False
    base = stored.last or stored.last_updated or now
    expected = schedule.next_after(base)
    if stored.next != expected:
        if expected is not None and now > expected:
            expected, base = schedule.next_after(now), now
        status, rewritten = ScheduleStatus(None, expected, base), True
    if status.next is not None and now > status.next:
        return PastDueCheck(status, now - status.next, rewritten)
    return PastDueCheck(status, timedelta(0), rewritten)


def after_run(
    status: ScheduleStatus, schedule: Schedule, invoked_at: datetime, scheduled: bool
) -> ScheduleStatus:
    """The status after an invocation that started at ``invoked_at``.

    As the host's listener: a scheduled run that started before its occurrence (a timer firing
    early) counts from the occurrence; the next one is the first after that. A run that started
    late (a long previous run, or a clock that jumped) therefore skips the occurrences it missed
    rather than running once for each.
    """
    counted = invoked_at
    if scheduled and status.next is not None and status.next > invoked_at:
        counted = status.next
    return ScheduleStatus(counted, schedule.next_after(counted), counted)
