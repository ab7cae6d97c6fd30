"""`make record-histories` is repeatable: the same code records the same bytes.

The fan-out (chunks, a window of activities, an entity signal) and the eternal monitor (an HTTP
probe, continue-as-new) are where timing, random ids and wall-clock time would show first.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.support.endpoint import ControllableEndpoint
from tests.replay import record
from tests.replay.recording import record as record_histories


@pytest.fixture
def endpoint() -> Iterator[ControllableEndpoint]:
    probe = ControllableEndpoint().start()
    yield probe
    probe.stop()


def _recorded(endpoint: ControllableEndpoint, out: Path) -> dict[str, str]:
    chosen = [s for s in record.scenarios(endpoint) if s[0] in ("batches", "health_monitors")]
    logging.disable(logging.ERROR)
    try:
        written = record_histories(chosen, record.settings(endpoint.url), out, record.PERSONAL_DATA)
    finally:
        logging.disable(logging.NOTSET)
    return {str(path.relative_to(out)): path.read_text(encoding="utf-8") for path in written}


def test_two_recordings_of_the_same_code_write_identical_files(
    endpoint: ControllableEndpoint, tmp_path: Path
) -> None:
    first = _recorded(endpoint, tmp_path / "first")
    second = _recorded(endpoint, tmp_path / "second")

    assert "process_batch_chunk/chunk_0.json" in first
    assert "health_monitor/alert_resolve_stop.json" in first
    assert first == second
