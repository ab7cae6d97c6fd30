"""Check Bicep resource bodies against the Azure resource type schemas, as data.

The schemas come from the Azure management SDKs pinned in requirements-dev.txt: their model
classes are generated from the same REST API specifications as the Bicep type definitions, and
carry, per API version, every property's wire path (`_attribute_map`: `properties.siteConfig`),
its type, and its constraints (`_validation`: minimum, maximum, read-only). The Bicep type
packages themselves are not published on a registry this project can reach.

A value Bicep computes is followed back through variables, module parameters and main.bicep's
parameter decorators to the interval it can take, so `@maxValue(20)` on a parameter that ends up
in a property whose schema maximum is 10 is reported.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from tests.infra.bicep_model import BicepFile, BicepValue, Expression, Resource

#: (resource type, API version) -> (models package, model of the PUT body). A `sites/config`
#: resource's model depends on its name, so those map to a name -> model table.
SCHEMAS: dict[tuple[str, str], tuple[str, str | dict[str, str]]] = {
    ("Microsoft.Web/serverfarms", "2024-04-01"): ("web_2024_04_01", "AppServicePlan"),
    ("Microsoft.Web/sites", "2024-04-01"): ("web_2024_04_01", "Site"),
    ("Microsoft.Web/sites/slots", "2024-04-01"): ("web_2024_04_01", "Site"),
    ("Microsoft.Web/sites/basicPublishingCredentialsPolicies", "2024-04-01"): (
        "web_2024_04_01",
        "CsmPublishingCredentialsPoliciesEntity",
    ),
    ("Microsoft.Web/sites/slots/basicPublishingCredentialsPolicies", "2024-04-01"): (
        "web_2024_04_01",
        "CsmPublishingCredentialsPoliciesEntity",
    ),
    ("Microsoft.Web/sites/config", "2024-04-01"): ("web_2024_04_01", "by name"),
    ("Microsoft.Web/sites/slots/config", "2024-04-01"): ("web_2024_04_01", "by name"),
    ("Microsoft.Storage/storageAccounts", "2023-05-01"): (
        "storage_2023_05_01",
        "StorageAccountCreateParameters",
    ),
    ("Microsoft.Storage/storageAccounts/blobServices", "2023-05-01"): (
        "storage_2023_05_01",
        "BlobServiceProperties",
    ),
    ("Microsoft.Storage/storageAccounts/fileServices", "2023-05-01"): (
        "storage_2023_05_01",
        "FileServiceProperties",
    ),
    ("Microsoft.Storage/storageAccounts/fileServices/shares", "2023-05-01"): (
        "storage_2023_05_01",
        "FileShare",
    ),
    ("Microsoft.Insights/actionGroups", "2023-01-01"): (
        "monitor_2023_01_01",
        "ActionGroupResource",
    ),
    ("Microsoft.Insights/scheduledQueryRules", "2022-08-01-preview"): (
        "monitor_2022_08_01_preview",
        "ScheduledQueryRuleResource",
    ),
    ("Microsoft.Insights/metricAlerts", "2018-03-01"): ("monitor_2018_03_01", "MetricAlertResource"),
    ("Microsoft.Insights/workbooks", "2023-06-01"): ("applicationinsights_2023_06_01", "Workbook"),
    ("Microsoft.KeyVault/vaults", "2023-07-01"): (
        "keyvault_2023_07_01",
        "VaultCreateOrUpdateParameters",
    ),
    ("Microsoft.KeyVault/vaults/secrets", "2023-07-01"): (
        "keyvault_2023_07_01",
        "SecretCreateOrUpdateParameters",
    ),
}

#: `Microsoft.Web/sites[/slots]/config` resource name -> model of its body.
CONFIG_MODELS = {
    "appsettings": "StringDictionary",
    "slotConfigNames": "SlotConfigNamesResource",
    "authsettingsV2": "SiteAuthSettingsV2",
}

PACKAGES = {
    "web_2024_04_01": "azure.mgmt.web.v2024_04_01.models",
    "storage_2023_05_01": "azure.mgmt.storage.v2023_05_01.models",
    "keyvault_2023_07_01": "azure.mgmt.keyvault.v2023_07_01.models",
    "monitor_2023_01_01": "azure.mgmt.monitor.v2023_01_01.models",
    "monitor_2022_08_01_preview": "azure.mgmt.monitor.v2022_08_01_preview.models",
    "monitor_2018_03_01": "azure.mgmt.monitor.v2018_03_01.models",
    "applicationinsights_2023_06_01": "azure.mgmt.applicationinsights.v2023_06_01.models",
}

#: Keys of a Bicep resource body that are Bicep syntax or the URL, not the request body.
BICEP_ONLY_KEYS = {"name", "parent", "scope", "dependsOn"}

_PRIMITIVES: dict[str, type | tuple[type, ...]] = {
    "str": str,
    "int": int,
    "long": int,
    "float": (int, float),
    "bool": bool,
    "iso-8601": str,
    "duration": str,
    "date": str,
    "object": object,
}
_IDENTIFIER = re.compile(r"(?<![.\w'])([A-Za-z_]\w*)\b(?!\s*\()")
_NUMBER = re.compile(r"(?<![\w.])(\d+)(?![\w.])")
_KEYWORDS = {"true", "false", "null", "if", "for", "in"}

#: The interval a value can take: (lowest, highest), None when not known.
Interval = tuple[int, int] | None


@cache
def models(package: str) -> ModuleType:
    return importlib.import_module(PACKAGES[package])


@dataclass(frozen=True)
class Property:
    attribute: str
    type: str
    rules: dict[str, Any]


def _segments(key: str) -> list[str]:
    return [part.replace("\\.", ".") for part in re.split(r"(?<!\\)\.", key)]


@cache
def property_tree(model: type) -> dict[str, Any]:
    """A model's wire paths as nested dicts ending in `Property` leaves."""
    tree: dict[str, Any] = {}
    validation: dict[str, Any] = getattr(model, "_validation", {})
    attribute_map: dict[str, dict[str, str]] = getattr(model, "_attribute_map", {})
    for attribute, info in attribute_map.items():
        *parents, leaf = _segments(info["key"])
        node = tree
        for segment in parents:
            node = node.setdefault(segment, {})
        node[leaf] = Property(attribute, info["type"], validation.get(attribute, {}))
    return tree


class SchemaChecker:
    """Checks the resources of one Bicep tree; `problems` collects what does not fit."""

    def __init__(self, files: tuple[BicepFile, ...]) -> None:
        self.files = files
        self.problems: list[str] = []

    # -- intervals -----------------------------------------------------------------------------

    def _callers(self, parsed: BicepFile) -> list[tuple[BicepFile, dict[str, BicepValue]]]:
        """(calling file, module arguments) for every module call that deploys `parsed`."""
        calls = []
        for caller in self.files:
            for module in caller.modules:
                if caller.module_target(module) == parsed.path:
                    body = module.body
                    assert isinstance(body, dict)
                    params = body.get("params", {})
                    assert isinstance(params, dict)
                    calls.append((caller, params))
        return calls

    def interval(
        self, value: BicepValue, parsed: BicepFile, seen: frozenset[str] = frozenset()
    ) -> Interval:
        """The values `value` can take, following variables, module parameters and decorators."""
        if isinstance(value, bool) or value is None:
            return None
        if isinstance(value, int):
            return (value, value)
        if not isinstance(value, Expression):
            return None
        bounds: list[tuple[int, int]] = [(int(n), int(n)) for n in _NUMBER.findall(value.text)]
        for name in set(_IDENTIFIER.findall(value.text)) - _KEYWORDS:
            key = f"{parsed.path}:{name}"
            if key in seen:
                return None
            found = self._name_interval(name, parsed, seen | {key})
            if isinstance(found, str):  # "ignore": a condition, not a value
                continue
            if found is None:
                return None
            bounds.append(found)
        if not bounds:
            return None
        return (min(low for low, _ in bounds), max(high for _, high in bounds))

    def _name_interval(
        self, name: str, parsed: BicepFile, seen: frozenset[str]
    ) -> tuple[int, int] | str | None:
        if name in parsed.parameters:
            parameter = parsed.parameters[name]
            if parameter.type == "bool":
                return "ignore"  # a condition: its branches carry the values
            low, high = parameter.decorators.get("minValue"), parameter.decorators.get("maxValue")
            if isinstance(low, int) and isinstance(high, int):
                return (low, high)
            callers = self._callers(parsed)
            if not callers:
                return None
            found: list[tuple[int, int]] = []
            for caller, params in callers:
                argument = self.interval(params.get(name), caller, seen)
                if argument is None:
                    return None
                found.append(argument)
            return (min(low for low, _ in found), max(high for _, high in found))
        if name in parsed.variables:
            return self.interval(parsed.variables[name], parsed, seen)
        return None

    # -- bodies --------------------------------------------------------------------------------

    def check_resource(self, parsed: BicepFile, resource: Resource) -> None:
        key = (resource.type, resource.api_version)
        package, model_name = SCHEMAS[key]
        body = parsed.resolve(resource.body)
        assert isinstance(body, dict)
        if model_name == "by name":
            name = body.get("name")
            assert isinstance(name, str), f"{resource.symbol}: config name must be a literal"
            model_name = CONFIG_MODELS[name]
        assert isinstance(model_name, str)
        model = getattr(models(package), model_name)
        where = f"{parsed.path.name}:{resource.symbol} ({resource.type}@{resource.api_version})"
        request = {k: v for k, v in body.items() if k not in BICEP_ONLY_KEYS}
        self._check_object(request, property_tree(model), package, parsed, where)

    def _check_object(
        self,
        body: dict[str, BicepValue],
        tree: dict[str, Any],
        package: str,
        parsed: BicepFile,
        where: str,
    ) -> None:
        for key, value in body.items():
            path = f"{where}.{key}"
            node = tree.get(key)
            if node is None:
                self.problems.append(f"{path}: no such property in the schema")
            elif isinstance(node, dict):
                value = parsed.resolve(value)
                if isinstance(value, dict):
                    self._check_object(value, node, package, parsed, path)
                elif not isinstance(value, Expression):
                    self.problems.append(f"{path}: expected an object, got {value!r}")
            else:
                self._check_value(parsed.resolve(value), node, package, parsed, path)

    def _check_value(
        self, value: BicepValue, prop: Property, package: str, parsed: BicepFile, path: str
    ) -> None:
        if prop.rules.get("readonly"):
            self.problems.append(f"{path}: read-only in the schema")
            return
        if "minimum" in prop.rules or "maximum" in prop.rules:
            found = self.interval(value, parsed)
            low, high = prop.rules.get("minimum"), prop.rules.get("maximum")
            if found is None:
                self.problems.append(f"{path}: cannot bound {value!r} (schema: {low}..{high})")
            elif (low is not None and found[0] < low) or (high is not None and found[1] > high):
                self.problems.append(
                    f"{path}: takes {found[0]}..{found[1]}, schema allows {low}..{high}"
                )
        self._check_type(value, prop.type, package, parsed, path)

    def _check_type(
        self, value: BicepValue, type_name: str, package: str, parsed: BicepFile, path: str
    ) -> None:
        if isinstance(value, Expression) or value is None:
            return
        if type_name.startswith("[") and type_name.endswith("]"):
            if not isinstance(value, list):
                self.problems.append(f"{path}: expected an array, got {value!r}")
                return
            for index, item in enumerate(value):
                self._check_type(
                    parsed.resolve(item), type_name[1:-1], package, parsed, f"{path}[{index}]"
                )
        elif type_name.startswith("{") and type_name.endswith("}"):
            if not isinstance(value, dict):
                self.problems.append(f"{path}: expected an object, got {value!r}")
                return
            for key, item in value.items():
                self._check_type(
                    parsed.resolve(item), type_name[1:-1], package, parsed, f"{path}.{key}"
                )
        elif type_name in _PRIMITIVES:
            expected = _PRIMITIVES[type_name]
            wrong_bool = isinstance(value, bool) and type_name in ("int", "long", "float")
            if wrong_bool or not isinstance(value, expected):
                self.problems.append(f"{path}: expected {type_name}, got {value!r}")
        else:
            model = getattr(models(package), type_name, None)
            if model is None:
                return  # an enum: the SDK keeps the allowed strings in a separate type
            if not isinstance(value, dict):
                self.problems.append(f"{path}: expected {type_name}, got {value!r}")
                return
            model = _subtype(model, value, package)
            self._check_object(value, property_tree(model), package, parsed, path)


def _subtype(model: type, value: dict[str, BicepValue], package: str) -> type:
    """The derived model a polymorphic body names with its discriminator (`odata.type`...)."""
    for key, subtypes in getattr(model, "_subtype_map", {}).items():
        wire = model._attribute_map[key]["key"].replace("\\.", ".")  # type: ignore[attr-defined]
        name = subtypes.get(value.get(wire))
        found = getattr(models(package), name, None) if isinstance(name, str) else None
        if isinstance(found, type):
            return found
    return model


def covered(resource_type: str, api_version: str) -> bool:
    return (resource_type, api_version) in SCHEMAS


def relative(path: Path, root: Path) -> str:
    return str(path.relative_to(root))
