"""Telemetry and Key Vault policies, for Bicep and Terraform.

CKV_DSHOP_10  Application Insights disables local (instrumentation key) authentication
CKV_DSHOP_11  Key Vault uses Azure RBAC, not access policies

Neither framework's built-in checks cover these.
"""

from __future__ import annotations

from typing import Any

from checkov.bicep.checks.resource.base_resource_check import (
    BaseResourceCheck as BicepResourceCheck,
)
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import (
    BaseResourceCheck as TerraformResourceCheck,
)
from dshop_conf import bicep_path, is_false, is_true, tf_value


def _verdict(ok: bool) -> CheckResult:
    return CheckResult.PASSED if ok else CheckResult.FAILED


class BicepAppInsightsLocalAuthDisabled(BicepResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Application Insights accepts only Entra ID-authenticated ingestion",
            id="CKV_DSHOP_10",
            categories=(CheckCategories.IAM,),
            supported_resources=("Microsoft.Insights/components",),
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["properties/DisableLocalAuth"]
        return _verdict(is_true(bicep_path(conf, "properties", "DisableLocalAuth")))


class TerraformAppInsightsLocalAuthDisabled(TerraformResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Application Insights accepts only Entra ID-authenticated ingestion",
            id="CKV_DSHOP_10",
            categories=(CheckCategories.IAM,),
            supported_resources=("azurerm_application_insights",),
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        self.evaluated_keys = ["local_authentication_enabled"]
        return _verdict(is_false(tf_value(conf, "local_authentication_enabled")))


class BicepKeyVaultRbac(BicepResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Key Vault uses Azure RBAC for data-plane access",
            id="CKV_DSHOP_11",
            categories=(CheckCategories.IAM,),
            supported_resources=("Microsoft.KeyVault/vaults",),
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["properties/enableRbacAuthorization"]
        return _verdict(is_true(bicep_path(conf, "properties", "enableRbacAuthorization")))


class TerraformKeyVaultRbac(TerraformResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Key Vault uses Azure RBAC for data-plane access",
            id="CKV_DSHOP_11",
            categories=(CheckCategories.IAM,),
            supported_resources=("azurerm_key_vault",),
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        self.evaluated_keys = ["rbac_authorization_enabled"]
        return _verdict(is_true(tf_value(conf, "rbac_authorization_enabled")))


BicepAppInsightsLocalAuthDisabled()
TerraformAppInsightsLocalAuthDisabled()
BicepKeyVaultRbac()
TerraformKeyVaultRbac()
