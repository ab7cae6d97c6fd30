"""Rewind: a failed instance runs what failed again once the cause is fixed, and runs on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from durable_webhooks import Durable, StartApp

pytestmark = pytest.mark.emulator

START = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture
def durable(start_app: StartApp) -> Durable:
    return Durable(start_app("rewind", start_time=START))


def _rewind(durable: Durable, instance_id: str) -> int:
    response = durable.post(f"/instances/{instance_id}/rewind", reason="fixed it")
    durable.server.wait_idle()
    return response.status_code


def _scheduled(durable: Durable, instance_id: str, name: str) -> int:
    return sum(
        1 for e in durable.history(instance_id) if e.get("Name") == name and e["EventType"] == 4
    )


def test_rewound_chain_reruns_only_the_failed_activity_and_completes(
    durable: Durable, tmp_path: Path
) -> None:
    marker = tmp_path / "config-fixed"
    instance_id = durable.start("chain", {"marker": str(marker)})
    durable.server.wait_idle()
    failed = durable.body(instance_id)
    assert failed["runtimeStatus"] == "Failed"
    assert "not fixed yet" in failed["output"]

    marker.touch()
    assert _rewind(durable, instance_id) == 202

    status = durable.body(instance_id)
    assert status["runtimeStatus"] == "Completed"
    assert status["output"] == ["did one", "fixed config-fixed"]
    assert _scheduled(durable, instance_id, "step") == 1
    assert _scheduled(durable, instance_id, "needs_fix") == 1
    kinds = [e["EventType"] for e in durable.history(instance_id)]
    assert 6 not in kinds  # the TaskFailed is gone
    assert 17 in kinds  # the GenericEvent that woke the instance
    # As on the host, whose wake-up episode schedules the activity anew, that episode ends
    # (OrchestratorCompleted) before the rerun's TaskCompleted can arrive.
    woke = kinds.index(17)
    assert kinds.index(13, woke) < kinds.index(5, woke)


def test_rewind_before_the_cause_is_fixed_fails_again_and_can_be_repeated(
    durable: Durable, tmp_path: Path
) -> None:
    marker = tmp_path / "late"
    instance_id = durable.start("chain", {"marker": str(marker)})
    durable.server.wait_idle()

    assert _rewind(durable, instance_id) == 202
    assert durable.body(instance_id)["runtimeStatus"] == "Failed"
    marker.touch()
    assert _rewind(durable, instance_id) == 202
    assert durable.body(instance_id)["runtimeStatus"] == "Completed"


def test_rewound_fan_out_reruns_the_failed_branch(durable: Durable, tmp_path: Path) -> None:
    markers = [tmp_path / "a", tmp_path / "b", tmp_path / "c"]
    markers[0].touch()
    markers[2].touch()
    instance_id = durable.start("fan_out", {"markers": [str(m) for m in markers]})
    durable.server.wait_idle()
    assert durable.body(instance_id)["runtimeStatus"] == "Failed"

    markers[1].touch()
    assert _rewind(durable, instance_id) == 202

    status = durable.body(instance_id)
    assert status["runtimeStatus"] == "Completed"
    assert status["output"] == ["fixed a", "fixed b", "fixed c"]


def test_rewound_retry_runs_its_last_attempt_once_more(durable: Durable, tmp_path: Path) -> None:
    marker = tmp_path / "retried"
    instance_id = durable.start("retried", {"marker": str(marker)})
    durable.server.wait_idle()
    assert durable.body(instance_id)["runtimeStatus"] == "Failed"
    assert _scheduled(durable, instance_id, "needs_fix") == 2

    assert _rewind(durable, instance_id) == 202
    assert durable.body(instance_id)["runtimeStatus"] == "Failed"  # its one attempt failed
    marker.touch()
    assert _rewind(durable, instance_id) == 202

    assert durable.body(instance_id)["output"] == "fixed retried"
    assert _scheduled(durable, instance_id, "needs_fix") == 2


def test_rewound_parent_rewinds_its_failed_sub_orchestration(
    durable: Durable, tmp_path: Path
) -> None:
    marker = tmp_path / "child"
    instance_id = durable.start("parent", {"marker": str(marker)})
    durable.server.wait_idle()
    assert durable.body(instance_id)["runtimeStatus"] == "Failed"
    assert durable.body("child-of-parent")["runtimeStatus"] == "Failed"

    marker.touch()
    assert _rewind(durable, instance_id) == 202

    assert durable.body("child-of-parent")["runtimeStatus"] == "Completed"
    assert durable.body(instance_id)["output"] == {"child": ["did one", "fixed child"]}


def test_a_timer_still_pending_at_the_failure_fires_after_the_rewind(
    start_app: StartApp, tmp_path: Path
) -> None:
    server = start_app("rewind", start_time=START, paused=True)
    durable = Durable(server)
    marker = tmp_path / "timer"
    instance_id = durable.start("with_timer", {"marker": str(marker)})
    server.wait_idle()
    assert durable.body(instance_id)["runtimeStatus"] == "Failed"

    marker.touch()
    assert _rewind(durable, instance_id) == 202
    assert durable.body(instance_id)["runtimeStatus"] == "Running"  # waits for its timer
    server.clock.advance(timedelta(hours=1))

    assert durable.body(instance_id)["output"] == "fixed timer"


def test_a_rewound_instance_survives_a_restart_of_the_host(
    start_app: StartApp, tmp_path: Path
) -> None:
    state = tmp_path / "state.sqlite3"
    marker = tmp_path / "restart"
    first = start_app("rewind", start_time=START, paused=True, state=state)
    durable = Durable(first)
    instance_id = durable.start("with_timer", {"marker": str(marker)})
    first.wait_idle()
    marker.touch()
    assert _rewind(durable, instance_id) == 202
    first.stop()

    second = start_app("rewind", start_time=START, paused=True, state=state)
    durable = Durable(second)
    assert durable.body(instance_id)["runtimeStatus"] == "Running"
    second.clock.advance(timedelta(hours=1))

    assert durable.body(instance_id)["output"] == "fixed restart"


def test_rewinding_an_orchestrator_that_raised_by_itself_replays_it_to_the_same_failure(
    durable: Durable,
) -> None:
    instance_id = durable.start("raises", {})
    durable.server.wait_idle()
    reason = durable.body(instance_id)["output"]

    assert _rewind(durable, instance_id) == 202

    status = durable.body(instance_id)
    assert (status["runtimeStatus"], status["output"]) == ("Failed", reason)
    assert _scheduled(durable, instance_id, "step") == 1


def test_rewinding_after_the_failure_was_handled_fails_as_non_deterministic(
    durable: Durable, tmp_path: Path
) -> None:
    marker = tmp_path / "handled"
    instance_id = durable.start("compensates", {"marker": str(marker)})
    durable.server.wait_idle()
    assert durable.body(instance_id)["runtimeStatus"] == "Failed"

    marker.touch()
    assert _rewind(durable, instance_id) == 202

    status = durable.body(instance_id)
    assert status["runtimeStatus"] == "Failed"
    assert "Non-Deterministic workflow detected" in status["output"]


def test_rewind_answers_like_the_extension_for_other_instances(durable: Durable) -> None:
    waiting = durable.start("waits")
    durable.server.wait_idle()

    assert durable.post("/instances/nobody/rewind").status_code == 404
    running = durable.post(f"/instances/{waiting}/rewind")
    assert running.status_code == 500
    assert running.json()["ExceptionMessage"] == (
        "The rewind operation is only supported on failed orchestration instances."
    )
    durable.raise_event(waiting, "go", 1)
    durable.server.wait_idle()
    assert durable.post(f"/instances/{waiting}/rewind").status_code == 410
    durable.start("waits", instance_id="ended")
    assert durable.post("/instances/ended/terminate").status_code == 202
    # Termination waits for an episode already running (as the extension's queued message).
    durable.server.wait_idle()
    assert durable.body("ended")["runtimeStatus"] == "Terminated"
    assert durable.post("/instances/ended/rewind").status_code == 410
