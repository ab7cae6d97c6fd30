"""The dashboard in a real browser: watch, inspect and steer the shop's instances from the page.

Each test drives the page as a user would (links, forms, confirmation dialogs) and checks the
outcome both on the page and through the app's own API. Screenshots of every page land in
`.local/dashboard-screenshots/`.
"""

from __future__ import annotations

import json
import re
import uuid

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.screenshots import screenshot
from tests.e2e.support.approvals import start_approval, wait_for_stage
from tests.e2e.support.client import ApiClient
from tests.e2e.support.clock import Clock
from tests.e2e.support.shop import UNDELIVERABLE, accepted, email, order, stock
from tests.e2e.support.target import Target
from tests.e2e.support.waiting import wait_for_instance

pytestmark = pytest.mark.browser

WEBHOOK = "/runtime/webhooks/durabletask"
SAGA = "order_fulfillment_saga"


def open_instance(page: Page, dashboard: str, instance_id: str) -> None:
    page.goto(f"{dashboard}#/instance/{instance_id}")
    expect(page.locator("h2.id")).to_have_text(instance_id)


def page_range(first: int, last: int, total: int) -> str:
    """The pager's text, e.g. "1-25 of 30" with an en dash."""
    return f"{first}\N{EN DASH}{last} of {total}"


def confirm(page: Page) -> None:
    """Press the dialog's action button and wait for the dialog to close."""
    dialog = page.locator("dialog#dialog")
    dialog.locator("#dialog-ok").click()
    expect(dialog).not_to_be_visible()


def start_many(target: Target, prefix: str, count: int) -> list[str]:
    """`count` saga instances with no input: each fails at once, validating it."""
    ids = [f"{prefix}-{n:02}" for n in range(count)]
    with httpx.Client(base_url=f"{target.base_url}{WEBHOOK}", timeout=30) as http:
        for instance_id in ids:
            started = http.post(f"/orchestrators/{SAGA}/{instance_id}")
            assert started.status_code == 202, started.text
    return ids


def test_instances_are_listed_filtered_and_paged(
    page: Page, dashboard: str, target: Target, api: ApiClient, clock: Clock
) -> None:
    prefix = f"browse-{uuid.uuid4().hex[:6]}"
    ids = start_many(target, prefix, 30)
    for instance_id in ids:
        wait_for_instance(api, clock, instance_id)

    page.goto(dashboard)
    expect(page.locator("table.instances")).to_be_visible()
    page.locator("#filter-prefix").fill(prefix)
    page.locator("select[name=top]").select_option("25")
    page.locator("#apply-filters").click()

    expect(page.locator("#page-range")).to_have_text(page_range(1, 25, 30))
    rows = page.locator("table.instances tbody tr")
    expect(rows).to_have_count(25)
    # Newest first: the last started instance leads the first page.
    expect(rows.first).to_have_attribute("data-instance-id", ids[-1])
    page.locator("#next-page").click()
    expect(page.locator("#page-range")).to_have_text(page_range(26, 30, 30))
    expect(rows.last).to_have_attribute("data-instance-id", ids[0])

    page.get_by_label("Completed", exact=True).check()
    page.locator("#apply-filters").click()
    expect(page.locator("p.empty")).to_have_text("No instance matches.")
    page.get_by_label("Completed", exact=True).uncheck()
    page.get_by_label("Failed", exact=True).check()
    page.locator("#filter-name").select_option(SAGA)
    page.locator("#apply-filters").click()
    expect(page.locator("#page-range")).to_have_text(page_range(1, 25, 30))
    assert "status=Failed" in page.url
    assert f"prefix={prefix}" in page.url
    expect(page.locator("table.instances tbody tr td:first-child").first).to_have_text(SAGA)
    screenshot(page, "instances")


def test_a_compensated_order_shows_its_compensations_in_reverse_order(
    page: Page, dashboard: str, api: ApiClient, clock: Clock
) -> None:
    sku = stock(api, 10, "40.00")
    started = accepted(api.post("/orders", order({sku: 3}, country=UNDELIVERABLE)))
    done = wait_for_instance(api, clock, started["id"])
    assert done["output"]["status"] == "compensated"

    open_instance(page, dashboard, started["id"])
    expect(page.locator(".badge").first).to_have_text("Completed")
    activities = page.locator("ol.timeline li.span.activity")
    expect(activities.first).to_be_visible()
    names = activities.evaluate_all("items => items.map(i => [i.dataset.name, i.dataset.state])")

    steps = [name for name, _ in names]
    assert steps.index("reserve_inventory") < steps.index("charge_payment")
    assert steps.index("charge_payment") < steps.index("create_shipment")
    # Undone in reverse: the charge is refunded before the stock is released.
    assert steps.index("create_shipment") < steps.index("refund_payment")
    assert steps.index("refund_payment") < steps.index("release_inventory")
    assert ["create_shipment", "failed"] in names
    assert ["refund_payment", "completed"] in names
    expect(page.locator("li.span.activity.failed .mark.failed").first).to_have_text("failed")
    # The events table and the raw JSON are there too.
    expect(page.locator("table.events tr.event-ExecutionStarted")).to_contain_text(SAGA)
    expect(page.locator("section", has_text="Raw JSON").locator("details")).to_have_count(2)
    screenshot(page, "instance-saga")


def waiting_approval(api: ApiClient, clock: Clock) -> str:
    """A one-stage approval whose stage waits for its decision: its instance id."""
    instance_id, _ = start_approval(api, [email("manager")], 3600)
    wait_for_stage(api, clock, instance_id, 1)
    return instance_id


def raise_event_dialog(page: Page, event_name: str) -> None:
    """Open the instance page's raise-event dialog with `event_name` filled in."""
    page.locator("#action-raise").click()
    page.locator("#event-name").fill(event_name)


def test_an_approval_decision_raised_from_the_page_completes_it(
    page: Page, dashboard: str, api: ApiClient, clock: Clock
) -> None:
    instance_id = waiting_approval(api, clock)

    open_instance(page, dashboard, instance_id)
    expect(page.locator(".badge").first).to_have_text("Running")
    raise_event_dialog(page, "decision-stage-1")
    payload = {"stage": 1, "decision": "approve", "comment": "from the browser"}
    page.locator("#event-payload").fill(json.dumps(payload))
    confirm(page)

    expect(page.locator(".badge").first).to_have_text("Completed")
    output = page.get_by_label("Output")
    expect(output).to_contain_text('"outcome": "approved"')
    timeline = page.locator("ol.timeline")
    expect(timeline.locator("li.span.event")).to_contain_text("event decision-stage-1")
    screenshot(page, "instance-approval")


def test_a_bad_event_payload_is_refused_in_the_dialog(
    page: Page, dashboard: str, api: ApiClient, clock: Clock
) -> None:
    instance_id = waiting_approval(api, clock)

    open_instance(page, dashboard, instance_id)
    raise_event_dialog(page, "decision-stage-1")
    page.locator("#event-payload").fill("{not json")
    page.locator("#dialog-ok").click()

    expect(page.locator("#dialog-error")).to_contain_text("The payload is not valid JSON")
    page.get_by_role("button", name="Cancel").click()
    assert wait_for_stage(api, clock, instance_id, 1)["runtimeStatus"] == "Running"
    api.post(f"/instances/{instance_id}/terminate", {"reason": "test done"})


def test_advancing_the_virtual_clock_past_a_deadline_escalates(
    page: Page, dashboard: str, api: ApiClient, clock: Clock
) -> None:
    first, second = email("manager"), email("director")
    instance_id, _ = start_approval(api, [first, second], 3600)
    wait_for_stage(api, clock, instance_id, 1)

    page.goto(f"{dashboard}#/time")
    expect(page.locator("#clock-mode")).to_have_text("virtual")
    waiting = page.locator("table.timers tbody tr", has_text=instance_id)
    expect(waiting).to_have_count(1)
    screenshot(page, "time")
    page.locator("#advance-by").fill("1h")
    page.locator("#advance").click()
    confirm(page)
    expect(page.locator("#notice")).to_contain_text("the clock reads")

    open_instance(page, dashboard, instance_id)
    custom = page.get_by_label("Custom status")
    expect(custom).to_contain_text('"stage": 2')
    expect(custom).to_contain_text("decision-stage-2")
    timers = page.locator("ol.timeline li.span.timer.completed")
    expect(timers.first).to_be_visible()
    api.post(f"/instances/{instance_id}/terminate", {"reason": "test done"})


def test_purging_from_the_page_deletes_the_instance(
    page: Page, dashboard: str, target: Target, api: ApiClient, clock: Clock
) -> None:
    (instance_id,) = start_many(target, f"purge-{uuid.uuid4().hex[:6]}", 1)
    wait_for_instance(api, clock, instance_id)

    open_instance(page, dashboard, instance_id)
    expect(page.locator("#action-terminate")).to_be_disabled()
    page.locator("#action-purge").click()
    expect(page.locator("#dialog-title")).to_contain_text(f"Purge {instance_id}?")
    confirm(page)

    expect(page).to_have_url(re.compile(r"#/instances$"))
    expect(page.locator("#notice")).to_have_text(f"Purged {instance_id}.")
    gone = httpx.get(f"{target.base_url}{WEBHOOK}/instances/{instance_id}", timeout=30)
    assert gone.status_code == 404
    page.goto(f"{dashboard}#/instance/{instance_id}")
    expect(page.locator("main h2")).to_have_text("Instance not found")


def test_rewinding_a_failed_instance_from_the_page_replays_it(
    page: Page, dashboard: str, target: Target, api: ApiClient, clock: Clock
) -> None:
    (instance_id,) = start_many(target, f"rewind-{uuid.uuid4().hex[:6]}", 1)
    assert wait_for_instance(api, clock, instance_id)["runtimeStatus"] == "Failed"

    open_instance(page, dashboard, instance_id)
    expect(page.locator(".badge").first).to_have_text("Failed")
    page.locator("#action-rewind").click()
    expect(page.locator("#dialog-title")).to_contain_text(f"Rewind {instance_id}?")
    page.locator("#action-reason").fill("input fixed upstream")
    confirm(page)

    expect(page.locator("#notice")).to_have_text(f"Rewind: requested for {instance_id}.")
    # Its input is still missing, so the replay fails again, after the rewind's wake-up event.
    expect(page.locator("table.events tr.event-GenericEvent")).to_have_count(1)
    expect(page.locator(".badge").first).to_have_text("Failed")
    raw = httpx.get(f"{target.base_url}/runtime/emulator/instances/{instance_id}", timeout=30)
    kinds = [(e["EventType"], e.get("Data")) for e in raw.json()["history"]]
    assert (17, "input fixed upstream") in kinds
    assert kinds[-1][0] == 1  # failed again: ExecutionCompleted after the replay
    expect(page.locator("#action-rewind")).to_be_enabled()


def test_entities_and_functions_pages(page: Page, dashboard: str, api: ApiClient) -> None:
    key = f"visits-{uuid.uuid4().hex[:6]}"
    assert api.post(f"/counters/{key}/add", {"amount": 5}).status_code == 202

    page.goto(f"{dashboard}#/entities")
    row = page.locator(f"tr[data-entity='counter@{key}']")
    expect(row).to_contain_text("5")
    row.get_by_role("button", name="Signal…").click()
    page.locator("#entity-op").fill("add")
    page.locator("#entity-input").fill("2")
    confirm(page)
    expect(row).to_contain_text("7")
    screenshot(page, "entities")

    page.goto(f"{dashboard}#/functions")
    http = page.locator("table.functions[data-trigger=httpTrigger]")
    expect(http).to_contain_text("/api/orders")
    expect(page.locator("table.functions[data-trigger=orchestrationTrigger]")).to_contain_text(SAGA)
    screenshot(page, "functions")


def test_an_orchestration_started_from_the_page_opens_on_its_instance(
    page: Page, dashboard: str, api: ApiClient, clock: Clock
) -> None:
    instance_id = f"started-{uuid.uuid4().hex[:6]}"
    page.goto(dashboard)
    page.get_by_role("button", name="Start an orchestration…").click()
    page.locator("#start-name").select_option(SAGA)
    page.locator("#start-id").fill(instance_id)
    page.locator("#start-input").fill('{"orderId": "not a full order"}')
    confirm(page)

    expect(page.locator("h2.id")).to_have_text(instance_id)
    # The saga validates its input and fails: the page shows why, and the input as sent.
    expect(page.locator(".badge").first).to_have_text("Failed")
    expect(page.get_by_label("Input")).to_contain_text("not a full order")
    expect(page.get_by_label("Output")).to_contain_text("invalid orchestration input")
    assert wait_for_instance(api, clock, instance_id)["runtimeStatus"] == "Failed"


def test_with_keys_the_page_asks_for_the_master_key(page: Page, keyed_target: Target) -> None:
    if keyed_target.remote:
        pytest.skip("the browser tests drive an emulator's dashboard")
    page.goto(f"{keyed_target.base_url}/_dashboard/")

    key = page.locator("#master-key")
    expect(key).to_be_visible()
    expect(page.locator("table.instances")).to_have_count(0)
    key.fill(str(keyed_target.function_key))  # not enough: only the master key opens it
    page.get_by_role("button", name="Use this key").click()
    expect(page.locator("#master-key")).to_be_visible()
    expect(page.locator("#host-summary")).to_be_empty()

    page.locator("#master-key").fill(str(keyed_target.master_key))
    page.get_by_role("button", name="Use this key").click()
    expect(page.locator("#host-summary")).to_contain_text("keys on")
    expect(page.locator("main h2").first).to_have_text("Instances")

    # A fresh tab given the key in its address keeps it out of the address bar.
    fresh = page.context.new_page()
    fresh.goto(f"{keyed_target.base_url}/_dashboard/?code={keyed_target.master_key}#/functions")
    expect(fresh.locator("main h2").first).to_have_text("Functions")
    assert "code=" not in fresh.url


TIMELINE_CASES = """
async () => {
  const { buildSpans } = await import("./timeline.js");
  const at = (s) => `2030-01-01T00:00:${String(s).padStart(2, "0")}Z`;
  const history = [
    { EventType: 0, EventId: -1, Timestamp: at(0), Name: "parent" },
    { EventType: 4, EventId: 0, Timestamp: at(1), Name: "flaky" },
    { EventType: 6, EventId: -1, Timestamp: at(2), TaskScheduledId: 0, Reason: "boom" },
    { EventType: 10, EventId: 1, Timestamp: at(2), FireAt: at(7) },
    { EventType: 11, EventId: -1, Timestamp: at(7), TimerId: 1 },
    { EventType: 4, EventId: 2, Timestamp: at(7), Name: "flaky" },
    { EventType: 5, EventId: -1, Timestamp: at(8), TaskScheduledId: 2 },
    { EventType: 7, EventId: 3, Timestamp: at(8), Name: "child", InstanceId: "kid-1" },
    { EventType: 14, EventId: 4, Timestamp: at(8), Name: "add", InstanceId: "@counter@k",
      Input: JSON.stringify({ op: "add", id: "req-1" }) },
    { EventType: 14, EventId: 5, Timestamp: at(8), Name: "reset", InstanceId: "@counter@k",
      Input: JSON.stringify({ op: "reset", id: "req-2", signal: true }) },
    { EventType: 15, EventId: -1, Timestamp: at(9), Name: "req-1",
      Input: JSON.stringify({ result: "7" }) },
    { EventType: 15, EventId: -1, Timestamp: at(9), Name: "approval", Input: "true" },
    { EventType: 9, EventId: -1, Timestamp: at(10), TaskScheduledId: 3, Reason: "child failed" },
  ];
  return buildSpans(history).map((s) => [s.kind, s.name, s.state, s.retry, s.child, s.detail,
    s.start, s.end]);
}
"""


def test_the_timeline_pairs_every_kind_of_span(page: Page, dashboard: str) -> None:
    page.goto(dashboard)
    expect(page.locator("main h2").first).to_have_text("Instances")

    spans = page.evaluate(TIMELINE_CASES)

    def at(second: int) -> str:
        return f"2030-01-01T00:00:{second:02}Z"

    assert spans == [
        ["activity", "flaky", "failed", 0, None, "boom", at(1), at(2)],
        ["timer", "timer", "completed", 0, None, f"fires at {at(7)}", at(2), at(7)],
        ["activity", "flaky", "completed", 1, None, None, at(7), at(8)],
        ["orchestration", "child", "failed", 0, "kid-1", "child failed", at(8), at(10)],
        ["entity", "add → @counter@k", "completed", 0, None, "7", at(8), at(9)],
        ["entity", "reset → @counter@k", "completed", 0, None, "signal", at(8), at(8)],
        ["event", "event approval", "completed", 0, None, "external event", at(9), at(9)],
    ]


def test_a_batch_links_to_its_chunk_sub_orchestrations(
    page: Page, dashboard: str, api: ApiClient, clock: Clock
) -> None:
    items = [
        {"id": f"i{n}", "sku": f"SKU-{n}", "basePrice": "10.00", "currency": "EUR"}
        for n in range(150)
    ]
    started = accepted(api.post("/batches", {"items": items}))
    wait_for_instance(api, clock, started["id"])

    open_instance(page, dashboard, started["id"])
    children = page.locator("ol.timeline li.span.orchestration a")
    expect(children.first).to_be_visible()
    assert children.count() == 2  # chunks of 100
    child_id = children.first.text_content()
    children.first.click()

    expect(page.locator(".summary")).to_contain_text(started["id"])  # the parent link
    assert child_id
    expect(page.locator("h2.id")).not_to_have_text(started["id"])
