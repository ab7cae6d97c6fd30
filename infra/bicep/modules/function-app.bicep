// The function app's production site.
//
// function-app-slot.bicep declares the staging slot with the same settings; the two are kept
// identical (setting names, site configuration) by tests/infra/test_infra_bicep_structure.py.
// They are two files, not one conditional resource, because checkov reads a conditional
// resource (`= if (...)`) as an opaque wrapper and would check nothing inside it. Variable names
// are unique across the Bicep tree (`site*` here, `slot*` there) because checkov resolves
// variables by bare name across all files.
//
// The `siteAppSettings` names are compared with Terraform's by tests/infra/test_infra_parity.py
// and with the app's contract (shared/settings.py) by tests/infra/test_infra_app_contract.py.

@description('Name of the function app (the production site).')
param appName string

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

@description('Durable task hub of this site instance: unique per environment and per slot.')
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

var siteVnetIntegrated = !empty(integrationSubnetId)
var siteHostName = '${appName}.azurewebsites.net'
var siteSelfHealthTarget = {
  self: 'https://${siteHostName}/api/health'
}
var siteHealthMonitorAllowlist = union(siteSelfHealthTarget, appConfiguration.healthMonitorAllowlist)

// azd finds the app to deploy `services.api` to by this tag.
var azdServiceTag = {
  'azd-service-name': 'api'
}
var siteTags = union(tags, azdServiceTag)

// Worker sizing, consistent with host.json (at most 4 orchestrator, 8 activity and 4 entity
// functions at once per host): one Python process per vCPU (1 on EP1), because orchestrator
// replays are CPU-bound under the GIL and a second process on one vCPU only adds memory; 16
// threads so that every invocation host.json admits (4 + 8 + 4) gets a thread at once instead
// of queueing inside the worker, where the scale controller cannot see it.
var siteAppSettings = [
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
    value: siteVnetIntegrated ? '1' : '0'
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
    value: string(siteHealthMonitorAllowlist)
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

var siteIdentity = {
  type: 'UserAssigned'
  userAssignedIdentities: {
    '${identityId}': {}
  }
}

var siteProperties = {
  serverFarmId: planId
  httpsOnly: true
  clientAffinityEnabled: false
  clientCertEnabled: false
  keyVaultReferenceIdentity: identityId
  publicNetworkAccess: 'Enabled'
  virtualNetworkSubnetId: siteVnetIntegrated ? integrationSubnetId : null
  vnetRouteAllEnabled: siteVnetIntegrated
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
    functionsRuntimeScaleMonitoringEnabled: siteVnetIntegrated
    cors: {
      allowedOrigins: contains(corsAllowedOrigins, '*') ? [] : corsAllowedOrigins
      supportCredentials: false
    }
    appSettings: siteAppSettings
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  // checkov:skip=CKV_AZURE_222: The HTTP API is the product and must be reachable; enableNetworkIsolation keeps storage and Key Vault private, and a private app behind Front Door or API Management is a deployment choice beyond this template.
  // checkov:skip=CKV_AZURE_212: numberOfWorkers is the dedicated-plan instance count; on Elastic Premium the minimum is minimumElasticInstanceCount (alwaysReadyInstanceCount, 2 when zone redundant).
  // checkov:skip=CKV_AZURE_17: Callers authenticate with function keys over TLS 1.2; requiring client certificates (mTLS) is a per-integration choice, not a default for a public API.
  name: appName
  location: location
  tags: siteTags
  kind: 'functionapp,linux'
  identity: siteIdentity
  properties: siteProperties
}

// Basic-auth (publishing profile) deployment off for FTP and SCM: deploy with Entra tokens.
resource siteBasicAuthPolicies 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = [
  for policyName in ['ftp', 'scm']: {
    parent: site
    name: policyName
    properties: {
      allow: false
    }
  }
]

@description('Default host name of the production site.')
output siteDefaultHostName string = site.properties.defaultHostName
