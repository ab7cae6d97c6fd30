"""`make bench`'s chain5 scenarios still run and still see the engine seams they measure.

The bench wraps emulator internals from outside (`tests/bench/probes.py`) and drives both
engines from a separate start client; a change to either side shows up here, in `make test`,
rather than as a failed or silently empty `make bench`. Each scenario runs as `make bench`
runs it, in a fresh interpreter. Nothing here looks at how fast anything is.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.bench.__main__ import run_scenario

INSTANCES = 3
EPISODES_PER_CHAIN5 = 6  # the start, then one per activity result


@pytest.mark.parametrize("state", ["memory", "file"])
def test_the_emulator_chain_is_started_from_the_client_and_split_by_the_probes(
    state: str,
) -> None:
    figures: dict[str, Any] = run_scenario(
        "chain-emulator", {"instances": INSTANCES, "state": state}
    )

    assert figures["instances"] == INSTANCES
    assert figures["episodes"] == INSTANCES * EPISODES_PER_CHAIN5
    # Measured at all, whatever the amount: a seam the probe no longer wraps reads as zero.
    assert figures["sdk_cpu_s"] > 0
    assert figures["activity_cpu_s"] > 0
    assert figures["client_cpu_s"] > 0
    assert 0 < figures["sdk_cpu_share"] < 1


def test_the_durabletask_chain_is_started_from_the_client_process() -> None:
    figures: dict[str, Any] = run_scenario("chain-durabletask", {"instances": INSTANCES})

    assert figures["instances"] == INSTANCES
    assert figures["client_cpu_s"] > 0
    assert figures["sdk_cpu_s"] == -1.0  # not measured there, and the table says n/a
