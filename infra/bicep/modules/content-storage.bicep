// The Elastic Premium content share, on its own storage account.
//
// Azure Files (WEBSITE_CONTENTAZUREFILECONNECTIONSTRING) cannot authenticate with a managed
// identity, so this account must keep shared-key access. Isolating it here keeps the
// identity-only account (host, task hub, app data) free of keys: this account holds nothing but
// the deployed code, its key lives only in Key Vault, and blob/queue/table data never lands here.
// See infra/README.md, "Content share".

@description('Name of the storage account.')
param name string

@description('Azure region.')
param location string

@description('Tags for the account.')
param tags object

@description('Replication: Standard_ZRS when the plan is zone redundant, Standard_LRS otherwise.')
param skuName string

@description('True when the app reaches the share through a private endpoint only.')
param privateNetworkOnly bool

@description('One file share per site instance (production and each slot): slots must not share content.')
param shareNames array

resource contentAccount 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  // checkov:skip=CKV_AZURE_35: Deny-by-default needs a private path: with enableNetworkIsolation=true the account denies public traffic behind a file private endpoint; by default Elastic Premium has no VNet and mounts the share over the public endpoint.
  // checkov:skip=CKV_AZURE_206: The share holds only the deployed package, which the next deployment rewrites; geo-replication would add cost without protecting anything not already in source control.
  // checkov:skip=CKV_DSHOP_1: Azure Files (the Elastic Premium content share) cannot use a managed identity, so this account keeps shared keys; it holds only deployed code and its key lives only in Key Vault.
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    isLocalUserEnabled: false
    isSftpEnabled: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: privateNetworkOnly ? 'Disabled' : 'Enabled'
    // Nothing should mint SAS tokens from this account's key; any that does is logged.
    sasPolicy: {
      sasExpirationPeriod: '00.01:00:00'
      expirationAction: 'Log'
    }
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
      }
    }
  }
}

resource contentBlobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: contentAccount
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

resource fileService 'Microsoft.Storage/storageAccounts/fileServices@2023-05-01' = {
  parent: contentAccount
  name: 'default'
  properties: {
    shareDeleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

// Created here rather than by the platform: with the connection string behind a Key Vault
// reference the platform skips share validation (WEBSITE_SKIP_CONTENTSHARE_VALIDATION) and
// would not create the share itself.
resource shares 'Microsoft.Storage/storageAccounts/fileServices/shares@2023-05-01' = [
  for shareName in shareNames: {
    parent: fileService
    name: shareName
    properties: {
      shareQuota: 100
      enabledProtocols: 'SMB'
    }
  }
]

@description('Name of the account.')
output contentShareAccountName string = contentAccount.name

@description('Resource id of the account.')
output contentShareAccountId string = contentAccount.id
