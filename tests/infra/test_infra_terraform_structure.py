"""The Terraform tree declares what the checklist asks for.

`terraform validate` needs the provider binaries (no network here), so these tests read the
configuration with python-hcl2 and assert the settings that matter: plan SKU, Python version,
identity-based storage, role assignments and Entra-authenticated telemetry.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.infra.paths import ENVIRONMENTS, TERRAFORM, TERRAFORM_ENVIRONMENTS
from tests.infra.terraform_model import TerraformTree, block, dynamic_block, expression, load_hcl

pytestmark = pytest.mark.infra

ROLE_IDS = {
    "Storage Blob Data Owner": "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
    "Storage Queue Data Contributor": "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
    "Storage Table Data Contributor": "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
    "Monitoring Metrics Publisher": "3913510d-42f4-4e42-8a64-420c390055eb",
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
}

SITES = (("azurerm_linux_function_app", "this"), ("azurerm_linux_function_app_slot", "staging"))
IDENTITY_CLIENT_ID = "${azurerm_user_assigned_identity.app.client_id}"


def _site(terraform: TerraformTree, resource: tuple[str, str]) -> dict[str, Any]:
    return terraform.resource(*resource)


def _app_settings(terraform: TerraformTree, instance: str) -> dict[str, Any]:
    return {
        **terraform.locals["app_settings_shared"],
        **terraform.locals["app_settings_by_instance"][instance],
    }


def test_every_terraform_file_parses() -> None:
    paths = sorted(TERRAFORM.glob("*.tf")) + sorted(TERRAFORM_ENVIRONMENTS.glob("*.tfvars"))
    assert len(paths) >= 10
    for path in paths:
        load_hcl(path)


def test_expected_files_exist() -> None:
    for name in ("versions.tf", "variables.tf", "outputs.tf", "locals.tf", "function_app.tf"):
        assert (TERRAFORM / name).is_file(), name


def test_providers_are_pinned(terraform: TerraformTree) -> None:
    (settings,) = terraform.terraform_blocks
    assert settings["required_version"].startswith(">= 1.")
    providers = settings["required_providers"][0]
    assert providers["azurerm"] == {"source": "hashicorp/azurerm", "version": "~> 4.78"}
    assert providers["azapi"]["source"] == "Azure/azapi"
    assert re.fullmatch(r"~> \d+\.\d+", providers["azapi"]["version"])


def test_provider_uses_entra_id_for_storage(terraform: TerraformTree) -> None:
    azurerm = terraform.providers["azurerm"]
    assert azurerm["storage_use_azuread"] is True
    assert "subscription_id" not in azurerm, "the subscription comes from the environment"


def test_plan_is_linux_elastic_premium_ep1_by_default(terraform: TerraformTree) -> None:
    plan = terraform.resource("azurerm_service_plan", "this")
    assert plan["os_type"] == "Linux"
    assert expression(plan["sku_name"]) == "var.plan_sku"
    assert terraform.variables["plan_sku"]["default"] == "EP1"
    assert expression(plan["maximum_elastic_worker_count"]) == "var.maximum_elastic_worker_count"
    assert expression(plan["zone_balancing_enabled"]) == "var.zone_redundant"
    assert expression(plan["worker_count"]) == "local.effective_always_ready_instance_count"


@pytest.mark.parametrize("resource", SITES, ids=lambda resource: resource[0])
def test_site_runs_python_3_11_on_functions_v4(
    terraform: TerraformTree, resource: tuple[str, str]
) -> None:
    site = _site(terraform, resource)
    stack = block(block(site, "site_config"), "application_stack")
    assert expression(stack["python_version"]) == "local.python_version"
    assert terraform.locals["python_version"] == "3.11"
    assert site["functions_extension_version"] == "~4"


@pytest.mark.parametrize("resource", SITES, ids=lambda resource: resource[0])
def test_site_is_locked_down(terraform: TerraformTree, resource: tuple[str, str]) -> None:
    site = _site(terraform, resource)
    config = block(site, "site_config")
    assert site["https_only"] is True
    assert site["ftp_publish_basic_authentication_enabled"] is False
    assert site["webdeploy_publish_basic_authentication_enabled"] is False
    assert site["builtin_logging_enabled"] is False
    assert config["minimum_tls_version"] == "1.2"
    assert config["scm_minimum_tls_version"] == "1.2"
    assert config["ftps_state"] == "Disabled"
    assert config["remote_debugging_enabled"] is False
    assert expression(config["health_check_path"]) == "local.health_check_path"
    assert terraform.locals["health_check_path"] == "/api/health"
    assert expression(block(config, "cors")["allowed_origins"]) == "var.cors_allowed_origins"
    identity = block(site, "identity")
    assert identity["type"] == "UserAssigned"
    assert identity["identity_ids"] == ["${azurerm_user_assigned_identity.app.id}"]
    assert expression(site["key_vault_reference_identity_id"]) == (
        "azurerm_user_assigned_identity.app.id"
    )


@pytest.mark.parametrize("resource", SITES, ids=lambda resource: resource[0])
def test_host_storage_is_identity_based(
    terraform: TerraformTree, resource: tuple[str, str]
) -> None:
    site = _site(terraform, resource)
    assert expression(site["storage_account_name"]) == "azurerm_storage_account.task_hub.name"
    assert site["storage_uses_managed_identity"] is True
    assert "storage_account_access_key" not in site
    assert "storage_key_vault_secret_id" not in site
    settings = terraform.locals["app_settings_shared"]
    assert "AzureWebJobsStorage" not in settings
    assert settings["AzureWebJobsStorage__credential"] == "managedidentity"
    assert settings["AzureWebJobsStorage__clientId"] == IDENTITY_CLIENT_ID


def test_app_tables_use_the_same_identity(terraform: TerraformTree) -> None:
    settings = terraform.locals["app_settings_shared"]
    assert "AppStorage" not in settings
    assert expression(settings["AppStorage__tableServiceUri"]) == (
        'trimsuffix(azurerm_storage_account.task_hub.primary_table_endpoint, "/")'
    )
    assert settings["AppStorage__credential"] == "managedidentity"
    assert settings["AppStorage__clientId"] == IDENTITY_CLIENT_ID


def test_task_hub_account_accepts_no_keys(terraform: TerraformTree) -> None:
    account = terraform.resource("azurerm_storage_account", "task_hub")
    assert account["shared_access_key_enabled"] is False
    assert account["allow_nested_items_to_be_public"] is False
    assert account["min_tls_version"] == "TLS1_2"
    assert account["https_traffic_only_enabled"] is True


def test_content_share_connection_string_is_a_key_vault_reference(
    terraform: TerraformTree,
) -> None:
    settings = terraform.locals["app_settings_shared"]
    assert settings["WEBSITE_CONTENTAZUREFILECONNECTIONSTRING"] == (
        "@Microsoft.KeyVault(VaultName=${azurerm_key_vault.this.name};"
        "SecretName=${local.content_share_secret_name})"
    )
    assert settings["WEBSITE_SKIP_CONTENTSHARE_VALIDATION"] == "1"
    secret = terraform.resource("azapi_resource", "content_share_secret")
    assert secret["type"].startswith("Microsoft.KeyVault/vaults/secrets@")
    assert expression(secret["name"]) == "local.content_share_secret_name"
    vault = terraform.resource("azurerm_key_vault", "this")
    assert vault["rbac_authorization_enabled"] is True
    assert vault["purge_protection_enabled"] is True


def test_role_assignments_give_the_identity_exactly_the_five_roles(
    terraform: TerraformTree,
) -> None:
    by_scope = terraform.locals["role_definition_ids_by_scope"]
    assert by_scope == {
        "task_hub_storage": [
            ROLE_IDS["Storage Blob Data Owner"],
            ROLE_IDS["Storage Queue Data Contributor"],
            ROLE_IDS["Storage Table Data Contributor"],
        ],
        "application_insights": [ROLE_IDS["Monitoring Metrics Publisher"]],
        "key_vault": [ROLE_IDS["Key Vault Secrets User"]],
    }
    assert terraform.locals["role_scope_ids"] == {
        "task_hub_storage": "${azurerm_storage_account.task_hub.id}",
        "application_insights": "${azurerm_application_insights.this.id}",
        "key_vault": "${azurerm_key_vault.this.id}",
    }
    assignment = terraform.resource("azurerm_role_assignment", "app")
    assert expression(assignment["for_each"]) == "local.role_assignments"
    assert "local.role_definition_ids_by_scope" in expression(terraform.locals["role_assignments"])
    assert expression(assignment["principal_id"]) == (
        "azurerm_user_assigned_identity.app.principal_id"
    )
    assert assignment["principal_type"] == "ServicePrincipal"
    assert expression(assignment["scope"]) == "local.role_scope_ids[each.value.scope]"


def test_app_insights_takes_only_entra_authenticated_telemetry(terraform: TerraformTree) -> None:
    insights = terraform.resource("azurerm_application_insights", "this")
    assert insights["local_authentication_enabled"] is False
    assert expression(insights["workspace_id"]) == "azurerm_log_analytics_workspace.this.id"
    workspace = terraform.resource("azurerm_log_analytics_workspace", "this")
    assert workspace["local_authentication_enabled"] is False
    settings = terraform.locals["app_settings_shared"]
    assert settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] == (
        f"ClientId={IDENTITY_CLIENT_ID};Authorization=AAD"
    )
    for resource in SITES:
        config = block(_site(terraform, resource), "site_config")
        assert expression(config["application_insights_connection_string"]) == (
            "azurerm_application_insights.this.connection_string"
        )


def test_slot_has_its_own_task_hub_and_host_id(terraform: TerraformTree) -> None:
    instances = terraform.locals["app_settings_by_instance"]
    assert instances["production"].keys() == instances["staging"].keys()
    for setting in ("TASKHUB_NAME", "AzureFunctionsWebHost__hostid", "WEBSITE_CONTENTSHARE"):
        assert instances["production"][setting] != instances["staging"][setting]
    site = terraform.resource("azurerm_linux_function_app", "this")
    assert "sticky_settings" not in site, "slot settings only when the slot exists"
    sticky = dynamic_block(site, "sticky_settings")
    assert expression(sticky["for_each"]) == (
        "var.enable_staging_slot ? [local.sticky_app_setting_names] : []"
    )
    assert expression(block(sticky, "content")["app_setting_names"]) == "sticky_settings.value"
    assert {"TASKHUB_NAME", "AzureFunctionsWebHost__hostid"} <= set(
        terraform.locals["sticky_app_setting_names"]
    )


#: Site arguments the slot sets to its own values (always-ready and pre-warmed are per site).
SLOT_OWN_SCALE = {
    "elastic_instance_minimum": (
        "local.effective_always_ready_instance_count",
        "var.staging_always_ready_instance_count",
    ),
    "pre_warmed_instance_count": (
        "var.pre_warmed_instance_count",
        "var.staging_pre_warmed_instance_count",
    ),
}


def _comparable(site: dict[str, Any]) -> dict[str, Any]:
    own = {"name", "resource_group_name", "location", "service_plan_id", "tags"}
    own |= {"count", "function_app_id", "app_settings"}
    result = {key: value for key, value in site.items() if key not in own}
    result["site_config"] = [
        {
            key: value
            for key, value in block(site, "site_config").items()
            if key not in SLOT_OWN_SCALE
        }
    ]
    result["dynamic"] = [entry for entry in site["dynamic"] if "sticky_settings" not in entry]
    return result


def test_slot_mirrors_the_production_site(terraform: TerraformTree) -> None:
    """The slot is a copy of the site's arguments (ordering, lifecycle and authentication
    included); only placement, sticky settings and the per-site scale counts differ."""
    site = _site(terraform, SITES[0])
    slot = _site(terraform, SITES[1])
    assert _comparable(site) == _comparable(slot)
    for argument, expected in SLOT_OWN_SCALE.items():
        found = tuple(expression(block(body, "site_config")[argument]) for body in (site, slot))
        assert found == expected


def test_network_isolation_turns_on_runtime_scale_monitoring(terraform: TerraformTree) -> None:
    for resource in SITES:
        config = block(_site(terraform, resource), "site_config")
        assert expression(config["vnet_route_all_enabled"]) == "var.enable_network_isolation"
        assert expression(config["runtime_scale_monitoring_enabled"]) == (
            "local.runtime_scale_monitoring"
        )
    assert expression(terraform.locals["runtime_scale_monitoring"]) == (
        "var.enable_network_isolation || local.use_scheduler"
    )
    settings = terraform.locals["app_settings_shared"]
    assert expression(settings["WEBSITE_CONTENTOVERVNET"]) == (
        'var.enable_network_isolation ? "1" : "0"'
    )


def test_task_hub_names_are_unique_per_environment(terraform: TerraformTree) -> None:
    production = expression(terraform.locals["production_task_hub_name"])
    assert "var.environment_name" in production


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_tfvars_set_only_declared_variables(terraform: TerraformTree, environment: str) -> None:
    values = load_hcl(TERRAFORM_ENVIRONMENTS / f"{environment}.tfvars")
    values.pop("__comments__", None)
    assert sorted(set(values) - set(terraform.variables)) == []
    required = {name for name, variable in terraform.variables.items() if "default" not in variable}
    assert required <= set(values)
