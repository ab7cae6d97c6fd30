"""History files: a round trip keeps every event, and personal data is never written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.replay.history_file import HISTORIES, load
from tests.replay.recording import _write

SAMPLE = HISTORIES / "customer_onboarding" / "completed.json"


def test_a_history_file_reads_back_as_it_was_written() -> None:
    recorded = load(SAMPLE)

    assert recorded.to_text() == SAMPLE.read_text(encoding="utf-8")
    assert all("#" not in event for x in recorded.executions for event in x.events)


def test_personal_data_in_a_history_stops_the_recording_before_any_file_is_written(
    tmp_path: Path,
) -> None:
    recorded = load(SAMPLE)
    started = recorded.executions[0].events[1]
    started["Input"] = started["Input"].replace("onboardingKey", "replay.customer@example.com")

    with pytest.raises(AssertionError) as refused:
        _write([recorded], tmp_path, ("Replay.Customer@example.com",))

    assert "customer_onboarding/completed.json: 'Replay.Customer@example.com'" in str(refused.value)
    assert list(tmp_path.iterdir()) == []


def test_a_recording_replaces_the_files_of_cases_that_no_longer_exist(tmp_path: Path) -> None:
    stale = tmp_path / "customer_onboarding" / "renamed_case.json"
    stale.parent.mkdir()
    stale.write_text("{}", encoding="utf-8")

    written = _write([load(SAMPLE)], tmp_path, ())

    assert written == [tmp_path / "customer_onboarding" / "completed.json"]
    assert not stale.exists()
