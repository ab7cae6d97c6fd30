"""`insert_once` with request fingerprints, against Azurite: replay, conflict, unstamped rows."""

from __future__ import annotations

import uuid

import pytest

from shared import storage
from shared.idempotency import FINGERPRINT_PROPERTY, FingerprintMismatch, fingerprint

pytestmark = pytest.mark.usefixtures("app_storage")

TABLE = "FingerprintProbe"
FIRST = fingerprint({"amount": "10.00"})
OTHER = fingerprint({"amount": "99.00"})


def _entity(value: str) -> dict[str, str]:
    return {"PartitionKey": f"k-{uuid.uuid4().hex}", "RowKey": "effect", "Value": value}


def _stored(entity: dict[str, str]) -> dict[str, object] | None:
    return storage.get_entity(storage.table(TABLE), entity["PartitionKey"], entity["RowKey"])


def test_the_same_request_again_gets_the_first_row() -> None:
    client = storage.table(TABLE)
    entity = _entity("first")

    created, was_created = storage.insert_once(client, entity, fingerprint=FIRST)
    replayed, again = storage.insert_once(client, {**entity, "Value": "second"}, fingerprint=FIRST)

    assert (was_created, again) == (True, False)
    assert created[FINGERPRINT_PROPERTY] == FIRST
    assert replayed["Value"] == "first"
    assert replayed[FINGERPRINT_PROPERTY] == FIRST


def test_another_request_under_the_key_is_refused_and_changes_nothing() -> None:
    client = storage.table(TABLE)
    entity = _entity("first")
    storage.insert_once(client, entity, fingerprint=FIRST)

    with pytest.raises(FingerprintMismatch, match=entity["PartitionKey"]):
        storage.insert_once(client, {**entity, "Value": "second"}, fingerprint=OTHER)

    stored = _stored(entity)
    assert stored is not None
    assert (stored["Value"], stored[FINGERPRINT_PROPERTY]) == ("first", FIRST)


def test_a_row_written_without_a_fingerprint_is_not_a_fingerprinted_requests() -> None:
    client = storage.table(TABLE)
    unstamped = _entity("unstamped")
    storage.insert_once(client, unstamped)

    with pytest.raises(FingerprintMismatch, match=unstamped["PartitionKey"]):
        storage.insert_once(client, {**unstamped, "Value": "new"}, fingerprint=OTHER)

    assert (_stored(unstamped) or {})["Value"] == "unstamped"  # left as it is


def test_a_caller_without_a_fingerprint_compares_and_stamps_nothing() -> None:
    client = storage.table(TABLE)
    entity = _entity("first")
    storage.insert_once(client, entity, fingerprint=FIRST)

    row, created = storage.insert_once(client, {**entity, "Value": "second"})

    assert created is False
    assert row["Value"] == "first"
    plain = _entity("plain")
    written, _ = storage.insert_once(client, plain)
    assert FINGERPRINT_PROPERTY not in written
