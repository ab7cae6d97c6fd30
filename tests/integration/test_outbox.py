"""The outbox store against Azurite: idempotent writes, per-instance listing, size guard."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from shared import outbox, storage
from shared.errors import PermanentError
from shared.idempotency import FingerprintMismatch
from shared.models.notifications import (
    OPERATIONS,
    NotificationKind,
    NotificationReceipt,
    NotificationRequest,
)
from shared.outbox import NOTIFICATIONS_TABLE

pytestmark = pytest.mark.usefixtures("app_storage")


OPS = "ops@example.com"


def write(request: NotificationRequest, address: str = OPS) -> NotificationReceipt:
    """Write as `send_notification` does, with the address `request.to` stands for."""
    return outbox.write_notification(request, address)


def new_correlation() -> str:
    return f"inst-{uuid.uuid4().hex}"


def notification(
    correlation: str, step: str, kind: NotificationKind = NotificationKind.HEALTH_ALERT
) -> NotificationRequest:
    return NotificationRequest(
        idempotency_key=f"{correlation}:{step}",
        correlation_id=correlation,
        kind=kind,
        to=OPERATIONS,
        subject=f"Step {step}",
        body="details",
        data={"step": step, "nested": {"n": 1}},
    )


def test_a_written_notification_is_listed_as_sent() -> None:
    correlation = new_correlation()
    receipt = write(notification(correlation, "alert"))

    listed = outbox.list_notifications(correlation, top=10)

    assert listed.count == 1
    assert listed.truncated is False
    sent = listed.notifications[0]
    assert sent.notification_id == receipt.notification_id == f"{correlation}:alert"
    assert sent.kind is NotificationKind.HEALTH_ALERT
    assert sent.subject == "Step alert"
    assert sent.body == "details"
    assert sent.data == {"step": "alert", "nested": {"n": 1}}
    assert sent.created_at == receipt.created_at


def test_rewriting_a_key_keeps_the_first_row_and_receipt() -> None:
    correlation = new_correlation()
    first = write(notification(correlation, "welcome"))
    second = write(notification(correlation, "welcome").model_copy(update={"subject": "changed"}))

    assert second == first
    assert [n.subject for n in outbox.list_notifications(correlation, 10).notifications] == [
        "Step welcome"
    ]


def test_a_key_with_another_kind_or_recipient_is_refused_and_keeps_the_first_row() -> None:
    correlation = new_correlation()
    first = notification(correlation, "alert")
    write(first)

    for other in (
        (first.model_copy(update={"kind": NotificationKind.HEALTH_RESOLVED}), OPS),
        (first, "someone-else@example.com"),
    ):
        with pytest.raises(FingerprintMismatch, match=f"{correlation}:alert"):
            write(*other)

    (stored,) = outbox.list_notifications(correlation, 10).notifications
    assert (stored.kind, stored.recipient) == (NotificationKind.HEALTH_ALERT, "ops@example.com")


def test_listing_is_chronological_and_keeps_the_newest(monkeypatch: pytest.MonkeyPatch) -> None:
    correlation = new_correlation()
    # Row keys sort differently from creation times, so order must come from CreatedAt.
    for step, minute in (("c", 1), ("a", 2), ("b", 3)):
        frozen = datetime(2026, 1, 5, 9, minute, tzinfo=UTC)
        monkeypatch.setattr(outbox, "datetime", _FrozenClock(frozen))
        write(notification(correlation, step))

    everything = outbox.list_notifications(correlation, top=10)
    newest_two = outbox.list_notifications(correlation, top=2)

    assert [n.data["step"] for n in everything.notifications] == ["c", "a", "b"]
    assert [n.data["step"] for n in newest_two.notifications] == ["a", "b"]
    assert newest_two.truncated is True
    assert newest_two.count == 2


def test_listing_can_filter_by_kind() -> None:
    correlation = new_correlation()
    write(notification(correlation, "1", NotificationKind.HEALTH_ALERT))
    write(notification(correlation, "2", NotificationKind.HEALTH_RESOLVED))

    resolved = outbox.list_notifications(correlation, 10, NotificationKind.HEALTH_RESOLVED)

    assert [n.kind for n in resolved.notifications] == [NotificationKind.HEALTH_RESOLVED]


def test_an_instance_that_sent_nothing_has_an_empty_list() -> None:
    listed = outbox.list_notifications(new_correlation(), top=10)

    assert listed.notifications == []
    assert listed.count == 0


def test_listing_stays_within_one_correlation() -> None:
    mine, other = new_correlation(), new_correlation()
    write(notification(mine, "1"))
    write(notification(other, "1"))

    assert {n.correlation_id for n in outbox.list_notifications(mine, 10).notifications} == {mine}


def test_oversized_data_is_a_permanent_error_and_writes_nothing() -> None:
    correlation = new_correlation()
    request = notification(correlation, "big").model_copy(
        update={"data": {"blob": "x" * outbox.MAX_DATA_CHARS}}
    )

    with pytest.raises(PermanentError, match="at most"):
        write(request)

    rows = storage.table(NOTIFICATIONS_TABLE).query_entities(
        "PartitionKey eq @pk", parameters={"pk": correlation}
    )
    assert list(rows) == []


class _FrozenClock:
    """Stands in for `datetime` inside the outbox module: `now()` is fixed."""

    def __init__(self, moment: datetime) -> None:
        self._moment = moment

    def now(self, tz: object = None) -> datetime:
        return self._moment

    def fromisoformat(self, text: str) -> datetime:
        return datetime.fromisoformat(text)


def test_the_newest_are_listed_even_when_their_keys_sort_after_the_first_thousand() -> None:
    """An eternal monitor's partition outgrows one page; new alerts must not fall off it."""
    correlation = new_correlation()
    client = storage.table(NOTIFICATIONS_TABLE)
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    rows = [
        {
            "PartitionKey": correlation,
            "RowKey": f"{correlation}:alert-{n:05d}",  # key order = time order: newest last
            "Kind": NotificationKind.HEALTH_ALERT.value,
            "Recipient": "ops@example.com",
            "Subject": f"alert {n}",
            "Body": "",
            "Data": json.dumps({"n": n}),
            "CreatedAt": (start + timedelta(minutes=n)).isoformat(),
        }
        for n in range(1200)
    ]
    for offset in range(0, len(rows), 100):
        client.submit_transaction([("create", row) for row in rows[offset : offset + 100]])

    newest = outbox.list_notifications(correlation, top=3)

    assert [n.data["n"] for n in newest.notifications] == [1197, 1198, 1199]
    assert newest.truncated is True
