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

@description('Always-ready instances of the production site (raised to 2 when zone redundant). Microsoft.Web/sites siteConfig.minimumElasticInstanceCount: 0-20.')
@minValue(1)
@maxValue(20)
param alwaysReadyInstanceCount int = 1

@description('Pre-warmed instances of the production site kept ahead of scale-out (at least 1: runtime scale monitoring requires it). Microsoft.Web/sites siteConfig.preWarmedInstanceCount: 0-10.')
@minValue(1)
@maxValue(10)
param preWarmedInstanceCount int = 1

@description('Always-ready instances of the staging slot: always-ready is per site, so these are billed on top of production\'s.')
@minValue(1)
@maxValue(20)
param stagingAlwaysReadyInstanceCount int = 1

@description('Pre-warmed instances of the staging slot (at least 1: runtime scale monitoring requires it).')
@minValue(1)
@maxValue(10)
param stagingPreWarmedInstanceCount int = 1

@description('Most instances this function app may use (functionAppScaleLimit).')
@minValue(1)
@maxValue(100)
param functionAppScaleLimit int = 10

@description('Spread the plan across availability zones (also switches storage to ZRS). Only at creation, in regions with zones.')
param zoneRedundant bool = false

@description('Durable backend: azureStorage (queues, tables and blobs in the task hub account) or scheduler (a Durable Task Scheduler with a task hub per site instance; README.md, "Choosing the Durable backend").')
@allowed([
  'azureStorage'
  'scheduler'
])
param durableBackend string = 'azureStorage'

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

@description('Origins allowed to call the HTTP API from a browser. Never "*": a wildcard fails the deployment.')
param corsAllowedOrigins array = []

@description('Durable defaultVersion of the code production runs (AzureFunctionsJobHost__extensions__durableTask__defaultVersion), MAJOR.MINOR.PATCH; the pipeline passes the running version and sets the release version on the staging slot (docs/changing-orchestrations.md). The default is host.json\'s.')
param orchestrationVersion string = '1.1.0'

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

@description('STORAGE_TIMEOUT_SECONDS: how long one storage call of an HTTP request may wait before the route answers 503.')
@minValue(1)
@maxValue(60)
param storageTimeoutSeconds int = 5

@description('IDEMPOTENCY_KEY_RETENTION_HOURS: how long an Idempotency-Key is remembered after its request.')
@minValue(1)
@maxValue(720)
param idempotencyKeyRetentionHours int = 24

@description('IDEMPOTENCY_KEY_CLEANUP_SCHEDULE: NCRONTAB schedule (six fields, UTC) of the timer that removes expired Idempotency-Key rows; the app checks its form.')
@minLength(11)
@maxLength(100)
param idempotencyKeyCleanupSchedule string = '0 */15 * * * *'

@description('OPERATIONS_EMAIL: where operational alerts go.')
param operationsEmail string = 'ops@example.com'

@description('NOTIFICATION_ALLOWED_DOMAINS: comma-separated domains the app may notify; OPERATIONS_EMAIL must be in one of them.')
@minLength(1)
@maxLength(2000)
param notificationAllowedDomains string = 'example.com,example.org'

// ---------------------------------------------------------------------------------------------
// App Service Authentication (Easy Auth) with Microsoft Entra ID
// ---------------------------------------------------------------------------------------------

@description('Turn on App Service Authentication with Microsoft Entra ID (on in environments/prod): the platform validates bearer tokens and passes the caller as x-ms-client-principal-*; the approval routes then require it.')
param enableAppServiceAuthentication bool = false

@description('Application (client) id of the Entra app registration whose tokens the API accepts. Required when enableAppServiceAuthentication is true.')
param authClientId string = ''

@description('Entra tenant that issues the tokens; empty: the tenant of the deployment.')
param authTenantId string = ''

@description('Audiences a token may carry; empty: api://<authClientId>.')
param authAllowedAudiences array = []

// ---------------------------------------------------------------------------------------------
// Derived values (mirrored in infra/terraform/locals.tf)
// ---------------------------------------------------------------------------------------------

// namePrefix and environmentName end up in storage account names (lowercase letters and digits
// only) and in the task hub name. Bicep has no pattern decorator, so the rule is checked here.
//
// Rules that decorators cannot express stop the deployment with `int('<the rule>')`: converting
// a sentence fails while ARM validates the template, before any resource exists, and the error
// names the variable holding the check. (Bicep's int() says the same more plainly, but checkov's
// Bicep parser rejects it, and that would take this file out of the scan.)
var nameCharacters = 'abcdefghijklmnopqrstuvwxyz0123456789'
var nameParts = '${namePrefix}${environmentName}'
var namePartCharacterIsValid = [for position in range(0, length(nameParts)): contains(nameCharacters, substring(nameParts, position, 1))]
var nameRuleMessage = 'namePrefix and environmentName may contain only lowercase letters and digits'
var nameStem = contains(namePartCharacterIsValid, false) ? int(nameRuleMessage) : nameParts

// A wildcard origin would let any site call the API from a browser: rejected like Terraform's
// validation of cors_allowed_origins, not silently dropped.
var checkedCorsAllowedOrigins = contains(corsAllowedOrigins, '*') ? int('corsAllowedOrigins must list origins; a wildcard is not allowed') : corsAllowedOrigins

var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var baseName = contains(namePartCharacterIsValid, false) ? int(nameRuleMessage) : '${namePrefix}-${environmentName}'
var standardTags = {
  'azd-env-name': environmentName
  application: 'durable-shop'
}
var allTags = union(tags, standardTags)

var appResourceName = 'func-${baseName}-${resourceToken}'
var taskHubAccountName = take('sth${nameStem}${resourceToken}', 24)
var contentAccountName = take('stc${nameStem}${resourceToken}', 24)
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
var productionTaskHubName = nameStem
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

// The Durable Task Scheduler backend: its own resource, task hubs named like the storage ones,
// and runtime scale monitoring (the scale controller cannot see the scheduler's backlog).
var useScheduler = durableBackend == 'scheduler'
var durableTaskSchedulerName = 'dts-${baseName}-${resourceToken}'
var scaleMonitoringOn = enableNetworkIsolation || useScheduler

var authIssuerTenantId = empty(authTenantId) ? tenant().tenantId : authTenantId
var appAuthentication = {
  enabled: enableAppServiceAuthentication
  clientId: enableAppServiceAuthentication && empty(authClientId) ? int('authClientId is required when enableAppServiceAuthentication is true') : authClientId
  openIdIssuer: '${environment().authentication.loginEndpoint}${authIssuerTenantId}/v2.0'
  allowedAudiences: empty(authAllowedAudiences) ? [
    'api://${authClientId}'
  ] : authAllowedAudiences
}

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
  storageTimeoutSeconds: storageTimeoutSeconds
  idempotencyKeyRetentionHours: idempotencyKeyRetentionHours
  idempotencyKeyCleanupSchedule: idempotencyKeyCleanupSchedule
  operationsEmail: operationsEmail
  notificationAllowedDomains: notificationAllowedDomains
  orchestrationVersion: orchestrationVersion
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

module diagnostics 'modules/diagnostics.bicep' = {
  name: 'diagnostics'
  params: {
    workspaceId: monitoring.outputs.workspaceResourceId
    storageAccountNames: [
      taskHubStorage.outputs.hubAccountName
      contentStorage.outputs.contentShareAccountName
    ]
    auditedVaultName: keyVault.outputs.vaultResourceName
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  params: {
    alertNameStem: baseName
    location: location
    tags: allTags
    operationsEmail: operationsEmail
    workspaceId: monitoring.outputs.workspaceResourceId
    applicationInsightsId: monitoring.outputs.componentResourceId
    queueAccountName: taskHubStorage.outputs.hubAccountName
  }
}

module durableTaskScheduler 'modules/durable-task-scheduler.bicep' = if (useScheduler) {
  name: 'durable-task-scheduler'
  params: {
    schedulerName: durableTaskSchedulerName
    location: location
    tags: allTags
    taskHubNames: enableStagingSlot ? [
      productionTaskHubName
      stagingTaskHubName
    ] : [
      productionTaskHubName
    ]
    principalId: appIdentity.outputs.identityPrincipalId
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

// Order of a first deployment (infra/README.md, "What a deployment looks like"): identity,
// monitoring, storage, share, vault and secret, role assignments and (with network isolation)
// VNet, private endpoints and DNS links; then the site without app settings; then its settings.
module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  params: {
    appName: appResourceName
    location: location
    tags: allTags
    planId: plan.outputs.planResourceId
    identityId: appIdentity.outputs.identityResourceId
    alwaysReadyInstanceCount: effectiveAlwaysReadyInstanceCount
    preWarmedInstanceCount: preWarmedInstanceCount
    functionAppScaleLimit: functionAppScaleLimit
    corsAllowedOrigins: checkedCorsAllowedOrigins
    integrationSubnetId: enableNetworkIsolation ? network.outputs.integrationSubnetResourceId : ''
    runtimeScaleMonitoring: scaleMonitoringOn
    authentication: appAuthentication
  }
  // The identity's roles are created before the site; creation is not propagation, which is
  // why the content settings come in a later request (functionAppSettings).
  dependsOn: [
    roleAssignments
    network
  ]
}

// Reads the site's current settings when this module starts (after the site exists): a slot swap
// may have moved WEBSITE_CONTENTSHARE, and the module keeps the current value.
module functionAppSettings 'modules/function-app-settings.bicep' = {
  name: 'function-app-settings'
  params: {
    appName: appResourceName
    currentAppSettings: list(resourceId('Microsoft.Web/sites/config', appResourceName, 'appsettings'), '2024-04-01').properties
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
    vnetIntegrated: enableNetworkIsolation
    durableTaskSchedulerEndpoint: useScheduler ? durableTaskScheduler.outputs.schedulerEndpoint : ''
    appConfiguration: appSettingValues
  }
  // Everything the first start needs: the site with its identity and VNet integration, the
  // identity's roles, the share and the secret, and the private endpoints and DNS links.
  dependsOn: [
    functionApp
    roleAssignments
    contentStorage
    keyVault
    network
    durableTaskScheduler
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
    alwaysReadyInstanceCount: stagingAlwaysReadyInstanceCount
    preWarmedInstanceCount: stagingPreWarmedInstanceCount
    functionAppScaleLimit: functionAppScaleLimit
    corsAllowedOrigins: checkedCorsAllowedOrigins
    integrationSubnetId: enableNetworkIsolation ? network.outputs.integrationSubnetResourceId : ''
    runtimeScaleMonitoring: scaleMonitoringOn
    authentication: appAuthentication
  }
  dependsOn: [
    functionApp
    roleAssignments
    network
  ]
}

module stagingSlotSettings 'modules/function-app-slot-settings.bicep' = if (enableStagingSlot) {
  name: 'function-app-staging-settings'
  params: {
    appName: appResourceName
    slotName: 'staging'
    currentAppSettings: list(resourceId('Microsoft.Web/sites/slots/config', appResourceName, 'staging', 'appsettings'), '2024-04-01').properties
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
    vnetIntegrated: enableNetworkIsolation
    durableTaskSchedulerEndpoint: useScheduler ? durableTaskScheduler.outputs.schedulerEndpoint : ''
    appConfiguration: appSettingValues
  }
  dependsOn: [
    stagingSlot
    roleAssignments
    contentStorage
    keyVault
    network
    durableTaskScheduler
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
