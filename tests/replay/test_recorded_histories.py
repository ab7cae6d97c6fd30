"""Every committed history replays through the real SDK against today's orchestrators.

A failure here means a running instance of that orchestrator (at the recorded version) would
take another step after this code is deployed. Read the message, then either keep the old steps
for old versions (`context.version`) or, if that change is meant, `make record-histories`.
"""

from __future__ import annotations

import pytest

from tests.replay.history_file import RecordedInstance, all_recorded
from tests.replay.replayer import app_orchestrators, replay_failure

RECORDED = all_recorded()


def test_every_orchestrator_of_the_app_has_recorded_histories() -> None:
    recorded = {r.orchestrator for r in RECORDED}
    missing = sorted(set(app_orchestrators()) - recorded)
    assert not missing, (
        f"no recorded history for {missing}: add a scenario to tests/replay/record.py "
        "and run make record-histories"
    )


@pytest.mark.parametrize("recorded", RECORDED, ids=[r.label for r in RECORDED])
def test_todays_code_replays_the_recorded_history(recorded: RecordedInstance) -> None:
    orchestrator = app_orchestrators().get(recorded.orchestrator)
    assert orchestrator is not None, (
        f"{recorded.label}: the app has no orchestrator {recorded.orchestrator!r} any more, "
        "but instances recorded under that name may still be running"
    )

    failure = replay_failure(recorded, orchestrator)

    assert failure is None, failure
