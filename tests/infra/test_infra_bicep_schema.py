"""Every Bicep resource matches the Azure resource type schema of its API version.

Property paths, value types, read-only properties and value ranges are read from the schema
data in tests/infra/arm_schema.py; a parameter whose bounds let a value outside the schema's
range through (pre-warmed instances up to 20 where the Web API allows 10) fails here, before a
deployment does.
"""

from __future__ import annotations

import pytest

from tests.infra.arm_schema import SchemaChecker, covered
from tests.infra.bicep_model import BicepFile, Expression
from tests.infra.paths import BICEP

pytestmark = pytest.mark.infra

#: Resource types whose schema is not available as data here, and why. Their properties are
#: covered by checkov and by the parity test instead.
NO_SCHEMA_DATA = {
    "Microsoft.ManagedIdentity/userAssignedIdentities": "no properties set beyond name/location",
    "Microsoft.OperationalInsights/workspaces": "azure-mgmt-loganalytics not pinned",
    "Microsoft.Insights/components": "azure-mgmt-applicationinsights not pinned",
    "Microsoft.Insights/diagnosticSettings": "azure-mgmt-monitor not pinned",
    "Microsoft.Authorization/roleAssignments": "azure-mgmt-authorization not pinned",
    "Microsoft.Network/networkSecurityGroups": "azure-mgmt-network (hundreds of MB) not pinned",
    "Microsoft.Network/virtualNetworks": "azure-mgmt-network not pinned",
    "Microsoft.Network/privateEndpoints": "azure-mgmt-network not pinned",
    "Microsoft.Network/privateEndpoints/privateDnsZoneGroups": "azure-mgmt-network not pinned",
    "Microsoft.Network/privateDnsZones": "azure-mgmt-privatedns not pinned",
    "Microsoft.Network/privateDnsZones/virtualNetworkLinks": "azure-mgmt-privatedns not pinned",
    "Microsoft.Resources/resourceGroups": "azd entry point only; name and location",
    "Microsoft.DurableTask/schedulers": "azure-mgmt-durabletask models are TypeSpec-generated, "
    "without the attribute maps the checker reads",
    "Microsoft.DurableTask/schedulers/taskHubs": "same as the scheduler",
}


def _deployed(files: tuple[BicepFile, ...]) -> list[tuple[BicepFile, str]]:
    return [
        (parsed, resource.symbol)
        for parsed in files
        for resource in parsed.resources
        if not resource.existing
    ]


def test_every_resource_type_has_schema_data_or_a_reason(
    bicep_files: tuple[BicepFile, ...],
) -> None:
    missing = sorted(
        {
            f"{resource.type}@{resource.api_version}"
            for parsed, symbol in _deployed(bicep_files)
            for resource in [parsed.resource(symbol)]
            if not covered(resource.type, resource.api_version)
            and resource.type not in NO_SCHEMA_DATA
        }
    )
    assert missing == []


def test_every_resource_body_fits_its_schema(bicep_files: tuple[BicepFile, ...]) -> None:
    checker = SchemaChecker(bicep_files)
    checked = 0
    for parsed, symbol in _deployed(bicep_files):
        resource = parsed.resource(symbol)
        if covered(resource.type, resource.api_version):
            checker.check_resource(parsed, resource)
            checked += 1
    assert checker.problems == []
    assert checked >= 15


def test_the_bounds_that_matter_are_followed_to_the_parameters(
    bicep_files: tuple[BicepFile, ...],
) -> None:
    """Pre-warmed and always-ready counts reach the site through module parameters; the checker
    must trace them to main.bicep's decorators rather than give up."""
    checker = SchemaChecker(bicep_files)
    site_module = next(f for f in bicep_files if f.path == BICEP / "modules/function-app.bicep")
    slot_module = next(
        f for f in bicep_files if f.path == BICEP / "modules/function-app-slot.bicep"
    )
    for module in (site_module, slot_module):
        assert checker.interval(Expression("preWarmedInstanceCount"), module) == (1, 10)
        assert checker.interval(Expression("alwaysReadyInstanceCount"), module) == (1, 20)
