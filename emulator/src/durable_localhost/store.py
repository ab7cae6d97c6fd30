"""SQLite persistence with one writer thread that commits queued writes in batches.

The engine keeps hot state in memory and only *appends* writes here, so a fan-in of N
completions costs N small inserts grouped into a few transactions rather than N commits or
re-reads. Writes queued during one turn of the event loop reach the thread together, so it
wakes once per turn rather than once per write. Reads (status with history of a finished
instance, startup) go through the same thread, after every write queued before them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from durable_localhost.parking import Waker

log = logging.getLogger("durable_localhost.store")
T = TypeVar("T")
Write = Callable[[sqlite3.Connection], None]

SCHEMA = """
CREATE TABLE IF NOT EXISTS instances (
    instance_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    execution_id TEXT NOT NULL,
    status TEXT NOT NULL,
    input TEXT,
    output TEXT,
    custom_status TEXT,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    version TEXT,
    parent_json TEXT,
    meta_json TEXT
);
CREATE TABLE IF NOT EXISTS history (
    instance_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    event_json TEXT NOT NULL,
    PRIMARY KEY (instance_id, seq)
);
CREATE TABLE IF NOT EXISTS inbox (
    instance_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    event_json TEXT NOT NULL,
    PRIMARY KEY (instance_id, seq)
);
CREATE TABLE IF NOT EXISTS entities (
    entity_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    key TEXT NOT NULL,
    exists_ INTEGER NOT NULL,
    state TEXT,
    updated TEXT,
    queue_seq INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS entity_queue (
    entity_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    request_json TEXT NOT NULL,
    PRIMARY KEY (entity_id, seq)
);
CREATE TABLE IF NOT EXISTS kv (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

_STOP = object()
#: Hand-overs committed together at most (a transaction's size stays bounded when writes pile up).
_MAX_BATCH = 500
#: The state holds the host keys and every payload: readable by its owner only.
OWNER_ONLY = 0o600
#: SQLite's own files next to the database; it creates them with the database file's mode.
_SIDE_FILES = ("-wal", "-shm", "-journal")


@dataclass(frozen=True)
class Superseded:
    """A write that a later one with the same ``key`` makes redundant in one transaction.

    Both would commit together, so only the last runs (a high-water mark written per episode
    costs one statement per commit, not one per episode).
    """

    key: str
    write: Write


class _Mailbox:
    """What the writer thread has to do; a put wakes it (outside the GIL) only if it is parked."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: deque[Any] = deque()
        self._parked = False
        self._waker = Waker()

    def put(self, item: Any) -> None:
        """Queue ``item`` for the writer."""
        with self._lock:
            self._items.append(item)
            parked, self._parked = self._parked, False
        if parked:
            self._waker.wake()

    def take(self, limit: int) -> list[Any]:
        """Up to ``limit`` items in the order queued, waiting for at least one."""
        while True:
            with self._lock:
                if self._items:
                    count = min(limit, len(self._items))
                    return [self._items.popleft() for _ in range(count)]
                self._parked = True
            self._waker.wait()

    def close(self) -> None:
        """Release the writer's wake-up descriptor (the writer has exited)."""
        self._waker.close()


@dataclass
class _Read:
    fn: Callable[[sqlite3.Connection], Any]
    done: Callable[[Any, BaseException | None], None]


class StateStore:
    """Owns the SQLite connection; everything runs on its writer thread."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            _create_private(Path(self.path))
        self._queue = _Mailbox()
        self._ready = threading.Event()
        # Writes of the current loop turn, handed over together at its end (None: no turn open).
        self._turn_writes: list[Write | Superseded] | None = None
        self._turn_lock = threading.Lock()
        # Called on the loop before a turn's writes are handed over: their writes join them.
        self._turn_end_hooks: list[Callable[[], None]] = []
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="emulator-sqlite", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error

    @property
    def is_memory(self) -> bool:
        """Whether state is lost when the emulator stops."""
        return self.path == ":memory:"

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.executescript(SCHEMA)
        return conn

    def _run(self) -> None:
        try:
            conn = self._connect()
        except BaseException as exc:  # surfaced to the constructor
            self._error = exc
            self._queue.close()
            self._ready.set()
            return
        self._ready.set()
        stopping = False
        while not stopping:
            batch = self._queue.take(_MAX_BATCH)
            writes: list[Write | Superseded] = []
            for entry in batch:
                if entry is _STOP:
                    stopping = True
                elif isinstance(entry, list):
                    writes.extend(entry)
                elif isinstance(entry, _Read):
                    self._commit(conn, writes)
                    writes = []
                    try:
                        entry.done(entry.fn(conn), None)
                    except BaseException as exc:
                        entry.done(None, exc)
                else:
                    writes.append(entry)
            self._commit(conn, writes)
        conn.close()
        self._queue.close()

    @staticmethod
    def _commit(conn: sqlite3.Connection, writes: list[Write | Superseded]) -> None:
        if not writes:
            return
        last = {w.key: i for i, w in enumerate(writes) if isinstance(w, Superseded)}
        conn.execute("BEGIN")
        try:
            for index, write in enumerate(writes):
                if not isinstance(write, Superseded):
                    write(conn)
                elif last[write.key] == index:
                    write.write(conn)
        except Exception:
            conn.execute("ROLLBACK")
            log.exception("a state write failed; batch rolled back")
            return
        conn.execute("COMMIT")

    def write(self, fn: Write | Superseded) -> None:
        """Queue a write; it commits with the others queued around it."""
        with self._turn_lock:
            if self._turn_writes is not None:
                self._turn_writes.append(fn)
                return
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                self._queue.put(fn)
                return
            self._turn_writes = [fn]
        loop.call_soon(self._end_turn)

    def at_turn_end(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` on the loop before each hand-over of a turn's writes (and before reads).

        What the hook writes commits in the same transaction as the turn's other writes, so
        state saved once per turn (instance rows) never lags the history a crash keeps.
        """
        self._turn_end_hooks.append(hook)

    def _end_turn(self) -> None:
        for hook in self._turn_end_hooks:
            hook()
        self._hand_over()

    def _hand_over(self) -> None:
        """Pass the writes queued so far to the writer thread (before a read, at a turn's end)."""
        with self._turn_lock:
            writes, self._turn_writes = self._turn_writes, None
            if writes:
                self._queue.put(writes)

    def read_sync(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` on the writer thread after every queued write, and wait for it."""
        box: list[Any] = []
        done_event = threading.Event()

        def done(value: Any, error: BaseException | None) -> None:
            box.extend([value, error])
            done_event.set()

        self._hand_over()
        self._queue.put(_Read(fn, done))
        done_event.wait()
        if box[1] is not None:
            raise box[1]
        return box[0]  # type: ignore[no-any-return]

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Async :meth:`read_sync` that does not block the event loop."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()

        def done(value: Any, error: BaseException | None) -> None:
            def settle() -> None:
                if future.done():
                    return
                if error is not None:
                    future.set_exception(error)
                else:
                    future.set_result(value)

            loop.call_soon_threadsafe(settle)

        self._end_turn()
        self._queue.put(_Read(fn, done))
        return await future  # type: ignore[no-any-return]

    async def flush(self) -> None:
        """Wait until every write queued so far is committed."""
        await self.read(lambda _conn: None)

    def close(self) -> None:
        """Commit what is queued and stop the writer thread."""
        if self._thread.is_alive():
            self._hand_over()
            self._queue.put(_STOP)
            self._thread.join()


def _create_private(path: Path) -> None:
    """Create the database file owner-only; tighten an existing one and its side files too."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, OWNER_ONLY))
    os.chmod(path, OWNER_ONLY)
    for suffix in _SIDE_FILES:
        with contextlib.suppress(FileNotFoundError):
            os.chmod(f"{path}{suffix}", OWNER_ONLY)
