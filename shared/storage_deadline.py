"""How long a storage call may wait, for the request being served.

The HTTP route decorator runs every handler within `bounded_calls(STORAGE_TIMEOUT_SECONDS)`;
`shared.storage` then hands out clients that give up after that long to connect or to read an
answer, without retrying, so a route answers 503 instead of waiting on a storage service that
does not answer. A context variable carries the bound: `asyncio.to_thread` copies it into the
thread that makes the blocking call. Outside it (activities), the SDK's own timeouts and
retries apply.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_call_timeout: ContextVar[float | None] = ContextVar("storage_call_timeout", default=None)


@contextmanager
def bounded_calls(seconds: float) -> Iterator[None]:
    """Within this block (and threads started from it), storage calls give up after `seconds`."""
    token = _call_timeout.set(seconds)
    try:
        yield
    finally:
        _call_timeout.reset(token)


def call_timeout() -> float | None:
    """The bound of the current request's storage calls; None outside a request."""
    return _call_timeout.get()
