# Log Analytics + workspace-based Application Insights, both with local (key) auth disabled.
#
# With local auth disabled the instrumentation key in the connection string can no longer ingest
# telemetry on its own: the app must authenticate with Entra ID, which it does through
# APPLICATIONINSIGHTS_AUTHENTICATION_STRING and the Monitoring Metrics Publisher role.

resource "azurerm_log_analytics_workspace" "this" {
  name                         = "log-${local.base_name}"
  resource_group_name          = data.azurerm_resource_group.this.name
  location                     = local.location
  tags                         = local.tags
  sku                          = "PerGB2018"
  retention_in_days            = var.log_retention_days
  local_authentication_enabled = false
}

resource "azurerm_application_insights" "this" {
  name                         = "appi-${local.base_name}"
  resource_group_name          = data.azurerm_resource_group.this.name
  location                     = local.location
  tags                         = local.tags
  application_type             = "web"
  workspace_id                 = azurerm_log_analytics_workspace.this.id
  local_authentication_enabled = false
}
