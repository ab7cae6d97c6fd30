"""Batch tables: what was submitted, the staged items, and one result row per item.

- `Batches` (PartitionKey = batch id): row `batch` holds the plan and the request
  fingerprint (a batch id is single use); row `counter-claim` records which orchestration
  execution may add the batch's count to the `items-processed` counter.
- `BatchItems` (PartitionKey = `<batch id>:chunk-<n>`, RowKey = item id, `Position` = the
  item's place in the request): the items, staged by the starter so no orchestration history
  carries 10,000 records. A chunk reads its ids a page of positions at a time; each item
  activity reads its own row.
- `BatchResults` (PartitionKey = batch id, RowKey = item id): the idempotency record of
  `price_batch_item`, and the only record of failures (outputs carry counts). The first
  result written for an item is the one that counts.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final, cast

from azure.core.exceptions import HttpResponseError
from azure.data.tables import TableClient, UpdateMode

from shared import instance_ids, storage
from shared.models.base import Contract, Identifier
from shared.models.batches.items import ItemStatus, PriceUpdate, short_error
from shared.models.batches.workflow import BatchPlan

BATCHES_TABLE: Final = "Batches"
BATCH_ITEMS_TABLE: Final = "BatchItems"
BATCH_RESULTS_TABLE: Final = "BatchResults"

HEADER_ROW: Final = "batch"
COUNTER_CLAIM_ROW: Final = "counter-claim"
#: Table Storage allows at most 100 operations in one entity-group transaction.
TRANSACTION_LIMIT: Final = 100
#: Staging transactions sent at once (each is one round trip of up to 100 rows).
STAGING_CONCURRENCY: Final = 8


class BatchItemRecord(Contract):
    """One row of the results table, as `GET /api/batches/{batchId}/results` lists it."""

    id: Identifier
    status: ItemStatus
    sku: str | None = None
    currency: str | None = None
    base_price: Decimal | None = None
    discount_percent: Decimal | None = None
    final_price: Decimal | None = None
    code: str | None = None
    error: str | None = None
    recorded_at: str


def chunk_partition(batch_id: str, chunk_index: int) -> str:
    """Where a chunk's staged items live: the chunk's first instance id, so rows and logs match."""
    return instance_ids.batch_chunk(batch_id, chunk_index)


class BatchIdTaken(Exception):
    """The batch id was used before for a different request."""

    def __init__(self, batch_id: str) -> None:
        super().__init__(f"batch '{batch_id}' already exists with different content")
        self.batch_id = batch_id


class InvalidContinuationToken(ValueError):
    """A continuation token that this app did not hand out."""

    def __init__(self) -> None:
        super().__init__("continuationToken is not one this API issued")


@dataclass(frozen=True)
class BatchHeader:
    batch_id: str
    plan: BatchPlan
    fingerprint: str
    created_at: str


def request_fingerprint(items: Sequence[PriceUpdate], max_parallel: int | None) -> str:
    """A digest of what was asked, so a retried POST can be told from a different one."""
    canonical = json.dumps(
        {"items": [item.to_json() for item in items], "maxParallel": max_parallel},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


# --- staging (the starter) -------------------------------------------------------------------


def stage_batch(header: BatchHeader, items: Sequence[PriceUpdate]) -> None:
    """Record the batch and stage its items; safe to repeat for the same request.

    Raises `BatchIdTaken` if the id already belongs to a different request. Items are
    upserted, so a retry after a half-finished staging completes it.
    """
    stored, created = storage.insert_once(
        storage.table(BATCHES_TABLE),
        {
            "PartitionKey": header.batch_id,
            "RowKey": HEADER_ROW,
            "Plan": json.dumps(header.plan.to_json()),
            "Fingerprint": header.fingerprint,
            "CreatedAt": header.created_at,
        },
    )
    if not created and stored.get("Fingerprint") != header.fingerprint:
        raise BatchIdTaken(header.batch_id)
    _stage_items(header.batch_id, header.plan, items)


def _stage_items(batch_id: str, plan: BatchPlan, items: Sequence[PriceUpdate]) -> None:
    client = storage.table(BATCH_ITEMS_TABLE)
    transactions: list[list[tuple[str, dict[str, Any], dict[str, Any]]]] = []
    for chunk_index in range(plan.chunk_count):
        first = chunk_index * plan.chunk_size
        chunk = items[first : first + plan.chunk_size]
        partition = chunk_partition(batch_id, chunk_index)
        for start in range(0, len(chunk), TRANSACTION_LIMIT):
            transactions.append(
                [
                    (
                        "upsert",
                        {
                            "PartitionKey": partition,
                            "RowKey": item.id,
                            "Position": first + start + offset,
                            "Payload": json.dumps(item.to_json(), separators=(",", ":")),
                        },
                        {"mode": UpdateMode.REPLACE},
                    )
                    for offset, item in enumerate(chunk[start : start + TRANSACTION_LIMIT])
                ]
            )
    if len(transactions) == 1:
        client.submit_transaction(transactions[0])
        return
    with ThreadPoolExecutor(max_workers=STAGING_CONCURRENCY) as pool:
        # list() surfaces the first failure; the caller may simply retry the whole staging.
        list(pool.map(client.submit_transaction, transactions))


def get_batch(batch_id: str) -> BatchHeader | None:
    row = storage.get_entity(storage.table(BATCHES_TABLE), batch_id, HEADER_ROW)
    if row is None:
        return None
    return BatchHeader(
        batch_id=batch_id,
        plan=BatchPlan.from_json(json.loads(row["Plan"])),
        fingerprint=row["Fingerprint"],
        created_at=row["CreatedAt"],
    )


# --- reading staged items (activities) -------------------------------------------------------


def list_chunk_item_ids(batch_id: str, chunk_index: int) -> list[str]:
    """The chunk's item ids in submission order."""
    rows = storage.table(BATCH_ITEMS_TABLE).query_entities(
        "PartitionKey eq @pk",
        parameters={"pk": chunk_partition(batch_id, chunk_index)},
        select=["RowKey", "Position"],
    )
    ordered = sorted(rows, key=lambda row: int(row["Position"]))
    return [str(row["RowKey"]) for row in ordered]


def list_chunk_item_ids_page(
    batch_id: str, chunk_index: int, first_position: int, count: int
) -> list[str]:
    """The ids staged at positions [first_position, first_position + count), in order."""
    rows = storage.table(BATCH_ITEMS_TABLE).query_entities(
        "PartitionKey eq @pk and Position ge @first and Position lt @end",
        parameters={
            "pk": chunk_partition(batch_id, chunk_index),
            "first": first_position,
            "end": first_position + count,
        },
        select=["RowKey", "Position"],
    )
    ordered = sorted(rows, key=lambda row: int(row["Position"]))
    return [str(row["RowKey"]) for row in ordered]


def load_item(batch_id: str, chunk_index: int, item_id: str) -> PriceUpdate | None:
    row = storage.get_entity(
        storage.table(BATCH_ITEMS_TABLE), chunk_partition(batch_id, chunk_index), item_id
    )
    if row is None:
        return None
    return PriceUpdate.from_json(json.loads(row["Payload"]))


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemResult:
    """What one item came to; becomes its results row."""

    status: ItemStatus
    item: PriceUpdate | None = None
    final_price: Decimal | None = None
    code: str | None = None
    error: str | None = None


def _results() -> TableClient:
    return storage.table(BATCH_RESULTS_TABLE)


def record_result(batch_id: str, item_id: str, result: ItemResult) -> tuple[BatchItemRecord, bool]:
    """Write the item's result unless one exists; return the stored one and whether it is ours."""
    entity: dict[str, Any] = {
        "PartitionKey": batch_id,
        "RowKey": item_id,
        "Status": result.status.value,
        "RecordedAt": datetime.now(UTC).isoformat(),
    }
    if result.item is not None:
        entity |= {
            "Sku": result.item.sku,
            "Currency": result.item.currency,
            "BasePrice": str(result.item.base_price),
            "DiscountPercent": str(result.item.discount_percent),
        }
    if result.final_price is not None:
        entity["FinalPrice"] = str(result.final_price)
    if result.code is not None:
        entity["ErrorCode"] = str(result.code)
    if result.error is not None:
        entity["Error"] = short_error(result.error)
    row, created = storage.insert_once(_results(), entity)
    return _record_from_row(row), created


def record_chunk_failure(batch_id: str, chunk_index: int, code: str, error: str) -> tuple[int, int]:
    """Give each staged item of a chunk that has no result a `failed` row; count the rows.

    Returns (processed, failed) over the chunk's staged items. Rows already there keep their
    first result, so items the chunk finished before it failed still count as processed, and
    running this again changes nothing.
    """
    failure = ItemResult(ItemStatus.FAILED, code=code, error=error)

    def record(item_id: str) -> ItemStatus:
        return record_result(batch_id, item_id, failure)[0].status

    item_ids = list_chunk_item_ids(batch_id, chunk_index)
    with ThreadPoolExecutor(max_workers=STAGING_CONCURRENCY) as pool:
        statuses = list(pool.map(record, item_ids))
    processed = statuses.count(ItemStatus.PROCESSED)
    return processed, len(statuses) - processed


def list_results(
    batch_id: str, status: ItemStatus | None, top: int, continuation_token: str | None
) -> tuple[list[BatchItemRecord], str | None]:
    """One page of results (in item-id order) and the token for the next page, if any."""
    query = "PartitionKey eq @pk"
    parameters: dict[str, Any] = {"pk": batch_id}
    if status is not None:
        query += " and Status eq @status"
        parameters["status"] = status.value
    # The service's continuation keys are opaque; a token forged to point elsewhere still
    # only reads rows matching this batch's partition filter.
    continuation = decode_continuation(continuation_token)
    paged = _results().query_entities(query, parameters=parameters, results_per_page=top)
    # The SDK types the token as str; at runtime it is the {PartitionKey, RowKey} dict.
    pages: Any = paged.by_page(continuation_token=cast(Any, continuation))
    try:
        page: list[Any] = list(next(pages, []))
    except HttpResponseError as exc:
        # Azurite takes any keys, but Azure Storage answers 400 to keys it cannot parse: that
        # is the caller's token, not our fault (and must not become a 500).
        if continuation is not None and exc.status_code == 400:
            raise InvalidContinuationToken from exc
        raise
    records = [_record_from_row(dict(row)) for row in page]
    return records, encode_continuation(pages.continuation_token)


def first_failures(
    batch_id: str, after: str | None, top: int
) -> tuple[list[BatchItemRecord], bool]:
    """Up to `top` failed results in item-id order (after item `after`), and whether more follow.

    Rows come back in RowKey order within the batch's partition, so the answer is the same
    every time it is asked: what an orchestration may build its output from.
    """
    query = "PartitionKey eq @pk and Status eq @status"
    parameters: dict[str, Any] = {"pk": batch_id, "status": ItemStatus.FAILED.value}
    if after is not None:
        query += " and RowKey gt @after"
        parameters["after"] = after
    rows = _results().query_entities(
        query,
        parameters=parameters,
        results_per_page=top + 1,
        select=["RowKey", "Status", "ErrorCode", "Error", "RecordedAt"],
    )
    found = [_record_from_row(dict(row)) for row in itertools.islice(rows, top + 1)]
    return found[:top], len(found) > top


def _record_from_row(row: dict[str, Any]) -> BatchItemRecord:
    def decimal(name: str) -> Decimal | None:
        value = row.get(name)
        return None if value in (None, "") else Decimal(str(value))

    return BatchItemRecord(
        id=row["RowKey"],
        status=ItemStatus(row["Status"]),
        sku=row.get("Sku"),
        currency=row.get("Currency"),
        base_price=decimal("BasePrice"),
        discount_percent=decimal("DiscountPercent"),
        final_price=decimal("FinalPrice"),
        code=row.get("ErrorCode"),
        error=row.get("Error"),
        recorded_at=row["RecordedAt"],
    )


def encode_continuation(token: Any) -> str | None:
    if not token:
        return None
    raw = json.dumps(token, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_continuation(token: str | None) -> dict[str, str] | None:
    """The storage continuation behind one of our tokens; refuses anything else."""
    if token is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise InvalidContinuationToken from exc
    if not (
        isinstance(value, dict)
        and value
        and set(value) <= {"PartitionKey", "RowKey"}
        and all(isinstance(part, str) for part in value.values())
    ):
        raise InvalidContinuationToken
    return value


# --- the counter claim -------------------------------------------------------------------------


def claim_counter_signal(batch_id: str, claim_token: str) -> bool:
    """True for the one orchestration execution allowed to count this batch's items.

    The first token stored wins; the same execution asking again (an activity re-run) gets
    True again, while a later execution of the same batch id (a restart) gets False.
    """
    row, _ = storage.insert_once(
        storage.table(BATCHES_TABLE),
        {
            "PartitionKey": batch_id,
            "RowKey": COUNTER_CLAIM_ROW,
            "Token": claim_token,
            "ClaimedAt": datetime.now(UTC).isoformat(),
        },
    )
    return bool(row.get("Token") == claim_token)
