"""Who calls this app, with which key, and so which auth level each HTTP function needs.

The host checks keys before the worker sees a request, so least privilege is decided by each
route's auth level: `function` routes open with a key created on that function (or any host
key, or the master key), `admin` routes with the master key only. `CALLERS` is the key model;
a route's level is the least privileged key among the callers that use it, and a test asserts
that every route's declared `access` is exactly that. README.md (Security model) explains it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum

import azure.functions as func


class Access(IntEnum):
    """The key a route needs, ordered from most to least open."""

    ANONYMOUS = 0
    FUNCTION = 1
    ADMIN = 2

    @property
    def auth_level(self) -> func.AuthLevel:
        return _AUTH_LEVELS[self]


_AUTH_LEVELS = {
    Access.ANONYMOUS: func.AuthLevel.ANONYMOUS,
    Access.FUNCTION: func.AuthLevel.FUNCTION,
    Access.ADMIN: func.AuthLevel.ADMIN,
}


class KeyKind(StrEnum):
    """What a caller holds. Only the master key opens `admin` routes (and the host's admin API)."""

    NONE = "none"
    #: Created per function (`az functionapp function keys set`): opens only those functions.
    FUNCTION_KEY = "function key"
    #: A named host key (`az functionapp keys set --key-type functionKeys`): every function route.
    HOST_KEY = "host key"
    #: `_master`: every route, the admin routes and the host's own admin API.
    MASTER_KEY = "master key"

    @property
    def access(self) -> Access:
        """The most protected route level this key opens."""
        return _KEY_ACCESS[self]


_KEY_ACCESS = {
    KeyKind.NONE: Access.ANONYMOUS,
    KeyKind.FUNCTION_KEY: Access.FUNCTION,
    KeyKind.HOST_KEY: Access.FUNCTION,
    KeyKind.MASTER_KEY: Access.ADMIN,
}


@dataclass(frozen=True)
class Caller:
    """One kind of client: the key it is given and the functions it calls."""

    name: str
    key: KeyKind
    functions: tuple[str, ...]
    purpose: str


STOREFRONT = Caller(
    name="storefront",
    key=KeyKind.FUNCTION_KEY,
    functions=(
        "start_customer_onboarding",
        "start_order_fulfillment",
        "get_instance_status",
        "get_inventory_item",
    ),
    purpose="signs customers up, places orders, polls their status, shows stock",
)

BACK_OFFICE = Caller(
    name="back office",
    key=KeyKind.HOST_KEY,
    functions=(
        "get_instance_status",
        "get_order",
        "set_inventory_item",
        "get_inventory_item",
        "start_batch",
        "get_batch",
        "list_batch_results",
        "create_export_job",
        "get_export_job",
        "update_export_job",
        "start_export_monitor",
        "start_expense_approval",
        "submit_approval_decision",
        "get_expense_approval",
        "start_health_monitor",
        "get_health_monitor",
        "stop_health_monitor",
        "signal_counter",
        "get_counter",
        "get_openapi_document",
    ),
    purpose="staff tools: stock, pricing batches, exports, expense approvals, monitors",
)

OPERATORS = Caller(
    name="operators",
    key=KeyKind.MASTER_KEY,
    functions=(
        "list_instances",
        "get_instance_details",
        "terminate_instance",
        "suspend_instance",
        "resume_instance",
        "purge_instance",
        "decide_order_recovery",
        "list_order_recoveries",
        "list_sent_notifications",
        "get_customer",
        "find_customer_by_email",
    ),
    purpose="support and incident work: any instance's input and history, lifecycle "
    "commands, orders awaiting recovery, the outbox and customer records",
)

PROBES = Caller(
    name="deployment pipeline and uptime probes",
    key=KeyKind.NONE,
    functions=("health",),
    purpose="smoke test after a deployment, liveness probes",
)

#: The key model. Every HTTP function appears at least once.
CALLERS: tuple[Caller, ...] = (STOREFRONT, BACK_OFFICE, OPERATORS, PROBES)


def required_access(function_name: str, callers: tuple[Caller, ...] = CALLERS) -> Access:
    """The level a function must have: the least privileged key among the callers using it.

    A function no caller uses needs the master key: nothing opens by accident.
    """
    levels = [c.key.access for c in callers if function_name in c.functions]
    return min(levels, default=Access.ADMIN)
