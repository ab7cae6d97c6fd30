"""Mapping instances and entities to SQLite rows (writes are closures over immutable snapshots)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import asdict

from durable_localhost.history import Event, encode_event
from durable_localhost.model import (
    EntityRecord,
    EntityRequest,
    InboxItem,
    Instance,
    ParentRef,
    RuntimeStatus,
)
from durable_localhost.store import Superseded, Write
from durable_localhost.timeutil import parse, to_wire


def save_instance(instance: Instance) -> Write:
    """Upsert the instance row with everything captured now."""
    row = (
        instance.instance_id,
        instance.name,
        instance.execution_id,
        str(instance.status),
        instance.input,
        instance.output,
        instance.custom_status,
        to_wire(instance.created),
        to_wire(instance.updated),
        instance.version,
        json.dumps(asdict(instance.parent)) if instance.parent else None,
        instance.meta_json(),
    )

    def write(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT OR REPLACE INTO instances VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", row)

    return write


def append_history(
    instance_id: str, first_seq: int, events: Sequence[Event], encoded: Sequence[str] = ()
) -> Write:
    """Insert history rows numbered from ``first_seq``; ``encoded``: the texts of the first
    events, already made by ``encode_event``."""
    texts = [*encoded, *(encode_event(e) for e in events[len(encoded) :])]
    rows = [(instance_id, first_seq + i, text) for i, text in enumerate(texts)]

    def write(conn: sqlite3.Connection) -> None:
        conn.executemany("INSERT OR REPLACE INTO history VALUES (?,?,?)", rows)

    return write


def clear_history(instance_id: str) -> Write:
    """Drop the history of a finished execution (continue-as-new, overwrite, restart)."""

    def write(conn: sqlite3.Connection) -> None:
        conn.execute("DELETE FROM history WHERE instance_id = ?", (instance_id,))

    return write


def add_inbox(instance_id: str, item: InboxItem) -> Write:
    """Persist a message for the instance's next episode."""
    row = (instance_id, item.seq, item.encoded)

    def write(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT OR REPLACE INTO inbox VALUES (?,?,?)", row)

    return write


def remove_inbox(instance_id: str, seqs: list[int]) -> Write:
    """Forget delivered (or dropped) messages."""
    rows = [(instance_id, s) for s in seqs]

    def write(conn: sqlite3.Connection) -> None:
        conn.executemany("DELETE FROM inbox WHERE instance_id = ? AND seq = ?", rows)

    return write


def clear_inbox(instance_id: str) -> Write:
    """Forget every pending message of an instance."""

    def write(conn: sqlite3.Connection) -> None:
        conn.execute("DELETE FROM inbox WHERE instance_id = ?", (instance_id,))

    return write


def delete_instance(instance_id: str) -> Write:
    """Purge an instance and everything attached to it."""

    def write(conn: sqlite3.Connection) -> None:
        for table in ("instances", "history", "inbox"):
            conn.execute(f"DELETE FROM {table} WHERE instance_id = ?", (instance_id,))

    return write


def save_entity(record: EntityRecord) -> Write:
    """Upsert an entity's state row."""
    row = (
        record.entity_id,
        record.name,
        record.key,
        1 if record.exists else 0,
        record.state,
        to_wire(record.updated) if record.updated else None,
        record.queue_seq,
    )

    def write(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT OR REPLACE INTO entities VALUES (?,?,?,?,?,?,?)", row)

    return write


def add_entity_request(entity_id: str, request: EntityRequest) -> Write:
    """Persist a queued entity operation."""
    row = (entity_id, request.seq, request.to_json())

    def write(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT OR REPLACE INTO entity_queue VALUES (?,?,?)", row)

    return write


def remove_entity_requests(entity_id: str, seqs: list[int]) -> Write:
    """Forget processed entity operations."""
    rows = [(entity_id, s) for s in seqs]

    def write(conn: sqlite3.Connection) -> None:
        conn.executemany("DELETE FROM entity_queue WHERE entity_id = ? AND seq = ?", rows)

    return write


def load_history(conn: sqlite3.Connection, instance_id: str) -> list[Event]:
    """The persisted history of an instance's current execution, in order."""
    rows = conn.execute(
        "SELECT event_json FROM history WHERE instance_id = ? ORDER BY seq", (instance_id,)
    ).fetchall()
    return [json.loads(r[0]) for r in rows]


def load_instances(conn: sqlite3.Connection) -> list[Instance]:
    """Every instance; live ones get their history and inbox, finished ones stay cold."""
    instances: list[Instance] = []
    for row in conn.execute("SELECT * FROM instances").fetchall():
        (iid, name, exe, status, inp, out, custom, created, updated, version, parent, meta) = row
        instance = Instance(
            instance_id=iid,
            name=name,
            execution_id=exe,
            status=RuntimeStatus(status),
            input=inp,
            created=parse(created),
            updated=parse(updated),
            version=version,
            output=out,
            custom_status=custom,
            parent=ParentRef(**json.loads(parent)) if parent else None,
        )
        instance.load_meta(meta)
        if instance.status.is_terminal:
            instance.history_loaded = False
        else:
            instance.history = load_history(conn, iid)
            instance.inbox = [
                InboxItem(int(seq), json.loads(text), text)
                for seq, text in conn.execute(
                    "SELECT seq, event_json FROM inbox WHERE instance_id = ? ORDER BY seq", (iid,)
                ).fetchall()
            ]
            if instance.inbox:
                instance.inbox_seq = max(instance.inbox_seq, instance.inbox[-1].seq)
        instances.append(instance)
    return instances


def load_entities(conn: sqlite3.Connection) -> list[EntityRecord]:
    """Every entity with its queued operations."""
    records: list[EntityRecord] = []
    for eid, name, key, exists, state, updated, queue_seq in conn.execute(
        "SELECT * FROM entities"
    ).fetchall():
        record = EntityRecord(
            entity_id=eid,
            name=name,
            key=key,
            exists=bool(exists),
            state=state,
            updated=parse(updated) if updated else None,
            queue_seq=int(queue_seq),
        )
        record.queue = [
            EntityRequest.from_json(text)
            for (text,) in conn.execute(
                "SELECT request_json FROM entity_queue WHERE entity_id = ? ORDER BY seq", (eid,)
            ).fetchall()
        ]
        records.append(record)
    return records


def read_kv(conn: sqlite3.Connection, key: str) -> str | None:
    """A small persisted setting (e.g. generated keys)."""
    row = conn.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def write_kv(key: str, value: str) -> Write:
    """Persist a small setting."""

    def write(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT OR REPLACE INTO kv VALUES (?, ?)", (key, value))

    return write


def raise_kv(key: str, value: str) -> Superseded:
    """Persist a setting that only grows: a later one queued in the same commit replaces it."""
    return Superseded(f"kv:{key}", write_kv(key, value))
