"""Workflow fields on log lines: which instance, function, pattern and business id."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

import pytest

from orchestrators.common import replay_safe_logger, workflow_event
from shared import log_context
from shared.log_context import LogFields, activity_fields, bind, describe_instance


@pytest.fixture(autouse=True)
def record_factory() -> None:
    log_context.install()


@pytest.mark.parametrize(
    ("instance_id", "pattern", "function", "kind", "business_id"),
    [
        ("order-o-1", "saga", "order_fulfillment_saga", "orderId", "o-1"),
        ("onboarding-3f2a", "chaining", "customer_onboarding", "onboardingKey", "3f2a"),
        ("approval-9c", "human-interaction", "expense_approval", "approvalId", "approval-9c"),
        ("health-monitor-self", "eternal", "health_monitor", "endpoint", "self"),
        ("monitor-m-7", "monitor", "monitor_export_job", "monitorId", "m-7"),
        ("b-42", "fan-out-fan-in", "process_batch", "batchId", "b-42"),
        ("b-42:chunk-3:attempt-2", "fan-out-fan-in", "process_batch_chunk", "batchId", "b-42"),
    ],
)
def test_an_instance_id_names_its_workflow(
    instance_id: str, pattern: str, function: str, kind: str, business_id: str
) -> None:
    assert describe_instance(instance_id) == LogFields(
        instanceId=instance_id,
        function=function,
        pattern=pattern,
        businessKind=kind,
        businessId=business_id,
    )


def test_the_health_monitor_prefix_wins_over_the_export_monitor_one() -> None:
    assert describe_instance("health-monitor-monitor-x").pattern == "eternal"


@pytest.mark.parametrize(
    ("payload", "instance_id"),
    [
        ({"idempotencyKey": "order-o-1:release-inventory"}, "order-o-1"),
        ({"idempotencyKey": "k:charge", "orderId": "o-1"}, "order-o-1"),
        ({"idempotencyKey": "b:1:chunk-0:x", "batchId": "b:1"}, "b:1"),
        ({"onboardingKey": "3f2a", "proposedCustomerId": "c"}, "onboarding-3f2a"),
        ({"name": "self"}, "health-monitor-self"),
        ({"correlationId": "approval-1", "idempotencyKey": "approval-1:notice"}, "approval-1"),
        ({"batchId": "b-7", "itemId": "i"}, "b-7"),
    ],
)
def test_an_activity_is_attributed_from_its_payload_keys(
    payload: dict[str, Any], instance_id: str
) -> None:
    fields = activity_fields("charge_payment", payload)

    assert fields is not None
    assert fields.instanceId == instance_id
    assert fields.function == "charge_payment"


def test_an_export_job_check_is_attributed_to_its_job() -> None:
    fields = activity_fields("get_job_status", {"jobId": "j-1"})

    assert fields == LogFields("", "get_job_status", "monitor", "jobId", "j-1")


@pytest.mark.parametrize("payload", [None, "text", [], {}, {"idempotencyKey": "no-colon"}])
def test_a_payload_without_keys_binds_nothing(payload: Any) -> None:
    assert activity_fields("f", payload) is None


def test_every_record_made_while_bound_carries_the_fields(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fields = describe_instance("order-o-1", "charge_payment")
    with caplog.at_level(logging.INFO), bind(fields):
        logging.getLogger("any.library").info("inside")
    logging.getLogger("any.library").warning("outside")

    inside, outside = caplog.records
    assert {name: getattr(inside, name) for name in fields.as_attributes()} == (
        fields.as_attributes()
    )
    assert not hasattr(outside, "instanceId")


def orchestration(instance_id: str, replaying: bool) -> Any:
    return SimpleNamespace(instance_id=instance_id, is_replaying=replaying)


def test_orchestrator_lines_carry_the_fields_and_are_dropped_during_replay(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO):
        replay_safe_logger(orchestration("order-o-9", True), "saga").warning("replayed")
        replay_safe_logger(orchestration("order-o-9", False), "saga").warning("new")

    (record,) = caplog.records
    assert record.getMessage() == "[order-o-9] new"
    assert record.businessId == "o-9"  # type: ignore[attr-defined]
    assert record.pattern == "saga"  # type: ignore[attr-defined]


def test_a_workflow_event_is_one_structured_line(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        workflow_event(orchestration("b-1", False), "batch", "batch.completed", width=16, failed=2)

    (record,) = caplog.records
    assert record.event == "batch.completed"  # type: ignore[attr-defined]
    assert (record.width, record.failed) == (16, 2)  # type: ignore[attr-defined]
    assert record.businessId == "b-1"  # type: ignore[attr-defined]
