"""Read Terraform files with python-hcl2 into plain Python values.

`terraform validate` cannot run offline, so tests read the configuration as data: literals come
back as Python values and expressions as `${...}` strings, which tests compare as text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, TypeAlias

import hcl2
from hcl2.utils import SerializationOptions

#: A parsed HCL value: literals, lists, dicts, or `${...}` expression strings.
HclValue: TypeAlias = Any

_OPTIONS = SerializationOptions(strip_string_quotes=True, explicit_blocks=False)


def load_hcl(path: Path) -> dict[str, HclValue]:
    """One .tf or .tfvars file as a dict (raises on a syntax error)."""
    with path.open(encoding="utf-8") as handle:
        loaded: dict[str, HclValue] = hcl2.load(handle, serialization_options=_OPTIONS)
    return loaded


def without_comments(value: HclValue) -> HclValue:
    """`value` without python-hcl2's `__comments__` entries."""
    if isinstance(value, dict):
        return {key: without_comments(item) for key, item in value.items() if key != "__comments__"}
    if isinstance(value, list):
        return [without_comments(item) for item in value]
    return value


def comments(block: dict[str, HclValue]) -> list[str]:
    """The comment lines directly inside a block (e.g. `#checkov:skip=...`)."""
    return [entry["value"] for entry in block.get("__comments__", [])]


def block(value: HclValue, name: str) -> dict[str, HclValue]:
    """The single nested block `name` (e.g. `site_config`) of a resource body."""
    blocks = value.get(name)
    assert isinstance(blocks, list), f"expected a {name!r} block"
    assert len(blocks) == 1, f"expected one {name!r} block"
    found: dict[str, HclValue] = blocks[0]
    return found


def dynamic_block(value: HclValue, name: str) -> dict[str, HclValue]:
    """The `dynamic "name"` block of a resource body: its `for_each` and its `content`."""
    found = [entry[name] for entry in value.get("dynamic", []) if name in entry]
    assert len(found) == 1, f"expected one dynamic {name!r} block"
    dynamic: dict[str, HclValue] = found[0]
    return dynamic


def expression(value: HclValue) -> str:
    """The inside of a `${...}` expression string (AssertionError if it is a literal)."""
    assert isinstance(value, str), value
    assert value.startswith("${"), value
    assert value.endswith("}"), value
    return value[2:-1]


@dataclass
class TerraformTree:
    """All top-level .tf files of one Terraform root module, merged."""

    root: Path
    files: dict[Path, dict[str, HclValue]]
    variables: dict[str, dict[str, HclValue]] = field(default_factory=dict)
    locals: dict[str, HclValue] = field(default_factory=dict)
    resources: dict[tuple[str, str], dict[str, HclValue]] = field(default_factory=dict)
    outputs: dict[str, dict[str, HclValue]] = field(default_factory=dict)
    data_sources: dict[tuple[str, str], dict[str, HclValue]] = field(default_factory=dict)
    terraform_blocks: list[dict[str, HclValue]] = field(default_factory=list)
    providers: dict[str, dict[str, HclValue]] = field(default_factory=dict)

    def resource(self, resource_type: str, name: str) -> dict[str, HclValue]:
        """One resource body, comments removed (KeyError if absent)."""
        body: dict[str, HclValue] = without_comments(self.resources[(resource_type, name)])
        return body

    def resources_of_type(self, resource_type: str) -> dict[str, dict[str, HclValue]]:
        """Resource name -> body for one resource type, comments removed."""
        return {
            name: without_comments(body)
            for (kind, name), body in self.resources.items()
            if kind == resource_type
        }


def _labelled(entries: list[dict[str, HclValue]]) -> dict[str, HclValue]:
    merged: dict[str, HclValue] = {}
    for entry in entries:
        merged.update({key: value for key, value in entry.items() if key != "__comments__"})
    return merged


@cache
def read_terraform(root: Path) -> TerraformTree:
    """Parse every `*.tf` file directly in `root` (cached: the files do not change)."""
    files = {path: load_hcl(path) for path in sorted(root.glob("*.tf"))}
    tree = TerraformTree(root=root, files=files)
    for parsed in files.values():
        tree.variables.update(_labelled(parsed.get("variable", [])))
        for entry in parsed.get("locals", []):
            tree.locals.update(without_comments(entry))
        for entry in parsed.get("resource", []):
            for resource_type, named in _labelled([entry]).items():
                for name, body in named.items():
                    tree.resources[(resource_type, name)] = body
        for entry in parsed.get("data", []):
            for data_type, named in _labelled([entry]).items():
                for name, body in named.items():
                    tree.data_sources[(data_type, name)] = body
        tree.outputs.update(_labelled(parsed.get("output", [])))
        tree.terraform_blocks.extend(parsed.get("terraform", []))
        tree.providers.update(_labelled(parsed.get("provider", [])))
    return tree
