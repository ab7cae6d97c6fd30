"""Bicep and Terraform say the same thing.

Both trees are read as data and compared: resource kinds, parameters/variables (type, default,
bounds), app setting names, role assignments, private endpoints, outputs, the per-environment
parameter files and the constants that size the workers. A change to one tree without the
other fails here. Differences that are inherent to the two tools are listed below, each with
its reason, and nowhere else.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.infra.bicep_model import (
    REQUIRED,
    BicepFile,
    BicepValue,
    Expression,
    as_dict,
    as_list,
    bicep_file,
    camel_to_snake,
    read_bicepparam,
)
from tests.infra.paths import BICEP, BICEP_ENVIRONMENTS, ENVIRONMENTS, TERRAFORM_ENVIRONMENTS
from tests.infra.terraform_model import TerraformTree, block, expression, load_hcl

pytestmark = pytest.mark.infra

# ---------------------------------------------------------------------------------------------
# The vocabulary shared by both trees.
# ---------------------------------------------------------------------------------------------

#: Bicep resource type -> kind. Child resources that Terraform expresses as arguments or
#: nested blocks of their parent map to the parent's kind.
BICEP_KINDS = {
    "Microsoft.ManagedIdentity/userAssignedIdentities": "managed identity",
    "Microsoft.OperationalInsights/workspaces": "log analytics workspace",
    "Microsoft.Insights/components": "application insights",
    "Microsoft.Storage/storageAccounts": "storage account",
    "Microsoft.Storage/storageAccounts/blobServices": "storage account",
    "Microsoft.Storage/storageAccounts/fileServices": "storage account",
    "Microsoft.Storage/storageAccounts/fileServices/shares": "file share",
    "Microsoft.KeyVault/vaults": "key vault",
    "Microsoft.KeyVault/vaults/secrets": "key vault secret",
    "Microsoft.Authorization/roleAssignments": "role assignment",
    "Microsoft.Web/serverfarms": "elastic premium plan",
    "Microsoft.Web/sites": "function app",
    "Microsoft.Web/sites/basicPublishingCredentialsPolicies": "function app",
    "Microsoft.Web/sites/config": "function app",
    "Microsoft.Web/sites/slots": "function app slot",
    "Microsoft.Web/sites/slots/basicPublishingCredentialsPolicies": "function app slot",
    "Microsoft.Web/sites/slots/config": "function app slot",
    "Microsoft.Insights/diagnosticSettings": "diagnostic setting",
    "Microsoft.Network/virtualNetworks": "virtual network",
    "Microsoft.Network/networkSecurityGroups": "network security group",
    "Microsoft.Network/privateDnsZones": "private dns zone",
    "Microsoft.Network/privateDnsZones/virtualNetworkLinks": "private dns zone link",
    "Microsoft.Network/privateEndpoints": "private endpoint",
    "Microsoft.Network/privateEndpoints/privateDnsZoneGroups": "private endpoint",
    "Microsoft.Insights/actionGroups": "action group",
    "Microsoft.Insights/scheduledQueryRules": "scheduled query alert",
    "Microsoft.Insights/metricAlerts": "metric alert",
    "Microsoft.Insights/workbooks": "workbook",
    "Microsoft.DurableTask/schedulers": "durable task scheduler",
    "Microsoft.DurableTask/schedulers/taskHubs": "durable task hub",
}

#: Bicep resources with no Terraform counterpart, by (file, type), and why. Only these files
#: may declare them: the same type anywhere else is a new kind and fails the comparison.
BICEP_ONLY_RESOURCES = {
    ("azd/main.bicep", "Microsoft.Resources/resourceGroups"): "azd's subscription-scope entry "
    "point creates the environment's resource group so `azd up` needs no existing group; "
    "main.bicep and Terraform (`resource_group_name`) both deploy into a group that exists",
}

#: Terraform resource type -> kind. `azapi_resource` is classified by its ARM `type`.
TERRAFORM_KINDS = {
    "azurerm_user_assigned_identity": "managed identity",
    "azurerm_log_analytics_workspace": "log analytics workspace",
    "azurerm_application_insights": "application insights",
    "azurerm_storage_account": "storage account",
    "azurerm_storage_share": "file share",
    "azurerm_key_vault": "key vault",
    "azurerm_role_assignment": "role assignment",
    "azurerm_service_plan": "elastic premium plan",
    "azurerm_linux_function_app": "function app",
    "azurerm_linux_function_app_slot": "function app slot",
    "azurerm_virtual_network": "virtual network",
    "azurerm_subnet": "virtual network",
    "azurerm_subnet_network_security_group_association": "virtual network",
    "azurerm_network_security_group": "network security group",
    "azurerm_private_dns_zone": "private dns zone",
    "azurerm_private_dns_zone_virtual_network_link": "private dns zone link",
    "azurerm_private_endpoint": "private endpoint",
    "azurerm_monitor_diagnostic_setting": "diagnostic setting",
    "azurerm_monitor_action_group": "action group",
    "azurerm_monitor_scheduled_query_rules_alert_v2": "scheduled query alert",
    "azurerm_monitor_metric_alert": "metric alert",
    "azurerm_application_insights_workbook": "workbook",
}

#: Terraform variables without a Bicep parameter, and why.
TERRAFORM_ONLY_VARIABLES = {
    "resource_group_name": "main.bicep deploys into the group named by `az deployment group "
    "create -g` (or the one azd/main.bicep creates, whose optional `resourceGroupName` is an "
    "azd-only parameter, not one of main.bicep's)",
}

#: Defaults that are written differently but mean the same, and why.
EQUIVALENT_DEFAULTS: dict[str, tuple[BicepValue, Any]] = {
    # Bicep can read the resource group's region in a default; Terraform reads it through a
    # data source, so its variable defaults to null and locals.tf falls back to that region.
    "location": (Expression("resourceGroup().location"), None),
}

BICEP_TO_TERRAFORM_TYPE = {
    "string": "string",
    "int": "number",
    "bool": "bool",
    "object": "map(string)",
    "array": "list(string)",
}

#: Terraform validation rules Bicep has no decorator for, and where Bicep enforces each one
#: instead (a `fail()` in main.bicep that stops the deployment at validation). The name rules
#: are fed the same good and bad names in both trees by test_infra_names.py.
TERRAFORM_ONLY_RULES = {
    "cors_allowed_origins": "main.bicep's checkedCorsAllowedOrigins fails on a wildcard "
    "(test_infra_bicep_structure.py; CKV_DSHOP_9 checks both trees)",
    "environment_name": "main.bicep's nameStem/baseName fail on any character outside "
    "nameCharacters (test_infra_names.py)",
    "name_prefix": "main.bicep's nameStem/baseName fail on any character outside "
    "nameCharacters (test_infra_names.py)",
    "auth_client_id": "main.bicep's appAuthentication fails when authentication is on "
    "without a client id (test_infra_auth.py)",
}

#: Environment values that come from the deployer's environment rather than the files, and
#: where each tree reads them.
VALUES_FROM_THE_ENVIRONMENT = {
    "auth_client_id": (
        Expression("readEnvironmentVariable('SHOP_AUTH_CLIENT_ID')"),
        "TF_VAR_auth_client_id",
    ),
}

#: App settings azurerm writes from resource arguments instead of `app_settings`, with the
#: argument path (in the site or slot) that must be set for it.
TERRAFORM_PROVIDER_MANAGED_SETTINGS = {
    "AzureWebJobsStorage__accountName": ("storage_account_name",),
    "FUNCTIONS_EXTENSION_VERSION": ("functions_extension_version",),
    "FUNCTIONS_WORKER_RUNTIME": ("site_config", "application_stack", "python_version"),
    "APPLICATIONINSIGHTS_CONNECTION_STRING": (
        "site_config",
        "application_insights_connection_string",
    ),
    "WEBSITE_HEALTHCHECK_MAXPINGFAILURES": ("site_config", "health_check_eviction_time_in_min"),
}

#: Where Bicep's private endpoints point (network.bicep parameters) and Terraform's.
BICEP_PRIVATE_LINK_RESOURCES = {
    "taskHubStorageAccountId": "task hub storage",
    "contentStorageAccountId": "content storage",
    "keyVaultId": "key vault",
}
TERRAFORM_PRIVATE_LINK_RESOURCES = {
    "azurerm_storage_account.task_hub.id": "task hub storage",
    "azurerm_storage_account.content.id": "content storage",
    "azurerm_key_vault.this.id": "key vault",
}


# ---------------------------------------------------------------------------------------------
# Readers
# ---------------------------------------------------------------------------------------------


def _main() -> BicepFile:
    return bicep_file(BICEP, "main.bicep")


def _bicep_kinds(files: tuple[BicepFile, ...]) -> set[str]:
    types = {
        resource.type
        for parsed in files
        for resource in parsed.resources
        if not resource.existing
        and (str(parsed.path.relative_to(BICEP)), resource.type) not in BICEP_ONLY_RESOURCES
    }
    unknown = sorted(types - set(BICEP_KINDS))
    assert unknown == [], f"new Bicep resource types {unknown}: add them to BICEP_KINDS"
    return {BICEP_KINDS[resource_type] for resource_type in types}


def _terraform_kinds(terraform: TerraformTree) -> set[str]:
    kinds = set()
    for (resource_type, name), body in terraform.resources.items():
        if resource_type == "azapi_resource":
            arm_type = str(body["type"]).partition("@")[0]
            assert arm_type in BICEP_KINDS, f"azapi_resource.{name}: unknown type {arm_type}"
            kinds.add(BICEP_KINDS[arm_type])
        else:
            assert resource_type in TERRAFORM_KINDS, (
                f"new Terraform resource type {resource_type}: add it to TERRAFORM_KINDS"
            )
            kinds.add(TERRAFORM_KINDS[resource_type])
    return kinds


def _terraform_type(variable: dict[str, Any]) -> str:
    declared = str(variable["type"])
    return declared[2:-1] if declared.startswith("${") else declared


def _terraform_rules(name: str, variable: dict[str, Any]) -> dict[str, Any]:
    """Bounds from a variable's validation blocks, in Bicep decorator terms."""
    rules: dict[str, Any] = {}
    for validation in variable.get("validation", []):
        condition = expression(validation["condition"])
        ref = re.escape(f"var.{name}")
        if match := re.fullmatch(rf"contains\((\[.*\]), {ref}\)", condition):
            rules["allowed"] = json.loads(match[1])
        elif match := re.fullmatch(rf"{ref} >= (\d+) && {ref} <= (\d+)", condition):
            rules["minValue"], rules["maxValue"] = int(match[1]), int(match[2])
        elif match := re.fullmatch(
            rf"length\({ref}\) >= (\d+) && length\({ref}\) <= (\d+)", condition
        ):
            rules["minLength"], rules["maxLength"] = int(match[1]), int(match[2])
        else:
            rules.setdefault("other", []).append(condition)
    return rules


def _bicep_app_settings(relative: str, variable: str) -> dict[str, BicepValue]:
    return as_dict(bicep_file(BICEP, relative).variables[variable])


def _terraform_app_settings(terraform: TerraformTree, resource: tuple[str, str]) -> set[str]:
    """Names a Terraform site or slot ends up with: its `app_settings` merge plus the settings
    azurerm derives from arguments (each argument must be set)."""
    body = terraform.resource(*resource)
    merged = re.fullmatch(r"merge\((.*)\)", expression(body["app_settings"]))
    assert merged, "app_settings must be a merge() of locals"
    names: set[str] = set()
    for part in merged[1].split(","):
        path = part.strip().removeprefix("local.").split(".")
        value: Any = terraform.locals
        for key in path:
            value = value[key]
        assert isinstance(value, dict), f"{part} is not a literal map"
        names.update(value)
    for setting, argument in TERRAFORM_PROVIDER_MANAGED_SETTINGS.items():
        value = body
        for key in argument:
            value = block(value, key) if isinstance(value.get(key), list) else value.get(key)
            assert value is not None, f"{resource}: {'.'.join(argument)} unset ({setting})"
        names.add(setting)
    assert body.get("storage_uses_managed_identity") is True
    return names


def _environment_values(environment: str) -> tuple[dict[str, Any], dict[str, Any]]:
    bicep = read_bicepparam(BICEP_ENVIRONMENTS / f"{environment}.bicepparam").values
    terraform = load_hcl(TERRAFORM_ENVIRONMENTS / f"{environment}.tfvars")
    terraform.pop("__comments__", None)
    return {camel_to_snake(name): value for name, value in bicep.items()}, terraform


# ---------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------


def test_same_resource_kinds(bicep_files: tuple[BicepFile, ...], terraform: TerraformTree) -> None:
    assert _bicep_kinds(bicep_files) == _terraform_kinds(terraform)


def test_bicep_only_resources_still_exist(bicep_files: tuple[BicepFile, ...]) -> None:
    """Each exception above names a resource that is still there (no stale exceptions)."""
    declared = {
        (str(parsed.path.relative_to(BICEP)), resource.type)
        for parsed in bicep_files
        for resource in parsed.resources
        if not resource.existing
    }
    assert sorted(set(BICEP_ONLY_RESOURCES) - declared) == []


def test_same_parameters(terraform: TerraformTree) -> None:
    bicep = {camel_to_snake(name) for name in _main().parameters}
    terraform_names = set(terraform.variables) - set(TERRAFORM_ONLY_VARIABLES)
    assert sorted(bicep ^ terraform_names) == []


def test_same_types(terraform: TerraformTree) -> None:
    mismatched = {
        name: (param.type, _terraform_type(terraform.variables[camel_to_snake(name)]))
        for name, param in _main().parameters.items()
        if BICEP_TO_TERRAFORM_TYPE[param.type]
        != _terraform_type(terraform.variables[camel_to_snake(name)])
    }
    assert mismatched == {}


def test_same_defaults(terraform: TerraformTree) -> None:
    mismatched = {}
    for name, param in _main().parameters.items():
        variable = terraform.variables[camel_to_snake(name)]
        terraform_default = variable.get("default", REQUIRED)
        if camel_to_snake(name) in EQUIVALENT_DEFAULTS:
            expected = EQUIVALENT_DEFAULTS[camel_to_snake(name)]
            if (param.default, terraform_default) != expected:
                mismatched[name] = (param.default, terraform_default)
        elif param.default != terraform_default:
            mismatched[name] = (param.default, terraform_default)
    assert mismatched == {}


def test_same_bounds_and_allowed_values(terraform: TerraformTree) -> None:
    mismatched = {}
    for name, param in _main().parameters.items():
        snake = camel_to_snake(name)
        bicep_rules = {
            key: value for key, value in param.decorators.items() if key != "description"
        }
        terraform_rules = _terraform_rules(snake, terraform.variables[snake])
        if "other" in terraform_rules and snake in TERRAFORM_ONLY_RULES:
            del terraform_rules["other"]
        if bicep_rules != terraform_rules:
            mismatched[name] = (bicep_rules, terraform_rules)
    assert mismatched == {}


def test_every_parameter_is_described(terraform: TerraformTree) -> None:
    undescribed = [
        name for name, param in _main().parameters.items() if "description" not in param.decorators
    ]
    undescribed += [
        name for name, variable in terraform.variables.items() if not variable.get("description")
    ]
    assert undescribed == []


def test_same_app_setting_names_on_the_production_site(terraform: TerraformTree) -> None:
    bicep = _bicep_app_settings("modules/function-app-settings.bicep", "siteAppSettings")
    terraform_names = _terraform_app_settings(terraform, ("azurerm_linux_function_app", "this"))
    assert sorted(set(bicep) ^ terraform_names) == []


def test_same_app_setting_names_on_the_staging_slot(terraform: TerraformTree) -> None:
    bicep = _bicep_app_settings("modules/function-app-slot-settings.bicep", "slotAppSettings")
    terraform_names = _terraform_app_settings(
        terraform, ("azurerm_linux_function_app_slot", "staging")
    )
    assert sorted(set(bicep) ^ terraform_names) == []


def test_same_sticky_settings(terraform: TerraformTree) -> None:
    bicep = bicep_file(BICEP, "modules/function-app-slot.bicep").variables["stickyAppSettingNames"]
    assert bicep == terraform.locals["sticky_app_setting_names"]


def test_same_role_definitions_on_the_same_scopes(terraform: TerraformTree) -> None:
    roles = bicep_file(BICEP, "modules/role-assignments.bicep").variables
    bicep = {
        camel_to_snake(name.removeprefix("rolesOn")): sorted(map(str, value))
        for name, value in roles.items()
        if name.startswith("rolesOn") and isinstance(value, list)
    }
    by_scope = terraform.locals["role_definition_ids_by_scope"]
    terraform_roles = {scope: sorted(ids) for scope, ids in by_scope.items()}
    assert bicep == terraform_roles
    assert sum(len(ids) for ids in bicep.values()) == 5


def test_same_private_endpoints(terraform: TerraformTree) -> None:
    targets = as_list(bicep_file(BICEP, "modules/network.bicep").variables["privateLinkTargets"])
    bicep = {}
    for entry in targets:
        target = as_dict(entry)
        resource_id = target["resourceId"]
        assert isinstance(resource_id, Expression)
        bicep[str(target["name"])] = (
            target["groupId"],
            target["zone"],
            BICEP_PRIVATE_LINK_RESOURCES[resource_id.text],
        )
    terraform_targets = {
        name: (
            target["group_id"],
            target["zone"],
            TERRAFORM_PRIVATE_LINK_RESOURCES[expression(target["resource_id"])],
        )
        for name, target in terraform.locals["private_link_targets"].items()
    }
    assert bicep == terraform_targets


def test_same_outputs(terraform: TerraformTree) -> None:
    bicep = {camel_to_snake(name) for name in _main().outputs}
    assert sorted(bicep ^ set(terraform.outputs)) == []


def test_same_worker_sizing(terraform: TerraformTree) -> None:
    sizes = terraform.locals["worker_process_count_by_sku"]
    assert _main().variables["workerProcessCountBySku"] == sizes
    bicep_threads = {
        _bicep_app_settings(relative, variable)["PYTHON_THREADPOOL_THREAD_COUNT"]
        for relative, variable in (
            ("modules/function-app-settings.bicep", "siteAppSettings"),
            ("modules/function-app-slot-settings.bicep", "slotAppSettings"),
        )
    }
    assert bicep_threads == {str(terraform.locals["python_threadpool_size"])}


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_same_environment_values(environment: str) -> None:
    bicep, terraform_values = _environment_values(environment)
    for name in TERRAFORM_ONLY_VARIABLES:
        terraform_values.pop(name, None)
    for name, (bicep_source, terraform_source) in VALUES_FROM_THE_ENVIRONMENT.items():
        if name in bicep:
            assert bicep.pop(name) == bicep_source
            assert name not in terraform_values, f"{name} comes from {terraform_source}"
            assert terraform_source in (TERRAFORM_ENVIRONMENTS / f"{environment}.tfvars").read_text(
                encoding="utf-8"
            )
    assert bicep == terraform_values
