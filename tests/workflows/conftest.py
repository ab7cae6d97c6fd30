"""Fixtures for orchestrators on the local host with faked activities."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from durable_localhost import ActivityFake, EmulatorServer
from tests.support.local_host import ROOT, LocalHost

StartLocalHost = Callable[[dict[str, ActivityFake]], LocalHost]


@pytest.fixture
def local_host(durable_localhost_factory: Callable[..., EmulatorServer]) -> StartLocalHost:
    """`local_host(fakes)`: the app on a local host whose activities the fakes answer."""

    def start(fakes: dict[str, ActivityFake]) -> LocalHost:
        return LocalHost(durable_localhost_factory(ROOT, activity_overrides=fakes))

    return start
