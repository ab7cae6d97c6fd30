"""Invocation context: which function runs, for log lines and ``func.Context``.

The current invocation lives in a context variable, so Python ``logging`` records emitted by the
app (in threads or coroutines) can be labelled with the function name and invocation id the
way ``func start`` shows them.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import azure.functions as func
from azure.functions import _abc

from durable_localhost.ids import new_guid
from durable_localhost.trace_context import child_of

#: The host's own loggers live under this name (``durable_localhost.engine``, ...).
LOGGER = "durable_localhost"


@dataclass(frozen=True)
class Invocation:
    """One function execution."""

    function_name: str
    invocation_id: str
    #: W3C ``traceparent`` of the invocation (``trace_context.py``).
    trace_parent: str = ""


current_invocation: contextvars.ContextVar[Invocation | None] = contextvars.ContextVar(
    "emulator_invocation", default=None
)


def new_invocation_id() -> str:
    """A fresh GUID, as the host gives every execution."""
    return new_guid()


@contextmanager
def invoking(
    function_name: str, invocation_id: str | None = None, trace_parent: str | None = None
) -> Iterator[Invocation]:
    """Mark the current thread/task as running ``function_name`` (in a new trace if no parent)."""
    invocation = Invocation(
        function_name, invocation_id or new_invocation_id(), trace_parent or child_of(None)
    )
    token = current_invocation.set(invocation)
    try:
        yield invocation
    finally:
        current_invocation.reset(token)


class _TraceContext(_abc.TraceContext):
    def __init__(self, trace_parent: str) -> None:
        self._trace_parent = trace_parent
        self._trace_state = ""
        self._attributes: dict[str, str] = {}

    @property
    def trace_state(self) -> str:
        return self._trace_state

    @property
    def trace_parent(self) -> str:
        return self._trace_parent

    @property
    def attributes(self) -> dict[str, str]:
        return self._attributes


class _RetryContext(_abc.RetryContext):
    @property
    def retry_count(self) -> int:
        return 0

    @property
    def max_retry_count(self) -> int:
        return 0

    @property
    def exception(self) -> _abc.RpcException:
        raise AttributeError("no retry exception")


class FunctionContext(func.Context):
    """The ``context`` argument the worker passes to functions that declare one."""

    def __init__(self, invocation: Invocation, app_dir: Path) -> None:
        self._invocation = invocation
        self._directory = str(app_dir)
        self._local = threading.local()
        self._trace = _TraceContext(invocation.trace_parent)
        self._retry = _RetryContext()

    @property
    def invocation_id(self) -> str:
        return self._invocation.invocation_id

    @property
    def thread_local_storage(self) -> Any:
        return self._local

    @property
    def function_name(self) -> str:
        return self._invocation.function_name

    @property
    def function_directory(self) -> str:
        return self._directory

    @property
    def trace_context(self) -> _abc.TraceContext:
        return self._trace

    @property
    def retry_context(self) -> _abc.RetryContext:
        return self._retry


class InvocationLogFilter(logging.Filter):
    """Adds ``function_name`` and ``invocation_id`` to every record (empty outside functions)."""

    def filter(self, record: logging.LogRecord) -> bool:
        invocation = current_invocation.get()
        record.function_name = invocation.function_name if invocation else ""
        record.invocation_id = invocation.invocation_id if invocation else ""
        return True


class FunctionLogFormatter(logging.Formatter):
    """``[time] [Function.name] [invocation] message``, close to ``func start`` output."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = self.formatTime(record, "%Y-%m-%dT%H:%M:%S")
        # The host's own lines (Executing/Executed) already name the function.
        own = record.name.startswith(LOGGER)
        name = "" if own else getattr(record, "function_name", "")
        text = record.getMessage()
        if record.exc_info:
            text = f"{text}\n{self.formatException(record.exc_info)}"
        if name:
            short_id = str(getattr(record, "invocation_id", ""))[:8]
            return f"[{stamp}Z] [{name}] [{short_id}] {text}"
        return f"[{stamp}Z] {text}"


def install_console_logging(level: int = logging.INFO) -> logging.Handler:
    """One root handler for the CLI (idempotent: never prints a line twice)."""
    import sys
    import time

    root = logging.getLogger()
    for handler in root.handlers:
        if getattr(handler, "_emulator_console", False):
            return handler
    handler = logging.StreamHandler(sys.stdout)
    formatter = FunctionLogFormatter()
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.addFilter(InvocationLogFilter())
    handler._emulator_console = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("aiohttp.access", "azure.core.pipeline.policies.http_logging_policy"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return handler
