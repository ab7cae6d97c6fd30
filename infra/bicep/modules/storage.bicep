// The identity-only storage account: Functions host (AzureWebJobsStorage), the Durable task hub
// and the app's own tables (AppStorage). No key, SAS or anonymous access works against it: the
// app reaches it with its managed identity and the roles in role-assignments.bicep.

@description('Name of the storage account.')
param name string

@description('Azure region.')
param location string

@description('Tags for the account.')
param tags object

@description('Replication: Standard_ZRS when the plan is zone redundant, Standard_LRS otherwise.')
param skuName string

@description('True when the app reaches the account through private endpoints only.')
param privateNetworkOnly bool

resource taskHubAccount 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  // checkov:skip=CKV_AZURE_35: Deny-by-default needs a private path: with enableNetworkIsolation=true the account denies public traffic behind private endpoints; by default Elastic Premium has no VNet, so the public endpoint stays open and accepts Entra ID auth only (shared keys disabled).
  // checkov:skip=CKV_AZURE_206: Geo-replication is not a recovery plan for a Durable task hub (failover loses in-flight messages and leases); ZRS with zone redundancy, LRS otherwise.
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    isLocalUserEnabled: false
    isSftpEnabled: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: privateNetworkOnly ? 'Disabled' : 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: privateNetworkOnly ? 'Deny' : 'Allow'
    }
    encryption: {
      keySource: 'Microsoft.Storage'
      requireInfrastructureEncryption: true
      services: {
        blob: {
          enabled: true
        }
        file: {
          enabled: true
        }
        queue: {
          enabled: true
          keyType: 'Account'
        }
        table: {
          enabled: true
          keyType: 'Account'
        }
      }
    }
  }
}

// Soft delete so a mistaken container/blob delete (e.g. of a task hub's lease or payload
// containers) can be undone within a week.
resource taskHubBlobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: taskHubAccount
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: 7
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

@description('Name of the account (AzureWebJobsStorage__accountName).')
output hubAccountName string = taskHubAccount.name

@description('Resource id of the account.')
output hubAccountId string = taskHubAccount.id

@description('Table endpoint without trailing slash (AppStorage__tableServiceUri).')
output hubTableServiceUri string = 'https://${taskHubAccount.name}.table.${environment().suffixes.storage}'
