// Durable Functions shop on a Linux Elastic Premium plan, secure by default.
//
// Deploys into an existing resource group (`az deployment group create -g ...`); `azd up` deploys
// it as a module of azd/main.bicep, which creates the group at subscription scope.
// infra/terraform declares the same resources, parameters and defaults;
// tests/infra/test_infra_parity.py fails when the two drift apart.
targetScope = 'resourceGroup'

metadata description = 'Durable Functions (Python 3.11) on Elastic Premium with identity-based storage.'

// ---------------------------------------------------------------------------------------------
// Environment and naming
// ---------------------------------------------------------------------------------------------

@description('Short environment name (dev, test, prod): part of every resource name and of the task hub name, so each environment gets its own task hub. Lowercase letters and digits.')
@minLength(2)
@maxLength(8)
param environmentName string

@description('Azure region of every resource. Defaults to the resource group\'s region.')
param location string = resourceGroup().location

@description('Prefix of resource names and of the task hub name. Lowercase letters and digits.')
@minLength(2)
@maxLength(8)
param namePrefix string = 'shop'

@description('Tags added to every resource.')
param tags object = {}

// ---------------------------------------------------------------------------------------------
// Plan and scale
// ---------------------------------------------------------------------------------------------

@description('Elastic Premium size: EP1 (1 vCPU, 3.5 GB), EP2 (2 vCPU, 7 GB) or EP3 (4 vCPU, 14 GB).')
@allowed([
  'EP1'
  'EP2'
  'EP3'
])
param planSku string = 'EP1'

@description('Most instances the plan may scale out to.')
@minValue(1)
@maxValue(100)
param maximumElasticWorkerCount int = 20

@description('Always-ready instances (raised to 2 when zone redundant).')
@minValue(1)
@maxValue(20)
param alwaysReadyInstanceCount int = 1

@description('Pre-warmed instances kept ahead of scale-out (at least 1: runtime scale monitoring requires it).')
@minValue(1)
@maxValue(20)
param preWarmedInstanceCount int = 1

@description('Most instances this function app may use (functionAppScaleLimit).')
@minValue(1)
@maxValue(100)
param functionAppScaleLimit int = 10

@description('Spread the plan across availability zones (also switches storage to ZRS). Only at creation, in regions with zones.')
param zoneRedundant bool = false

@description('Create a "staging" deployment slot with its own task hub, host id and content share.')
param enableStagingSlot bool = false

// ---------------------------------------------------------------------------------------------
// Network
// ---------------------------------------------------------------------------------------------

@description('VNet integration plus private endpoints for storage and Key Vault; their public endpoints are then disabled and runtime scale monitoring is turned on.')
param enableNetworkIsolation bool = false

@description('Address space of the VNet (used when enableNetworkIsolation is true).')
param vnetAddressPrefix string = '10.40.0.0/16'

@description('Integration subnet, delegated to Microsoft.Web/serverFarms.')
param integrationSubnetPrefix string = '10.40.0.0/24'

@description('Private endpoint subnet.')
param privateEndpointSubnetPrefix string = '10.40.1.0/24'

// ---------------------------------------------------------------------------------------------
// Observability and HTTP
// ---------------------------------------------------------------------------------------------

@description('Days of log retention in Log Analytics.')
@minValue(30)
@maxValue(730)
param logRetentionDays int = 30

@description('Origins allowed to call the HTTP API from a browser. Never "*": a wildcard is dropped.')
param corsAllowedOrigins array = []

// ---------------------------------------------------------------------------------------------
// The app's own settings (shared/settings.py): same defaults and bounds as the app.
// ---------------------------------------------------------------------------------------------

@description('BATCH_MAX_PARALLEL: chunks of a batch processed at once.')
@minValue(1)
@maxValue(200)
param batchMaxParallel int = 16

@description('BATCH_CHUNK_SIZE: items per sub-orchestration of a batch.')
@minValue(10)
@maxValue(1000)
param batchChunkSize int = 100

@description('BATCH_MAX_ITEMS: largest batch accepted.')
@minValue(1)
@maxValue(10000)
param batchMaxItems int = 10000

@description('APPROVAL_DEFAULT_STAGE_HOURS: deadline of an approval stage.')
@minValue(1)
@maxValue(144)
param approvalDefaultStageHours int = 72

@description('HEALTH_MONITOR_ALLOWLIST entries besides "self" (this app\'s /api/health): name -> https URL.')
param healthMonitorAllowlist object = {}

@description('HEALTH_CHECK_INTERVAL_SECONDS: time between health probes.')
@minValue(1)
@maxValue(86400)
param healthCheckIntervalSeconds int = 300

@description('HEALTH_ALERT_THRESHOLD: consecutive failures before an alert.')
@minValue(1)
@maxValue(100)
param healthAlertThreshold int = 3

@description('HEALTH_CHECK_TIMEOUT_SECONDS: timeout of one health probe.')
@minValue(1)
@maxValue(60)
param healthCheckTimeoutSeconds int = 10

@description('MAX_REQUEST_BYTES: largest accepted HTTP request body.')
@minValue(1024)
@maxValue(16777216)
param maxRequestBytes int = 2097152

@description('OPERATIONS_EMAIL: where operational alerts go.')
param operationsEmail string = 'ops@example.com'

// ---------------------------------------------------------------------------------------------
// Derived values (mirrored in infra/terraform/locals.tf)
// ---------------------------------------------------------------------------------------------

var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var baseName = toLower('${namePrefix}-${environmentName}')
var standardTags = {
  'azd-env-name': environmentName
  application: 'durable-shop'
}
var allTags = union(tags, standardTags)

var appResourceName = 'func-${baseName}-${resourceToken}'
var taskHubAccountName = take(toLower('sth${namePrefix}${environmentName}${resourceToken}'), 24)
var contentAccountName = take(toLower('stc${namePrefix}${environmentName}${resourceToken}'), 24)
var vaultName = take('kv-${baseName}-${resourceToken}', 24)
var contentSecretName = 'content-share-connection-string'
var storageSkuName = zoneRedundant ? 'Standard_ZRS' : 'Standard_LRS'

// Zone-redundant Elastic Premium needs at least 2 always-ready instances.
var effectiveAlwaysReadyInstanceCount = zoneRedundant ? max(alwaysReadyInstanceCount, 2) : alwaysReadyInstanceCount

// One Python worker process per vCPU of the plan size (see the comment in function-app.bicep).
var workerProcessCountBySku = {
  EP1: 1
  EP2: 2
  EP3: 4
}

// Task hub and host id per site instance: slots share the storage account, so each needs its
// own task hub (else they steal each other's work items) and its own host id.
var productionTaskHubName = toLower(replace('${namePrefix}${environmentName}', '-', ''))
var stagingTaskHubName = '${productionTaskHubName}staging'
var productionHostId = baseName
var stagingHostId = '${baseName}-staging'
var productionContentShareName = appResourceName
var stagingContentShareName = '${appResourceName}-staging'
var productionContentShareNames = [
  productionContentShareName
]
var allContentShareNames = [
  productionContentShareName
  stagingContentShareName
]

var appSettingValues = {
  batchMaxParallel: batchMaxParallel
  batchChunkSize: batchChunkSize
  batchMaxItems: batchMaxItems
  approvalDefaultStageHours: approvalDefaultStageHours
  healthMonitorAllowlist: healthMonitorAllowlist
  healthCheckIntervalSeconds: healthCheckIntervalSeconds
  healthAlertThreshold: healthAlertThreshold
  healthCheckTimeoutSeconds: healthCheckTimeoutSeconds
  maxRequestBytes: maxRequestBytes
  operationsEmail: operationsEmail
}

// ---------------------------------------------------------------------------------------------
// Resources
// ---------------------------------------------------------------------------------------------

module appIdentity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: 'id-${baseName}'
    location: location
    tags: allTags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    workspaceName: 'log-${baseName}'
    applicationInsightsName: 'appi-${baseName}'
    location: location
    tags: allTags
    retentionInDays: logRetentionDays
  }
}

module taskHubStorage 'modules/storage.bicep' = {
  name: 'task-hub-storage'
  params: {
    name: taskHubAccountName
    location: location
    tags: allTags
    skuName: storageSkuName
    privateNetworkOnly: enableNetworkIsolation
  }
}

module contentStorage 'modules/content-storage.bicep' = {
  name: 'content-storage'
  params: {
    name: contentAccountName
    location: location
    tags: allTags
    skuName: storageSkuName
    privateNetworkOnly: enableNetworkIsolation
    shareNames: enableStagingSlot ? allContentShareNames : productionContentShareNames
  }
}

module keyVault 'modules/key-vault.bicep' = {
  name: 'key-vault'
  params: {
    name: vaultName
    location: location
    tags: allTags
    privateNetworkOnly: enableNetworkIsolation
    shareAccountName: contentStorage.outputs.contentShareAccountName
    contentShareSecretName: contentSecretName
  }
}

module roleAssignments 'modules/role-assignments.bicep' = {
  name: 'role-assignments'
  params: {
    principalId: appIdentity.outputs.identityPrincipalId
    scopeStorageAccountName: taskHubStorage.outputs.hubAccountName
    scopeApplicationInsightsName: monitoring.outputs.componentName
    scopeKeyVaultName: keyVault.outputs.vaultResourceName
  }
}

module network 'modules/network.bicep' = if (enableNetworkIsolation) {
  name: 'network'
  params: {
    vnetName: 'vnet-${baseName}'
    location: location
    tags: allTags
    vnetAddressPrefix: vnetAddressPrefix
    integrationSubnetPrefix: integrationSubnetPrefix
    privateEndpointSubnetPrefix: privateEndpointSubnetPrefix
    taskHubStorageAccountId: taskHubStorage.outputs.hubAccountId
    contentStorageAccountId: contentStorage.outputs.contentShareAccountId
    keyVaultId: keyVault.outputs.vaultResourceId
  }
}

module plan 'modules/plan.bicep' = {
  name: 'plan'
  params: {
    name: 'plan-${baseName}'
    location: location
    tags: allTags
    skuName: planSku
    minimumInstanceCount: effectiveAlwaysReadyInstanceCount
    maximumElasticWorkerCount: maximumElasticWorkerCount
    zoneRedundant: zoneRedundant
  }
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  params: {
    appName: appResourceName
    location: location
    tags: allTags
    planId: plan.outputs.planResourceId
    identityId: appIdentity.outputs.identityResourceId
    appIdentityClientId: appIdentity.outputs.clientId
    hostStorageAccountName: taskHubStorage.outputs.hubAccountName
    tableServiceUri: taskHubStorage.outputs.hubTableServiceUri
    durableTaskHubName: productionTaskHubName
    hostId: productionHostId
    contentShareName: productionContentShareName
    keyVaultName: keyVault.outputs.vaultResourceName
    contentShareSecretName: keyVault.outputs.vaultSecretName
    applicationInsightsConnectionString: monitoring.outputs.componentConnectionString
    workerProcessCount: workerProcessCountBySku[planSku]
    alwaysReadyInstanceCount: effectiveAlwaysReadyInstanceCount
    preWarmedInstanceCount: preWarmedInstanceCount
    functionAppScaleLimit: functionAppScaleLimit
    corsAllowedOrigins: corsAllowedOrigins
    integrationSubnetId: enableNetworkIsolation ? network.outputs.integrationSubnetResourceId : ''
    appConfiguration: appSettingValues
  }
  // The identity's roles must exist before the first cold start resolves the Key Vault reference
  // and opens the task hub.
  dependsOn: [
    roleAssignments
    contentStorage
  ]
}

module stagingSlot 'modules/function-app-slot.bicep' = if (enableStagingSlot) {
  name: 'function-app-staging'
  params: {
    appName: appResourceName
    slotName: 'staging'
    location: location
    tags: allTags
    planId: plan.outputs.planResourceId
    identityId: appIdentity.outputs.identityResourceId
    appIdentityClientId: appIdentity.outputs.clientId
    hostStorageAccountName: taskHubStorage.outputs.hubAccountName
    tableServiceUri: taskHubStorage.outputs.hubTableServiceUri
    durableTaskHubName: stagingTaskHubName
    hostId: stagingHostId
    contentShareName: stagingContentShareName
    keyVaultName: keyVault.outputs.vaultResourceName
    contentShareSecretName: keyVault.outputs.vaultSecretName
    applicationInsightsConnectionString: monitoring.outputs.componentConnectionString
    workerProcessCount: workerProcessCountBySku[planSku]
    alwaysReadyInstanceCount: effectiveAlwaysReadyInstanceCount
    preWarmedInstanceCount: preWarmedInstanceCount
    functionAppScaleLimit: functionAppScaleLimit
    corsAllowedOrigins: corsAllowedOrigins
    integrationSubnetId: enableNetworkIsolation ? network.outputs.integrationSubnetResourceId : ''
    appConfiguration: appSettingValues
  }
  dependsOn: [
    functionApp
  ]
}

// ---------------------------------------------------------------------------------------------
// Outputs (azd stores them in the environment's .env)
// ---------------------------------------------------------------------------------------------

@description('Name of the function app (target of `func azure functionapp publish`).')
output functionAppName string = appResourceName

@description('Default host name of the production site.')
output functionAppDefaultHostName string = functionApp.outputs.siteDefaultHostName

@description('Client id of the app\'s user-assigned identity.')
output identityClientId string = appIdentity.outputs.clientId

@description('Identity-only storage account: host, Durable task hub, app tables.')
output taskHubStorageAccountName string = taskHubStorage.outputs.hubAccountName

@description('Storage account of the content share.')
output contentStorageAccountName string = contentStorage.outputs.contentShareAccountName

@description('Durable task hub of the production site.')
output taskHubName string = productionTaskHubName
