"""Guards that an orchestration's state holds no personal data, for orchestrator unit tests."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from tests.support.orchestration import OrchestrationDriver


def assert_no_personal_data(
    driver: OrchestrationDriver, output: Any, markers: Iterable[str]
) -> None:
    """Fail naming the place when a marker shows in what history or status would hold:
    the input, an activity's input or result, a custom status, the output or the next input."""
    places: list[tuple[str, Any]] = [("input", driver.input), ("output", output)]
    places += [(f"activity {t.name} input", t.input) for t in driver.activities]
    places += [(f"activity {t.name} result", t.result) for t in driver.activities]
    places += [(f"custom status {n}", s) for n, s in enumerate(driver.custom_statuses)]
    if driver.continued_as_new:
        places.append(("continue_as_new input", driver.continued_with))
    found = [
        f"{place}: {marker!r}"
        for place, value in places
        for marker in markers
        if marker.lower() in json.dumps(value, default=str).lower()
    ]
    assert not found, "personal data in orchestration state:\n" + "\n".join(found)
