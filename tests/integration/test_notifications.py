"""The notification outbox is idempotent per key."""

from __future__ import annotations

import uuid

import pytest

from activities.notifications import send_notification
from shared import customer_store, monitor_store, order_store, outbox, storage
from shared.errors import PermanentError
from shared.models.orders import OrderDetails
from shared.outbox import NOTIFICATIONS_TABLE
from tests.support.functions import user_function

pytestmark = pytest.mark.usefixtures("app_storage")


def _request(correlation: str, key: str, subject: str = "Welcome") -> dict:
    return {
        "idempotencyKey": key,
        "correlationId": correlation,
        "kind": "welcome",
        "recipient": "ada@example.com",
        "subject": subject,
        "data": {"customerId": "c-1"},
    }


def test_the_same_key_writes_one_row_and_returns_the_first_receipt() -> None:
    """Wording is not part of a notification's fingerprint: a changed subject is a retry."""
    activity = user_function(send_notification)
    correlation = f"inst-{uuid.uuid4().hex}"

    first = activity(_request(correlation, f"{correlation}:welcome"))
    second = activity(_request(correlation, f"{correlation}:welcome", subject="changed"))

    assert first == second
    rows = list(
        storage.table(NOTIFICATIONS_TABLE).query_entities(
            "PartitionKey eq @pk", parameters={"pk": correlation}
        )
    )
    assert len(rows) == 1
    assert rows[0]["Subject"] == "Welcome"


@pytest.mark.parametrize(
    "changed", [{"kind": "order_cancelled"}, {"recipient": "grace@example.com"}]
)
def test_the_key_with_another_notification_is_a_permanent_conflict(changed: dict) -> None:
    activity = user_function(send_notification)
    correlation = f"inst-{uuid.uuid4().hex}"
    key = f"{correlation}:welcome"
    activity(_request(correlation, key))

    with pytest.raises(PermanentError, match="conflict") as refused:
        activity({**_request(correlation, key), **changed})

    assert f"'{key}'" in str(refused.value)
    (row,) = storage.table(NOTIFICATIONS_TABLE).query_entities(
        "PartitionKey eq @pk", parameters={"pk": correlation}
    )
    assert (row["Kind"], row["Recipient"]) == ("welcome", "ada@example.com")


def test_invalid_request_is_a_permanent_error() -> None:
    activity = user_function(send_notification)

    with pytest.raises(PermanentError, match="recipient"):
        activity({**_request("c", "c:k"), "recipient": ""})


def test_a_recipient_outside_the_allowed_domains_is_refused_and_nothing_is_written() -> None:
    """The API refuses such recipients too; this holds for any other path into the outbox."""
    activity = user_function(send_notification)
    correlation = f"inst-{uuid.uuid4().hex}"

    with pytest.raises(PermanentError, match="NOTIFICATION_ALLOWED_DOMAINS") as caught:
        activity({**_request(correlation, f"{correlation}:k"), "recipient": "m@attacker.example"})

    assert caught.value.info.code == "not_allowed"
    rows = storage.table(NOTIFICATIONS_TABLE).query_entities(
        "PartitionKey eq @pk", parameters={"pk": correlation}
    )
    assert list(rows) == []


# --- recipients by reference: the activity looks the address up ------------------------


def _by_reference(correlation: str, to: dict, subject: str = "Hello {recipientName}") -> dict:
    request = _request(correlation, f"{correlation}:n", subject)
    del request["recipient"]
    return {**request, "to": to}


def _written(correlation: str) -> tuple[str, str]:
    (row,) = outbox.list_notifications(correlation, 10).notifications
    return row.recipient, row.subject


def test_operations_is_resolved_from_settings(app_settings: pytest.MonkeyPatch) -> None:
    app_settings.setenv("OPERATIONS_EMAIL", "night-shift@example.com")
    correlation = f"inst-{uuid.uuid4().hex}"

    receipt = user_function(send_notification)(
        _by_reference(correlation, {"audience": "operations"})
    )

    assert receipt["to"] == {"audience": "operations", "ref": None, "detailsFingerprint": None}
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


@pytest.mark.parametrize(
    "to",
    [
        {"audience": "order_customer", "ref": "o-never-stored"},
        {"audience": "customer", "ref": "cus-nobody"},
        {"audience": "monitor_subscriber", "ref": "monitor-without-recipient"},
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
        {"to": {"audience": "operations"}},  # and an address: which one?
        {"recipient": None},  # neither
        {"recipient": None, "to": {"audience": "customer"}},  # which customer?
    ],
)
def test_exactly_one_recipient_is_required(broken: dict) -> None:
    with pytest.raises(PermanentError, match="validation"):
        user_function(send_notification)({**_request("c", "c:k"), **broken})
