"""Reach the user callables behind v2-model decorators.

`@bp.orchestration_trigger` and friends return a `FunctionBuilder`; the SDK keeps the plain
callables on it (`orchestrator_function`, `entity_function`, `client_function`). The private
`_function` access lives here, once, instead of in every test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from azure.functions.decorators.function_app import FunctionBuilder


def user_function(builder: FunctionBuilder) -> Callable[..., Any]:
    """What the worker would invoke (for HTTP functions: the durable-client middleware)."""
    fn: Callable[..., Any] = builder._function.get_user_function()
    return fn


def orchestrator_function(builder: FunctionBuilder) -> Callable[..., Any]:
    """The plain orchestrator generator function."""
    fn: Callable[..., Any] = user_function(builder).orchestrator_function  # type: ignore[attr-defined]
    return fn


def entity_function(builder: FunctionBuilder) -> Callable[..., Any]:
    """The plain entity function (takes a DurableEntityContext)."""
    fn: Callable[..., Any] = user_function(builder).entity_function  # type: ignore[attr-defined]
    return fn


def entity_handler(builder: FunctionBuilder) -> Callable[[str], str]:
    """The SDK's entity handler: host batch JSON in, result JSON out."""
    fn: Callable[[str], str] = user_function(builder)
    return fn


def client_function(builder: FunctionBuilder) -> Callable[..., Any]:
    """An HTTP handler that takes a durable client, before the SDK wraps it (mockable client)."""
    fn: Callable[..., Any] = user_function(builder).client_function  # type: ignore[attr-defined]
    return fn
