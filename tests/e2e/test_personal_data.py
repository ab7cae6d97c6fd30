"""No personal data in orchestration histories, inputs, outputs or custom status.

Each case seeds unique markers (an e-mail, a street, a name, a payment token) through a
pattern's starter, drives the pattern through its main and failure paths, then reads every
instance it created (sub-orchestrations included) with input, history and history output, and
fails naming the instance and the event where a marker shows. The operations address, which
alerts go to, counts as personal data too.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest

from tests.e2e.support.client import ApiClient, Json, expect
from tests.e2e.support.clock import Clock
from tests.e2e.support.endpoint import ControllableEndpoint
from tests.e2e.support.shop import QUICK_RETRY, UNDELIVERABLE, accepted, signed_in, stock, unique
from tests.e2e.support.target import Target
from tests.e2e.support.waiting import (
    wait_for_custom_status,
    wait_for_instance,
    wait_for_notifications,
    wait_until,
)

#: Payment tokens whose behaviour is fixed by name (the simulated provider's test tokens).
BEHAVIOUR_TOKENS = ("tok_declined", "tok_refund_unavailable")


class PersonalDataFound(AssertionError):
    """A marker showed in an instance's input, output, custom status or history."""


@dataclass
class Seeds:
    """The markers one case seeded, and the instances it started."""

    markers: set[str] = field(default_factory=set)
    started: set[str] = field(default_factory=set)

    def email(self) -> str:
        address = f"pii-{uuid.uuid4().hex}@example.com"
        self.markers.add(address)
        return address

    def name(self) -> str:
        name = f"Piiname {uuid.uuid4().hex[:16]}"
        self.markers.add(name)
        return name

    def token(self) -> str:
        token = f"tok_{uuid.uuid4().hex}"
        self.markers.add(token)
        return token

    def address(self, country: str = "DE") -> Json:
        street = f"{uuid.uuid4().hex} Seeded Street"
        self.markers.add(street)
        return {
            "name": self.name(),
            "line1": street,
            "city": "Berlin",
            "postalCode": "10115",
            "country": country,
        }


@pytest.fixture
def seeds(target: Target) -> Seeds:
    found = Seeds()
    if target.operations_email:
        found.markers.add(target.operations_email)
    return found


def created_since(api: ApiClient, since: datetime) -> set[str]:
    listing = api.get_json("/instances", {"createdFrom": since.isoformat(), "top": 100})
    assert not listing["truncated"], "too many instances to check; narrow the window"
    return {instance["instanceId"] for instance in listing["instances"]}


def leaks(instance_id: str, status: Json, markers: set[str]) -> Iterator[str]:
    """Where a marker shows in one instance's status: its fields and each history event."""
    places: list[tuple[str, object]] = [
        (name, status.get(name)) for name in ("input", "output", "customStatus")
    ]
    places += [
        (f"history[{n}] {event.get('EventType') or event.get('eventType')}", event)
        for n, event in enumerate(status.get("history") or [])
    ]
    for place, value in places:
        text = json.dumps(value).lower()
        for marker in sorted(markers):
            if marker.lower() in text:
                yield f"{instance_id} {place}: {marker!r}"


def assert_no_personal_data(api: ApiClient, since: datetime, seeds: Seeds) -> set[str]:
    """Every instance created since `since` (and every one the case started) is clean;
    returns the instances checked."""
    markers = seeds.markers | set(BEHAVIOUR_TOKENS)
    instances = created_since(api, since)
    assert seeds.started <= instances, "an instance the case started is not listed"
    found: list[str] = []
    for instance_id in sorted(instances):
        status = expect(
            api.get(
                f"/instances/{instance_id}/details",
                {"showInput": True, "showHistory": True, "showHistoryOutput": True},
            ),
            200,
            202,
        )
        assert status["history"] is not None, f"{instance_id}: no history in the answer"
        found += leaks(instance_id, status, markers)
    if found:
        raise PersonalDataFound("personal data in orchestration state:\n" + "\n".join(found))
    return instances


def run(api: ApiClient, clock: Clock, seeds: Seeds, path: str, body: Json) -> Json:
    """Start an orchestration, remember it, and wait until it is finished."""
    started = accepted(api.post(path, body))
    seeds.started.add(started["id"])
    return wait_for_instance(api, clock, started["id"])


# --- the patterns ----------------------------------------------------------------------------


def onboarding(api: ApiClient, clock: Clock, seeds: Seeds) -> None:
    email, name = seeds.email(), seeds.name()
    done = run(api, clock, seeds, "/customers", {"email": email, "name": name})
    assert done["runtimeStatus"] == "Completed", done
    # A re-post joins; one with another name is a 409; neither starts anything new.
    again = expect(api.post("/customers", {"email": email, "name": name}), 202)
    assert again["id"] == done["instanceId"]
    assert api.post("/customers", {"email": email, "name": seeds.name()}).status_code == 409
    (welcome,) = api.notifications(done["instanceId"], "welcome")
    assert welcome["recipient"] == email
    assert name in welcome["subject"]


def orders(api: ApiClient, clock: Clock, seeds: Seeds) -> None:
    sku = stock(api, 3, "10.00")

    def place(payment: str, country: str = "DE", lines: int = 1, stuck: bool = False) -> Json:
        body = {
            "orderId": unique("pii-order"),
            "customerEmail": seeds.email(),
            "items": [{"sku": sku, "quantity": lines}],
            "paymentMethod": payment,
            "shippingAddress": seeds.address(country),
            "stepRetry": QUICK_RETRY,
            "compensationRetry": QUICK_RETRY,
        }
        if not stuck:
            done = run(api, clock, seeds, "/orders", body)
            assert done["runtimeStatus"] == "Completed", done
            return done
        # The operator who resolves it is a marker too: who decided stays out of history.
        started = accepted(api.post("/orders", body))
        seeds.started.add(started["id"])
        wait_for_custom_status(
            api, clock, started["id"], lambda s: s.get("recoveryRound") == 1, "awaiting recovery"
        )
        decision = {"round": 1, "action": "resolve", "note": "refunded by hand"}
        path = f"/orders/{body['orderId']}/recovery"
        expect(api.post(path, decision, headers=signed_in(seeds.email())), 202)
        return wait_for_instance(api, clock, started["id"], fire_timers=False)

    assert place(seeds.token())["output"]["status"] == "completed"
    undeliverable = place(seeds.token(), UNDELIVERABLE)["output"]
    assert (undeliverable["status"], undeliverable["failure"]["code"]) == (
        "compensated",
        "undeliverable",
    )
    assert place("tok_declined")["output"]["failure"]["code"] == "payment_declined"
    stuck = place("tok_refund_unavailable", UNDELIVERABLE, stuck=True)["output"]
    assert stuck["status"] == "resolved_by_hand"
    assert stuck["operationsAlerted"] is True
    assert place(seeds.token(), lines=50)["output"]["failure"]["code"] == "out_of_stock"


def export_monitors(api: ApiClient, clock: Clock, seeds: Seeds) -> None:
    def watch(update: Json | None, notify: str | None) -> Json:
        job = expect(api.post("/jobs", {"description": "Nightly sales export"}), 201)
        body: Json = {"jobId": job["id"], "timeoutMinutes": 10, "initialIntervalSeconds": 60}
        if notify:
            body["notify"] = notify
        started = expect(api.post("/monitors", body), 202)
        seeds.started.add(started["id"])
        if update:
            wait_for_custom_status(
                api, clock, started["id"], lambda s: s["checks"] >= 1, "a check", fire_timers=False
            )
            expect(api.put(f"/jobs/{job['id']}", update), 200)
        done = wait_for_instance(api, clock, started["id"])
        assert done["runtimeStatus"] == "Completed", done
        return done

    completed = {"status": "completed", "resultLocation": "https://files.example.com/x.csv"}
    assert watch(completed, seeds.email())["output"]["outcome"] == "completed"
    assert watch(None, seeds.email())["output"]["outcome"] == "timed_out"
    failed = watch({"status": "failed", "message": "disk full"}, None)
    assert failed["output"]["outcome"] == "failed"
    (alert,) = api.notifications(failed["instanceId"])
    assert alert["recipient"] not in (None, "")


def health_monitors(
    api: ApiClient, clock: Clock, seeds: Seeds, target: Target, endpoint: ControllableEndpoint
) -> None:
    if not target.health_endpoint_names:
        pytest.skip("remote mode without an allow-listed test endpoint")
    name = target.health_endpoint_names[0]
    instance_id = f"health-monitor-{name}"
    earlier = len(api.notifications(instance_id))
    interval = int(clock.pick(virtual=300, real=1))
    body = {"name": name, "intervalSeconds": interval, "alertThreshold": 1}
    started = accepted(api.post("/health-monitors", body))
    seeds.started.add(started["id"])
    try:
        endpoint.failing()
        wait_until(lambda: len(api.notifications(instance_id)) > earlier, clock, "the health alert")
        endpoint.healthy()
        wait_until(
            lambda: len(api.notifications(instance_id)) > earlier + 1, clock, "the resolution"
        )
    finally:
        endpoint.healthy()
        accepted(api.delete(f"/health-monitors/{name}"))
        wait_for_instance(api, clock, instance_id)


def batches(api: ApiClient, clock: Clock, seeds: Seeds) -> None:
    items = [
        {"id": f"i-{n}", "sku": f"SKU-{n}", "basePrice": "10.00", "currency": "EUR"}
        for n in range(150)
    ]
    items[3]["currency"] = "XXX"
    done = run(api, clock, seeds, "/batches", {"items": items, "maxParallel": 8})
    assert done["output"]["failedCount"] == 1, done["output"]
    expect(api.post(f"/counters/{unique('pii-counter')}/add", {"amount": 2}), 202)


def approvals(api: ApiClient, clock: Clock, seeds: Seeds) -> None:
    def start(approvers: list[str], stage_seconds: int) -> str:
        requester = seeds.email()
        body = {
            "requester": requester,
            "amount": "42.00",
            "currency": "EUR",
            "description": "Conference travel",
            "approvers": approvers,
            "stageTimeoutSeconds": stage_seconds,
        }
        started = accepted(api.post("/approvals", body, headers=signed_in(requester)))
        seeds.started.add(started["id"])
        return str(started["id"])

    stage_seconds = int(clock.pick(virtual=3600, real=5))
    first = seeds.email()
    approved = start([first, seeds.email()], stage_seconds)
    wait_for_notifications(api, clock, approved, "approval_requested", fire_timers=False)
    decision = {"approver": first, "decision": "approve", "comment": "fine"}
    expect(api.post(f"/approvals/{approved}/decision", decision, headers=signed_in(first)), 202)
    assert wait_for_instance(api, clock, approved)["runtimeStatus"] == "Completed"

    expired = start([seeds.email(), seeds.email()], stage_seconds)
    both_stages = timedelta(seconds=3 * stage_seconds)
    done = wait_for_instance(api, clock, expired, virtual_budget=both_stages)
    assert done["output"]["outcome"] == "expired", done


Case = Callable[..., None]


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(onboarding, id="onboarding"),
        pytest.param(orders, id="orders"),
        pytest.param(export_monitors, id="export_monitors"),
        pytest.param(health_monitors, id="health_monitors"),
        pytest.param(batches, id="batches_and_counter"),
        pytest.param(approvals, id="approvals"),
    ],
)
def test_no_personal_data_in_orchestration_state(
    case: Case,
    api: ApiClient,
    clock: Clock,
    seeds: Seeds,
    target: Target,
    probe_endpoint: ControllableEndpoint,
) -> None:
    # Creation times are listed to the second; a real clock may differ from the target's.
    since = clock.now().replace(microsecond=0) - timedelta(seconds=0 if clock.virtual else 60)
    if case is health_monitors:
        case(api, clock, seeds, target, probe_endpoint)
    else:
        case(api, clock, seeds)
    clock.settle()
    checked = assert_no_personal_data(api, since, seeds)
    if case is batches:
        assert any(":chunk-" in instance for instance in checked), "no sub-orchestration listed"
