// Role assignments for the app's user-assigned identity: the least the host, Durable Functions
// and the app need. Role ids are built-in (the same in every tenant).
//
// The `rolesOn*` variables are compared with Terraform's `role_definition_ids_by_scope` by
// tests/infra/test_infra_parity.py: change both together.

@description('Principal (object) id of the app identity.')
param principalId string

@description('Name of the identity-only storage account (host, task hub, app tables).')
param scopeStorageAccountName string

@description('Name of the Application Insights component.')
param scopeApplicationInsightsName string

@description('Name of the Key Vault holding the content share secret.')
param scopeKeyVaultName string

var rolesOnTaskHubStorage = [
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b' // Storage Blob Data Owner: host leases and keys, Durable leases and large payloads
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88' // Storage Queue Data Contributor: Durable control and work-item queues
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3' // Storage Table Data Contributor: Durable history/instances and the AppStorage tables
]

var rolesOnApplicationInsights = [
  '3913510d-42f4-4e42-8a64-420c390055eb' // Monitoring Metrics Publisher: Entra-authenticated telemetry ingestion
]

var rolesOnKeyVault = [
  '4633458b-17de-408a-b874-0445c86b69e6' // Key Vault Secrets User: resolve the content share Key Vault reference
]

resource storageScope 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: scopeStorageAccountName
}

resource appInsightsScope 'Microsoft.Insights/components@2020-02-02' existing = {
  name: scopeApplicationInsightsName
}

resource vaultScope 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: scopeKeyVaultName
}

resource taskHubStorageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in rolesOnTaskHubStorage: {
    name: guid(storageScope.id, principalId, roleId)
    scope: storageScope
    properties: {
      principalId: principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    }
  }
]

resource applicationInsightsRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in rolesOnApplicationInsights: {
    name: guid(appInsightsScope.id, principalId, roleId)
    scope: appInsightsScope
    properties: {
      principalId: principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    }
  }
]

resource keyVaultRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in rolesOnKeyVault: {
    name: guid(vaultScope.id, principalId, roleId)
    scope: vaultScope
    properties: {
      principalId: principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    }
  }
]
