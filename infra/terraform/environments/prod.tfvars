# Production: zone redundant, a staging slot for swaps, storage and Key Vault behind private
# endpoints, App Service Authentication (the Entra app's client id comes from the environment:
# export TF_VAR_auth_client_id=<client id>). Mirrors infra/bicep/environments/prod.bicepparam.
#
#   terraform plan -var-file=environments/prod.tfvars -out=prod.tfplan

resource_group_name               = "rg-shop-prod"
environment_name                  = "prod"
plan_sku                          = "EP2"
always_ready_instance_count       = 2
pre_warmed_instance_count         = 1
maximum_elastic_worker_count      = 30
function_app_scale_limit          = 20
zone_redundant                    = true
enable_staging_slot               = true
enable_network_isolation          = true
log_retention_days                = 90
operations_email                  = "shop-ops@example.com"
enable_app_service_authentication = true
