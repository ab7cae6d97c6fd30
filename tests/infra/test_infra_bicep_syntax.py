"""Every Bicep file parses, every reference between files resolves, and names stay
checkov-safe.

`bicep build` (the compiler) cannot run offline; tree-sitter-bicep catches syntax errors and
these tests catch broken module paths and parameter files. Type errors and unknown properties
are only caught by `bicep build` / `az deployment group what-if` (see infra/README.md).

The tree has two entry points: main.bicep (resource group scope, `az deployment group create`)
and azd/main.bicep (subscription scope, `azd up`), which only creates the resource group and
deploys main.bicep into it.
"""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from tests.infra.bicep_model import (
    REQUIRED,
    BicepFile,
    Expression,
    Module,
    as_dict,
    bicep_file,
    read_bicepparam,
)
from tests.infra.paths import BICEP, BICEP_AZD_MAIN, BICEP_ENVIRONMENTS, BICEP_MAIN

pytestmark = pytest.mark.infra

EXPECTED_FILES = {
    "main.bicep",
    "azd/main.bicep",
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
    "modules/function-app-settings.bicep",
    "modules/function-app-slot-settings.bicep",
    "modules/diagnostics.bicep",
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


def _target(parsed: BicepFile, module: Module) -> BicepFile:
    """The parsed file `module` (declared in `parsed`) deploys."""
    return bicep_file(BICEP, str(parsed.module_target(module).relative_to(BICEP)))


def test_modules_receive_exactly_their_parameters(bicep_files: tuple[BicepFile, ...]) -> None:
    """A misspelt or missing module parameter is a compile error we cannot see offline."""
    problems = []
    for parsed in bicep_files:
        for module in parsed.modules:
            target = _target(parsed, module)
            passed = as_dict(as_dict(module.body).get("params", {}))
            declared = target.parameters
            required = {name for name, param in declared.items() if param.default == REQUIRED}
            if unknown := sorted(set(passed) - set(declared)):
                problems.append(f"{module.symbol}: unknown {unknown}")
            if missing := sorted(required - set(passed)):
                problems.append(f"{module.symbol}: missing {missing}")
    assert problems == []


def test_module_outputs_used_exist(bicep_files: tuple[BicepFile, ...]) -> None:
    """Every `<module>.outputs.<name>` in main.bicep and azd/main.bicep is declared by the
    module's file."""
    problems = []
    for parsed in bicep_files:
        text = parsed.path.read_text(encoding="utf-8")
        for module in parsed.modules:
            outputs = _target(parsed, module).outputs
            for used in set(_outputs_used(text, module.symbol)):
                if used not in outputs:
                    problems.append(f"{parsed.path.name}: {module.symbol}.outputs.{used}")
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


def _reexports(parsed: BicepFile) -> set[str]:
    """Outputs of `parsed` that hand on a module's output of the same name unchanged
    (`output x string = mod.outputs.x`)."""
    return {
        name
        for name, value in parsed.output_values.items()
        for module in parsed.modules
        if value == Expression(f"{module.symbol}.outputs.{name}")
    }


def test_names_are_unique_across_the_tree(bicep_files: tuple[BicepFile, ...]) -> None:
    """checkov resolves Bicep references by bare name across all files: a variable, resource,
    module or output whose name is declared again anywhere (even as a parameter) can make it
    render the wrong value or none, and then its checks pass or fail at random. Parameters may
    repeat among themselves: they are leaves.

    One exception: an output that re-exports a module output of the same name (azd/main.bicep
    hands on main.bicep's outputs under their names, because azd turns the top-level outputs
    into environment variables). Bicep cannot reference an output by bare name, so two outputs
    sharing a name give checkov nothing to misresolve, as long as no other kind of symbol
    shares it (checked here) and only one of them is original. (Verified: checkov's Bicep
    findings on the other files are identical with and without azd/main.bicep.)"""
    places_by_name: dict[str, list[tuple[str, str, bool]]] = defaultdict(list)
    for parsed in bicep_files:
        relative = str(parsed.path.relative_to(BICEP))
        reexports = _reexports(parsed)
        for name, kind in parsed.symbols():
            reexport = kind == "output" and name in reexports
            places_by_name[name].append((kind, relative, reexport))
    clashes = {}
    for name, places in places_by_name.items():
        if len(places) < 2 or all(kind == "parameter" for kind, _, _ in places):
            continue
        if all(kind == "output" for kind, _, _ in places) and (
            sum(not reexport for _, _, reexport in places) <= 1
        ):
            continue
        clashes[name] = [f"{kind} in {relative}" for kind, relative, _ in places]
    assert clashes == {}


def test_module_parameters_have_no_defaults(bicep_files: tuple[BicepFile, ...]) -> None:
    """Defaults live in main.bicep only, where the parity test compares them with Terraform."""
    with_defaults = [
        f"{parsed.path.relative_to(BICEP)}: {name}"
        for parsed in bicep_files
        if parsed.path not in (BICEP_MAIN, BICEP_AZD_MAIN)
        for name, param in parsed.parameters.items()
        if param.default != REQUIRED
    ]
    assert with_defaults == []


def test_the_azd_entry_point_defaults_none_of_mains_parameters() -> None:
    """azd/main.bicep may default its own parameters (resourceGroupName) but no parameter of
    main.bicep: a second default there would silently override the one the parity test checks."""
    main = bicep_file(BICEP, "main.bicep")
    entry = bicep_file(BICEP, "azd/main.bicep")
    shadowed = [
        name
        for name, param in entry.parameters.items()
        if param.default != REQUIRED and name in main.parameters
    ]
    assert shadowed == []


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_environment_parameter_files_target_main(environment: str) -> None:
    main = bicep_file(BICEP, "main.bicep")
    parameter_file = read_bicepparam(BICEP_ENVIRONMENTS / f"{environment}.bicepparam")
    assert (parameter_file.path.parent / parameter_file.using).resolve() == BICEP_MAIN
    assert sorted(set(parameter_file.values) - set(main.parameters)) == []
    required = {name for name, param in main.parameters.items() if param.default == REQUIRED}
    assert required <= set(parameter_file.values)


def test_azd_parameters_file_names_the_entry_points_parameters() -> None:
    entry = bicep_file(BICEP, "azd/main.bicep")
    path = BICEP_AZD_MAIN.with_name("main.parameters.json")
    values = {
        name: value["value"]
        for name, value in json.loads(path.read_text(encoding="utf-8"))["parameters"].items()
    }
    assert set(values) <= set(entry.parameters)
    required = {name for name, param in entry.parameters.items() if param.default == REQUIRED}
    assert required <= set(values)
    assert values["environmentName"] == "${AZURE_ENV_NAME}"
    assert values["location"] == "${AZURE_LOCATION}"
