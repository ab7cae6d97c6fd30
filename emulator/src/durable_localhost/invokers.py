"""Calling the app's functions exactly as the Python worker does (converters and all)."""

from __future__ import annotations

import contextvars
import inspect
import json
import logging
import traceback
from collections.abc import Callable
from concurrent.futures import Executor
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from azure.functions import meta
from azure.functions.durable_functions import ActivityTriggerConverter

from durable_localhost.episode import EpisodeResult, parse_failure, parse_success
from durable_localhost.functions import ActivityFunction, EntityFunction, OrchestratorFunction
from durable_localhost.invocation import FunctionContext, Invocation, invoking
from durable_localhost.timeouts import FunctionTimeoutError, ReplaceablePool, within
from durable_localhost.trace_context import attached
from durable_localhost.worker_threads import run_on

log = logging.getLogger("durable_localhost.host")
T = TypeVar("T")


class ActivityError(Exception):
    """An activity raised; carries the host's Reason and Details texts."""

    def __init__(self, reason: str, details: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


def run_orchestrator(
    function: OrchestratorFunction, context_json: str, trace_parent: str | None = None
) -> EpisodeResult:
    """One episode on a worker thread: the SDK wrapper takes the context string."""
    with (
        invoking(function.function_name, trace_parent=trace_parent) as invocation,
        attached(invocation.trace_parent),
    ):
        try:
            return parse_success(function.handler(context_json))
        except Exception as exc:
            return parse_failure(exc)


def run_entity(function: EntityFunction, context_json: str) -> dict[str, Any]:
    """One entity batch on a worker thread; returns the SDK's EntityState dict."""
    with invoking(function.function_name):
        result: Any = json.loads(function.handler(context_json))
        return dict(result)


def activity_failure(name: str, exc: BaseException) -> ActivityError:
    """The host's TaskFailed texts for an activity exception (``TaskActivityShim``).

    The reason keeps the two spaces the host produces when it cuts the worker's
    ``Result: Failure\\nException: ...`` text after ``Exception:``.
    """
    message = f"{type(exc).__name__}: {exc}"
    stack = "".join(traceback.format_exception(exc)).rstrip()
    rpc_message = f"Result: Failure\nException: {message}\nStack: {stack}"
    details = json.dumps(
        {
            "ClassName": "System.Exception",
            "Message": f" {message}",
            "Data": None,
            "InnerException": {
                "ClassName": "Microsoft.Azure.WebJobs.Script.Workers.Rpc.RpcException",
                "Message": rpc_message,
                "RemoteStackTrace": stack,
            },
            "HelpURL": None,
            "StackTraceString": None,
            "HResult": -2146233088,
            "Source": None,
        }
    )
    return ActivityError(f"Activity function '{name}' failed:  {message}", details)


async def call_in_context(
    executor: Executor, invocation: Invocation, fn: Callable[..., T], *args: Any, **kwargs: Any
) -> T:
    """Run a sync function on ``executor`` with the invocation's context variables."""

    def call() -> T:
        with (
            invoking(invocation.function_name, invocation.invocation_id, invocation.trace_parent),
            attached(invocation.trace_parent),
        ):
            return fn(*args, **kwargs)

    context = contextvars.copy_context()
    return await run_on(executor, context.run, call)


async def call_user_function(
    executor: Executor,
    invocation: Invocation,
    handler: Callable[..., Any],
    kwargs: dict[str, Any],
    function_timeout: timedelta | None,
) -> Any:
    """Call an ``async`` handler on the loop or a sync one on ``executor``, in the time limit,
    either inside the invocation's trace.

    A sync call that times out keeps its thread; the pool is replaced so later calls get one.
    """
    is_async = inspect.iscoroutinefunction(handler)

    async def call() -> Any:
        if is_async:
            with attached(invocation.trace_parent):
                return await handler(**kwargs)
        result = await call_in_context(executor, invocation, handler, **kwargs)
        return await result if inspect.isawaitable(result) else result

    try:
        return await within(
            function_timeout, call(), invocation.function_name, invocation.invocation_id
        )
    except FunctionTimeoutError:
        if not is_async and isinstance(executor, ReplaceablePool):
            executor.abandon()
        raise


def timeout_failure(name: str, exc: FunctionTimeoutError) -> ActivityError:
    """The host's TaskFailed texts for an activity past ``functionTimeout``.

    The host reports the ``FunctionTimeoutException`` itself (no worker ``RpcException`` to cut),
    so the reason has a single space after ``failed:``.
    """
    details = json.dumps(
        {
            "ClassName": "Microsoft.Azure.WebJobs.Host.FunctionTimeoutException",
            "Message": str(exc),
            "Data": None,
            "InnerException": None,
            "HelpURL": None,
            "StackTraceString": None,
            "HResult": -2146233088,
            "Source": "Microsoft.Azure.WebJobs.Host",
        }
    )
    return ActivityError(f"Activity function '{name}' failed: {exc}", details)


async def run_activity(
    function: ActivityFunction,
    input_text: str | None,
    executor: Executor,
    app_dir: Path,
    function_timeout: timedelta | None = None,
    trace_parent: str | None = None,
) -> str:
    """Decode the input with the worker's converter, call the function, encode the result.

    Returns the result JSON text for ``TaskCompleted.Result``; raises :class:`ActivityError`.
    """
    with invoking(function.function_name, trace_parent=trace_parent) as invocation:
        log.info(
            "Executing 'Functions.%s' (Reason='(null)', Id=%s)",
            function.function_name,
            invocation.invocation_id,
        )
        try:
            value = ActivityTriggerConverter.decode(
                meta.Datum(value=input_text if input_text is not None else "null", type="string"),
                trigger_metadata=None,
            )
            kwargs: dict[str, Any] = {function.input_name: value}
            if function.wants_context:
                kwargs["context"] = FunctionContext(invocation, app_dir)
            result = await call_user_function(
                executor, invocation, function.handler, kwargs, function_timeout
            )
            encoded = ActivityTriggerConverter.encode(result, expected_type=None)
        except FunctionTimeoutError as exc:
            log.error(
                "Executed 'Functions.%s' (Failed, Id=%s): %s",
                function.function_name,
                invocation.invocation_id,
                exc,
            )
            raise timeout_failure(function.function_name, exc) from exc
        except Exception as exc:
            log.error(
                "Executed 'Functions.%s' (Failed, Id=%s): %s",
                function.function_name,
                invocation.invocation_id,
                exc,
            )
            raise activity_failure(function.function_name, exc) from exc
        log.info(
            "Executed 'Functions.%s' (Succeeded, Id=%s)",
            function.function_name,
            invocation.invocation_id,
        )
        return str(encoded.value)
