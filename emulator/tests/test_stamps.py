"""OrchestratorStarted stamps strictly increase, so `new_uuid()` never repeats an execution's.

The SDK derives `new_uuid()` from the instance id, the current OrchestratorStarted timestamp and
a counter that restarts at 0 in every execution. Real time always moves between two episodes;
a paused virtual clock does not, so the emulator nudges its stamps forward by microseconds.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from durable_localhost.clock import Clock, ClockMode, StampSource
from durable_localhost.timeutil import parse
from durable_webhooks import Durable, StartApp

pytestmark = pytest.mark.emulator

START = datetime(2030, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def _run(durable: Durable, name: str, payload: Any, instance_id: str) -> Any:
    durable.start(name, payload, instance_id=instance_id)
    assert durable.server.wait_idle()
    status = durable.body(instance_id)
    assert status["runtimeStatus"] == "Completed", status
    return status["output"]


def _stamps(durable: Durable, instance_id: str) -> list[datetime]:
    """The OrchestratorStarted timestamps of the instance's current execution, in order."""
    history = durable.history(instance_id)
    return [parse(e["Timestamp"]) for e in history if e["EventType"] == 12]


def _purge(durable: Durable, instance_id: str) -> None:
    response = durable.http.delete(f"/instances/{instance_id}", params=durable.params)
    assert response.status_code == 200, response.text


def test_a_purged_instance_started_again_at_the_same_instant_mints_new_uuids(
    start_app: StartApp,
) -> None:
    server = start_app("uuids", start_time=START, paused=True)
    durable = Durable(server)

    first = _run(durable, "minter", {"steps": 2}, "same-id")
    _purge(durable, "same-id")
    second = _run(durable, "minter", {"steps": 2}, "same-id")
    assert durable.post("/instances/same-id/restart", restartWithNewInstanceId="false").is_success
    assert server.wait_idle()
    third = durable.body("same-id")["output"]

    assert server.clock.now() == START  # the clock did not move: only the stamps did
    minted = [*first["uuids"], *second["uuids"], *third["uuids"]]
    assert len(set(minted)) == len(minted) == 9
    times = [*first["times"], *second["times"], *third["times"]]
    assert times == sorted(set(times))
    assert times[0] == START.isoformat()
    assert parse(times[-1]) - START < timedelta(milliseconds=1)


def test_executions_continued_as_new_at_the_same_instant_mint_new_uuids(
    start_app: StartApp,
) -> None:
    server = start_app("uuids", start_time=START, paused=True)
    durable = Durable(server)

    seen = _run(durable, "generations", {"rounds": 3, "seen": []}, "eternal")

    assert len(set(seen)) == len(seen) == 4
    assert server.clock.now() == START


def test_orchestrator_started_stamps_strictly_increase_within_a_history(
    start_app: StartApp,
) -> None:
    server = start_app("uuids", start_time=START, paused=True)
    durable = Durable(server)

    output = _run(durable, "minter", {"steps": 3}, "episodes")

    stamps = _stamps(durable, "episodes")
    assert len(stamps) == 4  # one episode per activity result, all at the same virtual instant
    assert all(a < b for a, b in pairwise(stamps))
    assert stamps[0] == START
    # current_utc_datetime follows the stamps; uuids within one execution were already unique.
    assert [parse(t) for t in output["times"]] == stamps
    assert len(set(output["uuids"])) == 4


def test_a_timer_set_from_a_nudged_stamp_fires_when_the_clock_moves_by_its_delay(
    start_app: StartApp,
) -> None:
    server = start_app("uuids", start_time=START, paused=True)
    durable = Durable(server)

    durable.start("late_sleeper", {"steps": 2, "hours": 1}, instance_id="sleeper")
    assert server.wait_idle()
    created = next(e for e in durable.history("sleeper") if e["EventType"] == 10)
    assert parse(created["FireAt"]) > START + timedelta(hours=1)  # stamped after START
    assert server.clock.info()["nextTimer"] == "2030-01-01T01:00:00Z"

    server.clock.advance(timedelta(hours=1))

    assert durable.body("sleeper")["output"] == 3600
    assert server.clock.now() == START + timedelta(hours=1)
    history = durable.history("sleeper")
    fired = next(e for e in history if e["EventType"] == 11)
    # The TimerFired episode still starts at or after FireAt (the SDK relies on it).
    episode = [e for e in history[: history.index(fired)] if e["EventType"] == 12][-1]
    assert parse(episode["Timestamp"]) >= parse(fired["FireAt"])


def test_stamps_still_increase_after_a_restart_from_the_state_file(
    start_app: StartApp, tmp_path: Path
) -> None:
    state = tmp_path / "state.sqlite3"
    first = start_app("uuids", start_time=START, paused=True, state=state)
    durable = Durable(first)
    before = _run(durable, "minter", {"steps": 2}, "reused")
    last_before = _stamps(durable, "reused")[-1]
    # Purged: nothing of it is left in the history or instance rows to derive a stamp from.
    _purge(durable, "reused")
    first.stop()

    second = start_app("uuids", start_time=START, paused=True, state=state)
    durable = Durable(second)
    resumed_at = second.clock.now()
    after = _run(durable, "minter", {"steps": 2}, "reused")

    # A virtual clock resumes at the persisted high-water mark, never behind it.
    assert START < resumed_at < START + timedelta(seconds=1)
    assert resumed_at >= last_before
    assert _stamps(durable, "reused")[0] > last_before
    assert not set(before["uuids"]) & set(after["uuids"])


def test_stamp_source_nudges_stamps_but_not_the_clock() -> None:
    clock = Clock(ClockMode.VIRTUAL, start=START, paused=True)
    stamps = StampSource(clock)

    assert stamps.issue() == START
    assert stamps.issue() == START + MICROSECOND
    assert stamps.issue(at_least=START + timedelta(hours=1)) == START + timedelta(hours=1)
    assert stamps.issue() == START + timedelta(hours=1) + MICROSECOND
    assert clock.now() == START

    restarted = StampSource(clock, last=START + timedelta(seconds=5))
    assert restarted.issue() == START + timedelta(seconds=5) + MICROSECOND
    clock.set_virtual(START + timedelta(days=1))
    assert restarted.issue() == START + timedelta(days=1)
