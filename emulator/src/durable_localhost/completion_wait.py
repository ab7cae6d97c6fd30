"""``?timeout=&pollingInterval=`` on start and restart (the ``createAndWait`` URL).

The extension's handler starts the instance first and only then reads the two query values
(``TryGetTimeSpanQueryParameterValue``: ``double.TryParse`` seconds); with both present it
answers as ``WaitForCompletionOrCreateCheckStatusResponseAsync``: it reads the status every
interval, in real time, until the instance finishes or the timeout passes. Parsing is kept to
what ``double.TryParse`` accepts, because a value it rejects means "do not wait", not an error.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from multidict import MultiMapping

from durable_localhost.model import Instance

#: ``double.TryParse`` with ``NumberStyles.Float | AllowThousands`` in the invariant culture.
_DOUBLE = re.compile(r"\s*[+-]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*")
_SYMBOLS = {"nan": math.nan, "infinity": math.inf, "+infinity": math.inf, "-infinity": -math.inf}
#: ``TimeSpan.MaxValue`` in seconds: longer spans overflow.
_MAX_SECONDS = (2**63 - 1) / 10_000_000
#: A zero or negative interval reads the status as fast as it can there; a millisecond here.
_MIN_SLEEP = 0.001


class WaitArgumentError(Exception):
    """A wait the extension refuses: ``exception_type`` and its message, and the status code."""

    def __init__(self, status: int, exception_type: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.exception_type = exception_type
        self.message = message


@dataclass(frozen=True)
class CompletionWait:
    """How long to wait for the instance, and how often to look (seconds)."""

    timeout: float
    interval: float


def requested_wait(query: MultiMapping[str]) -> CompletionWait | None:
    """The wait a start or restart asks for, or None (one of the two values missing or unreadable).

    Raises :class:`WaitArgumentError` for the values the extension rejects after the start:
    NaN, a span too long for a ``TimeSpan``, and an interval longer than the timeout.
    """
    timeout = _seconds(query, "timeout")
    interval = _seconds(query, "pollingInterval")
    if timeout is None or interval is None:
        return None
    if interval > timeout:
        raise WaitArgumentError(
            400,
            "System.ArgumentException",
            f"Total timeout {_dotnet(timeout)} should be bigger than retry timeout "
            f"{_dotnet(interval)}",
        )
    return CompletionWait(timeout, interval)


async def wait_until_finished(
    lookup: Callable[[], Instance | None], wait: CompletionWait
) -> Instance | None:
    """The instance once it is finished, or as it is when the timeout has passed."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    while True:
        instance = lookup()
        if instance is not None and instance.status.is_terminal:
            return instance
        elapsed = loop.time() - started
        if elapsed >= wait.timeout:
            return instance
        await asyncio.sleep(max(_MIN_SLEEP, min(wait.interval, wait.timeout - elapsed)))


def _seconds(query: MultiMapping[str], name: str) -> float | None:
    # The query is a NameValueCollection: keys match in any case, and a repeated key's values
    # are joined with commas, which AllowThousands then accepts.
    values = [value for key, value in query.items() if key.lower() == name.lower()]
    if not values:
        return None
    text = ",".join(values)
    symbol = _SYMBOLS.get(text.strip().lower())
    if symbol is not None:
        value = symbol
    elif _DOUBLE.fullmatch(text):
        value = float(text.replace(",", ""))
    else:
        return None
    if math.isnan(value):
        raise WaitArgumentError(
            400,
            "System.ArgumentException",
            "TimeSpan does not accept floating point Not-a-Number values.",
        )
    if abs(value) > _MAX_SECONDS:
        raise WaitArgumentError(
            500, "System.OverflowException", "TimeSpan overflowed because the duration is too long."
        )
    return value


def _dotnet(seconds: float) -> str:
    """``TimeSpan.TotalSeconds`` as .NET prints a double: ``5``, ``0.5``."""
    return str(int(seconds)) if seconds.is_integer() else repr(seconds)
