"""The function index: what the Python worker learns from ``app.get_functions()``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

#: Binding types the emulator routes on (the worker resolves converters by these names).
ORCHESTRATION_TRIGGER = "orchestrationTrigger"
ACTIVITY_TRIGGER = "activityTrigger"
ENTITY_TRIGGER = "entityTrigger"
HTTP_TRIGGER = "httpTrigger"
TIMER_TRIGGER = "timerTrigger"
DURABLE_CLIENT = "durableClient"

ALL_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class OrchestratorFunction:
    """An orchestrator: ``handler`` is the SDK wrapper taking the context JSON string."""

    name: str
    function_name: str
    handler: Callable[[Any], str]


@dataclass(frozen=True)
class ActivityFunction:
    """An activity: the user's function, called with the decoded input under ``input_name``."""

    name: str
    function_name: str
    input_name: str
    handler: Callable[..., Any]
    wants_context: bool


@dataclass(frozen=True)
class EntityFunction:
    """An entity: ``handler`` is the SDK wrapper taking the batch JSON string."""

    name: str
    function_name: str
    handler: Callable[[Any], str]


@dataclass(frozen=True)
class HttpFunction:
    """An HTTP-triggered function, possibly with durable client input bindings."""

    function_name: str
    route: str
    methods: tuple[str, ...]
    auth_level: str
    request_name: str
    client_bindings: tuple[str, ...]
    handler: Callable[..., Any]
    wants_context: bool


@dataclass(frozen=True)
class TimerFunction:
    """A timer-triggered function as its binding declares it (the schedule still unresolved)."""

    function_name: str
    arg_name: str
    schedule: str
    run_on_startup: bool
    use_monitor: bool | None  # None: the host's default (on, unless the schedule is sub-minute)
    handler: Callable[..., Any]
    wants_context: bool


@dataclass
class FunctionIndex:
    """Functions by kind, keyed the way the Durable extension registers them."""

    orchestrators: dict[str, OrchestratorFunction] = field(default_factory=dict)
    activities: dict[str, ActivityFunction] = field(default_factory=dict)
    entities: dict[str, EntityFunction] = field(default_factory=dict)
    http: list[HttpFunction] = field(default_factory=list)
    timers: list[TimerFunction] = field(default_factory=list)
    other: list[str] = field(default_factory=list)

    def entity(self, name: str) -> EntityFunction | None:
        """Entity names are case-insensitive (the host lower-cases them in ``@name@key``)."""
        return self.entities.get(name.lower())


def _raw_bindings(function: Any) -> list[dict[str, Any]]:
    return [json.loads(b) if isinstance(b, str) else dict(b) for b in function.get_raw_bindings()]


def _parameter_names(handler: Callable[..., Any]) -> set[str]:
    import inspect

    try:
        return set(inspect.signature(handler).parameters)
    except (TypeError, ValueError):
        return set()


def build_index(functions: Iterable[Any], default_auth_level: str = "function") -> FunctionIndex:
    """Route each function by its trigger binding type, honouring name overrides."""
    index = FunctionIndex()
    for function in functions:
        name = function.get_function_name()
        bindings = _raw_bindings(function)
        trigger = next((b for b in bindings if str(b.get("type", "")).endswith("Trigger")), None)
        handler = function.get_user_function()
        if trigger is None:
            index.other.append(name)
            continue
        kind = trigger["type"]
        binding_names = {str(b.get("name")) for b in bindings}
        wants_context = "context" in _parameter_names(handler) and "context" not in binding_names
        if kind == ORCHESTRATION_TRIGGER:
            registered = trigger.get("orchestration") or name
            index.orchestrators[registered] = OrchestratorFunction(registered, name, handler)
        elif kind == ACTIVITY_TRIGGER:
            registered = trigger.get("activity") or name
            index.activities[registered] = ActivityFunction(
                registered, name, trigger["name"], handler, wants_context
            )
        elif kind == ENTITY_TRIGGER:
            registered = str(trigger.get("entityName") or name).lower()
            index.entities[registered] = EntityFunction(registered, name, handler)
        elif kind == HTTP_TRIGGER:
            methods = trigger.get("methods") or ALL_METHODS
            index.http.append(
                HttpFunction(
                    function_name=name,
                    route=str(trigger.get("route") or name).strip("/"),
                    methods=tuple(str(m).upper() for m in methods),
                    auth_level=str(trigger.get("authLevel") or default_auth_level).lower(),
                    request_name=trigger["name"],
                    client_bindings=tuple(
                        str(b["name"]) for b in bindings if b.get("type") == DURABLE_CLIENT
                    ),
                    handler=handler,
                    wants_context=wants_context,
                )
            )
        elif kind == TIMER_TRIGGER:
            use_monitor = trigger.get("useMonitor")
            index.timers.append(
                TimerFunction(
                    function_name=name,
                    arg_name=str(trigger["name"]),
                    schedule=str(trigger.get("schedule") or ""),
                    run_on_startup=bool(trigger.get("runOnStartup")),
                    use_monitor=None if use_monitor is None else bool(use_monitor),
                    handler=handler,
                    wants_context=wants_context,
                )
            )
        else:
            index.other.append(name)
    return index
