"""``kill -9`` of the host while mixed orchestrations run loses nothing and duplicates nothing.

The host runs as a subprocess on a state file (wall clock); the test starts orchestrations
(chains, fan-outs, timers, sub-orchestrations), kills the process with SIGKILL a few times at
random moments, restarts it on the same state and waits. Activities may run again after a crash
(at least once, as on Azure), but every orchestration completes once with the right output,
every scheduled task has exactly one completion, and every effect exists exactly once.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from apps.crash.function_app import FAN_OUT
from durable_localhost import EmulatorServer
from durable_localhost import store as store_module
from durable_localhost.store import StateStore
from durable_webhooks import APPS, Durable

pytestmark = pytest.mark.emulator

INSTANCES = 12
KILLS = 3
WEBHOOKS = "/runtime/webhooks/durabletask"
STEPS = ["chain-1", "chain-2", *[f"fan-{i}" for i in range(FAN_OUT)], "child-1", "child-2"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Host:
    """``python -m durable_localhost`` on one state file, started and killed at will."""

    def __init__(self, state: Path, journal: Path, log: Path) -> None:
        self.state = state
        self.env = {**os.environ, "CRASH_JOURNAL": str(journal), "PYTHONUNBUFFERED": "1"}
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.base = ""

    def start(self) -> None:
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        command = [sys.executable, "-m", "durable_localhost", "--app", str(APPS / "crash")]
        command += ["--port", str(port), "--state", str(self.state), "--log-level", "WARNING"]
        with self.log.open("a") as log:
            self.process = subprocess.Popen(command, env=self.env, stdout=log, stderr=log)
        deadline = time.monotonic() + 60
        while True:
            assert self.process.poll() is None, self.log.read_text()
            try:
                if httpx.get(f"{self.base}/admin/host/status", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the host did not start"
            time.sleep(0.05)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()

    def get(self, path: str, **params: str) -> Any:
        response = httpx.get(f"{self.base}{WEBHOOKS}{path}", params=params, timeout=10)
        assert response.status_code in (200, 202), (path, response.status_code)
        return response.json()


def explain(host: Host, instance_ids: list[str]) -> str:
    """Each instance's status, output and history, then the host's log: what a failure needs."""
    parts = []
    for instance_id in [*instance_ids, *(f"{i}-child" for i in instance_ids)]:
        url = f"{host.base}{WEBHOOKS}/instances/{instance_id}"
        params = {"showHistory": "true", "showHistoryOutput": "true"}
        response = httpx.get(url, params=params, timeout=10)
        parts.append(f"{instance_id}: {response.status_code} {response.text}")
    return "\n".join([*parts, "host log:", host.log.read_text()])


def wait_for_all(host: Host, ids: list[str], timeout: float = 60) -> dict[str, Any]:
    """Wait until every instance completed; fail at once (with the reasons) if one ended else."""
    deadline = time.monotonic() + timeout
    while True:
        bodies = {i: host.get(f"/instances/{i}") for i in ids}
        if all(b["runtimeStatus"] == "Completed" for b in bodies.values()):
            return bodies
        stuck = {
            i: b["runtimeStatus"] for i, b in bodies.items() if b["runtimeStatus"] != "Completed"
        }
        ended = [i for i, status in stuck.items() if status in ("Failed", "Terminated")]
        assert not ended, f"ended other than Completed: {stuck}\n{explain(host, ended)}"
        assert time.monotonic() < deadline, f"not finished: {stuck}\n{explain(host, list(stuck))}"
        time.sleep(0.2)


def test_kill_9_during_mixed_orchestrations_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    journal = tmp_path / "journal"
    (journal / "attempts").mkdir(parents=True)
    (journal / "effects").mkdir()
    host = Host(tmp_path / "state.sqlite3", journal, tmp_path / "host.log")
    ids = [f"mix-{n}" for n in range(INSTANCES)]
    chaos = random.Random(20261203)
    try:
        host.start()
        for instance_id in ids:
            started = httpx.post(f"{host.base}{WEBHOOKS}/orchestrators/mixed/{instance_id}")
            assert started.status_code == 202
        for _ in range(KILLS):
            time.sleep(chaos.uniform(0.2, 0.7))
            host.kill()
            host.start()
        bodies = wait_for_all(host, ids)
        listed = host.get("/instances", top="1000")
        histories = {i: host.get(f"/instances/{i}", showHistory="true") for i in ids}
    finally:
        host.stop()

    for instance_id, body in bodies.items():
        assert body["output"] == [f"{instance_id}.{step}" for step in STEPS]
    all_ids = Counter(item["instanceId"] for item in listed)
    assert sorted(all_ids) == sorted([*ids, *[f"{i}-child" for i in ids]])
    assert max(all_ids.values()) == 1
    for instance_id, body in histories.items():
        events = body["historyEvents"]
        assert [e["EventType"] for e in events].count("ExecutionCompleted") == 1, instance_id
        kinds = Counter(e["EventType"] for e in events)
        assert kinds["SubOrchestrationInstanceCompleted"] == 1, instance_id
        assert kinds["TaskCompleted"] == 2 + FAN_OUT, instance_id  # each task answered once
    effects = sorted(p.name for p in (journal / "effects").iterdir())
    assert effects == sorted(f"{i}.{step}" for i in ids for step in STEPS)
    attempts = len(list((journal / "attempts").iterdir()))
    assert attempts >= len(effects)  # re-runs after a crash are allowed, effects once


def torn_instances(conn: sqlite3.Connection) -> list[str]:
    """Instances whose committed row disagrees with their committed history.

    ``kill -9`` keeps exactly the committed transactions, so a restart resumes from such a
    state: a row whose ``history_seq`` (and scheduled steps) lag the history replays the
    history against stale bookkeeping.
    """
    recorded = {
        iid: json.loads(meta)["history_seq"]
        for iid, meta in conn.execute("SELECT instance_id, meta_json FROM instances")
    }
    counted = dict(conn.execute("SELECT instance_id, COUNT(*) FROM history GROUP BY instance_id"))
    return [
        f"{iid}: the row says {recorded.get(iid, 0)} history events, the history has {events}"
        for iid in sorted({*recorded, *counted})
        if recorded.get(iid, 0) != (events := counted.get(iid, 0))
    ]


def test_every_commit_leaves_rows_and_histories_in_step(
    start_app: Callable[..., EmulatorServer], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Whatever commit a crash stops after, the instance rows match the histories.

    One hand-over per transaction is the writer's worst case (a busy machine gives it that):
    the state after every commit must be one a restart can resume from.
    """
    seen: list[str] = []
    commit = StateStore._commit

    def checked(conn: sqlite3.Connection, writes: list[Any]) -> None:
        commit(conn, writes)
        seen.extend(torn_instances(conn))

    monkeypatch.setattr(store_module, "_MAX_BATCH", 1)
    monkeypatch.setattr(StateStore, "_commit", staticmethod(checked))
    server = start_app("chain", state=tmp_path / "state.sqlite3", settings={"HUB": "TornHub"})
    durable = Durable(server)
    ids = [durable.start("chain", f'"city-{n}"') for n in range(3)]
    assert server.wait_idle()
    assert all(durable.body(i)["runtimeStatus"] == "Completed" for i in ids)
    assert seen == []
