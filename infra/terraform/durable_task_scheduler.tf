# The Durable Task Scheduler backend (durable_backend = "scheduler"): the scheduler, one task hub
# per site instance, and the app identity's data role on it. infra/bicep/modules/
# durable-task-scheduler.bicep declares the same; README.md, "Choosing the Durable backend", says
# when to use it. Written through Azure Resource Manager (azapi), like the Key Vault secret.

locals {
  # Dedicated SKU, one capacity unit (up to 2,000 actions per second, 90 days of retention); the
  # allow-list admits every address because authentication is by Entra ID alone.
  durable_task_scheduler_sku = {
    name     = "Dedicated"
    capacity = 1
  }
  # Durable Task Data Contributor: start, query and manage instances, and process work items.
  durable_task_data_contributor = "0ad04412-c4d5-4796-b79c-f76d14c8d402"
  durable_task_hubs = local.use_scheduler ? {
    for instance, site in local.site_instances : instance => site.task_hub_name
    if instance == "production" || var.enable_staging_slot
  } : {}
}

resource "azapi_resource" "durable_task_scheduler" {
  count     = local.use_scheduler ? 1 : 0
  type      = "Microsoft.DurableTask/schedulers@2025-11-01"
  name      = local.durable_task_scheduler_name
  parent_id = data.azurerm_resource_group.this.id
  location  = local.location
  tags      = local.tags

  body = {
    properties = {
      sku         = local.durable_task_scheduler_sku
      ipAllowlist = ["0.0.0.0/0"]
    }
  }
  response_export_values = ["properties.endpoint"]
}

resource "azapi_resource" "durable_task_hub" {
  for_each  = local.durable_task_hubs
  type      = "Microsoft.DurableTask/schedulers/taskHubs@2025-11-01"
  name      = each.value
  parent_id = azapi_resource.durable_task_scheduler[0].id

  body = {
    properties = {}
  }
}

resource "azurerm_role_assignment" "durable_task_data" {
  count                            = local.use_scheduler ? 1 : 0
  scope                            = azapi_resource.durable_task_scheduler[0].id
  role_definition_id               = "/subscriptions/${data.azurerm_client_config.current.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/${local.durable_task_data_contributor}"
  principal_id                     = azurerm_user_assigned_identity.app.principal_id
  principal_type                   = "ServicePrincipal"
  skip_service_principal_aad_check = true
}
