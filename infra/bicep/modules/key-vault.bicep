// Key Vault (RBAC mode, purge protection) holding the content share's connection string.
//
// The secret is written through Azure Resource Manager (control plane), so deploying needs no
// data-plane role on the vault and works when the vault's public endpoint is disabled. The app
// reads it through a Key Vault reference with its user-assigned identity (Key Vault Secrets User).

@description('Name of the vault.')
param name string

@description('Azure region.')
param location string

@description('Tags for the vault.')
param tags object

@description('True when the app reaches the vault through a private endpoint only.')
param privateNetworkOnly bool

@description('Name of the content-share storage account whose connection string the vault holds.')
param shareAccountName string

@description('Name of the secret holding the content share connection string.')
param contentShareSecretName string

resource shareAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: shareAccountName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  // checkov:skip=CKV_AZURE_109: Deny-by-default needs a private path: with enableNetworkIsolation=true the vault denies public traffic behind a private endpoint; by default the app resolves its Key Vault reference over the public endpoint with Entra ID (RBAC) auth.
  // checkov:skip=CKV_AZURE_189: publicNetworkAccess is Disabled when enableNetworkIsolation=true and Enabled otherwise (see CKV_AZURE_109); checkov cannot evaluate the conditional and errors on it.
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: privateNetworkOnly ? 'Disabled' : 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: privateNetworkOnly ? 'Deny' : 'Allow'
    }
  }
}

resource contentShareSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  // checkov:skip=CKV_AZURE_41: The value is rewritten from the storage account's current key on every deployment; an expiry date would stop the content share from mounting between deployments instead of forcing a rotation.
  parent: vault
  name: contentShareSecretName
  properties: {
    contentType: 'Azure Files connection string (Functions content share)'
    value: 'DefaultEndpointsProtocol=https;AccountName=${shareAccount.name};AccountKey=${shareAccount.listKeys().keys[0].value};EndpointSuffix=${environment().suffixes.storage}'
  }
}

@description('Name of the vault.')
output vaultResourceName string = vault.name

@description('Resource id of the vault.')
output vaultResourceId string = vault.id

@description('Name of the content share secret (referenced version-less, so a rotated key is picked up).')
output vaultSecretName string = contentShareSecret.name
