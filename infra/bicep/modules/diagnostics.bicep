// Audit logs to the Log Analytics workspace: Key Vault (AuditEvent: every secret read, including
// the app's Key Vault reference) and each storage service of both accounts (StorageRead,
// StorageWrite, StorageDelete). Storage logs are emitted per service, so the settings sit on the
// blob, queue, table and file service sub-resources, not on the account.
//
// The audited services and categories are compared with infra/terraform/diagnostics.tf
// by tests/infra/test_infra_parity.py: change both together.

@description('Resource id of the Log Analytics workspace.')
param workspaceId string

@description('Storage accounts whose services are audited (task hub and content share).')
param storageAccountNames array

@description('Name of the Key Vault.')
param auditedVaultName string

var storageAuditCategories = [
  'StorageRead'
  'StorageWrite'
  'StorageDelete'
]
var vaultAuditCategories = [
  'AuditEvent'
]
var storageAuditLogs = [
  for category in storageAuditCategories: {
    category: category
    enabled: true
  }
]

resource auditedVault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: auditedVaultName
}

resource vaultDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'audit-to-log-analytics'
  scope: auditedVault
  properties: {
    workspaceId: workspaceId
    logs: [
      for category in vaultAuditCategories: {
        category: category
        enabled: true
      }
    ]
  }
}

resource auditedBlobServices 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = [
  for accountName in storageAccountNames: {
    name: '${accountName}/default'
  }
]

resource auditedQueueServices 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' existing = [
  for accountName in storageAccountNames: {
    name: '${accountName}/default'
  }
]

resource auditedTableServices 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' existing = [
  for accountName in storageAccountNames: {
    name: '${accountName}/default'
  }
]

resource auditedFileServices 'Microsoft.Storage/storageAccounts/fileServices@2023-05-01' existing = [
  for accountName in storageAccountNames: {
    name: '${accountName}/default'
  }
]

resource blobDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = [
  for (accountName, index) in storageAccountNames: {
    name: 'audit-to-log-analytics'
    scope: auditedBlobServices[index]
    properties: {
      workspaceId: workspaceId
      logs: storageAuditLogs
    }
  }
]

resource queueDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = [
  for (accountName, index) in storageAccountNames: {
    name: 'audit-to-log-analytics'
    scope: auditedQueueServices[index]
    properties: {
      workspaceId: workspaceId
      logs: storageAuditLogs
    }
  }
]

resource tableDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = [
  for (accountName, index) in storageAccountNames: {
    name: 'audit-to-log-analytics'
    scope: auditedTableServices[index]
    properties: {
      workspaceId: workspaceId
      logs: storageAuditLogs
    }
  }
]

resource fileDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = [
  for (accountName, index) in storageAccountNames: {
    name: 'audit-to-log-analytics'
    scope: auditedFileServices[index]
    properties: {
      workspaceId: workspaceId
      logs: storageAuditLogs
    }
  }
]
