"""W3C trace context through an app's work, as the Functions host and Python worker pass it.

The real host gives every invocation a trace context: an HTTP function the request's
``traceparent`` (or a new trace), an activity or orchestrator episode that of its
orchestration (Durable distributed tracing), which the orchestration got from the
``traceparent`` header of the client's start request. The Python worker, with
``PYTHON_ENABLE_OPENTELEMETRY``, makes it the current OpenTelemetry context while the function
runs. This module does both, so an app instrumented with OpenTelemetry sees one trace from an
HTTP start through its orchestration's activities; without OpenTelemetry installed, only
``context.trace_context`` carries it. The host emits no spans of its own.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

#: version-traceid-parentid-flags; all-zero ids are invalid.
_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
#: W3C ids must be random, not secret (OpenTelemetry's own generator uses ``getrandbits``);
#: ``secrets`` reads ``os.urandom`` per id, a system call on every invocation.
_random = random.Random()


def random_id(bits: int) -> str:
    """``bits`` random bits as lower-case hex, never all zeros (an invalid W3C id)."""
    value = 0
    while not value:
        value = _random.getrandbits(bits)
    return f"{value:0{bits // 4}x}"


def child_of(traceparent: str | None) -> str:
    """A ``traceparent`` for work inside ``traceparent``'s trace (a new trace if none or invalid).

    The span id is fresh: it names the host's invocation, the parent of what the app records.
    """
    match = _TRACEPARENT.match((traceparent or "").strip().lower())
    trace_id = match.group(1) if match and set(match.group(1)) != {"0"} else None
    flags = match.group(3) if trace_id and match else "01"
    return f"00-{trace_id or random_id(128)}-{random_id(64)}-{flags}"


@cache
def _opentelemetry() -> tuple[Callable[[Any], Any], Callable[[Any], None], Any] | None:
    """OpenTelemetry's attach, detach and a propagator, looked up once (every call runs this)."""
    try:
        from opentelemetry import context
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
    except ImportError:
        return None
    return context.attach, context.detach, TraceContextTextMapPropagator()


@contextmanager
def attached(traceparent: str) -> Iterator[None]:
    """``traceparent`` as the current OpenTelemetry context, when OpenTelemetry is installed."""
    found = _opentelemetry()
    if found is None:
        yield
        return
    attach, detach, propagator = found
    token = attach(propagator.extract({"traceparent": traceparent}))
    try:
        yield
    finally:
        detach(token)
