"""Fixtures for orchestrators on the local host with faked activities."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from durable_localhost import ActivityFake, EmulatorServer
from tests.support.local_host import ROOT, SETTINGS, LocalHost, StartLocalHost


@pytest.fixture
def local_host(durable_localhost_factory: Callable[..., EmulatorServer]) -> StartLocalHost:
    """`local_host(fakes, paused=True)`: the app on a local host whose activities fakes answer."""

    def start(fakes: dict[str, ActivityFake], **options: Any) -> LocalHost:
        return LocalHost(
            durable_localhost_factory(ROOT, activity_overrides=fakes, settings=SETTINGS, **options)
        )

    return start
