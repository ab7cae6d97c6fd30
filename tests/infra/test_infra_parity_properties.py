"""Bicep and Terraform deploy resources with the same effective properties.

test_infra_parity.py compares names and defaults; this compares what each resource pair that
both trees deploy is configured with: encryption, network rules, TLS, identity, scale, subnet
rules, audit logs, authentication and the app settings after merging. Each row reads one
property from both trees (with the value the platform or the provider uses when it is left
out), turns expressions into a shared vocabulary, and compares: a change on one side fails.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.infra.bicep_model import BicepFile, BicepValue, Expression, as_dict, bicep_file
from tests.infra.paths import BICEP
from tests.infra.terraform_model import TerraformTree, dynamic_block

pytestmark = pytest.mark.infra

#: Expressions that mean the same in both trees, by their source text, and what they mean.
VOCABULARY = {
    # Network isolation switches.
    "privateNetworkOnly ? 'Disabled' : 'Enabled'": "public endpoint unless isolated",
    "!var.enable_network_isolation": "public endpoint unless isolated",
    "privateNetworkOnly ? 'Deny' : 'Allow'": "deny unless isolated is off",
    'var.enable_network_isolation ? "Deny" : "Allow"': "deny unless isolated is off",
    "!empty(integrationSubnetId)": "network isolation",
    "var.enable_network_isolation": "network isolation",
    "vnetIntegrated ? '1' : '0'": "1 when isolated",
    'var.enable_network_isolation ? "1" : "0"': "1 when isolated",
    # Replication.
    "zoneRedundant ? 'Standard_ZRS' : 'Standard_LRS'": "ZRS when zone redundant",
    'var.zone_redundant ? "ZRS" : "LRS"': "ZRS when zone redundant",
    # Scale and plan (main.bicep's module arguments and Terraform's arguments).
    "effectiveAlwaysReadyInstanceCount": "production always-ready",
    "local.effective_always_ready_instance_count": "production always-ready",
    "preWarmedInstanceCount": "production pre-warmed",
    "var.pre_warmed_instance_count": "production pre-warmed",
    "stagingAlwaysReadyInstanceCount": "staging always-ready",
    "var.staging_always_ready_instance_count": "staging always-ready",
    "stagingPreWarmedInstanceCount": "staging pre-warmed",
    "var.staging_pre_warmed_instance_count": "staging pre-warmed",
    "functionAppScaleLimit": "scale limit",
    "var.function_app_scale_limit": "scale limit",
    "maximumElasticWorkerCount": "maximum workers",
    "var.maximum_elastic_worker_count": "maximum workers",
    "planSku": "plan size",
    "var.plan_sku": "plan size",
    "zoneRedundant": "zone redundant",
    "var.zone_redundant": "zone redundant",
    "logRetentionDays": "log retention",
    "var.log_retention_days": "log retention",
    "checkedCorsAllowedOrigins": "cors origins",
    "var.cors_allowed_origins": "cors origins",
    # Identity.
    "appIdentity.outputs.identityResourceId": "app identity",
    "azurerm_user_assigned_identity.app.id": "app identity",
    "appIdentity.outputs.clientId": "app identity client id",
    "azurerm_user_assigned_identity.app.client_id": "app identity client id",
    # Subnet rules.
    "integrationSubnetPrefix": "integration subnet",
    "var.integration_subnet_prefix": "integration subnet",
    "privateEndpointSubnetPrefix": "private endpoint subnet",
    "var.private_endpoint_subnet_prefix": "private endpoint subnet",
    # Audit logs.
    "monitoring.outputs.workspaceResourceId": "workspace",
    "azurerm_log_analytics_workspace.this.id": "workspace",
    # Authentication (main.bicep's appAuthentication and Terraform's local.app_authentication).
    "enableAppServiceAuthentication": "authentication switch",
    "var.enable_app_service_authentication": "authentication switch",
    "enableAppServiceAuthentication && empty(authClientId) ? int('authClientId is required "
    "when enableAppServiceAuthentication is true') : authClientId": "client id",
    "var.auth_client_id": "client id",
    "'${environment().authentication.loginEndpoint}${authIssuerTenantId}/v2.0'": "issuer",
    "https://login.microsoftonline.com/${coalesce(var.auth_tenant_id, "
    "data.azurerm_client_config.current.tenant_id)}/v2.0": "issuer",
    "empty(authAllowedAudiences) ? [ 'api://${authClientId}' ] : authAllowedAudiences": "audiences",
    "length(var.auth_allowed_audiences) > 0 ? var.auth_allowed_audiences : "
    '["api://${var.auth_client_id}"]': "audiences",
    "authTenantId": "tenant",
    "var.auth_tenant_id": "tenant",
}

#: Bicep's `authentication.x` (a module parameter) and Terraform's dynamic block iterator.
AUTH_FIELDS = {
    "authentication.enabled": "authentication on",
    "authentication.clientId": "client id",
    "authentication.openIdIssuer": "issuer",
    "authentication.allowedAudiences": "audiences",
    "auth_settings_v2.value.client_id": "client id",
    "auth_settings_v2.value.open_id_issuer": "issuer",
    "auth_settings_v2.value.allowed_audiences": "audiences",
}


def _canon(value: Any) -> Any:
    """Literals as they are, expressions as their vocabulary word (AssertionError if unknown)."""
    if isinstance(value, Expression):
        value = " ".join(value.text.split())
    if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
        value = value[2:-1]
    if isinstance(value, str):
        if value in VOCABULARY:
            return VOCABULARY[value]
        if value in AUTH_FIELDS:
            return AUTH_FIELDS[value]
    if isinstance(value, list):
        return [_canon(item) for item in value]
    if isinstance(value, dict):
        return {key: _canon(item) for key, item in value.items()}
    return value


MISSING = object()


def _at(value: Any, path: str) -> Any:
    """`a.b.c` into nested dicts; Terraform blocks (one-element lists of dicts) are entered."""
    for key in path.split("."):
        if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict):
            value = value[0]
        if not isinstance(value, dict) or key not in value:
            return MISSING
        value = value[key]
    return value


@dataclass(frozen=True)
class Row:
    """One property of a resource pair: where each tree says it, and what leaving it out means."""

    label: str
    bicep: str
    terraform: str
    bicep_default: Any = MISSING
    terraform_default: Any = MISSING
    bicep_to: Callable[[Any], Any] = lambda value: value
    terraform_to: Callable[[Any], Any] = lambda value: value


def _negate(value: Any) -> Any:
    return not value if isinstance(value, bool) else value


def _enabled(value: Any) -> Any:
    return (
        {True: "Enabled", False: "Disabled"}.get(value, value) if isinstance(value, bool) else value
    )


def _joined(value: Any) -> Any:
    return ",".join(value) if isinstance(value, list) else value


STORAGE_ROWS = (
    Row("kind", "kind", "account_kind"),
    Row("tier", "properties.accessTier", "access_tier"),
    Row("shared keys", "properties.allowSharedKeyAccess", "shared_access_key_enabled"),
    Row("public blobs", "properties.allowBlobPublicAccess", "allow_nested_items_to_be_public"),
    Row(
        "cross-tenant replication",
        "properties.allowCrossTenantReplication",
        "cross_tenant_replication_enabled",
    ),
    Row(
        "Entra ID by default",
        "properties.defaultToOAuthAuthentication",
        "default_to_oauth_authentication",
    ),
    Row("local users", "properties.isLocalUserEnabled", "local_user_enabled"),
    Row("SFTP", "properties.isSftpEnabled", "sftp_enabled"),
    Row("TLS", "properties.minimumTlsVersion", "min_tls_version"),
    Row("HTTPS only", "properties.supportsHttpsTrafficOnly", "https_traffic_only_enabled"),
    Row("public network", "properties.publicNetworkAccess", "public_network_access_enabled"),
    Row("network default", "properties.networkAcls.defaultAction", "network_rules.default_action"),
    Row(
        "network bypass",
        "properties.networkAcls.bypass",
        "network_rules.bypass",
        terraform_to=_joined,
    ),
    Row(
        "key source",
        "properties.encryption.keySource",
        "customer_managed_key",
        terraform_default="Microsoft.Storage",
    ),
    Row(
        "infrastructure encryption",
        "properties.encryption.requireInfrastructureEncryption",
        "infrastructure_encryption_enabled",
    ),
    # Left out, queues and tables use the service-scoped key (both the platform and azurerm).
    Row(
        "queue key",
        "properties.encryption.services.queue.keyType",
        "queue_encryption_key_type",
        "Service",
        "Service",
    ),
    Row(
        "table key",
        "properties.encryption.services.table.keyType",
        "table_encryption_key_type",
        "Service",
        "Service",
    ),
    Row(
        "SAS expiry",
        "properties.sasPolicy.sasExpirationPeriod",
        "sas_policy.expiration_period",
        "none",
        "none",
    ),
    Row(
        "SAS action",
        "properties.sasPolicy.expirationAction",
        "sas_policy.expiration_action",
        "none",
        "none",
    ),
)

BLOB_SERVICE_ROWS = (
    Row(
        "blob soft delete",
        "properties.deleteRetentionPolicy.days",
        "blob_properties.delete_retention_policy.days",
    ),
    Row(
        "container soft delete",
        "properties.containerDeleteRetentionPolicy.days",
        "blob_properties.container_delete_retention_policy.days",
    ),
)

VAULT_ROWS = (
    Row("sku", "properties.sku.name", "sku_name"),
    Row("RBAC", "properties.enableRbacAuthorization", "rbac_authorization_enabled"),
    Row("purge protection", "properties.enablePurgeProtection", "purge_protection_enabled"),
    Row("soft delete days", "properties.softDeleteRetentionInDays", "soft_delete_retention_days"),
    Row("public network", "properties.publicNetworkAccess", "public_network_access_enabled"),
    Row("network default", "properties.networkAcls.defaultAction", "network_acls.default_action"),
    Row("network bypass", "properties.networkAcls.bypass", "network_acls.bypass"),
)

SITE_ROWS = (
    Row("HTTPS only", "properties.httpsOnly", "https_only"),
    Row("client certificates", "properties.clientCertEnabled", "client_certificate_enabled"),
    Row(
        "public network",
        "properties.publicNetworkAccess",
        "public_network_access_enabled",
        terraform_to=_enabled,
    ),
    Row(
        "Key Vault reference identity",
        "properties.keyVaultReferenceIdentity",
        "key_vault_reference_identity_id",
    ),
    Row("route all", "properties.vnetRouteAllEnabled", "site_config.vnet_route_all_enabled"),
    Row("FTPS", "properties.siteConfig.ftpsState", "site_config.ftps_state"),
    Row("TLS", "properties.siteConfig.minTlsVersion", "site_config.minimum_tls_version"),
    Row("SCM TLS", "properties.siteConfig.scmMinTlsVersion", "site_config.scm_minimum_tls_version"),
    Row("HTTP/2", "properties.siteConfig.http20Enabled", "site_config.http2_enabled"),
    Row("32-bit", "properties.siteConfig.use32BitWorkerProcess", "site_config.use_32_bit_worker"),
    Row(
        "remote debugging",
        "properties.siteConfig.remoteDebuggingEnabled",
        "site_config.remote_debugging_enabled",
    ),
    Row(
        "always-ready",
        "properties.siteConfig.minimumElasticInstanceCount",
        "site_config.elastic_instance_minimum",
    ),
    Row(
        "pre-warmed",
        "properties.siteConfig.preWarmedInstanceCount",
        "site_config.pre_warmed_instance_count",
    ),
    Row(
        "scale limit", "properties.siteConfig.functionAppScaleLimit", "site_config.app_scale_limit"
    ),
    Row(
        "runtime scale monitoring",
        "properties.siteConfig.functionsRuntimeScaleMonitoringEnabled",
        "site_config.runtime_scale_monitoring_enabled",
    ),
    Row(
        "CORS origins",
        "properties.siteConfig.cors.allowedOrigins",
        "site_config.cors.allowed_origins",
    ),
    Row(
        "CORS credentials",
        "properties.siteConfig.cors.supportCredentials",
        "site_config.cors.support_credentials",
    ),
    Row("identity type", "identity.type", "identity.type"),
)

PLAN_ROWS = (
    Row("size", "sku.name", "sku_name"),
    Row("instances", "sku.capacity", "worker_count"),
    Row("maximum workers", "properties.maximumElasticWorkerCount", "maximum_elastic_worker_count"),
    Row("zone redundant", "properties.zoneRedundant", "zone_balancing_enabled"),
    Row("Linux", "properties.reserved", "os_type", terraform_to=lambda value: value == "Linux"),
)

WORKSPACE_ROWS = (
    Row("sku", "properties.sku.name", "sku"),
    Row("retention", "properties.retentionInDays", "retention_in_days"),
    Row(
        "local auth",
        "properties.features.disableLocalAuth",
        "local_authentication_enabled",
        terraform_to=_negate,
    ),
)

INSIGHTS_ROWS = (
    Row("type", "properties.Application_Type", "application_type"),
    Row(
        "local auth",
        "properties.DisableLocalAuth",
        "local_authentication_enabled",
        terraform_to=_negate,
    ),
)


def _module_args(symbol: str) -> dict[str, BicepValue]:
    return as_dict(as_dict(bicep_file(BICEP, "main.bicep").module(symbol).body)["params"])


def _bicep_body(relative: str, symbol: str, module_call: str | None = None) -> dict[str, Any]:
    """A resource body with variables resolved and (given the module call in main.bicep)
    module parameters replaced by main.bicep's arguments."""
    parsed: BicepFile = bicep_file(BICEP, relative)
    body = parsed.resolve(parsed.resource(symbol).body)
    if module_call is None:
        return as_dict(body)
    args = _module_args(module_call)

    def substitute(value: BicepValue) -> BicepValue:
        if isinstance(value, Expression) and value.text in parsed.parameters and value.text in args:
            return args[value.text]
        if isinstance(value, list):
            return [substitute(item) for item in value]
        if isinstance(value, dict):
            return {key: substitute(item) for key, item in value.items()}
        return value

    return as_dict(substitute(body))


def _compare(
    rows: tuple[Row, ...], bicep: dict[str, Any], terraform: dict[str, Any]
) -> dict[str, Any]:
    mismatched = {}
    for row in rows:
        left = _at(bicep, row.bicep)
        right = _at(terraform, row.terraform)
        left = row.bicep_default if left is MISSING else left
        right = row.terraform_default if right is MISSING else right
        assert left is not MISSING, f"{row.label}: Bicep does not set {row.bicep}"
        assert right is not MISSING, f"{row.label}: Terraform does not set {row.terraform}"
        left, right = _canon(row.bicep_to(left)), _canon(row.terraform_to(right))
        if left != right:
            mismatched[row.label] = (left, right)
    return mismatched


@pytest.mark.parametrize(
    ("relative", "account", "blob_service", "terraform_name"),
    [
        ("modules/storage.bicep", "taskHubAccount", "taskHubBlobService", "task_hub"),
        ("modules/content-storage.bicep", "contentAccount", "contentBlobService", "content"),
    ],
)
def test_storage_accounts_match(
    terraform: TerraformTree, relative: str, account: str, blob_service: str, terraform_name: str
) -> None:
    resource = terraform.resource("azurerm_storage_account", terraform_name)
    assert _compare(STORAGE_ROWS, _bicep_body(relative, account), resource) == {}
    assert _compare(BLOB_SERVICE_ROWS, _bicep_body(relative, blob_service), resource) == {}


def test_storage_replication_matches(terraform: TerraformTree) -> None:
    main = bicep_file(BICEP, "main.bicep")
    assert _canon(main.variables["storageSkuName"]) == _canon(
        terraform.locals["storage_replication_type"]
    )


def test_content_share_matches(terraform: TerraformTree) -> None:
    share = _bicep_body("modules/content-storage.bicep", "shares")
    file_service = _bicep_body("modules/content-storage.bicep", "fileService")
    resource = terraform.resource("azurerm_storage_share", "content")
    account = terraform.resource("azurerm_storage_account", "content")
    assert _at(share, "properties.shareQuota") == resource["quota"]
    assert _at(share, "properties.enabledProtocols") == resource["enabled_protocol"]
    assert _at(file_service, "properties.shareDeleteRetentionPolicy.days") == _at(
        account, "share_properties.retention_policy.days"
    )


def test_key_vaults_match(terraform: TerraformTree) -> None:
    bicep = _bicep_body("modules/key-vault.bicep", "vault")
    assert _compare(VAULT_ROWS, bicep, terraform.resource("azurerm_key_vault", "this")) == {}


@pytest.mark.parametrize(
    ("relative", "symbol", "module_call", "terraform_resource"),
    [
        (
            "modules/function-app.bicep",
            "site",
            "functionApp",
            ("azurerm_linux_function_app", "this"),
        ),
        (
            "modules/function-app-slot.bicep",
            "slot",
            "stagingSlot",
            ("azurerm_linux_function_app_slot", "staging"),
        ),
    ],
)
def test_sites_match(
    terraform: TerraformTree,
    relative: str,
    symbol: str,
    module_call: str,
    terraform_resource: tuple[str, str],
) -> None:
    bicep = _bicep_body(relative, symbol, module_call)
    resource = terraform.resource(*terraform_resource)
    assert _compare(SITE_ROWS, bicep, resource) == {}
    python = _at(resource, "site_config.application_stack.python_version")
    assert _at(bicep, "properties.siteConfig.linuxFxVersion") == (
        f"Python|{terraform.locals[python[2:-1].removeprefix('local.')]}"
    )
    assert (
        _at(bicep, "properties.siteConfig.healthCheckPath") == terraform.locals["health_check_path"]
    )
    identities = _at(bicep, "identity.userAssignedIdentities")
    args = _module_args(module_call)
    assert [_canon(args[key.strip("${}")]) for key in identities] == _canon(
        _at(resource, "identity.identity_ids")
    )


def test_plans_match(terraform: TerraformTree) -> None:
    plan = _bicep_body("modules/plan.bicep", "elasticPlan", "plan")
    main_args = _module_args("plan")
    assert main_args["minimumInstanceCount"] == Expression("effectiveAlwaysReadyInstanceCount")
    bicep = {**plan, "sku": {**plan["sku"], "capacity": main_args["minimumInstanceCount"]}}
    assert _compare(PLAN_ROWS, bicep, terraform.resource("azurerm_service_plan", "this")) == {}


def test_monitoring_matches(terraform: TerraformTree) -> None:
    workspace = _bicep_body("modules/monitoring.bicep", "workspace")
    workspace["properties"]["retentionInDays"] = _module_args("monitoring")["retentionInDays"]
    assert (
        _compare(
            WORKSPACE_ROWS, workspace, terraform.resource("azurerm_log_analytics_workspace", "this")
        )
        == {}
    )
    insights = _bicep_body("modules/monitoring.bicep", "applicationInsights")
    assert (
        _compare(
            INSIGHTS_ROWS, insights, terraform.resource("azurerm_application_insights", "this")
        )
        == {}
    )


# ---------------------------------------------------------------------------------------------
# Subnet rules, audit logs, authentication, app settings
# ---------------------------------------------------------------------------------------------

#: Bicep NSG rule property -> the Terraform security_rule argument it is written as.
NSG_RULE_FIELDS = {
    "name": "name",
    "priority": "priority",
    "direction": "direction",
    "access": "access",
    "protocol": "protocol",
    "sourceAddressPrefix": "source_address_prefix",
    "sourcePortRange": "source_port_range",
    "destinationAddressPrefix": "destination_address_prefix",
    "destinationPortRanges": "destination_port_ranges",
}


def test_subnet_rules_match(terraform: TerraformTree) -> None:
    network = bicep_file(BICEP, "modules/network.bicep")
    bicep_rules = as_dict(network.variables["nsgRules"])
    terraform_rules = terraform.locals["nsg_rules"]
    assert _canon(bicep_rules["integration"]) == _canon(terraform_rules["integration"])
    assert _canon(bicep_rules["privateEndpoints"]) == _canon(terraform_rules["private_endpoints"])
    for symbol, name in (
        ("integrationNsg", "integration"),
        ("privateEndpointNsg", "private_endpoints"),
    ):
        rendered = as_dict(as_dict(network.resource(symbol).body)["properties"])["securityRules"]
        assert isinstance(rendered, Expression), "rules are rendered from nsgRules in a loop"
        content = dynamic_block(
            terraform.resource("azurerm_network_security_group", name), "security_rule"
        )
        assert content["for_each"] == f"${{local.nsg_rules.{name}}}"
        arguments = content["content"][0]
        for field, argument in NSG_RULE_FIELDS.items():
            assert f"{field}:" in rendered.text, field
            assert argument in arguments, argument
        assert "sourcePortRange: '*'" in rendered.text
        assert arguments["source_port_range"] == "*"


def test_every_subnet_denies_what_it_does_not_allow(terraform: TerraformTree) -> None:
    for rules in terraform.locals["nsg_rules"].values():
        denies = {
            rule["direction"]
            for rule in rules
            if rule["access"] == "Deny" and rule["source"] == "*"
        }
        assert denies == {"Inbound", "Outbound"}
        assert max(rule["priority"] for rule in rules) == 4096
    allowed = [
        rule
        for rules in terraform.locals["nsg_rules"].values()
        for rule in rules
        if rule["access"] == "Allow"
    ]
    assert all(rule["protocol"] == "Tcp" and "*" not in rule["ports"] for rule in allowed)


def test_audit_logs_match(terraform: TerraformTree) -> None:
    diagnostics = bicep_file(BICEP, "modules/diagnostics.bicep")
    assert (
        diagnostics.variables["storageAuditCategories"]
        == terraform.locals["storage_audit_categories"]
    )
    assert (
        diagnostics.variables["vaultAuditCategories"]
        == terraform.locals["key_vault_audit_categories"]
    )
    services = [
        resource.type.rpartition("/")[2]
        for resource in diagnostics.resources
        if resource.existing and resource.type.startswith("Microsoft.Storage/storageAccounts/")
    ]
    assert services == terraform.locals["audited_storage_services"]
    scoped = {
        str(as_dict(resource.body)["scope"]).removeprefix("Expression(text='")
        for resource in diagnostics.resources
        if resource.type == "Microsoft.Insights/diagnosticSettings"
    }
    assert len(scoped) == len(services) + 1, "one setting per service, one for the vault"
    accounts = _module_args("diagnostics")["storageAccountNames"]
    assert accounts == [
        Expression("taskHubStorage.outputs.hubAccountName"),
        Expression("contentStorage.outputs.contentShareAccountName"),
    ]
    assert terraform.locals["audited_storage_accounts"] == {
        "task_hub": "${azurerm_storage_account.task_hub.id}",
        "content": "${azurerm_storage_account.content.id}",
    }
    assert _canon(_module_args("diagnostics")["workspaceId"]) == _canon(
        terraform.resource("azurerm_monitor_diagnostic_setting", "key_vault")[
            "log_analytics_workspace_id"
        ]
    )


def test_authentication_matches(terraform: TerraformTree) -> None:
    main = bicep_file(BICEP, "main.bicep")
    bicep_auth = as_dict(main.variables["appAuthentication"])
    terraform_auth = terraform.locals["app_authentication"]
    assert _canon(bicep_auth["clientId"]) == _canon(terraform_auth["client_id"])
    assert _canon(bicep_auth["openIdIssuer"]) == _canon(terraform_auth["open_id_issuer"])
    assert _canon(bicep_auth["allowedAudiences"]) == _canon(terraform_auth["allowed_audiences"])
    assert _canon(bicep_auth["enabled"]) == "authentication switch"
    site = as_dict(bicep_file(BICEP, "modules/function-app.bicep").variables["siteAuthSettings"])
    block = dynamic_block(
        terraform.resource("azurerm_linux_function_app", "this"), "auth_settings_v2"
    )
    assert (
        block["for_each"]
        == "${var.enable_app_service_authentication ? [local.app_authentication] : []}"
    )
    content = block["content"][0]
    assert _at(site, "globalValidation.requireAuthentication") == content["require_authentication"]
    assert (
        _at(site, "globalValidation.unauthenticatedClientAction")
        == content["unauthenticated_action"]
    )
    assert _at(site, "httpSettings.requireHttps") == content["require_https"]
    assert _at(site, "login.tokenStore.enabled") == _at(content, "login.token_store_enabled")
    provider = _at(site, "identityProviders.azureActiveDirectory")
    directory = content["active_directory_v2"][0]
    assert _canon(_at(provider, "registration.clientId")) == _canon(directory["client_id"])
    assert _canon(_at(provider, "registration.openIdIssuer")) == _canon(
        directory["tenant_auth_endpoint"]
    )
    assert _canon(_at(provider, "validation.allowedAudiences")) == _canon(
        directory["allowed_audiences"]
    )


def test_content_share_secret_uses_the_accounts_own_cloud(terraform: TerraformTree) -> None:
    """The connection string's endpoint suffix comes from the cloud deployed to, never a
    hard-coded public-cloud `core.windows.net`."""
    secret = _bicep_body("modules/key-vault.bicep", "contentShareSecret")
    value = _at(secret, "properties.value")
    assert isinstance(value, Expression)
    assert "EndpointSuffix=${environment().suffixes.storage}" in value.text
    body = terraform.resource("azapi_resource", "content_share_secret")["body"]
    assert _at(body, "properties.value") == (
        "${azurerm_storage_account.content.primary_connection_string}"
    )
    assert "core.windows.net" not in str(value.text) + str(body)


# ---------------------------------------------------------------------------------------------
# App settings after merging: values, not only names
# ---------------------------------------------------------------------------------------------

#: What each tree's references in the app settings stand for. Bicep names are the settings
#: module's parameters and variables; Terraform's are references in locals.tf.
SETTING_REFERENCES = {
    "workerProcessCount": "worker processes",
    "local.worker_process_count": "worker processes",
    "appIdentityClientId": "identity client id",
    "azurerm_user_assigned_identity.app.client_id": "identity client id",
    "durableTaskHubName": "task hub",
    "hostId": "host id",
    "tableServiceUri": "table endpoint",
    'trimsuffix(azurerm_storage_account.task_hub.primary_table_endpoint, "/")': "table endpoint",
    "keyVaultName": "vault",
    "azurerm_key_vault.this.name": "vault",
    "contentShareSecretName": "secret",
    "local.content_share_secret_name": "secret",
    "vnetIntegrated ? '1' : '0'": "1 when isolated",
    'var.enable_network_isolation ? "1" : "0"': "1 when isolated",
    "siteContentShareName": "content share",
    "slotContentShareName": "content share",
    "string(siteHealthMonitorAllowlist)": "health allowlist",
    "string(slotHealthMonitorAllowlist)": "health allowlist",
}

#: Terraform's per-instance references, by instance.
INSTANCE_REFERENCES = {
    "task_hub_name": "task hub",
    "host_id": "host id",
    "content_share_name": "content share",
}


def _setting_meaning(value: Any, instance: str, terraform: TerraformTree) -> Any:
    """A setting value in the shared vocabulary: `str(...)` for string conversions, references
    replaced by what they stand for, literal strings as they are."""
    text = value.text if isinstance(value, Expression) else value
    if not isinstance(text, str):
        return text
    if text.startswith("${") and text.endswith("}") and text.count("${") == 1:
        text = text[2:-1]
    elif text.startswith("'") and text.endswith("'"):
        text = text[1:-1]
    if text in SETTING_REFERENCES:
        return SETTING_REFERENCES[text]
    for key, meaning in INSTANCE_REFERENCES.items():
        if text == f"local.site_instances.{instance}.{key}":
            return meaning
    allowlist = (
        "jsonencode(merge(",
        f"site_instances.{instance}.host_name",
        "local.health_check_path",
    )
    if all(part in text for part in allowlist) and "var.health_monitor_allowlist" in text:
        return "health allowlist"
    for pattern in (r"^string\(appConfiguration\.(\w+)\)$", r"^tostring\(var\.(\w+)\)$"):
        if match := re.fullmatch(pattern, text):
            return f"str({_snake(match[1])})"
    if match := re.fullmatch(r"^tostring\(local\.(\w+)\)$", text):
        local = terraform.locals[match[1]]
        described = SETTING_REFERENCES.get(f"local.{match[1]}", local)
        return str(local) if isinstance(local, int) else f"str({described})"
    if match := re.fullmatch(r"^string\((\w+)\)$", text):
        return f"str({SETTING_REFERENCES.get(match[1], match[1])})"
    for pattern in (r"^appConfiguration\.(\w+)$", r"^var\.(\w+)$"):
        if match := re.fullmatch(pattern, text):
            return f"text({_snake(match[1])})"
    for reference, meaning in SETTING_REFERENCES.items():
        text = text.replace(f"${{{reference}}}", f"{{{meaning}}}")
    return text


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


#: Settings azurerm writes from arguments: the argument and what its value means.
PROVIDER_SETTING_VALUES: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "FUNCTIONS_EXTENSION_VERSION": ("functions_extension_version", lambda value: value),
    "WEBSITE_HEALTHCHECK_MAXPINGFAILURES": (
        "site_config.health_check_eviction_time_in_min",
        lambda value: "10" if value == "${local.health_check_eviction_minutes}" else value,
    ),
    "FUNCTIONS_WORKER_RUNTIME": (
        "site_config.application_stack.python_version",
        lambda value: "python" if value == "${local.python_version}" else value,
    ),
    "AzureWebJobsStorage__accountName": (
        "storage_account_name",
        lambda value: (
            "host storage" if value == "${azurerm_storage_account.task_hub.name}" else value
        ),
    ),
    "APPLICATIONINSIGHTS_CONNECTION_STRING": (
        "site_config.application_insights_connection_string",
        lambda value: (
            "insights"
            if value == "${azurerm_application_insights.this.connection_string}"
            else value
        ),
    ),
}
BICEP_PROVIDER_SETTING_ARGUMENTS = {
    "hostStorageAccountName": "host storage",
    "applicationInsightsConnectionString": "insights",
}


@pytest.mark.parametrize(
    ("relative", "variable", "instance", "terraform_resource"),
    [
        (
            "modules/function-app-settings.bicep",
            "siteAppSettings",
            "production",
            ("azurerm_linux_function_app", "this"),
        ),
        (
            "modules/function-app-slot-settings.bicep",
            "slotAppSettings",
            "staging",
            ("azurerm_linux_function_app_slot", "staging"),
        ),
    ],
)
def test_app_setting_values_match(
    terraform: TerraformTree,
    relative: str,
    variable: str,
    instance: str,
    terraform_resource: tuple[str, str],
) -> None:
    bicep = as_dict(bicep_file(BICEP, relative).variables[variable])
    merged = {
        **terraform.locals["app_settings_shared"],
        **terraform.locals["app_settings_by_instance"][instance],
    }
    site = terraform.resource(*terraform_resource)
    mismatched = {}
    for name, value in bicep.items():
        if name in PROVIDER_SETTING_VALUES:
            argument, meaning = PROVIDER_SETTING_VALUES[name]
            left = value.text if isinstance(value, Expression) else value
            left = BICEP_PROVIDER_SETTING_ARGUMENTS.get(str(left), left)
            right = meaning(_at(site, argument))
        else:
            left = _setting_meaning(value, instance, terraform)
            right = _setting_meaning(merged.get(name), instance, terraform)
        if left != right:
            mismatched[name] = (left, right)
    assert mismatched == {}
