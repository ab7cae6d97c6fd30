"""`insert_once` with request fingerprints, against Azurite: replay, conflict, legacy rows."""

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


def test_a_row_written_before_fingerprints_replays_as_before() -> None:
    client = storage.table(TABLE)
    legacy = _entity("legacy")
    client.create_entity(entity=legacy)  # no Fingerprint property, as older code wrote it

    row, created = storage.insert_once(client, {**legacy, "Value": "new"}, fingerprint=OTHER)

    assert created is False
    assert row["Value"] == "legacy"
    assert FINGERPRINT_PROPERTY not in (_stored(legacy) or {})  # not rewritten either


def test_callers_without_a_fingerprint_keep_the_old_behaviour() -> None:
    client = storage.table(TABLE)
    entity = _entity("first")
    storage.insert_once(client, entity, fingerprint=FIRST)

    row, created = storage.insert_once(client, {**entity, "Value": "second"})

    assert created is False
    assert row["Value"] == "first"
    plain = _entity("plain")
    written, _ = storage.insert_once(client, plain)
    assert FINGERPRINT_PROPERTY not in written
