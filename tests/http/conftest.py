"""The mocked durable client every route test starts from."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df
import pytest
from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus
from azure.durable_functions.models.EntityStateResponse import EntityStateResponse
from pytest_mock import MockerFixture

from tests.http.samples import PUBLIC_ORIGIN


@pytest.fixture
def client(mocker: MockerFixture) -> Any:
    """An autospec'd client that knows no instances or entities and starts what it is asked.

    `get_status` answers like the SDK does for an unknown id (a falsy status), `start_new`
    returns the instance id it was given. Tests set other answers on the mock as they need.
    """
    mock = mocker.create_autospec(df.DurableOrchestrationClient, instance=True)
    mock.get_status.return_value = DurableOrchestrationStatus.from_json("")
    mock.start_new.side_effect = lambda name, instance_id=None, payload=None: instance_id
    mock.read_entity_state.return_value = EntityStateResponse(False)
    return mock


@pytest.fixture(autouse=True)
def _public_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    """Route tests see the app as deployed under a public name, whatever host they call."""
    monkeypatch.setenv("PUBLIC_BASE_URL", PUBLIC_ORIGIN)
    monkeypatch.delenv("WEBSITE_HOSTNAME", raising=False)
