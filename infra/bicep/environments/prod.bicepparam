// Production: zone redundant, a staging slot for swaps, storage and Key Vault behind private
// endpoints, App Service Authentication (the Entra app's client id comes from the environment:
// SHOP_AUTH_CLIENT_ID). Mirrors infra/terraform/environments/prod.tfvars.
//
//   az deployment group create -g rg-shop-prod -f infra/bicep/main.bicep \
//     -p infra/bicep/environments/prod.bicepparam
using '../main.bicep'

param environmentName = 'prod'
param planSku = 'EP2'
param alwaysReadyInstanceCount = 2
param preWarmedInstanceCount = 1
param maximumElasticWorkerCount = 30
param functionAppScaleLimit = 20
param zoneRedundant = true
param enableStagingSlot = true
param enableNetworkIsolation = true
param logRetentionDays = 90
param operationsEmail = 'shop-ops@example.com'
param enableAppServiceAuthentication = true
param authClientId = readEnvironmentVariable('SHOP_AUTH_CLIENT_ID')
