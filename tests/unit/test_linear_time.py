"""No request value, however long or oddly shaped, costs more than linear time to validate.

Validation runs in the worker's process, so one request whose value makes a regular
expression backtrack quadratically (20 KB of digits then a letter in a date-time took 18 s)
holds a CPU for hours at the 2 MB body limit.

How cost is measured, without timing anything (a shared 2-core machine makes wall and CPU
time too noisy to tell linear from quadratic reliably):

* Regular expressions: `tests.support.regex_cost` runs the search a backtracking engine does
  (CPython's `re`), in Python, and counts its steps, which depend only on pattern and input.
  Every pattern the app applies to request data is run on adversarial inputs built from the
  pattern's own characters (a long run of one, then another; two alternating) at three
  sizes. Doubling the input may at most multiply the steps by `GROWTH` (linear: 2,
  quadratic: 4), and a step budget stops a runaway match early.
* Whole contracts: every string a request contract accepts gets 25, 50 and 100 KB values of
  several shapes. Cost is the number of Python lines executed during validation
  (`sys.settrace`, which sees the app's validators and e-mail parsing) plus the model's steps
  for every regular expression the app's Python code applies (the app's patterns are swapped
  for counting stand-ins). Compiled validation in pydantic-core and the JSON decoder is linear
  by construction and not counted; what reaches Python code is what can go wrong.
"""

from __future__ import annotations

import ast
import importlib
import itertools
import pkgutil
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

import function_app  # noqa: F401  (registers every route, filling OPERATIONS)
import shared.models
from api.routing import OPERATIONS
from shared.models.base import Contract
from tests.support.regex_cost import BudgetExceeded, Mode, alphabet, count_steps, largest_bound

ROOT = Path(__file__).resolve().parents[2]
#: Code that sees request data (directly or as activity input derived from it).
APP_PACKAGES = ("shared", "api", "activities")
#: Doubling the input may multiply the cost at most by this much (linear: 2, quadratic: 4).
GROWTH = 2.6
#: Steps of constant overhead that may differ between sizes (a bounded repeat, a lookup).
SLACK = 100
#: The smallest input of a pattern check (doubled twice); longer than any bounded repeat.
PATTERN_BASE_SIZE = 100
VALUE_SIZES = (25_000, 50_000, 100_000)

#: Module-level patterns of the app and how the app applies them.
PYTHON_PATTERNS: dict[tuple[str, str], Mode] = {
    ("shared.models.base", "_NUMBER"): "fullmatch",
    ("shared.errors", "_MARKER_AT"): "search",
    ("activities.payments", "_CHARGE_UNAVAILABLE"): "match",
    ("activities.payments", "_REFUND_UNAVAILABLE"): "match",
    ("shared.ncrontab", "_ITEM"): "match",
}
#: Patterns that never see request data, and why.
NOT_REQUEST_DATA = {
    ("api.openapi", "_ROUTE_PARAM"): "reads the app's own route templates",
    ("api.routing", "KEY_SCOPE_NAME"): "checks the key scopes routes declare",
    ("shared.sdk_timestamps", "_SHAPE"): "reads the host's history timestamps, never request data",
}
#: Calls of `re` functions outside module level, and where their patterns are tested.
INLINE_RE_CALLS = {
    ("shared/models/base.py", "fullmatch"): "DecimalText: its pattern is in the JSON schemas",
}


def _app_modules() -> Iterator[ModuleType]:
    for package_name in APP_PACKAGES:
        package = importlib.import_module(package_name)
        yield package
        for info in pkgutil.walk_packages(package.__path__, f"{package_name}."):
            yield importlib.import_module(info.name)


def _module_patterns() -> set[tuple[str, str]]:
    return {
        (module.__name__, name)
        for module in _app_modules()
        for name, value in vars(module).items()
        if isinstance(value, re.Pattern) and _defined_here(module, name)
    }


def _defined_here(module: ModuleType, name: str) -> bool:
    source = Path(module.__file__ or "").read_text(encoding="utf-8")
    return re.search(rf"^{re.escape(name)}\b[^=\n]*=", source, re.MULTILINE) is not None


def _contracts() -> list[type[Contract]]:
    for info in pkgutil.iter_modules(shared.models.__path__):
        importlib.import_module(f"shared.models.{info.name}")
    found: list[type[Contract]] = []
    pending = [Contract]
    while pending:
        for sub in pending.pop().__subclasses__():
            found.append(sub)
            pending.append(sub)
    return found


def _schema_patterns(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("pattern"), str):
            yield node["pattern"]
        for value in node.values():
            yield from _schema_patterns(value)
    elif isinstance(node, list):
        for value in node:
            yield from _schema_patterns(value)


def _all_patterns() -> dict[str, Mode]:
    """Every pattern applied to request data, with how it is applied."""
    patterns: dict[str, Mode] = {}
    for contract in _contracts():
        for pattern in _schema_patterns(contract.model_json_schema(mode="validation")):
            patterns[pattern] = "search"  # pydantic-core tests patterns with `is_match`
    for (module, name), mode in PYTHON_PATTERNS.items():
        patterns[getattr(importlib.import_module(module), name).pattern] = mode
    return patterns


def _shapes(pattern: str, size: int) -> Iterator[str]:
    """Long runs of the pattern's own characters, each followed by a character that ends it."""
    chars = alphabet(pattern)
    for first in chars:
        for second in chars:
            yield first * size + second
            yield (first + second) * (size // 2) + "\x00"


def _growth_problems(cost: Callable[[int], int], sizes: tuple[int, ...], label: str) -> list[str]:
    try:
        costs = [cost(size) for size in sizes]
    except BudgetExceeded as exc:
        return [f"{label}: {exc}"]
    pairs = list(zip(sizes, costs, strict=True))
    return [
        f"{label}: {small}->{large} steps from {a} to {b} characters"
        for (a, small), (b, large) in itertools.pairwise(pairs)
        if large > GROWTH * small * (b / a) / 2 + SLACK
    ]


def _pattern_problems(pattern: str, mode: Mode) -> list[str]:
    problems: list[str] = []
    base = max(PATTERN_BASE_SIZE, 2 * largest_bound(pattern))
    sizes = (base, 2 * base, 4 * base)
    shapes_by_size = {size: list(_shapes(pattern, size)) for size in sizes}
    for index in range(len(shapes_by_size[base])):

        def cost(size: int, index: int = index) -> int:
            return count_steps(pattern, shapes_by_size[size][index], mode, budget=500 * size)

        label = f"{pattern!r} on {shapes_by_size[base][index][:12]!r}..."
        problems += _growth_problems(cost, sizes, label)
        if problems:
            break
    return problems


@pytest.mark.parametrize(("pattern", "mode"), sorted(_all_patterns().items()))
def test_every_pattern_applied_to_request_data_runs_in_linear_time(
    pattern: str, mode: Mode
) -> None:
    assert _pattern_problems(pattern, mode) == []


def test_the_pattern_check_catches_quadratic_backtracking() -> None:
    """The ISO 8601 pre-check as it was: `\\d+\\.?\\d*` splits a digit run in n ways."""
    quadratic = r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*"

    assert _pattern_problems(quadratic, "fullmatch") != []


def test_every_module_level_pattern_is_checked_or_explained() -> None:
    assert _module_patterns() == set(PYTHON_PATTERNS) | set(NOT_REQUEST_DATA)


def _inline_re_calls() -> set[tuple[str, str]]:
    """`re.<function>(...)` calls inside functions or classes of the app's packages."""
    found: set[tuple[str, str]] = set()
    for package in APP_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for scope in ast.walk(tree):
                if not isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    continue
                for node in ast.walk(scope):
                    if (
                        isinstance(node, ast.Call)
                        and isinstance(node.func, ast.Attribute)
                        and isinstance(node.func.value, ast.Name)
                        and node.func.value.id == "re"
                        and node.func.attr != "escape"
                    ):
                        found.add((str(path.relative_to(ROOT)), node.func.attr))
    return found


def test_every_inline_regular_expression_is_accounted_for() -> None:
    assert _inline_re_calls() == set(INLINE_RE_CALLS)


# --- whole contracts, with values of 100 KB ------------------------------------------------


def _request_models() -> list[type[BaseModel]]:
    models = {
        model
        for operation in OPERATIONS.values()
        for model in (operation.request, operation.query, operation.path)
        if model is not None
    }
    return sorted(models, key=lambda model: model.__name__)


def _string_paths(schema: dict[str, Any]) -> Iterator[tuple[str | int, ...]]:
    """Paths (keys, and 0 for list items) to every place the schema accepts a string."""
    definitions = schema.get("$defs", {})

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        ref = node.get("$ref")
        return definitions[ref.rsplit("/", 1)[-1]] if ref else node

    def walk(node: dict[str, Any], path: tuple[str | int, ...], depth: int) -> Iterator[Any]:
        node = resolve(node)
        if depth > 6:
            return
        if node.get("type") == "string" and "enum" not in node and "const" not in node:
            yield path
        for option in node.get("anyOf", []):
            yield from walk(option, path, depth + 1)
        for name, field in node.get("properties", {}).items():
            yield from walk(field, (*path, name), depth + 1)
        if isinstance(node.get("items"), dict):
            yield from walk(node["items"], (*path, 0), depth + 1)
        if isinstance(node.get("additionalProperties"), dict):
            yield from walk(node["additionalProperties"], (*path, "key"), depth + 1)

    seen: set[tuple[str | int, ...]] = set()
    for path in walk(schema, (), 0):
        if path and path not in seen:
            seen.add(path)
            yield path


def _payload(path: tuple[str | int, ...], value: str) -> Any:
    if not path:
        return value
    head, *rest = path
    inner = _payload(tuple(rest), value)
    return [inner] if isinstance(head, int) else {head: inner}


VALUE_SHAPES: dict[str, Callable[[int], str]] = {
    "digits-then-letter": lambda n: "1" * n + "x",
    "digits-then-dot": lambda n: "1" * n + ".",
    "digits-and-dots": lambda n: "1." * (n // 2) + "x",
    "spaces-then-letter": lambda n: " " * n + "x",
    "dashes": lambda n: "-" * n,
    "letters-then-at": lambda n: "a" * n + "@example.com",
    "at-signs": lambda n: "@" * n,
    "words": lambda n: "a " * (n // 2) + "<",
    "date-then-digits": lambda n: "2026-01-05T09:00:00" + "1" * n,
}


class _CountingPattern:
    """Stands in for an app pattern: counts the model's steps, then answers like `re`."""

    def __init__(self, real: re.Pattern[str], meter: _Meter) -> None:
        self.real = real
        self.pattern = real.pattern
        self.meter = meter

    def _run(self, mode: Mode, text: str, *args: Any) -> Any:
        self.meter.steps += count_steps(self.real, text, mode, budget=200 * len(text) + 10_000)
        return getattr(self.real, mode)(text, *args)

    def fullmatch(self, text: str, *args: Any) -> Any:
        return self._run("fullmatch", text, *args)

    def match(self, text: str, *args: Any) -> Any:
        return self._run("match", text, *args)

    def search(self, text: str, *args: Any) -> Any:
        return self._run("search", text, *args)


class _Meter:
    """Python lines executed plus modelled regular-expression steps."""

    def __init__(self) -> None:
        self.steps = 0

    def trace(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            self.steps += 1
        return self.trace


@pytest.fixture
def meter(monkeypatch: pytest.MonkeyPatch) -> _Meter:
    meter = _Meter()
    for module_name, name in PYTHON_PATTERNS:
        module = importlib.import_module(module_name)
        monkeypatch.setattr(module, name, _CountingPattern(getattr(module, name), meter))
    for function_name in ("fullmatch", "match", "search"):
        real = getattr(re, function_name)

        def counted(
            pattern: Any, text: Any, *args: Any, _mode: Any = function_name, _real: Any = real
        ) -> Any:
            if isinstance(text, str) and not args:
                meter.steps += count_steps(pattern, text, _mode, budget=200 * len(text) + 10_000)
            return _real(pattern, text, *args)

        monkeypatch.setattr(re, function_name, counted)
    return meter


def _validation_cost(meter: _Meter, model: type[BaseModel], payload: Any) -> int:
    meter.steps = 0
    sys.settrace(meter.trace)
    try:
        model.model_validate(payload)
    except ValidationError:
        pass
    finally:
        sys.settrace(None)
    return meter.steps


_CASES = [
    (model, path)
    for model in _request_models()
    for path in _string_paths(model.model_json_schema(mode="validation"))
]


@pytest.mark.parametrize(
    ("model", "path"),
    _CASES,
    ids=[f"{model.__name__}.{'.'.join(map(str, path))}" for model, path in _CASES],
)
def test_long_values_in_every_request_field_cost_linear_time(
    model: type[BaseModel], path: tuple[str | int, ...], meter: _Meter
) -> None:
    problems: list[str] = []
    for shape_name, shape in VALUE_SHAPES.items():

        def cost(size: int, shape: Callable[[int], str] = shape) -> int:
            return _validation_cost(meter, model, _payload(path, shape(size)))

        problems += _growth_problems(cost, VALUE_SIZES, shape_name)
    assert problems == []


def test_the_contract_check_catches_a_quadratic_validator(meter: _Meter) -> None:
    """A before-validator that rescans the value per character is what the meter must see."""
    from typing import Annotated

    from pydantic import BeforeValidator

    def rescanning(value: object) -> object:
        if isinstance(value, str):
            for index in range(0, len(value), 1000):
                for _ in range(0, index, 1000):
                    pass
        return value

    class Slow(Contract):
        text: Annotated[str, BeforeValidator(rescanning)]

    problems = _growth_problems(
        lambda size: _validation_cost(meter, Slow, {"text": "1" * size}), VALUE_SIZES, "slow"
    )
    assert problems != []
