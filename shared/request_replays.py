"""The `IdempotentRequests` table: one row per `Idempotency-Key`, per route and caller.

A request with the header claims its key before it has any effect (insert-if-absent), and the
row keeps a fingerprint of the request and, once it succeeded, the answer it got. A retry with
the same key and request gets that answer again; another request under the key is refused by
name. A claim whose request never finished (the process stopped) blocks the key for
`CLAIM_LEASE` only; then a retry takes it over (under an ETag check, so only one does). A key
is remembered for IDEMPOTENCY_KEY_RETENTION_HOURS: past its `ExpiresAt` a row counts as absent,
whether or not `remove_expired` has removed it yet. A request answers or gives its key up only
while the row is still its claim (the claim's ETag), so a request that outlived its claim never
overwrites or removes the claim of the request that took the key over.

Request rows: PartitionKey = scope (route and caller, digested: no key or principal is stored
in clear), RowKey = the key. Expiry index rows, in the same table: PartitionKey =
`~expires-<hour the claim expires>`, RowKey = `<scope>|<key>`, written before the claim, so
`remove_expired` finds every expired row by a range over past hours, not a table scan (only
rows claimed before claims had an index row need one pass; docs/idempotency.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from azure.core import MatchConditions
from azure.core.exceptions import (
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.data.tables import TableClient, TableEntity, UpdateMode

from shared import storage
from shared.idempotency import FINGERPRINT_PROPERTY
from shared.settings import get_settings

IDEMPOTENT_REQUESTS_TABLE: Final = "IdempotentRequests"
#: How long an unfinished claim holds its key before a retry may take it over.
CLAIM_LEASE: Final = timedelta(seconds=60)
#: Answers longer than this are not kept (Table Storage caps a string at 32 K characters).
MAX_STORED_BODY_CHARS: Final = 30_000
#: Tries of one claim when its row changes or goes between our reads (cleanup, a takeover).
CLAIM_ATTEMPTS: Final = 3

#: Index partitions sort after every scope (a function name starts with a letter).
EXPIRY_PARTITION_PREFIX: Final = "~expires-"
#: Index rows are grouped per hour in which their claims expire.
_EXPIRY_HOUR_FORMAT: Final = "%Y%m%d%H"
#: Index rows read per storage call, and at most per `remove_expired` run.
CLEANUP_PAGE_SIZE: Final = 100
CLEANUP_MAX_ROWS: Final = 2_000
#: How far the one pass over rows claimed without an index row has read (`adopt_unindexed`).
ADOPTION_MARKER: Final = ("~adoption", "unindexed-claims")

PENDING: Final = "pending"
DONE: Final = "done"


@dataclass(frozen=True)
class StoredAnswer:
    """The answer a request got, as a retry under its key gets it again."""

    status: int
    body: str
    mimetype: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Cleanup:
    """What one `remove_expired` run did."""

    #: Index rows whose key is no longer stored: removed by this run, or given up before.
    removed: int = 0
    #: Keys claimed again since their index row was written: kept, with their new index row.
    kept: int = 0
    #: True when the run stopped at its bound with expired index rows left for the next run.
    more: bool = False
    #: Rows claimed without an index row that this run gave one.
    adopted: int = 0


@dataclass(frozen=True)
class Claim:
    """A request's hold on its key: the row's ETag as the claim wrote it."""

    scope: str
    key: str
    etag: str


class KeyReused(Exception):
    """The key was claimed by a request that differs from this one."""


class KeyInFlight(Exception):
    """The request that claimed the key has not answered yet."""


def key_retention() -> timedelta:
    return timedelta(hours=get_settings().idempotency_key_retention_hours)


def claim(
    scope: str, key: str, fingerprint: str, now: datetime | None = None
) -> Claim | StoredAnswer:
    """Claim `key` for this request: the claim to `complete` or `release`, or the answer to replay.

    Raises `KeyReused` when the key holds another request, `KeyInFlight` while the request
    that holds it still runs (within its lease).
    """
    table = storage.table(IDEMPOTENT_REQUESTS_TABLE)
    now = now or datetime.now(UTC)
    fresh = {
        "PartitionKey": scope,
        "RowKey": key,
        FINGERPRINT_PROPERTY: fingerprint,
        "State": PENDING,
        "ClaimedAt": now.isoformat(),
        "ExpiresAt": (now + key_retention()).isoformat(),
    }
    # Before the claim, so no request row is ever without the index row that finds it; when the
    # key turns out to be taken, the spare index row costs the cleanup one read.
    _write_expiry_index(table, fresh)
    for _ in range(CLAIM_ATTEMPTS):
        try:
            return _claimed(fresh, table.create_entity(fresh))
        except ResourceExistsError:
            pass
        row = _read(table, scope, key)
        if row is None:  # removed between our insert and read: insert again
            continue
        if expires_at(row) > now:
            stored = _held(row, fingerprint, now)
            if stored is not None:
                return stored
        try:  # expired, or a stale claim of this request: take it over unless someone did
            written = table.update_entity(
                fresh,
                mode=UpdateMode.REPLACE,
                etag=row.metadata["etag"],
                match_condition=MatchConditions.IfNotModified,
            )
            return _claimed(fresh, written)
        except (ResourceModifiedError, ResourceNotFoundError):
            continue
    raise KeyInFlight(key)


def _claimed(row: dict[str, Any], written: dict[str, Any]) -> Claim:
    return Claim(scope=row["PartitionKey"], key=row["RowKey"], etag=str(written["etag"]))


def _held(row: TableEntity, fingerprint: str, now: datetime) -> StoredAnswer | None:
    """The answer an unexpired row holds for this request; None if its claim is stale."""
    if row.get(FINGERPRINT_PROPERTY) != fingerprint:
        raise KeyReused(row["RowKey"])
    if row.get("State") == DONE:
        return StoredAnswer(
            status=int(row["Status"]),
            body=str(row["Body"]),
            mimetype=str(row["MimeType"]),
            headers=json.loads(str(row.get("Headers") or "{}")),
        )
    if datetime.fromisoformat(str(row["ClaimedAt"])) + CLAIM_LEASE > now:
        raise KeyInFlight(row["RowKey"])
    return None


def expires_at(row: TableEntity | dict[str, Any]) -> datetime:
    """When the row's key is free again; a row without `ExpiresAt` counts from its claim."""
    stored = row.get("ExpiresAt")
    if stored:
        return datetime.fromisoformat(str(stored))
    return datetime.fromisoformat(str(row["ClaimedAt"])) + key_retention()


def complete(claim: Claim, answer: StoredAnswer) -> bool:
    """Keep the answer of the request that claimed the key, for its retries.

    False when the row is no longer this claim (the key expired and another request claimed
    it, or cleanup removed it): the row is left to the request that holds it now.
    """
    if len(answer.body) > MAX_STORED_BODY_CHARS:
        return release(claim)
    try:
        storage.table(IDEMPOTENT_REQUESTS_TABLE).update_entity(
            {
                "PartitionKey": claim.scope,
                "RowKey": claim.key,
                "State": DONE,
                "Status": answer.status,
                "Body": answer.body,
                "MimeType": answer.mimetype,
                "Headers": json.dumps(answer.headers),
                "AnsweredAt": datetime.now(UTC).isoformat(),
            },
            mode=UpdateMode.MERGE,
            etag=claim.etag,
            match_condition=MatchConditions.IfNotModified,
        )
    except (ResourceModifiedError, ResourceNotFoundError):
        return False
    return True


def release(claim: Claim) -> bool:
    """Give the key up: the request failed without an effect worth replaying.

    False when the row is no longer this claim; a row already gone counts as given up.
    """
    try:
        storage.table(IDEMPOTENT_REQUESTS_TABLE).delete_entity(
            claim.scope, claim.key, etag=claim.etag, match_condition=MatchConditions.IfNotModified
        )
    except ResourceModifiedError:
        return False
    return True


def remove_expired(
    now: datetime | None = None,
    *,
    page_size: int = CLEANUP_PAGE_SIZE,
    max_rows: int = CLEANUP_MAX_ROWS,
) -> Cleanup:
    """Remove keys that expired before the current hour, at most `max_rows` index rows a run.

    Safe to run at any time and in parallel: a request row goes only if it is still expired
    and unchanged since it was read (ETag), and an index row only after its request row, so a
    run stopped by a storage failure leaves every expired row findable by the next run.
    """
    table = storage.table(IDEMPOTENT_REQUESTS_TABLE)
    now = now or datetime.now(UTC)
    adopted = adopt_unindexed(table, page_size, max_rows)
    removed = kept = 0
    for seen, entry in enumerate(_past_expiry_index(table, now, page_size)):
        if seen == max_rows:
            return Cleanup(removed, kept, more=True, adopted=adopted)
        if _remove_if_expired(table, str(entry["Scope"]), str(entry["Key"]), now):
            removed += 1
        else:
            kept += 1
        table.delete_entity(entry["PartitionKey"], entry["RowKey"])
    return Cleanup(removed, kept, adopted=adopted)


def adopt_unindexed(table: TableClient, page_size: int, max_rows: int) -> int:
    """Give rows claimed without `ExpiresAt` (so without an index row) an index row.

    One pass over the request partitions, at most `max_rows` rows a run, resumed from where
    the last run stopped (`ADOPTION_MARKER`); once it has read them all, a point read a run.
    """
    marker = _read(table, *ADOPTION_MARKER)
    if marker is not None and marker.get("Done"):
        return 0
    resume = json.loads(str(marker["Next"])) if marker is not None and marker.get("Next") else None
    pages = table.query_entities(
        "PartitionKey lt @index",
        parameters={"index": EXPIRY_PARTITION_PREFIX[0]},
        select=["PartitionKey", "RowKey", "ClaimedAt", "ExpiresAt"],
        results_per_page=page_size,
    ).by_page(continuation_token=resume)
    adopted = read = 0
    for page in pages:
        for row in page:
            read += 1
            if not row.get("ExpiresAt") and row.get("ClaimedAt"):
                _write_expiry_index(table, {**row, "ExpiresAt": expires_at(row).isoformat()})
                adopted += 1
        token = pages.continuation_token  # type: ignore[attr-defined]
        table.upsert_entity(
            {
                "PartitionKey": ADOPTION_MARKER[0],
                "RowKey": ADOPTION_MARKER[1],
                "Done": token is None,
                "Next": json.dumps(token) if token else "",
            }
        )
        if read >= max_rows:
            break
    return adopted


def _remove_if_expired(table: TableClient, scope: str, key: str, now: datetime) -> bool:
    """False when the key was claimed again and holds a live claim."""
    row = _read(table, scope, key)
    if row is None:
        return True
    if expires_at(row) > now:
        return False
    try:
        table.delete_entity(
            scope, key, etag=row.metadata["etag"], match_condition=MatchConditions.IfNotModified
        )
    except ResourceModifiedError:  # claimed again since we read it
        return False
    return True


def _past_expiry_index(table: TableClient, now: datetime, page_size: int) -> Iterator[TableEntity]:
    """Index rows of every hour before the current one, in order."""
    return table.query_entities(
        "PartitionKey ge @first and PartitionKey lt @current",
        parameters={"first": EXPIRY_PARTITION_PREFIX, "current": _expiry_partition(now)},
        results_per_page=page_size,
    )


def _write_expiry_index(table: TableClient, row: dict[str, Any]) -> None:
    scope, key = row["PartitionKey"], row["RowKey"]
    table.upsert_entity(
        {
            "PartitionKey": _expiry_partition(datetime.fromisoformat(row["ExpiresAt"])),
            "RowKey": f"{scope}|{key}",
            "Scope": scope,
            "Key": key,
        },
        mode=UpdateMode.REPLACE,
    )


def _expiry_partition(moment: datetime) -> str:
    return EXPIRY_PARTITION_PREFIX + moment.astimezone(UTC).strftime(_EXPIRY_HOUR_FORMAT)


def _read(table: TableClient, scope: str, key: str) -> TableEntity | None:
    try:
        return table.get_entity(scope, key)
    except ResourceNotFoundError:
        return None
