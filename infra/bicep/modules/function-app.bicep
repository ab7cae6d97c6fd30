// The function app's production site.
//
// function-app-slot.bicep declares the staging slot with the same configuration; the two are
// kept identical by tests/infra/test_infra_bicep_structure.py. They are two files, not one
// conditional resource, because checkov reads a conditional resource (`= if (...)`) as an opaque
// wrapper and would check nothing inside it. Variable names are unique across the Bicep tree
// (`site*` here, `slot*` there) because checkov resolves variables by bare name across all files.
//
// The site is created without app settings: function-app-settings.bicep writes them in a second
// request, once the site, its identity and its VNet integration exist (see infra/README.md,
// "What a deployment looks like"). A site PUT without `siteConfig.appSettings` leaves the
// current settings alone, so re-deploying this module never resets them.

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

var siteVnetIntegrated = !empty(integrationSubnetId)

// azd finds the app to deploy `services.api` to by this tag.
var azdServiceTag = {
  'azd-service-name': 'api'
}
var siteTags = union(tags, azdServiceTag)

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
var siteAuthSettings = {
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

resource siteAuthentication 'Microsoft.Web/sites/config@2024-04-01' = {
  // checkov:skip=CKV_AZURE_13: A web-app check that reads every Microsoft.Web/sites/config resource as the 'web' config; this one is authsettingsV2 (App Service Authentication itself) and has no web settings.
  // checkov:skip=CKV_AZURE_63: A web-app check that reads every Microsoft.Web/sites/config resource as the 'web' config; this one is authsettingsV2 (App Service Authentication itself) and has no web settings.
  // checkov:skip=CKV_AZURE_65: A web-app check that reads every Microsoft.Web/sites/config resource as the 'web' config; this one is authsettingsV2 (App Service Authentication itself) and has no web settings.
  // checkov:skip=CKV_AZURE_66: A web-app check that reads every Microsoft.Web/sites/config resource as the 'web' config; this one is authsettingsV2 (App Service Authentication itself) and has no web settings.
  // checkov:skip=CKV_AZURE_80: A web-app check that reads every Microsoft.Web/sites/config resource as the 'web' config; this one is authsettingsV2 (App Service Authentication itself) and has no web settings.
  // checkov:skip=CKV_AZURE_88: A web-app check that reads every Microsoft.Web/sites/config resource as the 'web' config; this one is authsettingsV2 (App Service Authentication itself) and has no web settings.
  // checkov:skip=CKV_AZURE_222: A web-app check that reads every Microsoft.Web/sites/config resource as the 'web' config; this one is authsettingsV2 (App Service Authentication itself) and has no web settings.
  parent: site
  name: 'authsettingsV2'
  properties: siteAuthSettings
}

@description('Default host name of the production site.')
output siteDefaultHostName string = site.properties.defaultHostName
