// A deployment slot of the function app (main.bicep deploys it when enableStagingSlot is true).
//
// A copy of function-app.bicep's configuration; tests/infra/test_infra_bicep_structure.py keeps
// the two identical. Variables carry a `slot` prefix because checkov resolves variable names
// across the whole Bicep tree: a second `slotProperties` would hide the first from its checks.
//
// The slot is created without app settings: function-app-slot-settings.bicep writes them in a second
// request, once the site, its identity and its VNet integration exist (see infra/README.md,
// "What a deployment looks like"). A site PUT without `siteConfig.appSettings` leaves the
// current settings alone, so re-deploying this module never resets them.

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

@description('Always-ready instances for this app (minimumElasticInstanceCount).')
param alwaysReadyInstanceCount int

@description('Pre-warmed instances kept ahead of scale-out.')
param preWarmedInstanceCount int

@description('Most instances this app may scale out to.')
param functionAppScaleLimit int

@description('Origins allowed by CORS (main.bicep rejects a wildcard).')
param corsAllowedOrigins array

@description('Integration subnet for VNet integration, or empty for none.')
param integrationSubnetId string

@description('Runtime scale monitoring: on with VNet integration (the scale controller cannot reach private storage) and with the Durable Task Scheduler (it cannot see the scheduler\'s backlog).')
param runtimeScaleMonitoring bool

@description('App Service Authentication: enabled, clientId, openIdIssuer, allowedAudiences (main.bicep).')
param authentication object

var slotVnetIntegrated = !empty(integrationSubnetId)

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
    functionsRuntimeScaleMonitoringEnabled: runtimeScaleMonitoring
    cors: {
      allowedOrigins: corsAllowedOrigins
      supportCredentials: false
    }
  }
}

// App Service Authentication (Easy Auth) with Microsoft Entra ID. Unauthenticated requests pass
// through (AllowAnonymous): function-key routes and the health probe keep working, and the app
// itself rejects approval calls without the platform's principal (see infra/README.md,
// "App Service Authentication"). No token store: the app reads only the principal headers.
var slotAuthSettings = {
  platform: {
    enabled: authentication.enabled
  }
  globalValidation: {
    requireAuthentication: false
    unauthenticatedClientAction: 'AllowAnonymous'
  }
  httpSettings: {
    requireHttps: true
  }
  identityProviders: {
    azureActiveDirectory: {
      enabled: authentication.enabled
      registration: {
        clientId: authentication.clientId
        openIdIssuer: authentication.openIdIssuer
      }
      validation: {
        allowedAudiences: authentication.allowedAudiences
      }
    }
  }
  login: {
    tokenStore: {
      enabled: false
    }
  }
}

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

resource slotAuthentication 'Microsoft.Web/sites/slots/config@2024-04-01' = {
  parent: slot
  name: 'authsettingsV2'
  properties: slotAuthSettings
}

// Settings that stay with their slot on a swap: each slot keeps its own task hub, host id and
// health target. WEBSITE_CONTENTSHARE is deliberately not sticky: the code moves with the swap.
var stickyAppSettingNames = [
  'TASKHUB_NAME'
  'DURABLE_TASK_SCHEDULER_CONNECTION_STRING'
  'AzureFunctionsWebHost__hostid'
  'HEALTH_MONITOR_ALLOWLIST'
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
