# Two storage accounts (see infra/README.md, "Content share"):
#
# - task_hub: identity-only. Functions host (AzureWebJobsStorage), the Durable task hub and the
#   app's own tables (AppStorage). No key, SAS or anonymous access works against it: the app
#   reaches it with its managed identity and the roles in role_assignments.tf.
# - content: the Elastic Premium content share. Azure Files cannot authenticate with a managed
#   identity, so this account keeps shared keys; it holds nothing but the deployed code and its
#   key lives only in Key Vault.

resource "azurerm_storage_account" "task_hub" {
  #checkov:skip=CKV_AZURE_43: The name is lowercase alphanumeric and at most 24 characters by construction (substr(lower(...), 0, 24) in locals.tf); checkov judges the unrendered expression, whose result depends on data sources it cannot read.
  #checkov:skip=CKV_AZURE_33: Queue logging is the classic key-based Storage Analytics setting (a data-plane call this configuration avoids); telemetry comes from App Insights and the Durable tracking tables.
  #checkov:skip=CKV_AZURE_206: Geo-replication is not a recovery plan for a Durable task hub (failover loses in-flight messages and leases); ZRS with zone redundancy, LRS otherwise.
  #checkov:skip=CKV2_AZURE_1: Encrypted with Microsoft-managed keys (plus infrastructure encryption); customer-managed keys need a key rotation process this template does not own.
  #checkov:skip=CKV_AZURE_35: Deny-by-default needs a private path: with enable_network_isolation = true the account denies public traffic behind private endpoints; by default Elastic Premium has no VNet, so the public endpoint stays open and accepts Entra ID auth only (shared keys disabled).
  #checkov:skip=CKV_AZURE_59: Public network access is disabled when enable_network_isolation = true; by default Elastic Premium has no VNet, so the public endpoint stays open and accepts Entra ID auth only.
  #checkov:skip=CKV2_AZURE_33: The blob, queue and table private endpoints exist when enable_network_isolation = true (network.tf); the default configuration has no VNet.
  name                              = local.task_hub_storage_account
  resource_group_name               = data.azurerm_resource_group.this.name
  location                          = local.location
  tags                              = local.tags
  account_kind                      = "StorageV2"
  account_tier                      = "Standard"
  account_replication_type          = local.storage_replication_type
  access_tier                       = "Hot"
  shared_access_key_enabled         = false
  allow_nested_items_to_be_public   = false
  cross_tenant_replication_enabled  = false
  default_to_oauth_authentication   = true
  local_user_enabled                = false
  sftp_enabled                      = false
  min_tls_version                   = "TLS1_2"
  https_traffic_only_enabled        = true
  infrastructure_encryption_enabled = true
  public_network_access_enabled     = !var.enable_network_isolation

  # Queues and tables encrypted with the account-scoped key, like blobs and files (and like
  # Bicep). Fixed at creation: changing it later replaces the account and its task hub.
  queue_encryption_key_type = "Account"
  table_encryption_key_type = "Account"

  network_rules {
    default_action = var.enable_network_isolation ? "Deny" : "Allow"
    bypass         = ["AzureServices"]
  }

  # Soft delete so a mistaken container/blob delete (e.g. of a task hub's lease or payload
  # containers) can be undone within a week.
  blob_properties {
    delete_retention_policy {
      days = 7
    }
    container_delete_retention_policy {
      days = 7
    }
  }
}

resource "azurerm_storage_account" "content" {
  #checkov:skip=CKV_DSHOP_1: Azure Files (the Elastic Premium content share) cannot use a managed identity, so this account keeps shared keys; it holds only deployed code and its key lives only in Key Vault.
  #checkov:skip=CKV_AZURE_43: The name is lowercase alphanumeric and at most 24 characters by construction (substr(lower(...), 0, 24) in locals.tf); checkov judges the unrendered expression, whose result depends on data sources it cannot read.
  #checkov:skip=CKV2_AZURE_40: Azure Files (the Elastic Premium content share) cannot use a managed identity, so this account keeps shared keys; it holds only deployed code and its key lives only in Key Vault.
  #checkov:skip=CKV_AZURE_33: Queue logging is the classic key-based Storage Analytics setting; this account has no queues in use (it holds only the content share).
  #checkov:skip=CKV_AZURE_206: The share holds only the deployed package, which the next deployment rewrites; geo-replication would add cost without protecting anything not already in source control.
  #checkov:skip=CKV2_AZURE_1: Encrypted with Microsoft-managed keys (plus infrastructure encryption); customer-managed keys need a key rotation process this template does not own.
  #checkov:skip=CKV_AZURE_35: Deny-by-default needs a private path: with enable_network_isolation = true the account denies public traffic behind a file private endpoint; by default Elastic Premium has no VNet and mounts the share over the public endpoint.
  #checkov:skip=CKV_AZURE_59: Public network access is disabled when enable_network_isolation = true; by default Elastic Premium has no VNet, so the share is mounted over the public endpoint.
  #checkov:skip=CKV2_AZURE_33: The file private endpoint exists when enable_network_isolation = true (network.tf); the default configuration has no VNet.
  name                              = local.content_storage_account
  resource_group_name               = data.azurerm_resource_group.this.name
  location                          = local.location
  tags                              = local.tags
  account_kind                      = "StorageV2"
  account_tier                      = "Standard"
  account_replication_type          = local.storage_replication_type
  access_tier                       = "Hot"
  shared_access_key_enabled         = true
  allow_nested_items_to_be_public   = false
  cross_tenant_replication_enabled  = false
  default_to_oauth_authentication   = true
  local_user_enabled                = false
  sftp_enabled                      = false
  min_tls_version                   = "TLS1_2"
  https_traffic_only_enabled        = true
  infrastructure_encryption_enabled = true
  public_network_access_enabled     = !var.enable_network_isolation

  network_rules {
    default_action = var.enable_network_isolation ? "Deny" : "Allow"
    bypass         = ["AzureServices"]
  }

  # Nothing should mint SAS tokens from this account's key; any that does is logged.
  sas_policy {
    expiration_period = "00.01:00:00"
    expiration_action = "Log"
  }

  blob_properties {
    delete_retention_policy {
      days = 7
    }
    container_delete_retention_policy {
      days = 7
    }
  }

  share_properties {
    retention_policy {
      days = 7
    }
  }
}

# One share per site instance (production and the optional slot): slots must not share content.
# Created here rather than by the platform: with the connection string behind a Key Vault
# reference the platform skips share validation (WEBSITE_SKIP_CONTENTSHARE_VALIDATION) and would
# not create the share itself. `storage_account_id` creates it through Azure Resource Manager,
# so no storage key or data-plane access is needed.
resource "azurerm_storage_share" "content" {
  for_each = var.enable_staging_slot ? local.site_instances : { production = local.site_instances.production }

  name               = each.value.content_share_name
  storage_account_id = azurerm_storage_account.content.id
  quota              = 100
  enabled_protocol   = "SMB"
}
