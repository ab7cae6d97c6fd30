"""`make record-histories`: run every orchestrator through its main paths and keep the histories.

    python -m tests.replay.record

Each scenario drives the app the way its users do (HTTP routes, decisions, job updates, time
passing); a few start a variant of an instance through the host's webhook where no route can
reach a path (a chunk that cannot list its items, a monitor that continues as new after two
checks, a chunk of a given version). Test data is obviously fake and `@example.com`; the
recording stops without writing if any of it shows up in a history (docs/data.md).
Scenarios run in this order, each in its own time slot: add new ones at the end.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import timedelta
from typing import Any, Final, NamedTuple

from orchestrators.batch import PRICE_BATCH_ITEM_SINCE
from tests.e2e.support.endpoint import ControllableEndpoint
from tests.replay.recording import Recorder, Scenario, record
from tests.support.local_host import INDEXING_SETTINGS

CUSTOMER: Final = {"email": "replay.customer@example.com", "name": "Replay Testperson"}
BUYER: Final = "replay.buyer@example.com"
ADDRESS: Final = {
    "name": "Replay Testperson",
    "line1": "1 Fixture Lane",
    "city": "Testville",
    "postalCode": "FX-4711",
}
REQUESTER, MANAGER, DIRECTOR = (
    f"replay.{r}@example.com" for r in ("requester", "manager", "director")
)
MONITOR_RECIPIENT: Final = "replay.monitor@example.com"
OPERATIONS: Final = "replay.operations@example.com"
OPERATOR: Final = "replay.operator@example.com"
#: Every personal value a scenario sends: none may reach a recorded history.
PERSONAL_DATA: Final = (
    *CUSTOMER.values(),
    BUYER,
    *ADDRESS.values(),
    REQUESTER,
    MANAGER,
    DIRECTOR,
    MONITOR_RECIPIENT,
    OPERATIONS,
    OPERATOR,
    "tok_visa",
    "tok_declined",
    "tok_unavailable",
    "tok_refund_unavailable",
)
QUICK_RETRY: Final = {
    "maxAttempts": 3,
    "firstDelaySeconds": 1,
    "multiplier": 2,
    "maxDelaySeconds": 2,
}
PROBE: Final = "replay-probe"
#: A version before the batch's rename of its item activity.
OLDER_VERSION: Final = "1.0"


# --- chaining: onboarding -------------------------------------------------------------------


def onboarding(rec: Recorder) -> None:
    started = rec.call("POST", "/customers", CUSTOMER, expect=202)
    rec.keep(
        "customer_onboarding",
        "completed",
        started["id"],
        "create the customer, open the account, send the welcome",
    )
    # The same onboarding key with details it was never stored with: a permanent conflict.
    forged = rec.input_of(started["id"]) | {"detailsFingerprint": "0" * 64}
    rec.start("customer_onboarding", "onboarding-replay-conflict", forged)
    rec.keep(
        "customer_onboarding",
        "failed_on_conflict",
        "onboarding-replay-conflict",
        "create_customer refuses details that differ from the stored ones: the onboarding fails",
    )


# --- saga: orders ---------------------------------------------------------------------------


class OrderCase(NamedTuple):
    case: str
    order_id: str
    payment: str
    description: str
    country: str = "DE"
    quantity: int = 1
    step_retry: dict[str, int] | None = None
    #: The operator's decision once the order awaits recovery: after four days, 20 reminders in
    #: (a generation of the wait), so the saga has continued as new.
    recovery: dict[str, Any] | None = None


ORDER_CASES: Final = (
    OrderCase("completed", "replay-ok", "tok_visa", "reserve, charge, ship, confirm"),
    OrderCase(
        "payment_declined",
        "replay-declined",
        "tok_declined",
        "a declined charge releases the reservation and tells the customer",
    ),
    OrderCase(
        "undeliverable",
        "replay-undeliverable",
        "tok_visa",
        "shipping fails for good: refund, release, cancellation notice",
        country="AQ",
    ),
    OrderCase(
        "out_of_stock",
        "replay-out-of-stock",
        "tok_visa",
        "the reservation fails: nothing to compensate",
        quantity=500,
    ),
    OrderCase(
        "transient_charge_retried",
        "replay-flaky-charge",
        "tok_unavailable_2",
        "two unavailable charges back off on timers, the third succeeds",
        step_retry=QUICK_RETRY,
    ),
    OrderCase(
        "charge_never_available",
        "replay-charge-down",
        "tok_unavailable_9",
        "the charge runs out of retries: its unknown outcome is voided",
        step_retry=QUICK_RETRY,
    ),
    OrderCase(
        "compensation_failed_resolved_by_hand",
        "replay-refund-down",
        "tok_refund_unavailable",
        "undeliverable, the refund keeps failing: the saga awaits recovery, reminds operations "
        "and continues as new until an operator records the refund as done by hand",
        country="AQ",
        recovery={"round": 1, "action": "resolve", "note": "refunded by hand, ticket REPLAY-1"},
    ),
)


def orders(rec: Recorder) -> None:
    rec.call("PUT", "/inventory/sku-replay-mug", {"quantity": 20, "unitPrice": "12.50"}, 201)
    for case in ORDER_CASES:
        body: dict[str, Any] = {
            "orderId": case.order_id,
            "customerEmail": BUYER,
            "items": [{"sku": "sku-replay-mug", "quantity": case.quantity}],
            "paymentMethod": case.payment,
            "shippingAddress": ADDRESS | {"country": case.country},
        }
        if case.step_retry:
            body["stepRetry"] = case.step_retry
        instance_id = rec.call("POST", "/orders", body, expect=202)["id"]
        rec.advance(timedelta(hours=2))
        if case.recovery:
            rec.advance(timedelta(days=4))
            decision = case.recovery | {"operator": OPERATOR}
            rec.call("POST", f"/orders/{case.order_id}/recovery", decision, expect=202)
        rec.keep("order_fulfillment_saga", case.case, instance_id, case.description)


# --- fan-out/fan-in: batches ----------------------------------------------------------------


def _items(count: int, bad: set[int]) -> list[dict[str, str]]:
    return [
        {
            "id": f"item-{n:02d}",
            "sku": f"SKU-{n:02d}",
            "basePrice": f"{10 + n}.00",
            "currency": "XXX" if n in bad else "EUR",
            "discountPercent": "10",
        }
        for n in range(count)
    ]


def batches(rec: Recorder) -> None:
    body = {"batchId": "batch-replay", "items": _items(14, {3, 11}), "maxParallel": 4}
    rec.call("POST", "/batches", body, expect=202)
    rec.advance(timedelta(minutes=10))
    rec.keep(
        "process_batch",
        "completed_with_failures",
        "batch-replay",
        "14 items in two chunk sub-orchestrations, 2 rejected; failures listed; counter signalled",
    )
    for index in (0, 1):
        rec.keep(
            "process_batch_chunk",
            f"chunk_{index}",
            f"batch-replay:chunk-{index}",
            f"chunk {index} of batch-replay: list its ids, price its items 4 at a time",
        )
    # The same chunk started by each side of the version branch of the item activity's name.
    chunk = rec.input_of("batch-replay:chunk-0")
    for version, case, activity in (
        (OLDER_VERSION, "version_1_0_process_batch_item", "process_batch_item"),
        (PRICE_BATCH_ITEM_SINCE, "version_1_1_price_batch_item", "price_batch_item"),
    ):
        instance_id = f"batch-replay:chunk-0:v{version}"
        rec.start("process_batch_chunk", instance_id, chunk, version)
        rec.keep(
            "process_batch_chunk",
            case,
            instance_id,
            f"a chunk of version {version} prices its items as {activity}",
        )
    # A batch whose items were never staged: every chunk attempt fails, the batch gives up.
    plan = rec.input_of("batch-replay") | {"batchId": "batch-replay-unstaged"}
    rec.start("process_batch", "batch-replay-unstaged", plan)
    rec.advance(timedelta(hours=1))
    rec.keep(
        "process_batch",
        "chunks_given_up",
        "batch-replay-unstaged",
        "chunks fail on every attempt: retried under new ids, then recorded as failed chunks",
    )
    rec.keep(
        "process_batch_chunk",
        "items_not_staged",
        "batch-replay-unstaged:chunk-0",
        "a chunk whose items cannot be listed fails (its parent retries it)",
    )


# --- monitor: export jobs -------------------------------------------------------------------


def _monitor(rec: Recorder, timeout_minutes: int) -> tuple[str, str]:
    job = rec.call("POST", "/jobs", {"description": "Replay export"}, expect=201)
    body = {
        "jobId": job["id"],
        "timeoutMinutes": timeout_minutes,
        "initialIntervalSeconds": 5,
        "maxIntervalSeconds": 20,
        "notify": MONITOR_RECIPIENT,
    }
    return str(job["id"]), str(rec.call("POST", "/monitors", body, expect=202)["id"])


def export_monitors(rec: Recorder) -> None:
    job, monitor = _monitor(rec, 60)
    rec.advance(timedelta(seconds=30))
    done = {"status": "completed", "resultLocation": "https://files.example.com/replay.csv"}
    rec.call("PUT", f"/jobs/{job}", done, expect=200)
    rec.advance(timedelta(minutes=1))
    rec.keep(
        "monitor_export_job",
        "job_completed",
        monitor,
        "polls with a doubling interval until the job completes, then alerts its recipient",
    )

    job, monitor = _monitor(rec, 60)
    rec.advance(timedelta(seconds=10))
    rec.call("PUT", f"/jobs/{job}", {"status": "failed", "message": "disk full"}, expect=200)
    rec.advance(timedelta(minutes=1))
    rec.keep("monitor_export_job", "job_failed", monitor, "the job fails: operations are alerted")

    _, monitor = _monitor(rec, 1)
    rec.advance(timedelta(minutes=2))
    rec.keep(
        "monitor_export_job",
        "timed_out",
        monitor,
        "the deadline passes first: the last wait ends at the deadline, then timed_out",
    )

    # Two checks per generation (100 by default) so that a short watch continues as new.
    job, source = _monitor(rec, 60)
    rec.advance(timedelta(seconds=1))
    watch = rec.input_of(source) | {"checksPerGeneration": 2}
    rec.start("monitor_export_job", "monitor-replay-generations", watch)
    rec.advance(timedelta(seconds=60))
    rec.call("PUT", f"/jobs/{job}", done, expect=200)
    rec.advance(timedelta(minutes=2))
    rec.keep(
        "monitor_export_job",
        "continued_as_new",
        "monitor-replay-generations",
        "two checks per generation: continues as new, carries its progress, sees the job finish",
    )


# --- human interaction: approvals -----------------------------------------------------------


def _approval(rec: Recorder) -> str:
    body = {
        "requester": REQUESTER,
        "amount": 420.5,
        "description": "Replay conference ticket",
        "approvers": [MANAGER, DIRECTOR],
        "stageTimeoutSeconds": 3600,
    }
    return str(rec.call("POST", "/approvals", body, expect=202)["id"])


def _decide(rec: Recorder, instance_id: str, approver: str, decision: str) -> None:
    body = {"approver": approver, "decision": decision, "comment": "replay"}
    rec.call("POST", f"/approvals/{instance_id}/decision", body, expect=202)


def approvals(rec: Recorder) -> None:
    approved = _approval(rec)
    rec.advance(timedelta(minutes=5))
    _decide(rec, approved, MANAGER, "approve")
    rec.keep(
        "expense_approval",
        "approved_by_manager",
        approved,
        "the first approver decides before the stage deadline: the timer is cancelled",
    )

    escalated = _approval(rec)
    rec.advance(timedelta(hours=1, minutes=1))
    _decide(rec, escalated, DIRECTOR, "reject")
    rec.keep(
        "expense_approval",
        "escalated_then_rejected",
        escalated,
        "the stage timer wins the race: escalation to the director, who rejects",
    )

    expired = _approval(rec)
    rec.advance(timedelta(hours=3))
    rec.keep(
        "expense_approval",
        "expired",
        expired,
        "nobody decides: both stages time out and the request expires",
    )


# --- eternal: health monitors ---------------------------------------------------------------


def health_monitors(rec: Recorder, endpoint: ControllableEndpoint) -> None:
    endpoint.failing()
    body = {"name": PROBE, "intervalSeconds": 60, "alertThreshold": 2}
    instance_id = str(rec.call("POST", "/health-monitors", body, expect=202)["id"])
    rec.advance(timedelta(seconds=125))  # two failed checks: the alert
    endpoint.healthy()
    rec.advance(timedelta(seconds=60))  # recovery: resolved
    rec.call("DELETE", f"/health-monitors/{PROBE}", expect=202)
    rec.advance(timedelta(seconds=60))
    rec.keep(
        "health_monitor",
        "alert_resolve_stop",
        instance_id,
        "generation by generation: two failures alert once, recovery resolves, stop ends it",
    )


# --- the run --------------------------------------------------------------------------------


def scenarios(endpoint: ControllableEndpoint) -> list[tuple[str, Scenario]]:
    return [
        ("onboarding", onboarding),
        ("orders", orders),
        ("batches", batches),
        ("export_monitors", export_monitors),
        ("approvals", approvals),
        ("health_monitors", lambda rec: health_monitors(rec, endpoint)),
    ]


def settings(probe_url: str) -> dict[str, str]:
    return {
        "TASKHUB_NAME": "ReplayRecording",
        "OPERATIONS_EMAIL": OPERATIONS,
        "BATCH_CHUNK_SIZE": "10",
        "BATCH_MAX_PARALLEL": "8",
        "HEALTH_CHECK_TIMEOUT_SECONDS": "5",
        "HEALTH_MONITOR_ALLOWLIST": json.dumps({PROBE: probe_url}),
        **INDEXING_SETTINGS,
    }


def main() -> int:
    began = time.monotonic()
    logging.disable(logging.ERROR)  # the failure paths log their failures; the files show them
    endpoint = ControllableEndpoint().start()
    try:
        written = record(scenarios(endpoint), settings(endpoint.url), personal_data=PERSONAL_DATA)
    finally:
        endpoint.stop()
    for path in written:
        print(f"  {path.parent.name}/{path.name}")
    print(f"{len(written)} histories recorded in {time.monotonic() - began:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
