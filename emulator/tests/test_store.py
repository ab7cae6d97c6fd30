"""The state store's writer thread: superseded writes and the order of writes and reads."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from durable_localhost import persistence
from durable_localhost.store import StateStore, Superseded

pytestmark = [pytest.mark.emulator, pytest.mark.unit]


def _kv(conn: sqlite3.Connection) -> dict[str, str]:
    return {str(k): str(v) for k, v in conn.execute("SELECT key, value FROM kv").fetchall()}


def test_only_the_last_superseded_write_of_a_key_runs_and_others_keep_their_order(
    tmp_path: Path,
) -> None:
    store = StateStore(tmp_path / "state.sqlite3")
    ran: list[str] = []

    def recording(name: str, key: str, value: str) -> Superseded:
        inner = persistence.write_kv(key, value)

        def write(conn: sqlite3.Connection) -> None:
            ran.append(name)
            inner(conn)

        return Superseded(f"kv:{key}", write)

    release = threading.Event()

    def hold(_conn: sqlite3.Connection) -> None:
        release.wait()

    try:
        # The writer is held inside a write, so everything queued meanwhile is one batch.
        store.write(hold)
        store.write(recording("mark 1", "mark", "1"))
        store.write(persistence.write_kv("other", "a"))
        store.write(recording("mark 2", "mark", "2"))
        store.write(recording("level 1", "level", "x"))
        store.write(recording("mark 3", "mark", "3"))
        release.set()
        assert store.read_sync(_kv) == {"mark": "3", "other": "a", "level": "x"}
        # A read ends the transaction: a superseded write queued after it still runs.
        store.write(recording("mark 4", "mark", "4"))
        assert store.read_sync(_kv)["mark"] == "4"
    finally:
        store.close()
    assert ran == ["level 1", "mark 3", "mark 4"]


def test_the_stamp_high_water_mark_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    store = StateStore(path)
    for value in ("2030-01-01T00:00:00.000001Z", "2030-01-01T00:00:00.000002Z"):
        store.write(persistence.raise_kv("engine.last_stamp", value))
    store.close()
    reopened = StateStore(path)
    try:
        found = reopened.read_sync(lambda conn: persistence.read_kv(conn, "engine.last_stamp"))
    finally:
        reopened.close()
    assert found == "2030-01-01T00:00:00.000002Z"


async def test_writes_of_one_loop_turn_commit_together_and_a_read_sees_them(
    tmp_path: Path,
) -> None:
    store = StateStore(tmp_path / "state.sqlite3")
    ran: list[str] = []

    def recording(value: str) -> Superseded:
        inner = persistence.write_kv("mark", value)

        def write(conn: sqlite3.Connection) -> None:
            ran.append(value)
            inner(conn)

        return Superseded("kv:mark", write)

    try:
        store.write(recording("1"))
        store.write(persistence.write_kv("other", "a"))
        store.write(recording("2"))
        # Same turn: the read hands the writes over first, as one transaction.
        assert await store.read(_kv) == {"mark": "2", "other": "a"}
        store.write(recording("3"))
        await store.flush()
    finally:
        store.close()
    assert ran == ["2", "3"]


def test_writes_from_many_threads_all_commit_and_the_writer_releases_its_descriptor(
    tmp_path: Path,
) -> None:
    fds = Path("/proc/self/fd")
    before = len(list(fds.iterdir())) if fds.exists() else 0
    store = StateStore(tmp_path / "state.sqlite3")

    def write_many(thread: int) -> None:
        for n in range(200):
            store.write(persistence.write_kv(f"{thread}-{n}", "x"))

    writers = [threading.Thread(target=write_many, args=(t,)) for t in range(4)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(10)
    assert len(store.read_sync(_kv)) == 800
    store.close()
    if fds.exists():
        assert len(list(fds.iterdir())) == before
