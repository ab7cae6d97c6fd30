"""The Bicep tree declares what the checklist asks for.

`bicep build` cannot run offline; these tests read the modules with tree-sitter and assert the
settings checkov does not (or cannot) see, and that the production site and its slot stay
identical although they live in two files.
"""

from __future__ import annotations

import re

import pytest

from tests.infra.bicep_model import (
    BicepFile,
    BicepValue,
    Expression,
    as_dict,
    as_list,
    bicep_file,
)
from tests.infra.paths import BICEP

pytestmark = pytest.mark.infra

SITE_MODULE = "modules/function-app.bicep"
SLOT_MODULE = "modules/function-app-slot.bicep"
SITE_SETTINGS_MODULE = "modules/function-app-settings.bicep"
SLOT_SETTINGS_MODULE = "modules/function-app-slot-settings.bicep"


def _file(relative: str) -> BicepFile:
    return bicep_file(BICEP, relative)


def _body(relative: str, symbol: str) -> dict[str, BicepValue]:
    parsed = _file(relative)
    return as_dict(parsed.resolve(parsed.resource(symbol).body))


def _site_config(relative: str, symbol: str) -> dict[str, BicepValue]:
    return as_dict(as_dict(_body(relative, symbol)["properties"])["siteConfig"])


def _as_site(value: BicepValue) -> BicepValue:
    """The slot module's values in the site module's vocabulary (`slotX` -> `siteX`)."""
    if isinstance(value, Expression):
        return Expression(re.sub(r"\bslot(?=[A-Z])", "site", value.text))
    if isinstance(value, list):
        return [_as_site(item) for item in value]
    if isinstance(value, dict):
        return {key: _as_site(item) for key, item in value.items()}
    return value


def _settings(relative: str, variable: str) -> dict[str, BicepValue]:
    return as_dict(_file(relative).variables[variable])


def _site_settings() -> dict[str, BicepValue]:
    return _settings(SITE_SETTINGS_MODULE, "siteAppSettings")


def test_plan_is_linux_elastic_premium() -> None:
    plan = _body("modules/plan.bicep", "elasticPlan")
    assert plan["kind"] == "elastic"
    assert plan["sku"] == {
        "name": Expression("skuName"),
        "tier": "ElasticPremium",
        "capacity": Expression("minimumInstanceCount"),
    }
    assert plan["properties"] == {
        "reserved": True,
        "maximumElasticWorkerCount": Expression("maximumElasticWorkerCount"),
        "zoneRedundant": Expression("zoneRedundant"),
    }
    assert _file("modules/plan.bicep").parameters["skuName"].decorators["allowed"] == [
        "EP1",
        "EP2",
        "EP3",
    ]
    assert _file("main.bicep").parameters["planSku"].default == "EP1"


def test_site_is_python_3_11_and_locked_down() -> None:
    site = _body(SITE_MODULE, "site")
    assert site["kind"] == "functionapp,linux"
    properties = as_dict(site["properties"])
    assert properties["httpsOnly"] is True
    assert properties["keyVaultReferenceIdentity"] == Expression("identityId")
    config = _site_config(SITE_MODULE, "site")
    assert config["linuxFxVersion"] == "Python|3.11"
    assert config["ftpsState"] == "Disabled"
    assert config["minTlsVersion"] == "1.2"
    assert config["scmMinTlsVersion"] == "1.2"
    assert config["healthCheckPath"] == "/api/health"
    assert config["remoteDebuggingEnabled"] is False
    assert site["identity"] == {
        "type": "UserAssigned",
        "userAssignedIdentities": {"${identityId}": {}},
    }


def test_slot_is_configured_exactly_like_the_site() -> None:
    site = _body(SITE_MODULE, "site")
    slot = as_dict(_as_site(_body(SLOT_MODULE, "slot")))
    assert slot["properties"] == site["properties"]
    assert slot["identity"] == site["identity"]
    assert slot["kind"] == site["kind"]
    assert _as_site(_settings(SLOT_SETTINGS_MODULE, "slotAppSettings")) == _site_settings()
    assert (
        _as_site(_file(SLOT_MODULE).variables["slotAuthSettings"])
        == (_file(SITE_MODULE).variables["siteAuthSettings"])
    )
    for site_module, slot_module in (
        (SITE_MODULE, SLOT_MODULE),
        (SITE_SETTINGS_MODULE, SLOT_SETTINGS_MODULE),
    ):
        site_parameters = _file(site_module).parameters
        slot_parameters = _file(slot_module).parameters
        assert set(slot_parameters) ^ set(site_parameters) == {"slotName"}


@pytest.mark.parametrize(
    ("relative", "symbol"),
    [(SITE_MODULE, "siteBasicAuthPolicies"), (SLOT_MODULE, "slotBasicAuthPolicies")],
)
def test_basic_auth_publishing_is_off_for_ftp_and_scm(relative: str, symbol: str) -> None:
    policies = _file(relative).resource(symbol)
    assert policies.loop_over == "['ftp', 'scm']"
    assert policies.body == {
        "parent": Expression(symbol.removesuffix("BasicAuthPolicies")),
        "name": Expression("policyName"),
        "properties": {"allow": False},
    }


def test_host_storage_and_app_tables_are_identity_based() -> None:
    settings = _site_settings()
    assert "AzureWebJobsStorage" not in settings
    assert "AppStorage" not in settings
    assert settings["AzureWebJobsStorage__accountName"] == Expression("hostStorageAccountName")
    for connection in ("AzureWebJobsStorage", "AppStorage"):
        assert settings[f"{connection}__credential"] == "managedidentity"
        assert settings[f"{connection}__clientId"] == Expression("appIdentityClientId")
    assert settings["AppStorage__tableServiceUri"] == Expression("tableServiceUri")
    storage = as_dict(_body("modules/storage.bicep", "taskHubAccount")["properties"])
    assert storage["allowSharedKeyAccess"] is False
    assert storage["allowBlobPublicAccess"] is False
    assert storage["minimumTlsVersion"] == "TLS1_2"


def test_content_share_connection_string_comes_from_key_vault() -> None:
    settings = _site_settings()
    assert settings["WEBSITE_CONTENTAZUREFILECONNECTIONSTRING"] == Expression(
        "'@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${contentShareSecretName})'"
    )
    assert settings["WEBSITE_SKIP_CONTENTSHARE_VALIDATION"] == "1"
    vault = as_dict(_body("modules/key-vault.bicep", "vault")["properties"])
    assert vault["enableRbacAuthorization"] is True
    assert vault["enablePurgeProtection"] is True
    secret = _body("modules/key-vault.bicep", "contentShareSecret")
    assert secret["parent"] == Expression("vault")


def test_app_insights_takes_only_entra_authenticated_telemetry() -> None:
    insights = as_dict(_body("modules/monitoring.bicep", "applicationInsights")["properties"])
    assert insights["DisableLocalAuth"] is True
    assert insights["WorkspaceResourceId"] == Expression("workspace.id")
    settings = _site_settings()
    assert settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] == Expression(
        "'ClientId=${appIdentityClientId};Authorization=AAD'"
    )


def test_each_role_list_is_assigned_on_its_own_scope() -> None:
    roles = _file("modules/role-assignments.bicep")
    scopes = {
        resource.loop_over: as_dict(resource.body)["scope"]
        for resource in roles.resources
        if resource.type == "Microsoft.Authorization/roleAssignments"
    }
    assert scopes == {
        "rolesOnTaskHubStorage": Expression("storageScope"),
        "rolesOnApplicationInsights": Expression("appInsightsScope"),
        "rolesOnKeyVault": Expression("vaultScope"),
    }
    scope_types = {
        resource.symbol: resource.type for resource in roles.resources if resource.existing
    }
    assert scope_types == {
        "storageScope": "Microsoft.Storage/storageAccounts",
        "appInsightsScope": "Microsoft.Insights/components",
        "vaultScope": "Microsoft.KeyVault/vaults",
    }


def test_optional_parts_hang_off_one_parameter_each() -> None:
    modules = {module.symbol: module for module in _file("main.bicep").modules}
    assert modules["network"].condition == "(enableNetworkIsolation)"
    assert modules["stagingSlot"].condition == "(enableStagingSlot)"
    function_app = as_dict(modules["functionApp"].body)
    assert Expression("roleAssignments") in as_list(function_app["dependsOn"])
    config = _site_config(SITE_MODULE, "site")
    # On with network isolation (private storage) and with the Durable Task Scheduler.
    assert config["functionsRuntimeScaleMonitoringEnabled"] == Expression("runtimeScaleMonitoring")
    assert _file("main.bicep").variables["scaleMonitoringOn"] == Expression(
        "enableNetworkIsolation || useScheduler"
    )


def test_task_hub_and_host_id_differ_per_slot_and_environment() -> None:
    main = _file("main.bicep")
    assert main.variables["productionTaskHubName"] == Expression("nameStem")
    assert main.variables["nameParts"] == Expression("'${namePrefix}${environmentName}'")
    assert main.variables["stagingTaskHubName"] == Expression("'${productionTaskHubName}staging'")
    assert main.variables["stagingHostId"] == Expression("'${baseName}-staging'")
    hubs = {
        "functionAppSettings": "productionTaskHubName",
        "stagingSlotSettings": "stagingTaskHubName",
    }
    for symbol, hub in hubs.items():
        params = as_dict(as_dict(main.module(symbol).body)["params"])
        assert params["durableTaskHubName"] == Expression(hub)


def test_a_wildcard_cors_origin_fails_the_deployment() -> None:
    """A `*` stops the deployment (like Terraform's validation); other origins pass unchanged."""
    main = _file("main.bicep")
    assert main.variables["checkedCorsAllowedOrigins"] == Expression(
        "contains(corsAllowedOrigins, '*') ? int('corsAllowedOrigins must list origins; "
        "a wildcard is not allowed') : corsAllowedOrigins"
    )
    for symbol in ("functionApp", "stagingSlot"):
        params = as_dict(as_dict(main.module(symbol).body)["params"])
        assert params["corsAllowedOrigins"] == Expression("checkedCorsAllowedOrigins")
    cors = as_dict(_site_config(SITE_MODULE, "site")["cors"])
    assert cors["allowedOrigins"] == Expression("corsAllowedOrigins")
    assert main.parameters["corsAllowedOrigins"].default == []
