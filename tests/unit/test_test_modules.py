"""Test modules stand alone: none imports another test module or a conftest.

A test module imported by another runs its module-level code twice under two names and ties
one suite's layout to another's; what two suites share belongs in a support module
(`tests/support/`, `tests/e2e/support/`, a folder's helper module).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def _is_test_module(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return last.startswith("test_") or last == "conftest"


def forbidden_imports(source: str) -> Iterator[str]:
    """Each import in `source` that names a test module or a conftest."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if _is_test_module(a.name))
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            if node.module and _is_test_module(node.module):
                yield module
            else:  # `from tests.unit import test_x`: the names may be modules
                prefix = module if module.endswith(".") else f"{module}."
                yield from (prefix + a.name for a in node.names if _is_test_module(a.name))


def test_no_test_module_or_conftest_is_imported_anywhere_under_tests() -> None:
    found = [
        f"{path.relative_to(TESTS)}: {name}"
        for path in sorted(TESTS.rglob("*.py"))
        for name in forbidden_imports(path.read_text(encoding="utf-8"))
    ]
    assert found == [], "move what they share into a support module:\n" + "\n".join(found)


def test_the_check_sees_every_form_of_import() -> None:
    source = "\n".join(
        [
            "from tests.unit.test_order_saga import run",
            "from tests.e2e import test_approvals",
            "import tests.unit.test_batch_orchestrators",
            "from .test_export_monitor import job",
            "from tests.e2e.conftest import api",
            "from . import conftest",
            "from tests.support.order_saga import run",
            "from tests.http import samples",
        ]
    )

    assert list(forbidden_imports(source)) == [
        "tests.unit.test_order_saga",
        "tests.e2e.test_approvals",
        "tests.unit.test_batch_orchestrators",
        ".test_export_monitor",
        "tests.e2e.conftest",
        ".conftest",
    ]
