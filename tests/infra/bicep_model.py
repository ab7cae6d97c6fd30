"""Read Bicep files with tree-sitter-bicep into plain Python values.

The Bicep compiler cannot run offline, so tests read declarations from the syntax tree:
parameters (type, default, decorators), variables, resources, modules and outputs. Literal
values become Python values; anything computed (function calls, references, interpolated
strings) becomes an `Expression` holding its source text, so a test can still compare it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TypeAlias

import tree_sitter
import tree_sitter_bicep

_ESCAPES = {"\\'": "'", "\\\\": "\\", "\\n": "\n", "\\r": "\r", "\\t": "\t", "\\$": "$"}


@dataclass(frozen=True)
class Expression:
    """A value Bicep computes at deployment time, kept as its source text."""

    text: str


#: What a Bicep value reads as: literals, containers of values, or an `Expression`.
BicepValue: TypeAlias = (
    "str | int | bool | Expression | list[BicepValue] | dict[str, BicepValue] | None"
)

#: A parameter without a default.
REQUIRED = Expression("<required>")


def as_dict(value: BicepValue) -> dict[str, BicepValue]:
    """`value` as an object (AssertionError if it is anything else)."""
    assert isinstance(value, dict), value
    return value


def as_list(value: BicepValue) -> list[BicepValue]:
    """`value` as an array (AssertionError if it is anything else)."""
    assert isinstance(value, list), value
    return value


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    default: BicepValue
    #: Decorator name -> its first argument (`@minValue(1)` -> {"minValue": 1}).
    decorators: dict[str, BicepValue]


@dataclass(frozen=True)
class Resource:
    symbol: str
    type: str
    api_version: str
    existing: bool
    #: The resource body; for `[for ...]` and `if (...)` declarations, the inner object.
    body: BicepValue
    condition: str | None
    #: For `[for x in items: ...]`, the source text of `items`.
    loop_over: str | None = None


@dataclass(frozen=True)
class Module:
    symbol: str
    source: str
    body: BicepValue
    condition: str | None


@dataclass
class BicepFile:
    path: Path
    syntax_errors: list[str]
    #: `targetScope` ('resourceGroup' when the file does not say).
    target_scope: str = "resourceGroup"
    parameters: dict[str, Parameter] = field(default_factory=dict)
    variables: dict[str, BicepValue] = field(default_factory=dict)
    resources: list[Resource] = field(default_factory=list)
    modules: list[Module] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    #: Output name -> its value.
    output_values: dict[str, BicepValue] = field(default_factory=dict)

    def resource(self, symbol: str) -> Resource:
        """The resource declared as `symbol` (KeyError if absent)."""
        for resource in self.resources:
            if resource.symbol == symbol:
                return resource
        raise KeyError(f"{self.path.name} declares no resource {symbol!r}")

    def module(self, symbol: str) -> Module:
        """The module declared as `symbol` (KeyError if absent)."""
        for module in self.modules:
            if module.symbol == symbol:
                return module
        raise KeyError(f"{self.path.name} declares no module {symbol!r}")

    def module_target(self, module: Module) -> Path:
        """The file `module` deploys (its relative source resolved against this file)."""
        return Path(os.path.normpath(self.path.parent / module.source))

    def resolve(self, value: BicepValue) -> BicepValue:
        """`value` with bare references to this file's variables replaced by their values."""
        if isinstance(value, Expression) and value.text in self.variables:
            return self.resolve(self.variables[value.text])
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if isinstance(value, dict):
            return {key: self.resolve(item) for key, item in value.items()}
        return value

    def symbols(self) -> list[tuple[str, str]]:
        """Every declared name with its kind (parameter, variable, resource, module, output)."""
        return (
            [(name, "parameter") for name in self.parameters]
            + [(name, "variable") for name in self.variables]
            + [(resource.symbol, "resource") for resource in self.resources]
            + [(module.symbol, "module") for module in self.modules]
            + [(name, "output") for name in self.outputs]
        )


@cache
def _parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_bicep.language()))


def _text(node: tree_sitter.Node) -> str:
    return (node.text or b"").decode()


def _named_children(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    return [child for child in node.named_children if child.type != "comment"]


def find_syntax_errors(root: tree_sitter.Node) -> list[str]:
    """`line:column: text` for every ERROR or missing node under `root`."""
    errors = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            line, column = node.start_point
            kind = "missing" if node.is_missing else "unexpected"
            errors.append(f"{line + 1}:{column + 1}: {kind} {_text(node)[:60]!r}")
        stack.extend(node.children)
    return sorted(errors)


def _string(node: tree_sitter.Node) -> str | Expression:
    parts = []
    for child in node.named_children:
        if child.type == "interpolation":
            return Expression(_text(node))
        if child.type == "escape_sequence":
            parts.append(_ESCAPES.get(_text(child), _text(child)))
        elif child.type == "string_content":
            parts.append(_text(child))
    return "".join(parts)


def _key(node: tree_sitter.Node) -> str:
    """An object key; an interpolated key (`'${id}'`) keeps its template without quotes."""
    value = _string(node) if node.type == "string" else _text(node)
    return value.text[1:-1] if isinstance(value, Expression) else value


def value_of(node: tree_sitter.Node) -> BicepValue:
    """A syntax node as a Python value; computed values become `Expression`s."""
    if node.type == "string":
        return _string(node)
    if node.type == "number":
        return int(_text(node))
    if node.type == "boolean":
        return _text(node) == "true"
    if node.type == "null":
        return None
    if node.type == "array":
        return [value_of(item) for item in _named_children(node)]
    if node.type == "object":
        properties: dict[str, BicepValue] = {}
        for prop in _named_children(node):
            key, value = _named_children(prop)[0], _named_children(prop)[-1]
            properties[_key(key)] = value_of(value)
        return properties
    if node.type == "unary_expression" and _text(node).startswith("-"):
        inner = value_of(_named_children(node)[-1])
        return -inner if isinstance(inner, int) and not isinstance(inner, bool) else inner
    return Expression(_text(node))


def _loop_over(node: tree_sitter.Node) -> str | None:
    """For a `[for x in items: ...]` value, the source text of `items`."""
    if node.type != "for_statement":
        return None
    after_in = False
    for child in node.children:
        if after_in:
            return _text(child)
        after_in = child.type == "in"
    return None


def _body_and_condition(node: tree_sitter.Node) -> tuple[BicepValue, str | None]:
    """The object of a resource/module value, looking through `[for ...]` and `if (...)`."""
    condition = None
    while node.type in ("for_statement", "if_statement"):
        if node.type == "if_statement":
            condition = _text(_named_children(node)[0])
        objects = [child for child in _named_children(node) if child.type == "object"]
        inner = [
            child for child in _named_children(node) if child.type in ("if_statement", "object")
        ]
        node = objects[-1] if objects and node.type == "if_statement" else inner[-1]
    return value_of(node), condition


def _decorators(node: tree_sitter.Node | None) -> dict[str, BicepValue]:
    decorators: dict[str, BicepValue] = {}
    if node is None:
        return decorators
    for decorator in _named_children(node):
        call = _named_children(decorator)[0]
        if call.type != "call_expression":
            continue
        function = call.child_by_field_name("function")
        arguments = call.child_by_field_name("arguments")
        if function is None:
            continue
        args = _named_children(arguments) if arguments is not None else []
        decorators[_text(function).removeprefix("sys.")] = value_of(args[0]) if args else None
    return decorators


def _declaration_value(node: tree_sitter.Node) -> tree_sitter.Node:
    """The node after `=` in a declaration."""
    seen_equals = False
    for child in node.children:
        if seen_equals and child.type != "comment":
            return child
        seen_equals = seen_equals or child.type == "="
    raise ValueError(f"no value in {_text(node)[:60]!r}")


def _has_default(node: tree_sitter.Node) -> bool:
    return any(child.type == "=" for child in node.children)


def _identifier(node: tree_sitter.Node) -> str:
    for child in node.named_children:
        if child.type == "identifier":
            return _text(child)
    raise ValueError(f"no identifier in {_text(node)[:60]!r}")


def read_bicep(path: Path) -> BicepFile:
    """Parse one .bicep file; syntax errors are reported, not raised."""
    tree = _parser().parse(path.read_bytes())
    result = BicepFile(path=path, syntax_errors=find_syntax_errors(tree.root_node))
    pending_decorators: tree_sitter.Node | None = None
    for node in tree.root_node.named_children:
        if node.type == "decorators":
            pending_decorators = node
            continue
        decorators, pending_decorators = pending_decorators, None
        if node.type == "target_scope_assignment":
            scope = value_of(_named_children(node)[-1])
            assert isinstance(scope, str), scope
            result.target_scope = scope
        elif node.type == "parameter_declaration":
            type_node = next(child for child in node.named_children if child.type == "type")
            name = _identifier(node)
            default = value_of(_declaration_value(node)) if _has_default(node) else REQUIRED
            result.parameters[name] = Parameter(
                name, _text(type_node), default, _decorators(decorators)
            )
        elif node.type == "variable_declaration":
            result.variables[_identifier(node)] = value_of(_declaration_value(node))
        elif node.type == "resource_declaration":
            type_and_version = _string(
                next(child for child in node.named_children if child.type == "string")
            )
            assert isinstance(type_and_version, str), type_and_version
            resource_type, _, api_version = type_and_version.partition("@")
            value = _declaration_value(node)
            body, condition = _body_and_condition(value)
            existing = any(child.type == "existing" for child in node.children)
            result.resources.append(
                Resource(
                    _identifier(node),
                    resource_type,
                    api_version,
                    existing,
                    body,
                    condition,
                    _loop_over(value),
                )
            )
        elif node.type == "module_declaration":
            source = _string(next(child for child in node.named_children if child.type == "string"))
            body, condition = _body_and_condition(_declaration_value(node))
            result.modules.append(Module(_identifier(node), str(source), body, condition))
        elif node.type == "output_declaration":
            type_node = next(child for child in node.named_children if child.type == "type")
            result.outputs[_identifier(node)] = _text(type_node)
            result.output_values[_identifier(node)] = value_of(_declaration_value(node))
    return result


@cache
def read_bicep_tree(root: Path) -> tuple[BicepFile, ...]:
    """Every .bicep file under `root`, sorted by path (cached: the files do not change)."""
    return tuple(read_bicep(path) for path in sorted(root.rglob("*.bicep")))


def bicep_file(root: Path, relative: str) -> BicepFile:
    """One file of `read_bicep_tree(root)` by its path relative to `root`."""
    for parsed in read_bicep_tree(root):
        if parsed.path == root / relative:
            return parsed
    raise FileNotFoundError(root / relative)


_PARAM_LINE = re.compile(r"^param\s+(?P<name>\w+)\s*=\s*(?P<value>.+?)\s*$")
_USING_LINE = re.compile(r"^using\s+'(?P<target>[^']+)'\s*$")


@dataclass(frozen=True)
class ParameterFile:
    path: Path
    using: str
    values: dict[str, BicepValue]


def _scalar(text: str) -> BicepValue:
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"'(?:[^'\\]|\\.)*'", text):
        return re.sub(r"\\.", lambda match: _ESCAPES.get(match.group(), match.group()), text[1:-1])
    return Expression(text)


def read_bicepparam(path: Path) -> ParameterFile:
    """A .bicepparam file's `using` target and scalar parameter values.

    tree-sitter-bicep 1.1 has no grammar for .bicepparam (`param x = v` without a type), so
    this reads the two statement forms line by line; anything else is rejected rather than
    silently ignored.
    """
    using = ""
    values: dict[str, BicepValue] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("//"):
            continue
        if match := _USING_LINE.match(line):
            using = match["target"]
        elif match := _PARAM_LINE.match(line):
            values[match["name"]] = _scalar(match["value"])
        else:
            raise ValueError(f"{path.name}:{number}: unsupported statement {line!r}")
    return ParameterFile(path, using, values)


def camel_to_snake(name: str) -> str:
    """`maximumElasticWorkerCount` -> `maximum_elastic_worker_count` (Bicep to Terraform names)."""
    return "".join(f"_{char.lower()}" if char.isupper() else char for char in name).lstrip("_")
