// A deployment slot of the function app (main.bicep deploys it when enableStagingSlot is true).
//
// A copy of function-app.bicep's settings with this slot's own task hub, host id, content share
// and host name; tests/infra/test_infra_bicep_structure.py keeps the two identical. Variables
// carry a `slot` prefix because checkov resolves variable names across the whole Bicep tree:
// a second `siteProperties` would hide the first from its checks.

@description('Name of the function app (the production site) the slot belongs to.')
param appName string

@description('Name of the slot.')
param slotName string

@description('Azure region.')
param location string

@description('Tags for the site.')
param tags object

@description('Resource id of the Elastic Premium plan.')
param planId string

@description('Resource id of the app\'s user-assigned identity.')
param identityId string

@description('Client id of the app\'s user-assigned identity.')
param appIdentityClientId string

@description('Name of the identity-only storage account (host, task hub, app tables).')
param hostStorageAccountName string

@description('Table endpoint of that account, for the AppStorage connection.')
param tableServiceUri string

@description('Durable task hub of this slot: never the production one.')
param durableTaskHubName string

@description('Functions host id: unique per slot, because slots share the host storage account.')
param hostId string

@description('File share holding this instance\'s content (deployed code).')
param contentShareName string

@description('Key Vault holding the content share connection string.')
param keyVaultName string

@description('Name of the secret holding the content share connection string.')
param contentShareSecretName string

@description('Application Insights connection string.')
param applicationInsightsConnectionString string

@description('Python worker processes per instance (FUNCTIONS_WORKER_PROCESS_COUNT), sized to the plan\'s vCPUs.')
param workerProcessCount int

@description('Always-ready instances for this app (minimumElasticInstanceCount).')
param alwaysReadyInstanceCount int

@description('Pre-warmed instances kept ahead of scale-out.')
param preWarmedInstanceCount int

@description('Most instances this app may scale out to.')
param functionAppScaleLimit int

@description('Origins allowed by CORS; a wildcard is dropped rather than deployed.')
param corsAllowedOrigins array

@description('Integration subnet for VNet integration, or empty for none.')
param integrationSubnetId string

@description('Values of the app\'s own settings (names in shared/settings.py).')
param appConfiguration object

var slotVnetIntegrated = !empty(integrationSubnetId)
var slotHostName = '${appName}-${slotName}.azurewebsites.net'
var slotSelfHealthTarget = {
  self: 'https://${slotHostName}/api/health'
}
var slotHealthMonitorAllowlist = union(slotSelfHealthTarget, appConfiguration.healthMonitorAllowlist)


// Worker sizing, consistent with host.json (at most 4 orchestrator, 8 activity and 4 entity
// functions at once per host): one Python process per vCPU (1 on EP1), because orchestrator
// replays are CPU-bound under the GIL and a second process on one vCPU only adds memory; 16
// threads so that every invocation host.json admits (4 + 8 + 4) gets a thread at once instead
// of queueing inside the worker, where the scale controller cannot see it.
var slotAppSettings = [
  // Runtime.
  {
    name: 'FUNCTIONS_EXTENSION_VERSION'
    value: '~4'
  }
  {
    name: 'FUNCTIONS_WORKER_RUNTIME'
    value: 'python'
  }
  // Worker sizing: see the note above.
  {
    name: 'FUNCTIONS_WORKER_PROCESS_COUNT'
    value: string(workerProcessCount)
  }
  {
    name: 'PYTHON_THREADPOOL_THREAD_COUNT'
    value: '16'
  }
  // Host storage and the Durable task hub: identity-based, no connection string, no key.
  {
    name: 'AzureWebJobsStorage__accountName'
    value: hostStorageAccountName
  }
  {
    name: 'AzureWebJobsStorage__credential'
    value: 'managedidentity'
  }
  {
    name: 'AzureWebJobsStorage__clientId'
    value: appIdentityClientId
  }
  {
    name: 'TASKHUB_NAME'
    value: durableTaskHubName
  }
  {
    name: 'AzureFunctionsWebHost__hostid'
    value: hostId
  }
  // The app's own tables (connection `AppStorage`), same account, same identity.
  {
    name: 'AppStorage__tableServiceUri'
    value: tableServiceUri
  }
  {
    name: 'AppStorage__credential'
    value: 'managedidentity'
  }
  {
    name: 'AppStorage__clientId'
    value: appIdentityClientId
  }
  // Content share: the only key-based connection, held in Key Vault (see infra/README.md).
  {
    name: 'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING'
    value: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${contentShareSecretName})'
  }
  {
    name: 'WEBSITE_CONTENTSHARE'
    value: contentShareName
  }
  {
    name: 'WEBSITE_SKIP_CONTENTSHARE_VALIDATION'
    value: '1'
  }
  {
    name: 'WEBSITE_CONTENTOVERVNET'
    value: slotVnetIntegrated ? '1' : '0'
  }
  {
    name: 'WEBSITE_HEALTHCHECK_MAXPINGFAILURES'
    value: '10'
  }
  // Telemetry: Entra-authenticated ingestion (App Insights has local auth disabled).
  {
    name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
    value: applicationInsightsConnectionString
  }
  {
    name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
    value: 'ClientId=${appIdentityClientId};Authorization=AAD'
  }
  // Remote build (Oryx) installs requirements.txt on zip deploy and `func ... publish`.
  {
    name: 'SCM_DO_BUILD_DURING_DEPLOYMENT'
    value: 'true'
  }
  {
    name: 'ENABLE_ORYX_BUILD'
    value: 'true'
  }
  // The app's settings (shared/settings.py).
  {
    name: 'BATCH_MAX_PARALLEL'
    value: string(appConfiguration.batchMaxParallel)
  }
  {
    name: 'BATCH_CHUNK_SIZE'
    value: string(appConfiguration.batchChunkSize)
  }
  {
    name: 'BATCH_MAX_ITEMS'
    value: string(appConfiguration.batchMaxItems)
  }
  {
    name: 'APPROVAL_DEFAULT_STAGE_HOURS'
    value: string(appConfiguration.approvalDefaultStageHours)
  }
  {
    name: 'HEALTH_MONITOR_ALLOWLIST'
    value: string(slotHealthMonitorAllowlist)
  }
  {
    name: 'HEALTH_CHECK_INTERVAL_SECONDS'
    value: string(appConfiguration.healthCheckIntervalSeconds)
  }
  {
    name: 'HEALTH_ALERT_THRESHOLD'
    value: string(appConfiguration.healthAlertThreshold)
  }
  {
    name: 'HEALTH_CHECK_TIMEOUT_SECONDS'
    value: string(appConfiguration.healthCheckTimeoutSeconds)
  }
  {
    name: 'MAX_REQUEST_BYTES'
    value: string(appConfiguration.maxRequestBytes)
  }
  {
    name: 'OPERATIONS_EMAIL'
    value: appConfiguration.operationsEmail
  }
]

var slotIdentity = {
  type: 'UserAssigned'
  userAssignedIdentities: {
    '${identityId}': {}
  }
}

var slotProperties = {
  serverFarmId: planId
  httpsOnly: true
  clientAffinityEnabled: false
  clientCertEnabled: false
  keyVaultReferenceIdentity: identityId
  publicNetworkAccess: 'Enabled'
  virtualNetworkSubnetId: slotVnetIntegrated ? integrationSubnetId : null
  vnetRouteAllEnabled: slotVnetIntegrated
  siteConfig: {
    linuxFxVersion: 'Python|3.11'
    ftpsState: 'Disabled'
    minTlsVersion: '1.2'
    scmMinTlsVersion: '1.2'
    http20Enabled: true
    use32BitWorkerProcess: false
    remoteDebuggingEnabled: false
    healthCheckPath: '/api/health'
    minimumElasticInstanceCount: alwaysReadyInstanceCount
    preWarmedInstanceCount: preWarmedInstanceCount
    functionAppScaleLimit: functionAppScaleLimit
    functionsRuntimeScaleMonitoringEnabled: slotVnetIntegrated
    cors: {
      allowedOrigins: contains(corsAllowedOrigins, '*') ? [] : corsAllowedOrigins
      supportCredentials: false
    }
    appSettings: slotAppSettings
  }
}

// Settings that stay with their slot on a swap: each slot keeps its own task hub, host id and
// health target. WEBSITE_CONTENTSHARE is deliberately not sticky: the code moves with the swap.
var stickyAppSettingNames = [
  'TASKHUB_NAME'
  'AzureFunctionsWebHost__hostid'
  'HEALTH_MONITOR_ALLOWLIST'
]

resource productionSite 'Microsoft.Web/sites@2024-04-01' existing = {
  name: appName
}

resource slot 'Microsoft.Web/sites/slots@2024-04-01' = {
  // checkov:skip=CKV_AZURE_222: The HTTP API is the product and must be reachable; enableNetworkIsolation keeps storage and Key Vault private, and a private app behind Front Door or API Management is a deployment choice beyond this template.
  // checkov:skip=CKV_AZURE_212: numberOfWorkers is the dedicated-plan instance count; on Elastic Premium the minimum is minimumElasticInstanceCount (alwaysReadyInstanceCount, 2 when zone redundant).
  parent: productionSite
  name: slotName
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: slotIdentity
  properties: slotProperties
}

// Basic-auth (publishing profile) deployment off for FTP and SCM: deploy with Entra tokens.
resource slotBasicAuthPolicies 'Microsoft.Web/sites/slots/basicPublishingCredentialsPolicies@2024-04-01' = [
  for policyName in ['ftp', 'scm']: {
    parent: slot
    name: policyName
    properties: {
      allow: false
    }
  }
]

// Declared on the production site, but only needed (and only deployed) once a slot exists.
resource stickySettings 'Microsoft.Web/sites/config@2024-04-01' = {
  // checkov:skip=CKV_AZURE_13: A web-app check that reads every Microsoft.Web/sites/config resource as the 'web' config; this one is slotConfigNames (the sticky setting names) and has no web settings.
  // checkov:skip=CKV_AZURE_63: A web-app check that reads every Microsoft.Web/sites/config resource as the 'web' config; this one is slotConfigNames (the sticky setting names) and has no web settings.
  // checkov:skip=CKV_AZURE_65: A web-app check that reads every Microsoft.Web/sites/config resource as the 'web' config; this one is slotConfigNames (the sticky setting names) and has no web settings.
  // checkov:skip=CKV_AZURE_66: A web-app check that reads every Microsoft.Web/sites/config resource as the 'web' config; this one is slotConfigNames (the sticky setting names) and has no web settings.
  // checkov:skip=CKV_AZURE_80: A web-app check that reads every Microsoft.Web/sites/config resource as the 'web' config; this one is slotConfigNames (the sticky setting names) and has no web settings.
  // checkov:skip=CKV_AZURE_88: A web-app check that reads every Microsoft.Web/sites/config resource as the 'web' config; this one is slotConfigNames (the sticky setting names) and has no web settings.
  // checkov:skip=CKV_AZURE_222: A web-app check that reads every Microsoft.Web/sites/config resource as the 'web' config; this one is slotConfigNames (the sticky setting names) and has no web settings.
  parent: productionSite
  name: 'slotConfigNames'
  properties: {
    appSettingNames: stickyAppSettingNames
  }
}

@description('Default host name of the slot.')
output slotDefaultHostName string = slot.properties.defaultHostName
