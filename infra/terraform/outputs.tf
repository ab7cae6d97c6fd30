# Outputs, named like infra/bicep/main.bicep's (snake_case here, camelCase there).

output "function_app_name" {
  description = "Name of the function app (target of `func azure functionapp publish`)."
  value       = azurerm_linux_function_app.this.name
}

output "function_app_default_host_name" {
  description = "Default host name of the production site."
  value       = azurerm_linux_function_app.this.default_hostname
}

output "identity_client_id" {
  description = "Client id of the app's user-assigned identity."
  value       = azurerm_user_assigned_identity.app.client_id
}

output "task_hub_storage_account_name" {
  description = "Identity-only storage account: host, Durable task hub, app tables."
  value       = azurerm_storage_account.task_hub.name
}

output "content_storage_account_name" {
  description = "Storage account of the content share."
  value       = azurerm_storage_account.content.name
}

output "task_hub_name" {
  description = "Durable task hub of the production site."
  value       = local.site_instances.production.task_hub_name
}
