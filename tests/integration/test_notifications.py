"""The notification outbox is idempotent per key."""

from __future__ import annotations

import json
import uuid

import pytest

from activities.notifications import send_notification
from shared import customer_store, monitor_store, order_store, outbox, storage
from shared.approval_store import ApprovalParties, save_parties
from shared.errors import PermanentError
from shared.models.approvals.expense import IdentitySource
from shared.models.orders.order import OrderDetails
from shared.outbox import NOTIFICATIONS_TABLE
from tests.support.functions import user_function

pytestmark = pytest.mark.usefixtures("app_storage")


def _monitor(address: str = "ada@example.com") -> dict:
    """A reference to a stored address: an export monitor's recipient."""
    monitor_id = f"monitor-{uuid.uuid4().hex}"
    monitor_store.save_monitor_recipient(monitor_id, address)
    return {"audience": "monitor_subscriber", "ref": monitor_id}


def _request(correlation: str, key: str, subject: str = "Welcome", to: dict | None = None) -> dict:
    return {
        "idempotencyKey": key,
        "correlationId": correlation,
        "kind": "welcome",
        "to": to or _monitor(),
        "subject": subject,
        "data": {"customerId": "c-1"},
    }


def test_the_same_key_writes_one_row_and_returns_the_first_receipt() -> None:
    """Wording is not part of a notification's fingerprint: a changed subject is a retry."""
    activity = user_function(send_notification)
    correlation = f"inst-{uuid.uuid4().hex}"
    to = _monitor()

    first = activity(_request(correlation, f"{correlation}:welcome", to=to))
    second = activity(_request(correlation, f"{correlation}:welcome", "changed", to=to))

    assert first == second
    rows = list(
        storage.table(NOTIFICATIONS_TABLE).query_entities(
            "PartitionKey eq @pk", parameters={"pk": correlation}
        )
    )
    assert len(rows) == 1
    assert rows[0]["Subject"] == "Welcome"


@pytest.mark.parametrize("changed", [{"kind": "order_cancelled"}, {"to": "grace@example.com"}])
def test_the_key_with_another_notification_is_a_permanent_conflict(changed: dict) -> None:
    activity = user_function(send_notification)
    correlation = f"inst-{uuid.uuid4().hex}"
    key = f"{correlation}:welcome"
    to = _monitor()
    activity(_request(correlation, key, to=to))
    if "to" in changed:
        changed = {"to": _monitor(changed["to"])}

    with pytest.raises(PermanentError, match="conflict") as refused:
        activity({**_request(correlation, key, to=to), **changed})

    assert f"'{key}'" in str(refused.value)
    (row,) = storage.table(NOTIFICATIONS_TABLE).query_entities(
        "PartitionKey eq @pk", parameters={"pk": correlation}
    )
    assert (row["Kind"], row["Recipient"]) == ("welcome", "ada@example.com")


def test_a_recipient_outside_the_allowed_domains_is_refused_and_nothing_is_written() -> None:
    """The API refuses such recipients too; this holds for any other path into the outbox."""
    activity = user_function(send_notification)
    correlation = f"inst-{uuid.uuid4().hex}"
    to = _monitor("m@attacker.example")

    with pytest.raises(PermanentError, match="NOTIFICATION_ALLOWED_DOMAINS") as caught:
        activity(_request(correlation, f"{correlation}:k", to=to))

    assert caught.value.info.code == "not_allowed"
    rows = storage.table(NOTIFICATIONS_TABLE).query_entities(
        "PartitionKey eq @pk", parameters={"pk": correlation}
    )
    assert list(rows) == []


# --- recipients by reference: the activity looks the address up ------------------------


def _by_reference(correlation: str, to: dict, subject: str = "Hello {recipientName}") -> dict:
    return _request(correlation, f"{correlation}:n", subject, to=to)


def _written(correlation: str) -> tuple[str, str]:
    (row,) = outbox.list_notifications(correlation, 10).notifications
    return row.recipient, row.subject


def test_operations_is_resolved_from_settings(app_settings: pytest.MonkeyPatch) -> None:
    app_settings.setenv("OPERATIONS_EMAIL", "night-shift@example.com")
    correlation = f"inst-{uuid.uuid4().hex}"

    receipt = user_function(send_notification)(
        _by_reference(correlation, {"audience": "operations"})
    )

    assert receipt["to"] == {
        "audience": "operations",
        "ref": None,
        "detailsFingerprint": None,
    }
    assert "night-shift" not in str(receipt)  # the receipt enters history: no address
    assert _written(correlation) == ("night-shift@example.com", "Hello night-shift@example.com")


def _stored_order(email: str = "Grace@Example.com") -> OrderDetails:
    details = OrderDetails.from_json(
        {
            "orderId": f"o-{uuid.uuid4().hex[:8]}",
            "customerEmail": email,
            "items": [{"sku": "sku-a", "quantity": 1}],
            "paymentMethod": "tok_visa",
            "shippingAddress": {
                "name": "Grace",
                "line1": "1 Navy St",
                "city": "Arlington",
                "postalCode": "22201",
                "country": "US",
            },
        }
    )
    order_store.save_order_details(details)
    return details


def test_an_orders_customer_is_resolved_from_the_orders_stored_details() -> None:
    order = _stored_order()
    correlation = f"inst-{uuid.uuid4().hex}"
    to = {
        "audience": "order_customer",
        "ref": order.order_id,
        "detailsFingerprint": order.fingerprint(),
    }

    user_function(send_notification)(_by_reference(correlation, to, "Order"))

    assert _written(correlation) == ("grace@example.com", "Order")


def test_the_customer_of_another_order_under_the_id_is_never_told() -> None:
    mine = _stored_order("ada@example.com")
    order_store.save_order_details(mine.model_copy(update={"customer_email": "eve@example.com"}))
    correlation = f"inst-{uuid.uuid4().hex}"
    to = {
        "audience": "order_customer",
        "ref": mine.order_id,
        "detailsFingerprint": mine.fingerprint(),
    }

    with pytest.raises(PermanentError, match="conflict"):
        user_function(send_notification)(_by_reference(correlation, to, "Order"))

    assert outbox.list_notifications(correlation, 10).count == 0


def test_a_customer_is_resolved_with_their_name_for_the_wording() -> None:
    email = f"ada.{uuid.uuid4().hex[:8]}@example.com"
    customer = customer_store.create_customer(
        "k:create-customer", f"cus-{uuid.uuid4().hex}", email, "Ada"
    )
    correlation = f"inst-{uuid.uuid4().hex}"

    user_function(send_notification)(
        _by_reference(correlation, {"audience": "customer", "ref": customer.customer_id})
    )

    assert _written(correlation) == (email, "Hello Ada")


def test_a_monitors_recipient_is_resolved_from_the_monitors_stored_address() -> None:
    monitor_id = f"monitor-{uuid.uuid4().hex}"
    monitor_store.save_monitor_recipient(monitor_id, "data-team@example.com")
    correlation = f"inst-{uuid.uuid4().hex}"

    user_function(send_notification)(
        _by_reference(correlation, {"audience": "monitor_subscriber", "ref": monitor_id}, "Done")
    )

    assert _written(correlation) == ("data-team@example.com", "Done")


def _stored_approval() -> str:
    approval_id = f"approval-{uuid.uuid4().hex}"
    save_parties(
        approval_id,
        ApprovalParties(
            requester="ada@example.com",
            approvers=["manager@example.com", "director@example.com"],
            requester_source=IdentitySource.REQUEST_BODY,
        ),
    )
    return approval_id


@pytest.mark.parametrize(
    ("party", "address"),
    [
        ({"audience": "approval_requester"}, "ada@example.com"),
        ({"audience": "approval_approver", "stage": 1}, "manager@example.com"),
        ({"audience": "approval_approver", "stage": 2}, "director@example.com"),
    ],
)
def test_an_approvals_parties_are_resolved_from_the_approvals_table(
    party: dict, address: str
) -> None:
    to = {**party, "ref": _stored_approval()}
    correlation = f"inst-{uuid.uuid4().hex}"

    receipt = user_function(send_notification)(_by_reference(correlation, to, "Decide"))

    assert _written(correlation) == (address, "Decide")
    assert "@" not in json.dumps(receipt)  # the receipt enters history: no address


def test_a_stage_beyond_the_approver_chain_leads_nowhere() -> None:
    to = {"audience": "approval_approver", "ref": _stored_approval(), "stage": 3}
    correlation = f"inst-{uuid.uuid4().hex}"

    with pytest.raises(PermanentError, match="not_found") as caught:
        user_function(send_notification)(_by_reference(correlation, to))

    assert "no approver for stage 3" in str(caught.value)
    assert outbox.list_notifications(correlation, 10).count == 0


@pytest.mark.parametrize(
    "to",
    [
        {"audience": "order_customer", "ref": "o-never-stored"},
        {"audience": "customer", "ref": "cus-nobody"},
        {"audience": "monitor_subscriber", "ref": "monitor-without-recipient"},
        {"audience": "approval_requester", "ref": "approval-never-stored"},
        {"audience": "approval_approver", "ref": "approval-never-stored", "stage": 1},
    ],
)
def test_a_reference_that_leads_nowhere_is_permanent_and_writes_nothing(to: dict) -> None:
    correlation = f"inst-{uuid.uuid4().hex}"

    with pytest.raises(PermanentError, match="not_found"):
        user_function(send_notification)(_by_reference(correlation, to))

    assert outbox.list_notifications(correlation, 10).count == 0


@pytest.mark.parametrize(
    "broken",
    [
        {"recipient": "ada@example.com"},  # an address never crosses the boundary
        {"to": None},  # nobody
        {"to": {"audience": "customer"}},  # which customer?
        {"to": {"audience": "approval_approver", "ref": "approval-1"}},  # which stage?
        {"to": {"audience": "approval_requester", "ref": "approval-1", "stage": 1}},
    ],
)
def test_the_recipient_is_one_complete_reference(broken: dict) -> None:
    request = {**_request("c", "c:k", to={"audience": "operations"}), **broken}
    with pytest.raises(PermanentError, match="validation"):
        user_function(send_notification)(request)
