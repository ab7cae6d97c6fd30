// Log Analytics + workspace-based Application Insights, both with local (key) auth disabled.
//
// With `DisableLocalAuth` the instrumentation key in the connection string can no longer ingest
// telemetry on its own: the app must authenticate with Entra ID, which it does through
// APPLICATIONINSIGHTS_AUTHENTICATION_STRING and the Monitoring Metrics Publisher role.

@description('Name of the Log Analytics workspace.')
param workspaceName string

@description('Name of the Application Insights component.')
param applicationInsightsName string

@description('Azure region.')
param location string

@description('Tags for both resources.')
param tags object

@description('Days of log retention in the workspace.')
param retentionInDays int

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: workspaceName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    features: {
      disableLocalAuth: true
    }
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    IngestionMode: 'LogAnalytics'
    DisableLocalAuth: true
  }
}

@description('Resource id of the Log Analytics workspace (destination of the audit logs).')
output workspaceResourceId string = workspace.id

@description('Resource id of the Application Insights component (owner of the workflows workbook).')
output componentResourceId string = applicationInsights.id

@description('Name of the Application Insights component (scope of the Monitoring Metrics Publisher role).')
output componentName string = applicationInsights.name

@description('Connection string: names the endpoint only; ingestion still needs an Entra token.')
output componentConnectionString string = applicationInsights.properties.ConnectionString
