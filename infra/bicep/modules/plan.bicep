// The Linux Elastic Premium plan.

@description('Name of the plan.')
param name string

@description('Azure region.')
param location string

@description('Tags for the plan.')
param tags object

@description('Elastic Premium size: EP1 (1 vCPU), EP2 (2 vCPU) or EP3 (4 vCPU).')
@allowed([
  'EP1'
  'EP2'
  'EP3'
])
param skuName string

@description('Instances the plan keeps running at all times (at least 2 when zone redundant).')
@minValue(1)
param minimumInstanceCount int

@description('Upper bound of the plan\'s scale-out. Set explicitly: templates that leave it out get 1 and never scale.')
@minValue(1)
param maximumElasticWorkerCount int

@description('Spread instances across availability zones (only at creation, in regions with zones).')
param zoneRedundant bool

resource elasticPlan 'Microsoft.Web/serverfarms@2024-04-01' = {
  // checkov:skip=CKV_AZURE_225: Zone redundancy is the zoneRedundant parameter (on in environments/prod): it needs a region with zones and at least 2 always-ready instances, so it is not forced on every environment.
  name: name
  location: location
  tags: tags
  kind: 'elastic'
  sku: {
    name: skuName
    tier: 'ElasticPremium'
    capacity: minimumInstanceCount
  }
  properties: {
    reserved: true // Linux
    maximumElasticWorkerCount: maximumElasticWorkerCount
    zoneRedundant: zoneRedundant
  }
}

@description('Resource id of the plan.')
output planResourceId string = elasticPlan.id
