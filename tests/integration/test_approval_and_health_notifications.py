"""The notifications the approval and the health monitor send are accepted by the real outbox
activity, and a re-run of the same step (activities run at least once) writes nothing new."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from pytest_mock import MockerFixture

from activities.approvals import notify_approval_party
from activities.notifications import send_notification
from orchestrators import expense_approval, health_monitor
from shared import storage
from shared.approval_store import save_parties
from shared.errors import PermanentError
from shared.models.approvals import ApprovalParties, IdentitySource
from shared.outbox import NOTIFICATIONS_TABLE
from tests.support.functions import orchestrator_function, user_function
from tests.support.notifications import notice_receipt_for, receipt_for
from tests.support.orchestration import DEFAULT_START, FakeTask, OrchestrationDriver

pytestmark = pytest.mark.usefixtures("app_storage")


def _rows(correlation_id: str) -> list[dict[str, Any]]:
    table = storage.table(NOTIFICATIONS_TABLE)
    query = "PartitionKey eq @pk"
    return list(table.query_entities(query, parameters={"pk": correlation_id}))


def _deliver_twice(driver: OrchestrationDriver) -> list[dict[str, Any]]:
    """Send each notification the orchestrator asked for twice; return the first receipts."""
    activity = user_function(send_notification)
    receipts = []
    for task in driver.activities:
        if task.name == "send_notification":
            first = activity(task.input)
            assert activity(task.input) == first, "a re-run returns the first receipt"
            receipts.append(first)
    return receipts


def test_an_escalated_then_expired_approval_writes_each_notification_once(
    mocker: MockerFixture,
) -> None:
    """Addresses come from the approvals table; the orchestration and receipts carry none."""
    instance_id = f"approval-{uuid.uuid4().hex}"
    save_parties(
        instance_id,
        ApprovalParties(
            requester="ada@example.com",
            approvers=["manager@example.com", "director@example.com"],
            requester_source=IdentitySource.REQUEST_BODY,
        ),
    )

    def respond(task: FakeTask) -> Any:
        if task.kind == "any":
            return task.child("timer")
        return notice_receipt_for(task.input) if task.kind == "activity" else None

    driver = OrchestrationDriver(
        mocker,
        orchestrator_function(expense_approval.expense_approval),
        input={
            "approvalId": instance_id,
            "amount": "99.90",
            "description": "Train ticket",
            "stageCount": 2,
            "requesterSource": "request_body",
            "stageTimeoutSeconds": 60,
        },
        instance_id=instance_id,
    )
    driver.run(respond)

    activity = user_function(notify_approval_party)
    receipts = []
    for task in driver.activities:
        assert task.name == expense_approval.NOTIFY_APPROVAL_PARTY
        first = activity(task.input)
        assert activity(task.input) == first, "a re-run returns the first receipt"
        receipts.append(first)

    rows = sorted(_rows(instance_id), key=lambda row: row["RowKey"])
    assert [(row["RowKey"], row["Kind"], row["Recipient"]) for row in rows] == [
        (f"{instance_id}:notify-outcome", "approval_expired", "ada@example.com"),
        (f"{instance_id}:notify-stage-1", "approval_requested", "manager@example.com"),
        (f"{instance_id}:notify-stage-2", "approval_escalated", "director@example.com"),
    ]
    assert "@" not in json.dumps(receipts)
    escalation = next(row for row in rows if row["Kind"] == "approval_escalated")
    assert json.loads(escalation["Data"])["eventName"] == "decision-stage-2"
    assert "ada@example.com" in escalation["Body"]
    assert "manager@example.com" in escalation["Body"], "names who did not decide in time"


def test_a_notice_for_an_approval_without_stored_parties_fails_permanently() -> None:
    notice = {
        "idempotencyKey": "approval-missing:notify-stage-1",
        "approvalId": "approval-missing",
        "kind": "approval_requested",
        "stage": 1,
        "amount": "1.00",
        "currency": "EUR",
        "description": "x",
    }

    with pytest.raises(PermanentError, match="no stored parties"):
        user_function(notify_approval_party)(notice)


def test_a_health_alert_is_written_once_per_generation(mocker: MockerFixture) -> None:
    name = f"it-{uuid.uuid4().hex[:12]}"
    monitor_id = f"health-monitor-{name}"
    #: A restart's id: the alert is keyed and correlated by the monitor's name all the same.
    instance_id = uuid.uuid4().hex

    def respond(task: FakeTask) -> Any:
        if task.kind == "activity" and task.name == "check_endpoint_health":
            return {
                "name": name,
                "healthy": False,
                "latencyMs": 3,
                "errorKind": "timeout",
                "checkedAt": DEFAULT_START.isoformat(),
            }
        if task.kind == "any":
            return task.child("timer")
        return receipt_for(task.input) if task.kind == "activity" else None

    driver = OrchestrationDriver(
        mocker,
        orchestrator_function(health_monitor.health_monitor),
        input={
            "name": name,
            "generation": 3,
            "intervalSeconds": 60,
            "alertThreshold": 1,
            "notifyRecipient": "ops@example.com",
        },
        instance_id=instance_id,
    )
    driver.run(respond)

    _deliver_twice(driver)

    assert _rows(instance_id) == []
    [row] = _rows(monitor_id)
    assert row["RowKey"] == f"{monitor_id}:health_alert-g3"
    assert row["Kind"] == "health_alert"
    assert json.loads(row["Data"])["errorKind"] == "timeout"
