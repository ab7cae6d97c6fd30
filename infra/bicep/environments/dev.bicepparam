// Development: the defaults (EP1, one always-ready instance, public endpoints with Entra-only
// auth). Mirrors infra/terraform/environments/dev.tfvars.
//
//   az deployment group create -g rg-shop-dev -f infra/bicep/main.bicep \
//     -p infra/bicep/environments/dev.bicepparam
using '../main.bicep'

param environmentName = 'dev'
