"""Every Bicep file parses, every reference between files resolves, and names stay
checkov-safe.

`bicep build` (the compiler) cannot run offline; tree-sitter-bicep catches syntax errors and
these tests catch broken module paths and parameter files. Type errors and unknown properties
are only caught by `bicep build` / `az deployment group what-if` (see infra/README.md).
"""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from tests.infra.bicep_model import REQUIRED, BicepFile, as_dict, bicep_file, read_bicepparam
from tests.infra.paths import BICEP, BICEP_ENVIRONMENTS, BICEP_MAIN

pytestmark = pytest.mark.infra

EXPECTED_FILES = {
    "main.bicep",
    "modules/identity.bicep",
    "modules/monitoring.bicep",
    "modules/storage.bicep",
    "modules/content-storage.bicep",
    "modules/key-vault.bicep",
    "modules/role-assignments.bicep",
    "modules/network.bicep",
    "modules/plan.bicep",
    "modules/function-app.bicep",
    "modules/function-app-slot.bicep",
}


def test_the_tree_has_main_and_its_modules(bicep_files: tuple[BicepFile, ...]) -> None:
    found = {str(parsed.path.relative_to(BICEP)) for parsed in bicep_files}
    assert found >= EXPECTED_FILES


def test_every_bicep_file_parses_without_error_nodes(bicep_files: tuple[BicepFile, ...]) -> None:
    errors = {
        str(parsed.path.relative_to(BICEP)): parsed.syntax_errors
        for parsed in bicep_files
        if parsed.syntax_errors
    }
    assert errors == {}


def test_every_module_path_exists(bicep_files: tuple[BicepFile, ...]) -> None:
    missing = [
        f"{parsed.path.name}: {module.symbol} -> {module.source}"
        for parsed in bicep_files
        for module in parsed.modules
        if not (parsed.path.parent / module.source).is_file()
    ]
    assert missing == []


def test_modules_receive_exactly_their_parameters(bicep_files: tuple[BicepFile, ...]) -> None:
    """A misspelt or missing module parameter is a compile error we cannot see offline."""
    problems = []
    for parsed in bicep_files:
        for module in parsed.modules:
            target = bicep_file(BICEP, str((parsed.path.parent / module.source).relative_to(BICEP)))
            passed = as_dict(as_dict(module.body).get("params", {}))
            declared = target.parameters
            required = {name for name, param in declared.items() if param.default == REQUIRED}
            if unknown := sorted(set(passed) - set(declared)):
                problems.append(f"{module.symbol}: unknown {unknown}")
            if missing := sorted(required - set(passed)):
                problems.append(f"{module.symbol}: missing {missing}")
    assert problems == []


def test_module_outputs_used_by_main_exist(bicep_files: tuple[BicepFile, ...]) -> None:
    main = bicep_file(BICEP, "main.bicep")
    text = BICEP_MAIN.read_text(encoding="utf-8")
    problems = []
    for module in main.modules:
        outputs = bicep_file(BICEP, module.source).outputs
        for used in set(_outputs_used(text, module.symbol)):
            if used not in outputs:
                problems.append(f"{module.symbol}.outputs.{used}")
    assert problems == []


def _outputs_used(text: str, symbol: str) -> list[str]:
    marker = f"{symbol}.outputs."
    used = []
    for chunk in text.split(marker)[1:]:
        name = ""
        for char in chunk:
            if not (char.isalnum() or char == "_"):
                break
            name += char
        used.append(name)
    return used


def test_names_are_unique_across_the_tree(bicep_files: tuple[BicepFile, ...]) -> None:
    """checkov resolves Bicep references by bare name across all files: a variable, resource,
    module or output whose name is declared again anywhere (even as a parameter) can make it
    render the wrong value or none, and then its checks pass or fail at random. Parameters may
    repeat among themselves: they are leaves."""
    kinds_by_name: dict[str, list[str]] = defaultdict(list)
    for parsed in bicep_files:
        for name, kind in parsed.symbols():
            kinds_by_name[name].append(f"{kind} in {parsed.path.name}")
    clashes = {
        name: places
        for name, places in kinds_by_name.items()
        if len(places) > 1 and not all(place.startswith("parameter ") for place in places)
    }
    assert clashes == {}


def test_module_parameters_have_no_defaults(bicep_files: tuple[BicepFile, ...]) -> None:
    """Defaults live in main.bicep only, where the parity test compares them with Terraform."""
    with_defaults = [
        f"{parsed.path.name}: {name}"
        for parsed in bicep_files
        if parsed.path != BICEP_MAIN
        for name, param in parsed.parameters.items()
        if param.default != REQUIRED
    ]
    assert with_defaults == []


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_environment_parameter_files_target_main(environment: str) -> None:
    main = bicep_file(BICEP, "main.bicep")
    parameter_file = read_bicepparam(BICEP_ENVIRONMENTS / f"{environment}.bicepparam")
    assert (parameter_file.path.parent / parameter_file.using).resolve() == BICEP_MAIN
    assert sorted(set(parameter_file.values) - set(main.parameters)) == []
    required = {name for name, param in main.parameters.items() if param.default == REQUIRED}
    assert required <= set(parameter_file.values)


def test_azd_parameters_file_names_main_parameters() -> None:
    main = bicep_file(BICEP, "main.bicep")
    parameters = json.loads((BICEP / "main.parameters.json").read_text(encoding="utf-8"))
    names = set(parameters["parameters"])
    assert names <= set(main.parameters)
    required = {name for name, param in main.parameters.items() if param.default == REQUIRED}
    assert required <= names
