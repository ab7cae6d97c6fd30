# Development: the defaults (EP1, one always-ready instance, public endpoints with Entra-only
# auth). Mirrors infra/bicep/environments/dev.bicepparam.
#
#   terraform plan -var-file=environments/dev.tfvars -out=dev.tfplan

resource_group_name = "rg-shop-dev"
environment_name    = "dev"
