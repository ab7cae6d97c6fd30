"""HTTP handlers are async and share the worker's event loop: Table I/O must not block it.

The stores in `shared/` use the synchronous Table client, so a handler reaches them only
through `asyncio.to_thread`. A direct call would stall every other request on the worker.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

API = Path(__file__).resolve().parents[2] / "api"
#: Modules whose functions do blocking storage I/O.
BLOCKING_MODULES = {"storage", "outbox"}
#: Store functions that do no I/O (pure computations that live next to their store).
PURE = {"batch_store.request_fingerprint"}


def _is_blocking_module(name: str) -> bool:
    return name in BLOCKING_MODULES or name.endswith("_store")


def _direct_blocking_calls(tree: ast.AST) -> list[str]:
    """`module.fn(...)` calls on blocking modules inside async functions, not via to_thread."""
    found: list[str] = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if not isinstance(node, ast.Call):
                continue
            target = node.func
            if (
                isinstance(target, ast.Attribute)
                and isinstance(target.value, ast.Name)
                and _is_blocking_module(target.value.id)
                and target.attr[:1].islower()  # functions, not exception classes
                and f"{target.value.id}.{target.attr}" not in PURE
            ):
                found.append(
                    f"{function.name}: {target.value.id}.{target.attr}() line {node.lineno}"
                )
    return found


@pytest.mark.parametrize("module", sorted(API.glob("*.py")), ids=lambda p: p.name)
def test_async_handlers_reach_stores_only_through_a_thread(module: Path) -> None:
    assert _direct_blocking_calls(ast.parse(module.read_text())) == []


def test_the_check_catches_a_direct_call() -> None:
    source = "async def handler(req):\n    return inventory_store.get_item('sku')\n"

    assert _direct_blocking_calls(ast.parse(source)) == [
        "handler: inventory_store.get_item() line 2"
    ]


def test_the_check_allows_to_thread() -> None:
    source = (
        "async def handler(req):\n"
        "    return await asyncio.to_thread(inventory_store.get_item, 'sku')\n"
    )

    assert _direct_blocking_calls(ast.parse(source)) == []
