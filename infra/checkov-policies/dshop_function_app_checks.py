"""Function app (site and slot) policies, for Bicep and Terraform.

CKV_DSHOP_4  TLS 1.2 minimum on the site and on its SCM (deployment) endpoint
CKV_DSHOP_5  FTP/FTPS disabled
CKV_DSHOP_6  AzureWebJobsStorage (host + Durable task hub) is identity-based
CKV_DSHOP_7  the app's own table connection (AppStorage) is identity-based
CKV_DSHOP_8  basic-auth (publishing profile) deployment is disabled for FTP and SCM
CKV_DSHOP_9  CORS allows no wildcard origin

checkov's built-in Bicep checks skip slots for most of these and have nothing for the storage
connections; the Terraform built-ins cover some under other ids.
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
from dshop_conf import (
    bicep_app_settings,
    bicep_path,
    has_wildcard,
    identity_connection_problems,
    is_bicep_app_settings,
    is_false,
    is_true,
    tf_app_settings,
    tf_block,
    tf_value,
)

BICEP_SITES = ("Microsoft.Web/sites", "Microsoft.Web/sites/slots")
#: Sites get their app settings from a separate `appsettings` config resource (written after
#: the site exists; see infra/bicep/modules/function-app-settings.bicep).
BICEP_SITE_CONFIGS = ("Microsoft.Web/sites/config", "Microsoft.Web/sites/slots/config")
BICEP_PUBLISHING_POLICIES = (
    "Microsoft.Web/sites/basicPublishingCredentialsPolicies",
    "Microsoft.Web/sites/slots/basicPublishingCredentialsPolicies",
)
TERRAFORM_SITES = ("azurerm_linux_function_app", "azurerm_linux_function_app_slot")
TLS_1_2_OR_LATER = ("1.2", "1.3")


def _verdict(ok: bool) -> CheckResult:
    return CheckResult.PASSED if ok else CheckResult.FAILED


def _bicep_site_config(conf: Mapping[str, Any]) -> Mapping[str, Any]:
    site_config = bicep_path(conf, "properties", "siteConfig")
    return site_config if isinstance(site_config, Mapping) else {}


class BicepSiteTls12(BicepResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Function app requires TLS 1.2 on the site and its SCM endpoint",
            id="CKV_DSHOP_4",
            categories=(CheckCategories.ENCRYPTION,),
            supported_resources=BICEP_SITES,
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = [
            "properties/siteConfig/minTlsVersion",
            "properties/siteConfig/scmMinTlsVersion",
        ]
        site_config = _bicep_site_config(conf)
        return _verdict(
            site_config.get("minTlsVersion") in TLS_1_2_OR_LATER
            and site_config.get("scmMinTlsVersion") in TLS_1_2_OR_LATER
        )


class TerraformSiteTls12(TerraformResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Function app requires TLS 1.2 on the site and its SCM endpoint",
            id="CKV_DSHOP_4",
            categories=(CheckCategories.ENCRYPTION,),
            supported_resources=TERRAFORM_SITES,
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        self.evaluated_keys = [
            "site_config/[0]/minimum_tls_version",
            "site_config/[0]/scm_minimum_tls_version",
        ]
        site_config = tf_block(conf, "site_config")
        return _verdict(
            tf_value(site_config, "minimum_tls_version") in TLS_1_2_OR_LATER
            and tf_value(site_config, "scm_minimum_tls_version") in TLS_1_2_OR_LATER
        )


class BicepSiteFtpsDisabled(BicepResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Function app disables FTP and FTPS (ftpsState: Disabled)",
            id="CKV_DSHOP_5",
            categories=(CheckCategories.NETWORKING,),
            supported_resources=BICEP_SITES,
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["properties/siteConfig/ftpsState"]
        return _verdict(_bicep_site_config(conf).get("ftpsState") == "Disabled")


class TerraformSiteFtpsDisabled(TerraformResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Function app disables FTP and FTPS (ftps_state = Disabled)",
            id="CKV_DSHOP_5",
            categories=(CheckCategories.NETWORKING,),
            supported_resources=TERRAFORM_SITES,
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        self.evaluated_keys = ["site_config/[0]/ftps_state"]
        return _verdict(tf_value(tf_block(conf, "site_config"), "ftps_state") == "Disabled")


class BicepHostStorageIdentityBased(BicepResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="AzureWebJobsStorage (host and Durable task hub) uses the managed identity",
            id="CKV_DSHOP_6",
            categories=(CheckCategories.IAM,),
            supported_resources=BICEP_SITE_CONFIGS,
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        if not is_bicep_app_settings(conf):
            return CheckResult.UNKNOWN
        self.evaluated_keys = ["properties"]
        settings = bicep_app_settings(conf)
        if settings is None:
            return CheckResult.FAILED
        return _verdict(
            bool(settings.get("AzureWebJobsStorage__accountName"))
            and not identity_connection_problems(settings, "AzureWebJobsStorage")
        )


class TerraformHostStorageIdentityBased(TerraformResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="AzureWebJobsStorage (host and Durable task hub) uses the managed identity",
            id="CKV_DSHOP_6",
            categories=(CheckCategories.IAM,),
            supported_resources=TERRAFORM_SITES,
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        # azurerm writes AzureWebJobsStorage__accountName from these two arguments; the
        # credential and client id must come from app_settings.
        self.evaluated_keys = [
            "storage_uses_managed_identity",
            "storage_account_access_key",
            "storage_key_vault_secret_id",
            "app_settings",
        ]
        settings = tf_app_settings(conf)
        return _verdict(
            is_true(tf_value(conf, "storage_uses_managed_identity"))
            and bool(tf_value(conf, "storage_account_name"))
            and not tf_value(conf, "storage_account_access_key")
            and not tf_value(conf, "storage_key_vault_secret_id")
            and settings is not None
            and not identity_connection_problems(settings, "AzureWebJobsStorage")
        )


class BicepAppStorageIdentityBased(BicepResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="The app's AppStorage table connection uses the managed identity",
            id="CKV_DSHOP_7",
            categories=(CheckCategories.IAM,),
            supported_resources=BICEP_SITE_CONFIGS,
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        if not is_bicep_app_settings(conf):
            return CheckResult.UNKNOWN
        self.evaluated_keys = ["properties"]
        settings = bicep_app_settings(conf)
        if settings is None:
            return CheckResult.FAILED
        return _verdict(
            bool(
                settings.get("AppStorage__tableServiceUri")
                or settings.get("AppStorage__accountName")
            )
            and not identity_connection_problems(settings, "AppStorage")
        )


class TerraformAppStorageIdentityBased(TerraformResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="The app's AppStorage table connection uses the managed identity",
            id="CKV_DSHOP_7",
            categories=(CheckCategories.IAM,),
            supported_resources=TERRAFORM_SITES,
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        self.evaluated_keys = ["app_settings"]
        settings = tf_app_settings(conf)
        if settings is None:
            return CheckResult.FAILED
        return _verdict(
            bool(
                settings.get("AppStorage__tableServiceUri")
                or settings.get("AppStorage__accountName")
            )
            and not identity_connection_problems(settings, "AppStorage")
        )


class BicepBasicAuthPublishingDisabled(BicepResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Basic-auth publishing credentials are disabled (allow: false)",
            id="CKV_DSHOP_8",
            categories=(CheckCategories.IAM,),
            supported_resources=BICEP_PUBLISHING_POLICIES,
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["properties/allow"]
        return _verdict(is_false(bicep_path(conf, "properties", "allow")))


class TerraformBasicAuthPublishingDisabled(TerraformResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Basic-auth publishing credentials are disabled for FTP and Web Deploy (SCM)",
            id="CKV_DSHOP_8",
            categories=(CheckCategories.IAM,),
            supported_resources=TERRAFORM_SITES,
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        # azurerm defaults both to true, so they must be set explicitly.
        self.evaluated_keys = [
            "ftp_publish_basic_authentication_enabled",
            "webdeploy_publish_basic_authentication_enabled",
        ]
        return _verdict(
            is_false(tf_value(conf, "ftp_publish_basic_authentication_enabled"))
            and is_false(tf_value(conf, "webdeploy_publish_basic_authentication_enabled"))
        )


class BicepCorsNoWildcard(BicepResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Function app CORS allows no wildcard origin",
            id="CKV_DSHOP_9",
            categories=(CheckCategories.NETWORKING,),
            supported_resources=BICEP_SITES,
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["properties/siteConfig/cors/allowedOrigins"]
        cors = _bicep_site_config(conf).get("cors")
        origins = cors.get("allowedOrigins") if isinstance(cors, Mapping) else None
        return _verdict(not has_wildcard(origins))


class TerraformCorsNoWildcard(TerraformResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Function app CORS allows no wildcard origin",
            id="CKV_DSHOP_9",
            categories=(CheckCategories.NETWORKING,),
            supported_resources=TERRAFORM_SITES,
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        self.evaluated_keys = ["site_config/[0]/cors/[0]/allowed_origins"]
        cors = tf_block(tf_block(conf, "site_config"), "cors")
        return _verdict(not has_wildcard(cors.get("allowed_origins")))


BicepSiteTls12()
TerraformSiteTls12()
BicepSiteFtpsDisabled()
TerraformSiteFtpsDisabled()
BicepHostStorageIdentityBased()
TerraformHostStorageIdentityBased()
BicepAppStorageIdentityBased()
TerraformAppStorageIdentityBased()
BicepBasicAuthPublishingDisabled()
TerraformBasicAuthPublishingDisabled()
BicepCorsNoWildcard()
TerraformCorsNoWildcard()
