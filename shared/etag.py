"""Optimistic concurrency on Table Storage: read with an ETag, write only if unchanged.

Stock counters and state machines (charged -> refunded, created -> cancelled) are updated by
read-modify-write. Writing with `IfNotModified` makes a concurrent writer lose with a 412
instead of silently overwriting; the loser re-reads and decides again.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import TableClient, TableTransactionError, UpdateMode

from shared.storage import Entity

T = TypeVar("T")

#: How often one write is attempted against concurrent writers before giving up.
MAX_CONCURRENCY_ATTEMPTS = 30


class ConcurrencyExhausted(RuntimeError):
    """Other writers kept winning: the caller should report a transient failure."""


class Retry(Exception):
    """Raised inside an attempt to say: the world changed under us, read again."""


def read(client: TableClient, partition_key: str, row_key: str) -> tuple[Entity, str] | None:
    """The entity and its ETag, or None when it does not exist."""
    try:
        entity = client.get_entity(partition_key=partition_key, row_key=row_key)
    except ResourceNotFoundError:
        return None
    return dict(entity), str(entity.metadata["etag"])


def replace_if_unchanged(client: TableClient, entity: Mapping[str, Any], etag: str) -> None:
    """Replace `entity` if nobody wrote it since we read `etag`; else raise `Retry`."""
    try:
        client.update_entity(
            entity=dict(entity),
            mode=UpdateMode.REPLACE,
            etag=etag,
            match_condition=MatchConditions.IfNotModified,
        )
    except (ResourceModifiedError, ResourceNotFoundError):
        raise Retry from None


def create_or_retry(client: TableClient, entity: Mapping[str, Any]) -> None:
    """Create `entity`; if someone created it first, raise `Retry` so the caller re-reads."""
    try:
        client.create_entity(entity=dict(entity))
    except ResourceExistsError:
        raise Retry from None


def replace_op(entity: Mapping[str, Any], etag: str) -> tuple[str, Entity, dict[str, Any]]:
    """A transaction operation replacing `entity` only if it still has `etag`."""
    conditions = {
        "mode": UpdateMode.REPLACE,
        "etag": etag,
        "match_condition": MatchConditions.IfNotModified,
    }
    return ("update", dict(entity), conditions)


def submit_or_retry(client: TableClient, operations: list[tuple[Any, ...]]) -> None:
    """Submit one entity-group transaction; a lost race (412/409/404) raises `Retry`."""
    try:
        client.submit_transaction(operations)
    except TableTransactionError as exc:
        if exc.status_code in (404, 409, 412):
            raise Retry from None
        raise


def with_retries(attempt: Callable[[], T], what: str) -> T:
    """Run `attempt` until it stops raising `Retry`, with a short jittered pause between."""
    for number in range(1, MAX_CONCURRENCY_ATTEMPTS + 1):
        try:
            return attempt()
        except Retry:
            # Jitter spreads competing writers apart; not part of any result, and it needs
            # spread, not unpredictability (hence no `secrets`).
            time.sleep(random.uniform(0, min(0.2, 0.005 * number)))  # nosec B311
    raise ConcurrencyExhausted(f"{what}: too many concurrent writers, try again")
