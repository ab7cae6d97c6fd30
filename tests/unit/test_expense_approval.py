"""Expense approval: decisions, ignored decisions, escalation on timeout, expiry, deadlines,
and no e-mail address anywhere in what the orchestration records."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import pytest
from pytest_mock import MockerFixture

from orchestrators import expense_approval
from orchestrators.common import InvalidOrchestrationInput
from shared import log_context
from shared.errors import ErrorCode
from shared.models.approvals.expense import same_person
from tests.support.expense_approval import DAY3, approval_input
from tests.support.failures import permanent
from tests.support.functions import orchestrator_function
from tests.support.notifications import notice_receipt_for
from tests.support.orchestration import DEFAULT_START, FakeTask, OrchestrationDriver, after

NOTIFY = expense_approval.NOTIFY_APPROVAL_PARTY
TIMEOUT = object()


def _decision(stage: int, decision: str = "approve", **extra: Any) -> str:
    """What the Python client delivers: the payload JSON-encoded once more (SDK issue #295)."""
    return json.dumps({"stage": stage, "decision": decision, **extra})


class Script:
    """Answers activities with a receipt and each decision wait with the next scripted step."""

    def __init__(self, *steps: Any, failing_activity: Exception | None = None) -> None:
        self.steps = list(steps)
        self.failing_activity = failing_activity
        self.waits: list[FakeTask] = []

    def __call__(self, task: FakeTask) -> Any:
        if task.kind == "activity":
            if self.failing_activity is not None and task.input["kind"] == "approval_requested":
                raise self.failing_activity
            return notice_receipt_for(task.input)
        if task.kind == "timer":
            return None
        if task.kind == "any":
            self.waits.append(task)
            step = self.steps.pop(0)
            if step is TIMEOUT:
                return task.child("timer")
            return task.child("event").resolved(step)
        raise AssertionError(f"unexpected {task!r}")


def _run(
    mocker: MockerFixture, script: Script, instance_id: str = "approval-1", **overrides: Any
) -> tuple[Any, OrchestrationDriver]:
    driver = OrchestrationDriver(
        mocker,
        orchestrator_function(expense_approval.expense_approval),
        input=approval_input(**overrides),
        instance_id=instance_id,
    )
    output = driver.run(script)
    assert script.steps == [], "every scripted step was used"
    return output, driver


def _notifications(driver: OrchestrationDriver) -> list[dict[str, Any]]:
    return [a.input for a in driver.activities if a.name == NOTIFY]


def _distinct(tasks: list[FakeTask]) -> list[FakeTask]:
    seen: list[FakeTask] = []
    for task in tasks:
        if all(task is not s for s in seen):
            seen.append(task)
    return seen


def test_approved_at_the_first_stage_cancels_the_timer(mocker: MockerFixture) -> None:
    script = Script(_decision(1, comment="Enjoy"))

    output, driver = _run(mocker, script)

    assert output["outcome"] == "approved"
    assert output["decidedAtStage"] == 1
    assert output["decidedAt"] == DEFAULT_START.isoformat().replace("+00:00", "Z")
    assert output["comment"] == "Enjoy"
    assert output["amount"] == "420.50"
    assert [s["result"] for s in output["stages"]] == ["approved"]
    assert output["requesterNotified"] is True
    [timer] = driver.timers
    assert timer.fire_at == after(hours=72)
    assert timer.is_cancelled, "the losing timer must be cancelled"
    assert [w.child("event").name for w in script.waits] == ["decision-stage-1"]
    notes = _notifications(driver)
    assert [(n["kind"], n["stage"]) for n in notes] == [
        ("approval_requested", 1),
        ("approval_decided", 1),
    ]
    assert [n["idempotencyKey"] for n in notes] == [
        "approval-1:notify-stage-1",
        "approval-1:notify-outcome",
    ]


def test_a_restart_under_a_new_instance_id_keys_its_notices_by_the_approval_id(
    mocker: MockerFixture,
) -> None:
    """The Durable restart API starts the same input under a new id: the notices are the same."""
    script = Script(_decision(1))

    _, driver = _run(mocker, script, instance_id="2b4d6f8a0c1e3a5b7d9f1b3d5f7a9c0e")

    assert [n["idempotencyKey"] for n in _notifications(driver)] == [
        "approval-1:notify-stage-1",
        "approval-1:notify-outcome",
    ]


def test_status_names_the_stage_event_and_deadline_then_the_outcome(
    mocker: MockerFixture,
) -> None:
    _, driver = _run(mocker, Script(_decision(1)))

    first, last = driver.custom_statuses[0], driver.custom_status
    assert first["state"] == "awaiting_decision"
    assert (first["stage"], first["stageCount"]) == (1, 2)
    assert first["approvalId"] == "approval-1"
    assert first["eventName"] == "decision-stage-1"
    assert first["deadline"] == after(hours=72).isoformat().replace("+00:00", "Z")
    assert last["state"] == "approved"
    assert last["eventName"] is None
    assert all(isinstance(status, dict) for status in driver.custom_statuses)


def test_rejected_with_a_comment(mocker: MockerFixture) -> None:
    script = Script(_decision(1, "reject", comment="Over budget"))

    output, driver = _run(mocker, script)

    assert output["outcome"] == "rejected"
    assert output["comment"] == "Over budget"
    assert driver.timers[0].is_cancelled
    outcome_note = _notifications(driver)[-1]
    assert outcome_note["kind"] == "approval_decided"
    assert (outcome_note["outcome"], outcome_note["comment"]) == ("rejected", "Over budget")
    assert driver.custom_status["state"] == "rejected"


def test_a_decision_for_another_stage_is_ignored_and_the_stage_keeps_its_deadline(
    mocker: MockerFixture,
) -> None:
    script = Script(
        _decision(2),  # the next stage's, not this one's
        _decision(3),
        _decision(1),
    )

    output, driver = _run(mocker, script)

    assert output["outcome"] == "approved"
    assert output["decidedAtStage"] == 1
    assert output["stages"][0]["ignoredDecisions"] == 2
    timers = _distinct(driver.timers)
    assert len(timers) == 1, "one timer per stage: waiting again reuses the same deadline"
    assert timers[0].fire_at == after(hours=72)
    assert timers[0].is_cancelled
    assert all(w.child("timer") is timers[0] for w in script.waits)
    assert [w.child("event").name for w in script.waits] == ["decision-stage-1"] * 3
    events = [w.child("event") for w in script.waits]
    assert len(_distinct(events)) == 3, "each wait is a new event task"
    assert [s["ignoredDecisions"] for s in driver.custom_statuses[1:3]] == [1, 2]


@pytest.mark.parametrize(
    "payload",
    [
        "not json at all",
        None,
        42,
        json.dumps({"stage": 1, "decision": "maybe"}),
        json.dumps({"stage": 0, "decision": "approve"}),
        json.dumps({"stage": 1, "decision": "approve", "extra": 1}),
        json.dumps({"approver": "manager@example.com", "decision": "approve"}),
        {"decision": "approve"},
    ],
)
def test_malformed_decision_is_ignored(mocker: MockerFixture, payload: Any) -> None:
    script = Script(payload, {"stage": 1, "decision": "approve"})

    output, driver = _run(mocker, script)

    assert output["outcome"] == "approved"
    assert output["stages"][0]["ignoredDecisions"] == 1
    assert len(_distinct(driver.timers)) == 1


def test_stage_timeout_escalates_to_the_next_approver(mocker: MockerFixture) -> None:
    script = Script(TIMEOUT, _decision(1), _decision(2, comment="ok"))

    output, driver = _run(mocker, script)

    assert output["outcome"] == "approved"
    assert output["decidedAtStage"] == 2
    assert [s["result"] for s in output["stages"]] == ["timed_out", "approved"]
    assert output["stages"][1]["ignoredDecisions"] == 1, "the late stage-1 decision is ignored"
    escalation = _notifications(driver)[1]
    assert escalation["kind"] == "approval_escalated"
    assert escalation["stage"] == 2
    assert escalation["idempotencyKey"] == "approval-1:notify-stage-2"
    assert escalation["deadline"] == after(hours=144).isoformat().replace("+00:00", "Z")
    stage2 = next(s for s in driver.custom_statuses if s["stage"] == 2)
    assert stage2["eventName"] == "decision-stage-2"
    assert stage2["deadline"] == after(hours=144).isoformat().replace("+00:00", "Z")
    first_timer, second_timer = _distinct(driver.timers)
    assert not first_timer.is_cancelled, "a timer that fired is not cancelled"
    assert second_timer.fire_at == after(hours=144)
    assert second_timer.is_cancelled
    assert [w.child("event").name for w in script.waits] == [
        "decision-stage-1",
        "decision-stage-2",
        "decision-stage-2",
    ]


def test_last_timeout_expires_and_tells_the_requester(mocker: MockerFixture) -> None:
    script = Script(TIMEOUT, TIMEOUT)

    output, driver = _run(mocker, script)

    assert output["outcome"] == "expired"
    assert output["decidedAtStage"] is None
    assert output["decidedAt"] is None
    assert [s["result"] for s in output["stages"]] == ["timed_out", "timed_out"]
    assert output["completedAt"] == after(hours=144).isoformat().replace("+00:00", "Z")
    notes = _notifications(driver)
    assert [(n["kind"], n["stage"]) for n in notes] == [
        ("approval_requested", 1),
        ("approval_escalated", 2),
        ("approval_expired", 2),
    ]
    assert driver.custom_status["state"] == "expired"
    assert driver.custom_status["eventName"] is None


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(DAY3, timedelta(hours=72)), (90, timedelta(seconds=90)), (144 * 3600, timedelta(days=6))],
)
def test_each_stage_deadline_is_its_start_plus_the_stage_timeout(
    mocker: MockerFixture, seconds: int, expected: timedelta
) -> None:
    output, driver = _run(mocker, Script(TIMEOUT, TIMEOUT), stageTimeoutSeconds=seconds)

    assert [t.fire_at for t in _distinct(driver.timers)] == [
        DEFAULT_START + expected,
        DEFAULT_START + 2 * expected,
    ]
    assert [s["deadline"] for s in output["stages"]] == [
        (DEFAULT_START + n * expected).isoformat().replace("+00:00", "Z") for n in (1, 2)
    ]


def test_a_failed_approver_notification_does_not_stop_the_approval(
    mocker: MockerFixture,
) -> None:
    failure = permanent(NOTIFY, ErrorCode.VALIDATION, "bad recipient")
    script = Script(_decision(1), failing_activity=failure)

    output, _ = _run(mocker, script)

    assert output["outcome"] == "approved"
    assert output["stages"][0]["approverNotified"] is False
    assert output["requesterNotified"] is True


def test_a_flood_of_ignored_decisions_stops_listening_until_the_deadline(
    mocker: MockerFixture,
) -> None:
    cap = expense_approval.MAX_IGNORED_DECISIONS_PER_STAGE
    script = Script(*([_decision(2)] * cap), TIMEOUT)

    output, driver = _run(mocker, script)

    assert output["stages"][0]["result"] == "timed_out"
    assert output["stages"][0]["ignoredDecisions"] == cap
    bare_timer_waits = [t for t in driver.yielded if t.kind == "timer"]
    assert len(bare_timer_waits) == 1, "after the cap, stage 1 waits on its timer alone"
    assert bare_timer_waits[0].fire_at == after(hours=72)


@pytest.mark.parametrize(
    "overrides",
    [
        {"stageCount": 0},
        {"stageCount": 6},
        {"requesterSource": "trust_me"},
        {"requester": "ada@example.com"},
        {"approvers": ["manager@example.com"]},
        {"stageTimeoutSeconds": 0},
        {"stageTimeoutSeconds": 144 * 3600 + 1},
        {"amount": "-1"},
    ],
)
def test_invalid_input_fails_clearly(mocker: MockerFixture, overrides: dict[str, Any]) -> None:
    driver = OrchestrationDriver(
        mocker,
        orchestrator_function(expense_approval.expense_approval),
        input=approval_input(**overrides),
    )

    with pytest.raises(InvalidOrchestrationInput, match="invalid orchestration input"):
        driver.run(Script())

    assert driver.activities == []


def test_verified_only_when_requester_and_decider_came_from_the_principal(
    mocker: MockerFixture,
) -> None:
    signed_in = json.dumps({"stage": 1, "decision": "approve", "identitySource": "principal"})
    output, _ = _run(mocker, Script(signed_in), requesterSource="principal")
    assert (output["requesterSource"], output["identitySource"]) == ("principal", "principal")
    assert output["identityVerified"] is True

    output, _ = _run(mocker, Script(_decision(1)), requesterSource="principal")
    assert output["identityVerified"] is False  # the decider is a body claim

    output, _ = _run(mocker, Script(TIMEOUT, TIMEOUT))
    assert output["identityVerified"] is False  # the requester is a body claim


def test_no_email_address_in_input_status_activity_inputs_or_output(
    mocker: MockerFixture,
) -> None:
    output, driver = _run(mocker, Script(TIMEOUT, _decision(2, comment="fine")))

    recorded = json.dumps(
        [driver.input, driver.custom_statuses, [a.input for a in driver.activities], output]
    )
    assert "@" not in recorded


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Boss@Example.COM", "boss@example.com", True),
        ("bo\u017fs@example.com", "boss@example.com", False),  # long s; casefold() says equal
        ("\uff22\uff2f\uff33\uff33@example.com", "boss@example.com", False),  # fullwidth; NFKC
        ("stra\u00dfe@example.com", "strasse@example.com", False),  # sharp s; casefold() says equal
        ("\u00c9lise@example.com", "\u00e9lise@example.com", False),  # non-ASCII case is kept
    ],
)
def test_identities_compare_after_lowercasing_ascii_letters_only(
    a: str, b: str, same: bool
) -> None:
    assert same_person(a, b) is same


def test_reaching_the_last_approver_is_one_workflow_event(
    mocker: MockerFixture, caplog: pytest.LogCaptureFixture
) -> None:
    log_context.install()  # as the app's telemetry set-up does
    with caplog.at_level(logging.INFO):
        _run(mocker, Script(TIMEOUT, TIMEOUT))

    (event,) = [r for r in caplog.records if getattr(r, "event", None) == "approval.last_stage"]
    assert event.stage == 2  # type: ignore[attr-defined]
    assert event.deadline == after(hours=144).isoformat()  # type: ignore[attr-defined]
    assert event.businessId == event.instanceId  # type: ignore[attr-defined]
