"""HTTP requests first: background work is paced while requests are in flight, and the host
hands the GIL over sooner while it runs."""

from __future__ import annotations

import asyncio
import gc
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from durable_localhost.pacing import BackgroundPacing
from durable_localhost.process_tuning import GC_THRESHOLDS, GIL_SWITCH_INTERVAL_S
from durable_webhooks import Durable, StartApp

pytestmark = pytest.mark.emulator

CHAIN = {"HUB": "Pacing"}


def _paced_waits(requests: int, starts: int, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The sleeps ``starts`` background starts take with ``requests`` requests in flight."""
    waits: list[float] = []
    real_sleep = asyncio.sleep

    async def recording_sleep(delay: float) -> None:
        waits.append(delay)
        await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", recording_sleep)
    paced = BackgroundPacing(interval=60.0)  # a gap no start could outlive unpaced
    for _ in range(requests):
        paced.request_began()

    async def start_all() -> None:
        for _ in range(starts):
            async with paced:
                pass

    asyncio.run(start_all())
    return waits


def test_background_starts_at_once_while_no_request_is_in_flight(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _paced_waits(requests=0, starts=3, monkeypatch=monkeypatch) == []


def test_background_starts_are_spaced_while_a_request_is_in_flight(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    waits = _paced_waits(requests=1, starts=3, monkeypatch=monkeypatch)
    # The first goes at once; each later one waits for its slot, the next slot further out.
    assert len(waits) == 2
    assert 0 < waits[0] <= 60.0 < waits[1] <= 120.0


def test_every_request_is_counted_out_whatever_its_answer(start_app: StartApp) -> None:
    durable = Durable(start_app("chain", settings=CHAIN))
    durable.start("chain", {"city": "Lima"})
    answers = {
        durable.status("missing").status_code,
        durable.http.post("/orchestrators/chain", content=b"{not json").status_code,
        durable.http.post("/orchestrators/no_such_orchestrator").status_code,
    }
    assert answers == {404, 400}
    assert durable.server.host.engine.pacing.requests == 0


def test_management_urls_follow_each_requests_origin(start_app: StartApp) -> None:
    durable = Durable(start_app("chain", settings=CHAIN))
    for origin in ("one.example:7071", "two.example", "one.example:7071"):
        response = durable.http.post(
            "/orchestrators/chain", json={"city": "Lima"}, headers={"Host": origin}
        )
        assert response.status_code == 202
        assert response.json()["statusQueryGetUri"].startswith(
            f"http://{origin}/runtime/webhooks/durabletask/instances/"
        )


def test_the_host_hands_the_gil_over_sooner_while_it_runs(start_app: StartApp) -> None:
    before = sys.getswitchinterval()
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S * 5)
    try:
        server = start_app("chain", settings=CHAIN)
        assert sys.getswitchinterval() == GIL_SWITCH_INTERVAL_S
        server.stop()
        assert sys.getswitchinterval() == GIL_SWITCH_INTERVAL_S * 5
    finally:
        sys.setswitchinterval(before)


def test_the_host_collects_less_while_it_runs_and_gives_the_settings_back(
    start_app: StartApp,
) -> None:
    before = gc.get_threshold()
    server = start_app("chain", settings=CHAIN)
    assert gc.get_threshold() == GC_THRESHOLDS
    assert gc.get_freeze_count() > 0  # the app, the SDK and the host, out of the collector's way
    server.stop()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_a_request_waiting_for_its_instance_holds_no_background_work_back(
    start_app: StartApp,
) -> None:
    server = start_app("timers", paused=True, state=":memory:")
    durable = Durable(server)
    engine = server.host.engine
    with ThreadPoolExecutor(1) as pool:
        answer = pool.submit(
            durable.http.post,
            "/orchestrators/nap/napper",
            params={"timeout": "60", "pollingInterval": "0.05"},
            json={"seconds": 3600},
        )
        # State in memory: the request goes from creating the instance to its wait in one
        # loop turn, so once the instance exists the request is waiting.
        while engine.get("napper") is None:
            assert not answer.done(), answer.result().text
            time.sleep(0.01)
        server.wait_idle()
        waiting = engine.pacing.requests
        server.clock.advance(timedelta(hours=1))
        assert answer.result(timeout=60).status_code == 200
    assert waiting == 0
