"""Storage account policies, for Bicep and Terraform.

CKV_DSHOP_1  shared-key (account key and SAS) access is disabled
CKV_DSHOP_2  anonymous (public) blob access is disabled
CKV_DSHOP_3  TLS 1.2 minimum and HTTPS only

checkov's built-in Bicep (ARM) checks have no rule for the first two at all; the Terraform
built-ins cover them under other ids, restated here so one id means one rule in both trees.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from checkov.bicep.checks.resource.base_resource_check import (
    BaseResourceCheck as BicepResourceCheck,
)
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import (
    BaseResourceCheck as TerraformResourceCheck,
)
from dshop_conf import bicep_path, is_false, is_true, tf_value

BICEP_STORAGE = ("Microsoft.Storage/storageAccounts",)
TERRAFORM_STORAGE = ("azurerm_storage_account",)


def _verdict(ok: bool) -> CheckResult:
    return CheckResult.PASSED if ok else CheckResult.FAILED


class BicepStorageSharedKeyDisabled(BicepResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Storage account disables shared-key access (allowSharedKeyAccess: false)",
            id="CKV_DSHOP_1",
            categories=(CheckCategories.IAM,),
            supported_resources=BICEP_STORAGE,
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["properties/allowSharedKeyAccess"]
        return _verdict(is_false(bicep_path(conf, "properties", "allowSharedKeyAccess")))


class TerraformStorageSharedKeyDisabled(TerraformResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Storage account disables shared-key access (shared_access_key_enabled = false)",
            id="CKV_DSHOP_1",
            categories=(CheckCategories.IAM,),
            supported_resources=TERRAFORM_STORAGE,
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        self.evaluated_keys = ["shared_access_key_enabled"]
        return _verdict(is_false(tf_value(conf, "shared_access_key_enabled")))


class BicepStorageNoPublicBlobAccess(BicepResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Storage account disables anonymous blob access (allowBlobPublicAccess: false)",
            id="CKV_DSHOP_2",
            categories=(CheckCategories.GENERAL_SECURITY,),
            supported_resources=BICEP_STORAGE,
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["properties/allowBlobPublicAccess"]
        return _verdict(is_false(bicep_path(conf, "properties", "allowBlobPublicAccess")))


class TerraformStorageNoPublicBlobAccess(TerraformResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Storage account disables anonymous blob access "
            "(allow_nested_items_to_be_public = false)",
            id="CKV_DSHOP_2",
            categories=(CheckCategories.GENERAL_SECURITY,),
            supported_resources=TERRAFORM_STORAGE,
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        # azurerm defaults this to true, so it must be set explicitly.
        self.evaluated_keys = ["allow_nested_items_to_be_public"]
        return _verdict(is_false(tf_value(conf, "allow_nested_items_to_be_public")))


class BicepStorageTls12HttpsOnly(BicepResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Storage account requires TLS 1.2 and HTTPS",
            id="CKV_DSHOP_3",
            categories=(CheckCategories.ENCRYPTION,),
            supported_resources=BICEP_STORAGE,
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = [
            "properties/minimumTlsVersion",
            "properties/supportsHttpsTrafficOnly",
        ]
        properties: Mapping[str, Any] = bicep_path(conf, "properties") or {}
        return _verdict(
            properties.get("minimumTlsVersion") in ("TLS1_2", "TLS1_3")
            and is_true(properties.get("supportsHttpsTrafficOnly"))
        )


class TerraformStorageTls12HttpsOnly(TerraformResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Storage account requires TLS 1.2 and HTTPS",
            id="CKV_DSHOP_3",
            categories=(CheckCategories.ENCRYPTION,),
            supported_resources=TERRAFORM_STORAGE,
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        self.evaluated_keys = ["min_tls_version", "https_traffic_only_enabled"]
        return _verdict(
            tf_value(conf, "min_tls_version") in ("TLS1_2", "TLS1_3")
            and is_true(tf_value(conf, "https_traffic_only_enabled"))
        )


BicepStorageSharedKeyDisabled()
TerraformStorageSharedKeyDisabled()
BicepStorageNoPublicBlobAccess()
TerraformStorageNoPublicBlobAccess()
BicepStorageTls12HttpsOnly()
TerraformStorageTls12HttpsOnly()
