"""`Idempotency-Key` retention against Azurite: expired keys count as absent, cleanup removes them.

Each test has a table of its own, so what one leaves behind never counts in another's cleanup.
Clocks are passed in: a claim made "30 hours ago" is a claim made with that `now`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from azure.core.exceptions import ServiceResponseError
from azure.data.tables import TableClient
from azure.functions.timer import TimerRequest

from housekeeping import idempotency_keys
from shared import request_replays, storage
from shared.request_replays import (
    EXPIRY_PARTITION_PREFIX,
    Claim,
    KeyInFlight,
    KeyReused,
    StoredAnswer,
    claim,
    complete,
    release,
    remove_expired,
)
from tests.support.functions import user_function

SCOPE = "start_expense_approval.0123456789abcdef0123456789abcdef"
NOW = datetime(2026, 12, 3, 16, 30, tzinfo=UTC)
RETENTION = timedelta(hours=24)
ANSWER = StoredAnswer(status=202, body='{"id": "approval-1"}', mimetype="application/json")


@pytest.fixture(autouse=True)
def table(app_storage: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TableClient]:
    name = f"Replays{uuid.uuid4().hex[:12]}"
    monkeypatch.setattr(request_replays, "IDEMPOTENT_REQUESTS_TABLE", name)
    client = storage.table(name)
    yield client
    storage.table_service().delete_table(name)


def ago(**elapsed: float) -> datetime:
    return NOW - timedelta(**elapsed)


def claimed(key: str, fingerprint: str, at: datetime) -> Claim:
    held = claim(SCOPE, key, fingerprint, now=at)
    assert isinstance(held, Claim)
    return held


def answered(key: str, at: datetime, fingerprint: str = "first") -> None:
    assert complete(claimed(key, fingerprint, at), ANSWER)


def request_row(table: TableClient, key: str) -> dict[str, Any] | None:
    return storage.get_entity(table, SCOPE, key)


def unindexed_row(table: TableClient, key: str, claimed: datetime) -> None:
    """A row as claims wrote it before they carried `ExpiresAt` and an index row."""
    table.create_entity(
        {
            "PartitionKey": SCOPE,
            "RowKey": key,
            "Fingerprint": "first",
            "State": "done",
            "ClaimedAt": claimed.isoformat(),
            "Status": ANSWER.status,
            "Body": ANSWER.body,
            "MimeType": ANSWER.mimetype,
        }
    )


def index_rows(table: TableClient) -> list[tuple[str, str]]:
    found = table.query_entities("PartitionKey ge @p", parameters={"p": EXPIRY_PARTITION_PREFIX})
    return sorted((row["PartitionKey"], row["Key"]) for row in found)


# Reading: retention decides, whether or not cleanup ran.


def test_a_key_within_its_retention_is_replayed_and_refused_to_another_request() -> None:
    answered("k", at=ago(hours=23))

    assert claim(SCOPE, "k", "first", now=NOW) == ANSWER
    with pytest.raises(KeyReused):
        claim(SCOPE, "k", "other", now=NOW)


def test_a_key_reused_after_its_retention_starts_anew(table: TableClient) -> None:
    answered("k", at=ago(hours=25))

    assert isinstance(claim(SCOPE, "k", "other", now=NOW), Claim)

    row = request_row(table, "k")
    assert row is not None
    assert (row["State"], row["Fingerprint"]) == ("pending", "other")
    assert "Body" not in row  # the old answer is not replayed to the new request
    assert datetime.fromisoformat(row["ExpiresAt"]) == NOW + RETENTION


def test_the_same_request_after_the_retention_runs_again_instead_of_replaying() -> None:
    answered("k", at=ago(hours=25))

    assert isinstance(claim(SCOPE, "k", "first", now=NOW), Claim)


def test_the_retention_setting_applies_to_new_claims(
    table: TableClient, app_settings: pytest.MonkeyPatch
) -> None:
    app_settings.setenv("IDEMPOTENCY_KEY_RETENTION_HOURS", "2")
    answered("k", at=ago(hours=3))

    assert isinstance(claim(SCOPE, "k", "other", now=NOW), Claim)


def test_a_row_without_an_expiry_counts_from_its_claim(table: TableClient) -> None:
    """Rows written before claims carried `ExpiresAt`: honoured for the retention, then free."""
    unindexed_row(table, "recent", ago(hours=1))
    unindexed_row(table, "old", ago(hours=30))

    assert claim(SCOPE, "recent", "first", now=NOW) == ANSWER
    assert isinstance(claim(SCOPE, "old", "other", now=NOW), Claim)


def test_an_unfinished_claim_blocks_its_lease_then_the_same_request_takes_it_over() -> None:
    assert isinstance(claim(SCOPE, "k", "first", now=ago(seconds=30)), Claim)
    with pytest.raises(KeyInFlight):
        claim(SCOPE, "k", "first", now=NOW)

    assert isinstance(claim(SCOPE, "k", "first", now=ago(seconds=-31)), Claim)
    with pytest.raises(KeyReused):
        claim(SCOPE, "k", "other", now=ago(seconds=-200))


def test_a_stale_claim_past_its_retention_is_free_to_another_request() -> None:
    assert isinstance(claim(SCOPE, "k", "first", now=ago(hours=25)), Claim)

    assert isinstance(claim(SCOPE, "k", "other", now=NOW), Claim)


def test_only_one_of_two_takeovers_of_an_expired_key_wins(table: TableClient) -> None:
    answered("k", at=ago(hours=25))
    stale = table.get_entity(SCOPE, "k")
    assert isinstance(claim(SCOPE, "k", "winner", now=NOW), Claim)

    # The loser read the expired row before the winner replaced it: its ETag no longer matches,
    # so it reads again and finds the winner's live claim.
    real_get = table.get_entity
    calls = iter([stale])

    def first_read_is_stale(*args: Any, **kwargs: Any) -> Any:
        return next(calls, None) or real_get(*args, **kwargs)

    table.get_entity = first_read_is_stale  # type: ignore[method-assign]
    try:
        with pytest.raises(KeyReused):
            claim(SCOPE, "k", "loser", now=NOW)
    finally:
        del table.get_entity
    assert (request_row(table, "k") or {})["Fingerprint"] == "winner"


# Answering: only the request that still holds the claim keeps its answer or gives the key up.


LATE = StoredAnswer(status=202, body='{"id": "late"}', mimetype="application/json")


def test_a_request_that_outlived_its_key_leaves_the_newer_claim_alone(table: TableClient) -> None:
    outlived = claimed("k", "first", ago(hours=25))
    newer = claimed("k", "second", NOW)

    assert complete(outlived, LATE) is False
    row = request_row(table, "k") or {}
    assert (row["Fingerprint"], row["State"]) == ("second", "pending")
    assert "Body" not in row
    with pytest.raises(KeyInFlight):  # the newer request is still running: not answered for it
        claim(SCOPE, "k", "second", now=NOW + timedelta(seconds=1))

    assert complete(newer, ANSWER) is True
    assert claim(SCOPE, "k", "second", now=NOW + timedelta(seconds=1)) == ANSWER


def test_a_request_whose_stale_claim_was_taken_over_does_not_answer_for_the_taker(
    table: TableClient,
) -> None:
    slow = claimed("k", "first", ago(seconds=90))
    retry = claimed("k", "first", NOW)  # the same request, past the slow one's lease

    assert complete(retry, ANSWER) is True
    assert complete(slow, LATE) is False
    assert claim(SCOPE, "k", "first", now=NOW) == ANSWER


def test_a_request_that_outlived_its_key_and_failed_does_not_free_the_newer_claim(
    table: TableClient,
) -> None:
    outlived = claimed("k", "first", ago(hours=25))
    claimed("k", "second", NOW)

    assert release(outlived) is False
    assert (request_row(table, "k") or {})["Fingerprint"] == "second"
    with pytest.raises(KeyReused):
        claim(SCOPE, "k", "third", now=NOW)


def test_a_request_whose_expired_claim_cleanup_removed_does_not_write_it_back(
    table: TableClient,
) -> None:
    outlived = claimed("k", "first", ago(hours=30))
    assert remove_expired(NOW).removed == 1

    assert complete(outlived, LATE) is False
    assert request_row(table, "k") is None
    assert release(outlived) is True  # nothing left to give up


def test_an_answer_too_large_to_keep_gives_the_key_up_only_if_still_held(
    table: TableClient,
) -> None:
    huge = StoredAnswer(status=200, body="x" * 30_001, mimetype="text/plain")
    outlived = claimed("k", "first", ago(hours=25))
    claimed("k", "second", NOW)

    assert complete(outlived, huge) is False
    assert (request_row(table, "k") or {})["Fingerprint"] == "second"

    assert complete(claimed("j", "first", NOW), huge) is True
    assert request_row(table, "j") is None


# Cleanup: bounded, by index, safe against concurrent claims and failures.


def test_cleanup_removes_expired_keys_of_every_age_and_keeps_live_ones(table: TableClient) -> None:
    ages = {"3-days": 72, "2-days": 48, "yesterday": 26, "today": 2, "just-now": 0}
    for key, hours in ages.items():
        answered(key, at=ago(hours=hours))

    result = remove_expired(NOW)

    assert (result.removed, result.kept, result.more) == (3, 0, False)
    assert [key for key in ages if request_row(table, key)] == ["today", "just-now"]
    assert [key for _, key in index_rows(table)] == ["today", "just-now"]
    assert remove_expired(NOW).removed == 0


def test_cleanup_leaves_keys_expiring_within_the_current_hour_to_a_later_run(
    table: TableClient,
) -> None:
    """Those rows already count as absent; the hour's index partition is swept once it is past."""
    answered("k", at=NOW.replace(minute=5) - RETENTION)

    assert remove_expired(NOW).removed == 0
    assert remove_expired(NOW + timedelta(hours=1)).removed == 1
    assert request_row(table, "k") is None


def test_cleanup_pages_through_the_index_and_stops_at_its_bound(table: TableClient) -> None:
    keys = [f"k{i}" for i in range(7)]
    for i, key in enumerate(keys):
        answered(key, at=ago(hours=25 + i % 3))

    first = remove_expired(NOW, page_size=2, max_rows=5)
    second = remove_expired(NOW, page_size=2, max_rows=5)

    assert (first.removed, first.more) == (5, True)
    assert (second.removed, second.more) == (2, False)
    assert [key for key in keys if request_row(table, key)] == []
    assert index_rows(table) == []


def test_a_key_claimed_again_is_kept_and_only_its_old_index_row_goes(table: TableClient) -> None:
    answered("k", at=ago(hours=30))
    claimed("k", "new", ago(hours=1))  # after expiry: starts anew

    result = remove_expired(NOW)

    assert (result.removed, result.kept) == (0, 1)
    assert (request_row(table, "k") or {})["Fingerprint"] == "new"
    assert [key for _, key in index_rows(table)] == ["k"]  # the new claim's own index row


def test_a_row_claimed_again_while_cleanup_removes_it_is_kept(
    table: TableClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    answered("k", at=ago(hours=30))

    class ClaimedBetweenReadAndDelete:
        """Between cleanup's read and its delete, a retry claims the expired key anew."""

        def __getattr__(self, name: str) -> Any:
            return getattr(table, name)

        def get_entity(self, *args: Any, **kwargs: Any) -> Any:
            row = table.get_entity(*args, **kwargs)
            with monkeypatch.context() as unwrapped:
                unwrapped.setattr(storage, "table", lambda name: table)
                assert isinstance(claim(SCOPE, "k", "retry", now=NOW), Claim)
            return row

    with monkeypatch.context() as patched:
        patched.setattr(storage, "table", lambda name: ClaimedBetweenReadAndDelete())
        result = remove_expired(NOW)

    assert (result.removed, result.kept) == (0, 1)
    assert (request_row(table, "k") or {})["Fingerprint"] == "retry"
    assert [key for _, key in index_rows(table)] == ["k"]
    assert index_rows(table)[0][0] > EXPIRY_PARTITION_PREFIX + NOW.strftime("%Y%m%d%H")


def test_a_released_key_leaves_an_index_row_that_cleanup_drops(table: TableClient) -> None:
    assert release(claimed("k", "first", ago(hours=30)))

    assert remove_expired(NOW).removed == 1
    assert index_rows(table) == []


def test_rows_without_an_index_row_get_one_in_a_single_resumable_pass(table: TableClient) -> None:
    unindexed_row(table, "a", ago(hours=30))
    unindexed_row(table, "b", ago(hours=1))
    unindexed_row(table, "c", ago(hours=40))
    answered("modern", at=ago(hours=2))

    runs = [remove_expired(NOW, page_size=1, max_rows=1) for _ in range(6)]

    assert sum(run.adopted for run in runs) == 3
    assert runs[-1] == request_replays.Cleanup()  # the pass is over and nothing is left
    assert [key for key in "abc" if request_row(table, key)] == ["b"]
    assert [key for _, key in index_rows(table)] == ["modern", "b"]  # by the hour they expire
    assert remove_expired(NOW + RETENTION).removed == 2


@pytest.mark.parametrize("failing_delete", [3, 4, 5], ids=["row", "index", "next-page-row"])
def test_storage_failing_midway_leaves_every_expired_row_to_the_next_run(
    table: TableClient, monkeypatch: pytest.MonkeyPatch, failing_delete: int
) -> None:
    keys = [f"k{i}" for i in range(6)]
    for key in keys:
        answered(key, at=ago(hours=30))
    deletes = 0

    class FailsOnOneDelete:
        def __getattr__(self, name: str) -> Any:
            return getattr(table, name)

        def delete_entity(self, *args: Any, **kwargs: Any) -> None:
            nonlocal deletes
            deletes += 1
            if deletes == failing_delete:
                raise ServiceResponseError("connection reset")
            table.delete_entity(*args, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(storage, "table", lambda name: FailsOnOneDelete())
        with pytest.raises(ServiceResponseError):
            remove_expired(NOW, page_size=2)

    remaining = [key for key in keys if request_row(table, key)]
    indexed = [key for _, key in index_rows(table)]
    assert remaining[-3:] == keys[3:]  # the run stopped at the failure
    assert set(remaining) <= set(indexed)  # each still findable
    assert remove_expired(NOW).removed == len(indexed)
    assert [key for key in keys if request_row(table, key)] == []
    assert index_rows(table) == []


def test_the_timer_function_runs_the_cleanup(
    table: TableClient, caplog: pytest.LogCaptureFixture
) -> None:
    answered("k", at=datetime.now(UTC) - timedelta(hours=30))
    timer = user_function(idempotency_keys.remove_expired_idempotency_keys)

    with caplog.at_level("INFO", logger=idempotency_keys.__name__):
        timer(TimerRequest(past_due=True))

    assert request_row(table, "k") is None
    assert "removed: 1" in caplog.text
    assert "started late" in caplog.text
