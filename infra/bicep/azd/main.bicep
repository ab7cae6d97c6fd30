// Entry point for the Azure Developer CLI (`azd up` / `azd provision`), at subscription scope.
//
// azd deploys a subscription-scope template without any feature flag, so this file creates the
// environment's resource group (tagged `azd-env-name`, which is how azd finds it) and deploys
// ../main.bicep into it unchanged. ../main.bicep stays the resource-group template for
// `az deployment group create`; every resource and every default lives there (and is compared
// with infra/terraform by tests/infra/test_infra_parity.py). This file holds only the group and
// the module call, and re-exports main.bicep's outputs under the same names, because azd reads
// the top-level deployment's outputs into the environment's .env.
//
// azd maps AZURE_ENV_NAME, AZURE_LOCATION and AZURE_RESOURCE_GROUP to the parameters below
// through main.parameters.json next to this file.
targetScope = 'subscription'

metadata description = 'azd entry point: creates the resource group and deploys main.bicep into it.'

@description('azd environment name (AZURE_ENV_NAME): becomes main.bicep\'s environmentName, so 2-8 lowercase letters or digits.')
@minLength(2)
@maxLength(8)
param environmentName string

@description('Azure region of the resource group and of every resource (AZURE_LOCATION).')
@minLength(1)
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Resource group to create or update (AZURE_RESOURCE_GROUP). Empty: rg-<environmentName>.')
param resourceGroupName string = ''

var azdResourceGroupName = empty(resourceGroupName) ? 'rg-${environmentName}' : resourceGroupName

resource azdResourceGroup 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: azdResourceGroupName
  location: location
  tags: {
    'azd-env-name': environmentName
    application: 'durable-shop'
  }
}

// Named "main" like a direct `az deployment group create -f main.bicep`, so
// `az deployment group show -g <group> --name main` reads the same outputs either way.
module shopResources '../main.bicep' = {
  name: 'main'
  scope: azdResourceGroup
  params: {
    environmentName: environmentName
    location: location
  }
}

// main.bicep's outputs, same names (azd writes them to .azure/<environment>/.env).

@description('Name of the function app (azd finds it by its azd-service-name: api tag).')
output functionAppName string = shopResources.outputs.functionAppName

@description('Default host name of the production site.')
output functionAppDefaultHostName string = shopResources.outputs.functionAppDefaultHostName

@description('Client id of the app\'s user-assigned identity.')
output identityClientId string = shopResources.outputs.identityClientId

@description('Identity-only storage account: host, Durable task hub, app tables.')
output taskHubStorageAccountName string = shopResources.outputs.taskHubStorageAccountName

@description('Storage account of the content share.')
output contentStorageAccountName string = shopResources.outputs.contentStorageAccountName

@description('Durable task hub of the production site.')
output taskHubName string = shopResources.outputs.taskHubName

@description('The resource group azd deployed into; azd reads it back on later runs.')
output AZURE_RESOURCE_GROUP string = azdResourceGroup.name
