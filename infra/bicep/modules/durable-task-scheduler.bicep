// The Durable Task Scheduler backend (durableBackend = 'scheduler'): the scheduler, one task hub
// per site instance, and the app identity's data role on it. infra/terraform/
// durable_task_scheduler.tf declares the same; README.md, "Choosing the Durable backend", says
// when to use it.

@description('Name of the scheduler.')
param schedulerName string

@description('Azure region (the app\'s: the scheduler is reached over gRPC on every work item).')
param location string

@description('Tags for the scheduler.')
param tags object

@description('Task hubs to create: the production site\'s, and the staging slot\'s when it exists.')
param taskHubNames array

@description('Principal (object) id of the app identity.')
param principalId string

// Dedicated SKU, one capacity unit (up to 2,000 actions per second, 90 days of retention); the
// allow-list admits every address because authentication is by Entra ID alone.
var schedulerSku = {
  name: 'Dedicated'
  capacity: 1
}

// Durable Task Data Contributor: start, query and manage instances, and process work items.
var durableTaskDataContributor = '0ad04412-c4d5-4796-b79c-f76d14c8d402'

resource scheduler 'Microsoft.DurableTask/schedulers@2025-11-01' = {
  name: schedulerName
  location: location
  tags: tags
  properties: {
    sku: schedulerSku
    ipAllowlist: [
      '0.0.0.0/0'
    ]
  }
}

resource taskHubs 'Microsoft.DurableTask/schedulers/taskHubs@2025-11-01' = [
  for hub in taskHubNames: {
    parent: scheduler
    name: hub
    properties: {}
  }
]

resource schedulerDataRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(scheduler.id, principalId, durableTaskDataContributor)
  scope: scheduler
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', durableTaskDataContributor)
  }
}

@description('gRPC endpoint of the scheduler (the connection string\'s Endpoint).')
output schedulerEndpoint string = scheduler.properties.endpoint
