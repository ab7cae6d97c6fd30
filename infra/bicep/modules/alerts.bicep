// What needs a human, and where to look: the operations action group, the scheduled query
// alerts of infra/monitoring/alerts.json, the task hub's queue depth and the workflows workbook
// (infra/monitoring/workbook.json). infra/terraform/alerts.tf reads the same two files.

@description('Name stem of the alert resources (namePrefix-environmentName).')
param alertNameStem string

@description('Azure region of the alerts and the workbook.')
param location string

@description('Tags for every resource.')
param tags object

@description('Where the operations alerts go (OPERATIONS_EMAIL).')
param operationsEmail string

@description('Resource id of the Log Analytics workspace the alert queries run on.')
param workspaceId string

@description('Resource id of the Application Insights component the workbook belongs to.')
param applicationInsightsId string

@description('Name of the task hub storage account, whose queue depth is watched.')
param queueAccountName string

var alertDefinitions = loadJsonContent('../../monitoring/alerts.json').alerts

resource operations 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: 'ag-${alertNameStem}-operations'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'operations'
    enabled: true
    emailReceivers: [
      {
        name: 'operations'
        emailAddress: operationsEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

resource queryAlerts 'Microsoft.Insights/scheduledQueryRules@2022-08-01-preview' = [
  for alert in alertDefinitions: {
    name: 'alert-${alertNameStem}-${alert.name}'
    location: location
    tags: tags
    properties: {
      displayName: alert.title
      description: alert.meaning
      severity: alert.severity
      enabled: true
      evaluationFrequency: alert.frequency
      windowSize: alert.window
      scopes: [
        workspaceId
      ]
      autoMitigate: true
      criteria: {
        allOf: [
          {
            query: alert.query
            timeAggregation: 'Total'
            metricMeasureColumn: alert.measure
            operator: alert.operator
            threshold: alert.threshold
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      actions: {
        actionGroups: [
          operations.id
        ]
      }
    }
  }
]

resource queueAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: queueAccountName
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' existing = {
  parent: queueAccount
  name: 'default'
}

// The task hub's control and work-item queues: a backlog that keeps growing means workers fall
// behind (too few instances, throttling, a hot partition). Queue capacity is reported hourly.
resource queueDepth 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: 'alert-${alertNameStem}-task-hub-queue-depth'
  location: 'global'
  tags: tags
  properties: {
    description: 'Messages waiting in the task hub storage account queues stayed above 1000 for an hour: orchestration and activity work is piling up.'
    severity: 2
    enabled: true
    scopes: [
      queueService.id
    ]
    evaluationFrequency: 'PT1H'
    windowSize: 'PT6H'
    autoMitigate: true
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'queued-messages'
          metricNamespace: 'Microsoft.Storage/storageAccounts/queueServices'
          metricName: 'QueueMessageCount'
          operator: 'GreaterThan'
          threshold: 1000
          timeAggregation: 'Average'
        }
      ]
    }
    actions: [
      {
        actionGroupId: operations.id
      }
    ]
  }
}

resource workflows 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(applicationInsightsId, 'workflows-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'Durable workflows (${alertNameStem})'
    category: 'workbook'
    sourceId: applicationInsightsId
    serializedData: loadTextContent('../../monitoring/workbook.json')
  }
}

@description('Resource id of the operations action group.')
output operationsActionGroupId string = operations.id
