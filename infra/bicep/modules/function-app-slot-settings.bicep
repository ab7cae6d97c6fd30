// A deployment slot's app settings, written after the slot exists.
//
// A separate request from the one that creates the site (function-app-slot.bicep), deployed by
// main.bicep once the identity's roles, the Key Vault secret, the content share and (with network
// isolation) the private endpoints and DNS links exist: the Key Vault-referenced content share is
// then mounted by a site that already has its identity and VNet integration.
//
// WEBSITE_CONTENTSHARE is not sticky, so a slot swap exchanges it between the slots. The value
// deployed here is the current one when the site has one, so re-deploying after a swap never
// points production back at the share with the old code. function-app-settings.bicep is
// the production site's copy; tests/infra/test_infra_bicep_structure.py keeps the two identical.

@description('Name of the function app (the production site) the slot belongs to.')
param appName string

@description('Name of the slot.')
param slotName string

@description('The slot\'s app settings as they are now (empty on the first deployment): read by main.bicep before this module runs, so the content share a slot swap moved is kept.')
param currentAppSettings object

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

@description('File share for this instance\'s content on the first deployment; later deployments keep the current one.')
param contentShareName string

@description('Key Vault holding the content share connection string.')
param keyVaultName string

@description('Name of the secret holding the content share connection string.')
param contentShareSecretName string

@description('Application Insights connection string.')
param applicationInsightsConnectionString string

@description('Python worker processes per instance (FUNCTIONS_WORKER_PROCESS_COUNT), sized to the plan\'s vCPUs.')
param workerProcessCount int

@description('True when the site is VNet integrated (the content share is then reached over the VNet).')
param vnetIntegrated bool

@description('gRPC endpoint of the Durable Task Scheduler, or empty for the Azure Storage backend.')
param durableTaskSchedulerEndpoint string

@description('Values of the app\'s own settings (names in shared/settings.py).')
param appConfiguration object

var slotHostName = '${appName}-${slotName}.azurewebsites.net'
var slotSelfHealthTarget = {
  self: 'https://${slotHostName}/api/health'
}
var slotHealthMonitorAllowlist = union(slotSelfHealthTarget, appConfiguration.healthMonitorAllowlist)
var slotContentShareName = contains(currentAppSettings, 'WEBSITE_CONTENTSHARE') ? currentAppSettings.WEBSITE_CONTENTSHARE : contentShareName

// Worker sizing, consistent with host.json (at most 4 orchestrator, 8 activity and 4 entity
// functions at once per host): one Python process per vCPU (1 on EP1), because orchestrator
// replays are CPU-bound under the GIL and a second process on one vCPU only adds memory; 16
// threads so that every invocation host.json admits (4 + 8 + 4) gets a thread at once instead
// of queueing inside the worker, where the scale controller cannot see it.
var slotAppSettings = {
  // Runtime.
  FUNCTIONS_EXTENSION_VERSION: '~4'
  FUNCTIONS_WORKER_RUNTIME: 'python'
  // Worker sizing: see the note above.
  FUNCTIONS_WORKER_PROCESS_COUNT: string(workerProcessCount)
  PYTHON_THREADPOOL_THREAD_COUNT: '16'
  // Host storage and the Durable task hub: identity-based, no connection string, no key.
  AzureWebJobsStorage__accountName: hostStorageAccountName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: appIdentityClientId
  TASKHUB_NAME: durableTaskHubName
  // The Durable backend: host.json's storageProvider, overridden by these two settings, so the
  // same package runs on either (README.md, "Choosing the Durable backend").
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__type: empty(durableTaskSchedulerEndpoint) ? 'AzureStorage' : 'azureManaged'
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName: empty(durableTaskSchedulerEndpoint) ? 'AzureWebJobsStorage' : 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING'
  DURABLE_TASK_SCHEDULER_CONNECTION_STRING: empty(durableTaskSchedulerEndpoint) ? '' : 'Endpoint=${durableTaskSchedulerEndpoint};TaskHub=${durableTaskHubName};Authentication=ManagedIdentity;ClientID=${appIdentityClientId}'
  AzureFunctionsWebHost__hostid: hostId
  // The app's own tables (connection `AppStorage`), same account, same identity.
  AppStorage__tableServiceUri: tableServiceUri
  AppStorage__credential: 'managedidentity'
  AppStorage__clientId: appIdentityClientId
  // Content share: the only key-based connection, held in Key Vault (see infra/README.md).
  WEBSITE_CONTENTAZUREFILECONNECTIONSTRING: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${contentShareSecretName})'
  WEBSITE_CONTENTSHARE: slotContentShareName
  WEBSITE_SKIP_CONTENTSHARE_VALIDATION: '1'
  WEBSITE_CONTENTOVERVNET: vnetIntegrated ? '1' : '0'
  WEBSITE_HEALTHCHECK_MAXPINGFAILURES: '10'
  // Telemetry: Entra-authenticated ingestion (App Insights has local auth disabled).
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${appIdentityClientId};Authorization=AAD'
  // The worker takes the host's trace context (host.json telemetryMode OpenTelemetry) and exports
  // its own spans and logs with the same identity (shared/telemetry.py, docs/telemetry.md).
  PYTHON_ENABLE_OPENTELEMETRY: 'true'
  // Remote build (Oryx) installs requirements.txt on zip deploy and `func ... publish`.
  SCM_DO_BUILD_DURING_DEPLOYMENT: 'true'
  ENABLE_ORYX_BUILD: 'true'
  // The app's settings (shared/settings.py).
  BATCH_MAX_PARALLEL: string(appConfiguration.batchMaxParallel)
  BATCH_CHUNK_SIZE: string(appConfiguration.batchChunkSize)
  BATCH_MAX_ITEMS: string(appConfiguration.batchMaxItems)
  APPROVAL_DEFAULT_STAGE_HOURS: string(appConfiguration.approvalDefaultStageHours)
  HEALTH_MONITOR_ALLOWLIST: string(slotHealthMonitorAllowlist)
  HEALTH_CHECK_INTERVAL_SECONDS: string(appConfiguration.healthCheckIntervalSeconds)
  HEALTH_ALERT_THRESHOLD: string(appConfiguration.healthAlertThreshold)
  HEALTH_CHECK_TIMEOUT_SECONDS: string(appConfiguration.healthCheckTimeoutSeconds)
  MAX_REQUEST_BYTES: string(appConfiguration.maxRequestBytes)
  STORAGE_TIMEOUT_SECONDS: string(appConfiguration.storageTimeoutSeconds)
  IDEMPOTENCY_KEY_RETENTION_HOURS: string(appConfiguration.idempotencyKeyRetentionHours)
  IDEMPOTENCY_KEY_CLEANUP_SCHEDULE: appConfiguration.idempotencyKeyCleanupSchedule
  OPERATIONS_EMAIL: appConfiguration.operationsEmail
  NOTIFICATION_ALLOWED_DOMAINS: appConfiguration.notificationAllowedDomains
  // The version new orchestrations are stamped with; not sticky, so it moves with the code on a swap.
  AzureFunctionsJobHost__extensions__durableTask__defaultVersion: appConfiguration.orchestrationVersion
}

resource settingsParentSite 'Microsoft.Web/sites@2024-04-01' existing = {
  name: appName
}

resource settingsTargetSlot 'Microsoft.Web/sites/slots@2024-04-01' existing = {
  parent: settingsParentSite
  name: slotName
}

resource slotSettings 'Microsoft.Web/sites/slots/config@2024-04-01' = {
  parent: settingsTargetSlot
  name: 'appsettings'
  properties: slotAppSettings
}
