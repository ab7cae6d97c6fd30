# Audit logs to the Log Analytics workspace: Key Vault (AuditEvent: every secret read, including
# the app's Key Vault reference) and each storage service of both accounts (StorageRead,
# StorageWrite, StorageDelete). Storage logs are emitted per service, so the settings sit on the
# blob, queue, table and file service sub-resources, not on the account.
#
# The audited services and categories are compared with infra/bicep/modules/diagnostics.bicep by
# tests/infra/test_infra_parity.py: change both together.

locals {
  audited_storage_services   = ["blobServices", "queueServices", "tableServices", "fileServices"]
  storage_audit_categories   = ["StorageRead", "StorageWrite", "StorageDelete"]
  key_vault_audit_categories = ["AuditEvent"]

  audited_storage_accounts = {
    task_hub = azurerm_storage_account.task_hub.id
    content  = azurerm_storage_account.content.id
  }
  audited_storage_service_ids = merge([
    for account, account_id in local.audited_storage_accounts : {
      for service in local.audited_storage_services :
      "${account}-${service}" => "${account_id}/${service}/default"
    }
  ]...)
}

resource "azurerm_monitor_diagnostic_setting" "key_vault" {
  name                       = "audit-to-log-analytics"
  target_resource_id         = azurerm_key_vault.this.id
  log_analytics_workspace_id = azurerm_log_analytics_workspace.this.id

  dynamic "enabled_log" {
    for_each = local.key_vault_audit_categories
    content {
      category = enabled_log.value
    }
  }
}

resource "azurerm_monitor_diagnostic_setting" "storage_services" {
  for_each = local.audited_storage_service_ids

  name                       = "audit-to-log-analytics"
  target_resource_id         = each.value
  log_analytics_workspace_id = azurerm_log_analytics_workspace.this.id

  dynamic "enabled_log" {
    for_each = local.storage_audit_categories
    content {
      category = enabled_log.value
    }
  }
}
