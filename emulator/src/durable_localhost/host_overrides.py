"""App settings that override ``host.json`` values: ``AzureFunctionsJobHost__path__to__key``.

The Functions host reads ``host.json`` as the configuration section ``AzureFunctionsJobHost`` and
layers the environment over it, so a setting named ``AzureFunctionsJobHost__extensions__http__
routePrefix`` replaces that value. Configuration keys are case-insensitive, ``__`` (or ``:``)
separates the levels, an array element is addressed by its index, and every value arrives as
text that the host converts to the type it binds to. This module applies those rules to the
parsed ``host.json`` before anything reads it.
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Mapping
from typing import Any

log = logging.getLogger("durable_localhost.host")

#: The configuration section ``host.json`` is bound to (matched case-insensitively).
PREFIX = "AzureFunctionsJobHost"

_SEPARATOR = re.compile(r"__|:")
_INTEGER = re.compile(r"[+-]?\d+")
_MISSING = object()


def override_paths(environ: Mapping[str, str]) -> list[tuple[list[str], str]]:
    """``(path, value)`` for every setting under the prefix, in a stable order.

    Sorted by name so that two settings for one key (``a__b`` and ``A__B``) resolve the same way
    on every run; the last one wins, as a later configuration source does.
    """
    found: list[tuple[list[str], str]] = []
    for name in sorted(environ):
        parts = _SEPARATOR.split(name)
        if len(parts) < 2 or parts[0].lower() != PREFIX.lower() or not all(parts[1:]):
            continue
        found.append((parts[1:], environ[name]))
    return found


def apply_overrides(raw: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """A copy of the parsed ``host.json`` with every ``AzureFunctionsJobHost__...`` applied."""
    merged: dict[str, Any] = copy.deepcopy(dict(raw))
    for path, value in override_paths(environ):
        _set(merged, path, value)
    return merged


def lookup(section: Mapping[str, Any], key: str, default: Any = None) -> Any:
    """``section[key]`` compared case-insensitively, as configuration keys are."""
    if key in section:
        return section[key]
    folded = key.lower()
    for name, value in section.items():
        if name.lower() == folded:
            return value
    return default


def subsection(section: Mapping[str, Any], *path: str) -> Mapping[str, Any]:
    """The object at ``path`` (case-insensitive); an absent or non-object value is empty."""
    current: Any = section
    for key in path:
        current = lookup(current, key) if isinstance(current, Mapping) else None
    return current if isinstance(current, Mapping) else {}


def _set(node: Any, path: list[str], value: str) -> None:
    key, rest = path[0], path[1:]
    if isinstance(node, list):
        _set_element(node, key, rest, value)
        return
    name = _existing_key(node, key)
    current = node.get(name, _MISSING)
    if not rest:
        node[name] = _converted(value, current)
        return
    if current is _MISSING or current is None:
        current = node[name] = {}
    if not isinstance(current, dict | list):
        log.warning(
            "%s__%s ignored: host.json has a value, not an object, at %s",
            PREFIX,
            "__".join(path),
            name,
        )
        return
    _set(current, rest, value)


def _set_element(items: list[Any], key: str, rest: list[str], value: str) -> None:
    """An array element by index; an index past the end appends (arrays bind without gaps)."""
    if not key.isdigit():
        log.warning("%s override ignored: '%s' is not an index of an array", PREFIX, key)
        return
    index = int(key)
    if index >= len(items):
        items.append(_MISSING)
        index = len(items) - 1
    if not rest:
        items[index] = _converted(value, items[index])
        return
    if not isinstance(items[index], dict | list):
        items[index] = {}
    _set(items[index], rest, value)


def _existing_key(node: dict[str, Any], key: str) -> str:
    """The spelling ``host.json`` uses for ``key``, or ``key`` itself when it has none."""
    folded = key.lower()
    return next((name for name in node if name.lower() == folded), key)


def _converted(value: str, current: Any) -> Any:
    """The text as the type ``host.json`` had there; text when it had none or it does not parse.

    A value the host cannot convert fails its binding at startup; keeping the text lets the
    reader of that value reject it with its own message instead of silently using the default.
    """
    if isinstance(current, bool):
        lowered = value.strip().lower()
        return {"true": True, "false": False}.get(lowered, value)
    if isinstance(current, int) and _INTEGER.fullmatch(value.strip()):
        return int(value)
    if isinstance(current, float):
        try:
            return float(value)
        except ValueError:
            return value
    return value
