"""What the Functions host would index from `function_app.py`, checked against the code.

The app is imported fresh from its file (a new app object: `get_functions()` may be called only
once per app) and indexed once per session. The checks catch what otherwise shows up only on
a real host: a function that moved or lost a binding, a route whose key is not the one the key
model gives it, a route OpenAPI does not know, a handler using a durable client it never bound,
and an orchestrator, activity or entity name that nothing registers.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import function_app
from api.access import CALLERS, STOREFRONT, required_access
from api.routing import OPERATIONS, Operation
from shared.settings import SETTING_NAMES, load_settings
from tests.support.function_app import fresh_app

ROOT = Path(function_app.__file__).parent
CODE_FOLDERS = ("api", "orchestrators", "activities", "entities", "housekeeping")

#: The documented operations as the app modules declared them (taken at import, before any
#: test defines a throwaway endpoint of its own).
APP_OPERATIONS: dict[str, Operation] = dict(OPERATIONS)

#: Routes that reveal an instance's input or history, list or change instances, or read
#: personal data: the master key only, whatever the caller table says.
OPERATOR_ONLY = (
    "list_instances",
    "get_instance_details",
    "terminate_instance",
    "suspend_instance",
    "resume_instance",
    "purge_instance",
    "list_sent_notifications",
    "get_customer",
    "find_customer_by_email",
)

HTTP = "httpTrigger"
ORCHESTRATION = "orchestrationTrigger"
ACTIVITY = "activityTrigger"
ENTITY = "entityTrigger"
TIMER = "timerTrigger"
CLIENT = "durableClient"

#: Every function the app serves and its trigger, exactly: adding or renaming a function is a
#: deliberate change to the app's surface and must be made here too.
EXPECTED_TRIGGERS: dict[str, str] = {
    # Orchestrations, one per pattern (batch also has its chunk sub-orchestration)
    "customer_onboarding": ORCHESTRATION,
    "order_fulfillment_saga": ORCHESTRATION,
    "process_batch": ORCHESTRATION,
    "process_batch_chunk": ORCHESTRATION,
    "monitor_export_job": ORCHESTRATION,
    "expense_approval": ORCHESTRATION,
    "health_monitor": ORCHESTRATION,
    # Entities
    "counter": ENTITY,
    # Activities
    "create_customer": ACTIVITY,
    "open_customer_account": ACTIVITY,
    "reserve_inventory": ACTIVITY,
    "release_inventory": ACTIVITY,
    "charge_payment": ACTIVITY,
    "refund_payment": ACTIVITY,
    "create_shipment": ACTIVITY,
    "cancel_shipment": ACTIVITY,
    "send_notification": ACTIVITY,
    "record_order_recovery": ACTIVITY,
    "read_recovery_decision": ACTIVITY,
    "notify_approval_party": ACTIVITY,
    "list_batch_chunk_items": ACTIVITY,
    "process_batch_item": ACTIVITY,
    "price_batch_item": ACTIVITY,
    "record_batch_item_failure": ACTIVITY,
    "record_batch_chunk_failure": ACTIVITY,
    "list_batch_failures": ACTIVITY,
    "claim_batch_counter_signal": ACTIVITY,
    "get_export_job_status": ACTIVITY,
    "check_endpoint_health": ACTIVITY,
    # HTTP: domain routes
    "start_customer_onboarding": HTTP,
    "get_customer": HTTP,
    "find_customer_by_email": HTTP,
    "start_order_fulfillment": HTTP,
    "get_order": HTTP,
    "decide_order_recovery": HTTP,
    "list_order_recoveries": HTTP,
    "set_inventory_item": HTTP,
    "get_inventory_item": HTTP,
    "start_batch": HTTP,
    "get_batch": HTTP,
    "list_batch_results": HTTP,
    "create_export_job": HTTP,
    "get_export_job": HTTP,
    "update_export_job": HTTP,
    "start_export_monitor": HTTP,
    "start_expense_approval": HTTP,
    "submit_approval_decision": HTTP,
    "get_expense_approval": HTTP,
    "start_health_monitor": HTTP,
    "get_health_monitor": HTTP,
    "stop_health_monitor": HTTP,
    "signal_counter": HTTP,
    "get_counter": HTTP,
    # HTTP: management and operations
    "get_instance_status": HTTP,
    "get_instance_details": HTTP,
    "list_instances": HTTP,
    "terminate_instance": HTTP,
    "suspend_instance": HTTP,
    "resume_instance": HTTP,
    "purge_instance": HTTP,
    "list_sent_notifications": HTTP,
    "health": HTTP,
    "get_openapi_document": HTTP,
    # Timers
    "remove_expired_idempotency_keys": TIMER,
}
#: Bindings each function must have besides its trigger (HTTP functions also get `http` out).
EXTRA_BINDINGS_OF_MANAGEMENT_ROUTES = {
    "get_instance_status": {CLIENT},
    "get_instance_details": {CLIENT},
    "list_instances": {CLIENT},
    "terminate_instance": {CLIENT},
    "suspend_instance": {CLIENT},
    "resume_instance": {CLIENT},
    "purge_instance": {CLIENT},
    "list_sent_notifications": set(),
    "health": set(),
    "get_openapi_document": set(),
}

#: Client methods (and app helpers taking the client) that need a durableClient binding.
CLIENT_CALLS = {
    "start_new",
    "start_once",
    "raise_event",
    "get_status",
    "get_status_all",
    "get_status_by",
    "terminate",
    "suspend",
    "resume",
    "restart",
    "rewind",
    "purge_instance_history",
    "purge_instance_history_by",
    "signal_entity",
    "read_entity_state",
    "wait_for_completion_or_create_check_status_response",
}

#: Client methods whose answers embed the host's webhook URLs with the system key.
SYSTEM_KEY_CALLS = {
    "create_check_status_response",
    "create_http_management_payload",
    "get_client_response_links",
    "wait_for_completion_or_create_check_status_response",
}

#: Calls that name another function, and where the name is: (trigger, position, keyword).
NAME_REFERENCES: dict[str, tuple[str, int, str]] = {
    "start_new": (ORCHESTRATION, 0, "orchestration_function_name"),
    "start_once": (ORCHESTRATION, 2, "orchestrator"),
    "call_sub_orchestrator": (ORCHESTRATION, 0, "name"),
    "call_sub_orchestrator_with_retry": (ORCHESTRATION, 0, "name"),
    "call_activity": (ACTIVITY, 0, "name"),
    "call_activity_with_retry": (ACTIVITY, 0, "name"),
    "call_activity_with_backoff": (ACTIVITY, 1, "activity"),
    "EntityId": (ENTITY, 0, "name"),
}


@dataclass(frozen=True)
class Indexed:
    """One function as the host sees it."""

    name: str
    bindings: tuple[dict[str, Any], ...]
    user_function: Any

    @property
    def trigger(self) -> dict[str, Any]:
        (trigger,) = [b for b in self.bindings if b["type"].endswith("Trigger")]
        return trigger

    @property
    def binding_types(self) -> set[str]:
        return {b["type"] for b in self.bindings}


@pytest.fixture(scope="session")
def index() -> dict[str, Indexed]:
    """Import `function_app.py` as the worker does, into a fresh app object, and index it."""
    app = fresh_app("_function_app_under_index")
    indexed: dict[str, Indexed] = {}
    for f in app.get_functions():
        name = str(f.get_function_name())
        bindings = tuple(json.loads(raw) for raw in f.get_raw_bindings())
        indexed[name] = Indexed(name, bindings, f.get_user_function())
    return indexed


def http_functions(index: dict[str, Indexed]) -> dict[str, Indexed]:
    return {name: f for name, f in index.items() if f.trigger["type"] == HTTP}


def names_with_trigger(index: dict[str, Indexed], trigger: str) -> set[str]:
    return {name for name, f in index.items() if f.trigger["type"] == trigger}


# --- The table --------------------------------------------------------------------------------


def test_the_app_indexes_exactly_the_expected_functions(index: dict[str, Indexed]) -> None:
    actual = {name: f.trigger["type"] for name, f in index.items()}

    missing = sorted(set(EXPECTED_TRIGGERS) - set(actual))
    unexpected = sorted(set(actual) - set(EXPECTED_TRIGGERS))
    wrong = {n: actual[n] for n, t in EXPECTED_TRIGGERS.items() if n in actual and actual[n] != t}
    assert not missing, f"expected but not indexed: {missing}"
    assert not unexpected, f"indexed but not in EXPECTED_TRIGGERS (add it on purpose): {unexpected}"
    assert not wrong, f"indexed with another trigger: {wrong}"


def test_every_function_has_one_trigger_and_known_binding_types(index: dict[str, Indexed]) -> None:
    known = {HTTP, ORCHESTRATION, ACTIVITY, ENTITY, CLIENT, "http", TIMER}
    for name, f in index.items():
        assert len([b for b in f.bindings if b["type"].endswith("Trigger")]) == 1, name
        assert f.binding_types <= known, (name, f.binding_types - known)
        if f.trigger["type"] == HTTP:
            assert {"type": "http", "direction": "OUT", "name": "$return"} in f.bindings, name
        else:
            assert "http" not in f.binding_types, name


@pytest.mark.parametrize(("name", "extra"), sorted(EXTRA_BINDINGS_OF_MANAGEMENT_ROUTES.items()))
def test_management_routes_have_exactly_their_bindings(
    index: dict[str, Indexed], name: str, extra: set[str]
) -> None:
    assert index[name].binding_types == {HTTP, "http"} | extra


def test_python_parameters_match_the_bindings(index: dict[str, Indexed]) -> None:
    """A parameter with no binding (e.g. `client` without durable_client_input) fails indexing."""
    for name, f in index.items():
        bound = {b["name"] for b in f.bindings if b["name"] != "$return"}
        parameters = set(inspect.signature(_python_function(f.user_function)).parameters)
        assert parameters == bound, name


def test_timers_take_their_schedule_from_a_setting_the_app_checks_and_never_run_on_start(
    index: dict[str, Indexed],
) -> None:
    """The host resolves `%NAME%` in a schedule from the app settings: a name missing there
    disables the timer, so each is validated by shared/settings.py, deployed by the templates
    (tests/infra) and present in local.settings.json.example."""
    example = json.loads((ROOT / "local.settings.json.example").read_text(encoding="utf-8"))
    for name in names_with_trigger(index, TIMER):
        trigger = index[name].trigger
        setting = re.fullmatch(r"%([A-Z_]+)%", trigger["schedule"])
        assert setting is not None, f"{name}: schedule {trigger['schedule']!r} is not a setting"
        assert setting[1] in SETTING_NAMES, name
        load_settings({setting[1]: example["Values"][setting[1]]})
        assert trigger.get("runOnStartup") is False, name


# --- HTTP routes and their documentation ------------------------------------------------------


def test_every_http_function_is_declared_through_the_route_decorator(
    index: dict[str, Indexed],
) -> None:
    """A bare `bp.route` would serve a route OpenAPI does not know and the key model ignores."""
    for name in http_functions(index):
        assert name in APP_OPERATIONS, f"{name} is not declared with Routes.route"


def test_every_route_needs_exactly_the_key_the_model_gives_it(index: dict[str, Indexed]) -> None:
    """The key model (api/access.py CALLERS) decides each route's level; the index must agree."""
    served = {name: f.trigger["authLevel"] for name, f in http_functions(index).items()}

    expected = {name: required_access(name).auth_level.name for name in served}
    assert served == expected


def test_every_http_function_has_a_caller_and_every_caller_function_exists(
    index: dict[str, Indexed],
) -> None:
    called = {name for caller in CALLERS for name in caller.functions}

    assert not sorted(set(http_functions(index)) - called), "no caller uses these routes"
    assert not sorted(called - set(http_functions(index))), "callers name unknown functions"


def test_only_operators_reach_instance_data_and_lifecycle_commands(
    index: dict[str, Indexed],
) -> None:
    """The storefront's key must not read inputs, histories, the outbox or customers."""
    levels = {name: f.trigger["authLevel"] for name, f in http_functions(index).items()}
    for name in OPERATOR_ONLY:
        assert levels[name] == "ADMIN", name
    assert {name for name, level in levels.items() if level == "ANONYMOUS"} == {"health"}
    assert set(STOREFRONT.functions) & set(OPERATOR_ONLY) == set()
    assert all(levels[name] == "FUNCTION" for name in STOREFRONT.functions)


def test_every_documented_operation_is_served(index: dict[str, Indexed]) -> None:
    stale = sorted(set(APP_OPERATIONS) - set(http_functions(index)))

    assert not stale, f"documented in OpenAPI but not served: {stale}"


def test_no_two_http_functions_claim_the_same_method_and_route(index: dict[str, Indexed]) -> None:
    claims = [
        (method, f.trigger["route"].lower())
        for f in http_functions(index).values()
        for method in f.trigger["methods"]
    ]

    assert len(claims) == len(set(claims))


def test_handlers_that_use_the_durable_client_bind_it(index: dict[str, Indexed]) -> None:
    handlers = dict(_route_handlers())
    assert handlers, "no @bp.route handlers found"
    for name, calls in handlers.items():
        if calls & CLIENT_CALLS:
            assert CLIENT in index[name].binding_types, f"{name} calls {calls & CLIENT_CALLS}"


def test_no_handler_hands_out_the_hosts_management_urls() -> None:
    """Those URLs carry the system key, which controls every instance in the task hub."""
    offending = sorted(
        f"{path}:{call.lineno} {called}"
        for _, tree, path in _modules()
        for call in ast.walk(tree)
        if isinstance(call, ast.Call) and (called := _called_name(call)) in SYSTEM_KEY_CALLS
    )

    assert not offending, "use api.http.accepted() instead:\n" + "\n".join(offending)


# --- Names the code refers to -----------------------------------------------------------------


def test_referenced_orchestrators_activities_and_entities_exist(index: dict[str, Indexed]) -> None:
    registered = {
        ORCHESTRATION: names_with_trigger(index, ORCHESTRATION),
        ACTIVITY: names_with_trigger(index, ACTIVITY),
        ENTITY: {n.lower() for n in names_with_trigger(index, ENTITY)}
        | {str(f.trigger.get("entityName", "")).lower() for f in index.values()},
    }
    references = list(_name_references())
    assert any(trigger == ORCHESTRATION for trigger, *_ in references), "scan found no starters"

    unknown = [
        f"{where}: {trigger} '{name}'"
        for trigger, name, where in references
        if (name.lower() if trigger == ENTITY else name) not in registered[trigger]
    ]
    assert not unknown, "references to functions nothing registers:\n" + "\n".join(unknown)


# --- Helpers ----------------------------------------------------------------------------------


def _python_function(user_function: Any) -> Any:
    for attribute in ("client_function", "orchestrator_function", "entity_function"):
        inner = getattr(user_function, attribute, None)
        if inner is not None:
            return inner
    return user_function


def _modules() -> Iterator[tuple[ModuleType, ast.Module, str]]:
    for folder in CODE_FOLDERS:
        for path in sorted((ROOT / folder).glob("[!_]*.py")):
            module_name = f"{folder}.{path.stem}"
            module = importlib.import_module(module_name)
            yield module, ast.parse(path.read_text()), str(path.relative_to(ROOT))


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    if isinstance(call.func, ast.Name):
        return call.func.id
    return None


def _route_handlers() -> Iterator[tuple[str, set[str]]]:
    """(function name, names it calls) for every `@bp.route` handler in api/."""
    for _, tree, _ in _modules():
        for node in ast.walk(tree):
            if not isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef):
                continue
            decorators = [d for d in node.decorator_list if isinstance(d, ast.Call)]
            if not any(_called_name(d) == "route" for d in decorators):
                continue
            name = node.name
            for d in decorators:
                if _called_name(d) == "function_name" and d.args:
                    name = ast.literal_eval(d.args[0])
            calls = {
                called
                for call in ast.walk(node)
                if isinstance(call, ast.Call) and (called := _called_name(call))
            }
            yield name, calls


def _name_references() -> Iterator[tuple[str, str, str]]:
    """(trigger, name, file:line) for each call naming a function by a resolvable string.

    Names given as literals or as module-level constants (`CHUNK_ORCHESTRATOR`,
    `Step.RESERVE.value`) are resolved from the imported module; names computed at run time
    (`step.value` in a loop) cannot be, and are covered by each orchestrator's unit tests.
    """
    for module, tree, path in _modules():
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call):
                continue
            called = _called_name(call)
            if called not in NAME_REFERENCES:
                continue
            trigger, position, keyword = NAME_REFERENCES[called]
            argument = next((k.value for k in call.keywords if k.arg == keyword), None)
            if argument is None and len(call.args) > position:
                argument = call.args[position]
            name = _resolve(argument, module) if argument is not None else None
            if name is not None:
                yield trigger, name, f"{path}:{call.lineno}"


def _resolve(node: ast.expr, module: ModuleType) -> str | None:
    """A literal, or a name/attribute chain evaluated in the module; None if dynamic."""
    if not all(
        isinstance(n, ast.Name | ast.Attribute | ast.Constant | ast.Load) for n in ast.walk(node)
    ):
        return None
    try:
        value = eval(compile(ast.Expression(node), "<reference>", "eval"), vars(module))
    except (NameError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def test_the_readme_creates_storefront_keys_on_exactly_the_storefronts_functions() -> None:
    readme = (ROOT / "README.md").read_text()
    loop = next(line for line in readme.splitlines() if line.startswith("for f in "))

    assert loop.removeprefix("for f in ").removesuffix("; do").split() == list(STOREFRONT.functions)
