"""``within``: the function-timeout wrapper every HTTP function and activity call goes through."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from durable_localhost.timeouts import FunctionTimeoutError, within

LIMIT = timedelta(milliseconds=50)


async def test_a_call_inside_the_limit_gives_its_result() -> None:
    async def quick() -> str:
        await asyncio.sleep(0)
        return "done"

    assert await within(LIMIT, quick(), "Quick", "id-1") == "done"


async def test_a_call_past_the_limit_is_cancelled_and_fails_with_the_hosts_error() -> None:
    stopped = asyncio.Event()

    async def slow() -> None:
        try:
            await asyncio.sleep(60)
        finally:
            stopped.set()

    with pytest.raises(FunctionTimeoutError, match=r"Functions\.Slow"):
        await within(LIMIT, slow(), "Slow", "id-2")
    assert stopped.is_set()


async def test_a_caller_cancelled_from_outside_is_cancelled_not_timed_out() -> None:
    entered = asyncio.Event()

    async def slow() -> None:
        entered.set()
        await asyncio.sleep(60)

    caller = asyncio.create_task(within(timedelta(seconds=30), slow(), "Slow", "id-3"))
    await entered.wait()
    caller.cancel()

    with pytest.raises(asyncio.CancelledError):
        await caller
