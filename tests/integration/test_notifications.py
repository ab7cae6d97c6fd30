"""The notification outbox is idempotent per key."""

from __future__ import annotations

import uuid

import pytest

from activities.notifications import send_notification
from shared import storage
from shared.errors import PermanentError
from shared.models.notifications import NOTIFICATIONS_TABLE
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
