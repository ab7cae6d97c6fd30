"""Readers for the resource configurations checkov hands to checks, and rules shared by both
frameworks.

Bicep configurations are pycep dictionaries: `{"properties": {...}}`, possibly wrapped in
`{"condition": ..., "config": {...}}` (`= if (...)`) or `{"loop_type": ..., "config": {...}}`
(`[for ...]`). Terraform configurations wrap every attribute value in a list and every block in
a list of dictionaries. Expressions checkov cannot evaluate stay as strings or operator
dictionaries: the rules treat those as "not proven", never as compliant.

checkov imports this file as a check module too; it defines no checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MANAGED_IDENTITY = "managedidentity"


def bicep_body(conf: Mapping[str, Any]) -> Mapping[str, Any]:
    """The resource body, unwrapped from checkov's condition/loop wrappers."""
    body: Mapping[str, Any] = conf
    while isinstance(body.get("config"), Mapping) and ("condition" in body or "loop_type" in body):
        body = body["config"]
    return body


def bicep_path(conf: Mapping[str, Any], *keys: str) -> Any:
    """The value at `keys` under the unwrapped body, or None."""
    node: Any = bicep_body(conf)
    for key in keys:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


#: The `Microsoft.Web/sites[/slots]/config` resource that holds a site's app settings.
BICEP_APP_SETTINGS_CONFIG = "appsettings"


def is_bicep_app_settings(conf: Mapping[str, Any]) -> bool:
    """True for the `appsettings` config resource (not `slotConfigNames`, `authsettingsV2`)."""
    return bicep_path(conf, "name") == BICEP_APP_SETTINGS_CONFIG


def bicep_app_settings(conf: Mapping[str, Any]) -> dict[str, Any] | None:
    """An `appsettings` config resource's settings as name -> value, or None when they are not
    a literal object."""
    settings = bicep_path(conf, "properties")
    if not isinstance(settings, Mapping) or "operator" in settings:
        return None
    return dict(settings)


def tf_value(conf: Mapping[str, Any], key: str) -> Any:
    """A Terraform attribute's value (checkov wraps each in a one-element list)."""
    value = conf.get(key)
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


def tf_block(conf: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """The first block named `key` (e.g. `site_config`), or an empty mapping."""
    blocks = conf.get(key)
    if isinstance(blocks, list) and blocks and isinstance(blocks[0], Mapping):
        return blocks[0]
    return {}


def tf_app_settings(conf: Mapping[str, Any]) -> dict[str, Any] | None:
    """`app_settings` as name -> value when checkov could render it, else None.

    After checkov expands a `dynamic` block in the same resource it wraps each map value in a
    one-element list; those are unwrapped.
    """
    settings = tf_value(conf, "app_settings")
    if not isinstance(settings, Mapping):
        return None
    return {
        name: value[0] if isinstance(value, list) and len(value) == 1 else value
        for name, value in settings.items()
    }


def is_true(value: Any) -> bool:
    """True only for a literal true (bool or the string checkov sometimes renders)."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


def is_false(value: Any) -> bool:
    """True only for a literal false (bool or the string checkov sometimes renders)."""
    return value is False or (isinstance(value, str) and value.lower() == "false")


def identity_connection_problems(settings: Mapping[str, Any], connection: str) -> list[str]:
    """Why `connection` is not an identity-based connection in these app settings.

    Identity-based means: no `<connection>` connection string at all, a `__credential` of
    `managedidentity` and a `__clientId` (a user-assigned identity must be named; Durable
    Functions accepts only the client id). Which setting names the account (`__accountName` or
    a service URI) differs per connection, so the checks verify that part themselves.
    """
    problems = []
    if connection in settings:
        problems.append(f"{connection} holds a connection string")
    if str(settings.get(f"{connection}__credential", "")).lower() != MANAGED_IDENTITY:
        problems.append(f"{connection}__credential is not '{MANAGED_IDENTITY}'")
    if not settings.get(f"{connection}__clientId"):
        problems.append(f"{connection}__clientId is missing")
    return problems


def has_wildcard(value: Any) -> bool:
    """True if a literal '*' can be the value: anywhere in it except in a condition.

    `cond ? a : b` arrives from Bicep as an operator dictionary; only its two branches can
    become the value, so a guard such as `contains(origins, '*') ? [] : origins` passes.
    """
    if isinstance(value, str):
        return value.strip() == "*"
    if isinstance(value, Mapping):
        operator = value.get("operator")
        if isinstance(operator, Mapping) and operator.get("type") == "conditional":
            operands = operator.get("operands") or {}
            return has_wildcard(operands.get("true_value")) or has_wildcard(
                operands.get("false_value")
            )
        return any(has_wildcard(item) for item in value.values())
    if isinstance(value, list):
        return any(has_wildcard(item) for item in value)
    return False
