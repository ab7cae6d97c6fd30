"""The approval's event handling in the real SDK on the local host, notifications faked.

A decision raised while the stage's notification is being written arrives before the stage
waits, so the SDK buffers it; and the SDK hands a buffered event to every later wait with the
same name (SDK issue #507, pinned in the local host's own tests). These show the stage consumes
a buffered decision once: one for the stage decides it, one for another stage is ignored once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from durable_localhost.timeutil import parse
from orchestrators.expense_approval import NOTIFY_APPROVAL_PARTY
from tests.support.expense_approval import INSTANCE, approval_input
from tests.support.local_host import LocalHost, StartLocalHost
from tests.support.notifications import notice_receipt_for


def _decision(stage: int, decision: str = "approve") -> dict[str, Any]:
    return {"stage": stage, "decision": decision}


def _decided_while_notifying(local_host: StartLocalHost, decision: dict[str, Any]) -> LocalHost:
    """Stage 1's notification raises `decision` before it answers; the clock stands still."""
    host: LocalHost

    def notify(notice: Any) -> Any:
        if notice["kind"] == "approval_requested":
            host.raise_event(INSTANCE, "decision-stage-1", decision)
        return notice_receipt_for(notice)

    host = local_host({NOTIFY_APPROVAL_PARTY: notify}, paused=True)
    host.start("expense_approval", approval_input(), INSTANCE)
    assert host.server.wait_idle()
    return host


def test_a_buffered_decision_for_the_stage_completes_the_first_wait(
    local_host: StartLocalHost,
) -> None:
    host = _decided_while_notifying(local_host, _decision(1))

    status = host.status(INSTANCE)
    assert status["runtimeStatus"] == "Completed", "the stage's timer was canceled"
    assert status["output"]["outcome"] == "approved"
    assert status["output"]["decidedAtStage"] == 1
    assert status["output"]["stages"][0]["ignoredDecisions"] == 0


def test_a_buffered_decision_for_another_stage_is_ignored_once_and_the_stage_keeps_waiting(
    local_host: StartLocalHost,
) -> None:
    host = _decided_while_notifying(local_host, _decision(2))

    status = host.status(INSTANCE)
    assert status["runtimeStatus"] == "Running", "still waiting, not spinning on the event"
    assert status["customStatus"]["ignoredDecisions"] == 1
    assert status["customStatus"]["eventName"] == "decision-stage-1"
    started = host.server.clock.now() - timedelta(seconds=1)
    deadline = status["customStatus"]["deadline"]
    assert started.isoformat() < deadline < (started + timedelta(hours=73)).isoformat()


def test_after_an_ignored_buffered_decision_a_live_one_decides_and_cancels_the_timer(
    local_host: StartLocalHost,
) -> None:
    host = _decided_while_notifying(local_host, _decision(2))
    an_hour_later = host.server.clock.now() + timedelta(hours=1)
    host.server.clock.advance(timedelta(hours=1))

    host.raise_event(INSTANCE, "decision-stage-1", _decision(1, "reject"))
    assert host.server.wait_idle()

    status = host.status(INSTANCE)
    assert status["runtimeStatus"] == "Completed", "the stage's timer was canceled"
    assert status["output"]["outcome"] == "rejected"
    assert status["output"]["decidedAtStage"] == 1
    assert status["output"]["stages"][0]["ignoredDecisions"] == 1
    assert parse(status["output"]["decidedAt"]) >= an_hour_later
    told = host.activities.calls(NOTIFY_APPROVAL_PARTY)
    assert [n["kind"] for n in told] == ["approval_requested", "approval_decided"]
