# Role assignments for the app's user-assigned identity: the least the host, Durable Functions
# and the app need. Role ids are built-in (the same in every tenant).
#
# `role_definition_ids_by_scope` is compared with the `rolesOn*` variables of
# infra/bicep/modules/role-assignments.bicep by tests/infra/test_infra_parity.py: change both
# together.

locals {
  role_definition_ids_by_scope = {
    task_hub_storage = [
      "b7e6dc6d-f1e8-4753-8033-0f276bb0955b", # Storage Blob Data Owner: host leases and keys, Durable leases and large payloads
      "974c5e8b-45b9-4653-ba55-5f855dd0fb88", # Storage Queue Data Contributor: Durable control and work-item queues
      "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", # Storage Table Data Contributor: Durable history/instances and the AppStorage tables
    ]
    application_insights = [
      "3913510d-42f4-4e42-8a64-420c390055eb", # Monitoring Metrics Publisher: Entra-authenticated telemetry ingestion
    ]
    key_vault = [
      "4633458b-17de-408a-b874-0445c86b69e6", # Key Vault Secrets User: resolve the content share Key Vault reference
    ]
  }

  role_scope_ids = {
    task_hub_storage     = azurerm_storage_account.task_hub.id
    application_insights = azurerm_application_insights.this.id
    key_vault            = azurerm_key_vault.this.id
  }

  role_assignments = merge([
    for scope, role_ids in local.role_definition_ids_by_scope : {
      for role_id in role_ids : "${scope}-${role_id}" => {
        scope   = scope
        role_id = role_id
      }
    }
  ]...)
}

resource "azurerm_role_assignment" "app" {
  for_each = local.role_assignments

  scope                            = local.role_scope_ids[each.value.scope]
  role_definition_id               = "/subscriptions/${data.azurerm_client_config.current.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/${each.value.role_id}"
  principal_id                     = azurerm_user_assigned_identity.app.principal_id
  principal_type                   = "ServicePrincipal"
  skip_service_principal_aad_check = true
}
