"""The batch chunk's version branch: which name it prices items by, per instance version."""

from __future__ import annotations

import pytest
from pytest_mock import MockerFixture

from orchestrators import batch
from tests.support.batch_chunk import ChunkWorld, chunk_input, chunk_orchestrator, ids
from tests.support.orchestration import OrchestrationDriver


def item_activities(mocker: MockerFixture, version: str | None) -> set[str]:
    """The activity names a 3-item chunk of `version` priced its items with."""
    driver = OrchestrationDriver(
        mocker,
        chunk_orchestrator,
        input=chunk_input(3, 2),
        instance_id="b1:chunk-0",
        version=version,
    )
    output = driver.run(ChunkWorld(ids(3), limit=2))
    assert output["processed"] == 3
    return {str(a.name) for a in driver.activities if a.input.get("itemId")}


@pytest.mark.parametrize("version", [None, "", "1.0", "1.0.9", "0.9"])
def test_chunks_of_older_versions_keep_the_name_their_history_recorded(
    mocker: MockerFixture, version: str | None
) -> None:
    assert item_activities(mocker, version) == {"process_batch_item"}


@pytest.mark.parametrize("version", [batch.PRICE_BATCH_ITEM_SINCE, "1.10", "2.0", "1.1.0"])
def test_chunks_from_the_introducing_version_on_price_by_the_new_name(
    mocker: MockerFixture, version: str
) -> None:
    assert item_activities(mocker, version) == {"price_batch_item"}
