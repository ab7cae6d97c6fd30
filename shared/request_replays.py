"""The `IdempotentRequests` table: one row per `Idempotency-Key`, per route and caller.

A request with the header claims its key before it has any effect (insert-if-absent), and the
row keeps a fingerprint of the request and, once it succeeded, the answer it got. A retry with
the same key and request gets that answer again; another request under the key is refused by
name. A claim whose request never finished (the process stopped) blocks the key for
`CLAIM_LEASE` only; then a retry takes it over (under an ETag check, so only one does).

PartitionKey = scope (route and caller, digested: no key or principal is stored in clear),
RowKey = the key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

from azure.core import MatchConditions
from azure.core.exceptions import (
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.data.tables import UpdateMode

from shared import storage
from shared.idempotency import FINGERPRINT_PROPERTY

IDEMPOTENT_REQUESTS_TABLE: Final = "IdempotentRequests"
#: How long an unfinished claim holds its key before a retry may take it over.
CLAIM_LEASE: Final = timedelta(seconds=60)
#: Answers longer than this are not kept (Table Storage caps a string at 32 K characters).
MAX_STORED_BODY_CHARS: Final = 30_000

PENDING: Final = "pending"
DONE: Final = "done"


@dataclass(frozen=True)
class StoredAnswer:
    """The answer a request got, as a retry under its key gets it again."""

    status: int
    body: str
    mimetype: str
    headers: dict[str, str] = field(default_factory=dict)


class KeyReused(Exception):
    """The key was claimed by a request that differs from this one."""


class KeyInFlight(Exception):
    """The request that claimed the key has not answered yet."""


def claim(scope: str, key: str, fingerprint: str) -> StoredAnswer | None:
    """Claim `key` for this request: None when claimed, else the stored answer to replay.

    Raises `KeyReused` when the key holds another request, `KeyInFlight` while the request
    that holds it still runs (within its lease).
    """
    table = storage.table(IDEMPOTENT_REQUESTS_TABLE)
    now = datetime.now(UTC)
    try:
        table.create_entity(
            {
                "PartitionKey": scope,
                "RowKey": key,
                FINGERPRINT_PROPERTY: fingerprint,
                "State": PENDING,
                "ClaimedAt": now.isoformat(),
            }
        )
        return None
    except ResourceExistsError:
        pass
    try:
        row = table.get_entity(scope, key)
    except ResourceNotFoundError:  # released between our insert and read: the next try claims
        raise KeyInFlight(key) from None
    if row.get(FINGERPRINT_PROPERTY) != fingerprint:
        raise KeyReused(key)
    if row.get("State") == DONE:
        return StoredAnswer(
            status=int(row["Status"]),
            body=str(row["Body"]),
            mimetype=str(row["MimeType"]),
            headers=json.loads(str(row.get("Headers") or "{}")),
        )
    if datetime.fromisoformat(str(row["ClaimedAt"])) + CLAIM_LEASE > now:
        raise KeyInFlight(key)
    try:
        table.update_entity(
            {"PartitionKey": scope, "RowKey": key, "ClaimedAt": now.isoformat()},
            mode=UpdateMode.MERGE,
            etag=row.metadata["etag"],
            match_condition=MatchConditions.IfNotModified,
        )
    except (ResourceModifiedError, ResourceNotFoundError):
        raise KeyInFlight(key) from None
    return None


def complete(scope: str, key: str, answer: StoredAnswer) -> None:
    """Keep the answer of the request that claimed `key`, for its retries."""
    if len(answer.body) > MAX_STORED_BODY_CHARS:
        release(scope, key)
        return
    storage.table(IDEMPOTENT_REQUESTS_TABLE).update_entity(
        {
            "PartitionKey": scope,
            "RowKey": key,
            "State": DONE,
            "Status": answer.status,
            "Body": answer.body,
            "MimeType": answer.mimetype,
            "Headers": json.dumps(answer.headers),
            "AnsweredAt": datetime.now(UTC).isoformat(),
        },
        mode=UpdateMode.MERGE,
    )


def release(scope: str, key: str) -> None:
    """Give the key up: the request failed without an effect worth replaying (idempotent)."""
    storage.table(IDEMPOTENT_REQUESTS_TABLE).delete_entity(scope, key)
