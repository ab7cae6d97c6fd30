# The Linux Elastic Premium plan, the function app and its optional staging slot.
#
# The site and the slot carry the same settings; tests/infra/test_infra_terraform_structure.py
# keeps them identical, and tests/infra/test_infra_parity.py compares both with Bicep.

resource "azurerm_service_plan" "this" {
  #checkov:skip=CKV_AZURE_225: Zone redundancy is the zone_redundant variable (on in environments/prod.tfvars): it needs a region with zones and at least 2 always-ready instances, so it is not forced on every environment.
  #checkov:skip=CKV_AZURE_212: Failover capacity is always_ready_instance_count (raised to 2 when zone redundant, 2 in environments/prod.tfvars); one always-ready EP1 instance is the cost-conscious default for other environments.
  name                         = "plan-${local.base_name}"
  resource_group_name          = data.azurerm_resource_group.this.name
  location                     = local.location
  tags                         = local.tags
  os_type                      = "Linux"
  sku_name                     = var.plan_sku
  worker_count                 = local.effective_always_ready_instance_count
  maximum_elastic_worker_count = var.maximum_elastic_worker_count
  zone_balancing_enabled       = var.zone_redundant
}

resource "azurerm_linux_function_app" "this" {
  #checkov:skip=CKV_AZURE_221: The HTTP API is the product and must be reachable; enable_network_isolation keeps storage and Key Vault private, and a private app behind Front Door or API Management is a deployment choice beyond this template.
  name                = local.function_app_name
  resource_group_name = data.azurerm_resource_group.this.name
  location            = local.location
  tags                = merge(local.tags, { "azd-service-name" = "api" })
  service_plan_id     = azurerm_service_plan.this.id

  # Host storage and the Durable task hub, identity-based: azurerm writes
  # AzureWebJobsStorage__accountName; __credential and __clientId are in app_settings.
  storage_account_name          = azurerm_storage_account.task_hub.name
  storage_uses_managed_identity = true

  functions_extension_version                    = "~4"
  https_only                                     = true
  client_certificate_enabled                     = false
  public_network_access_enabled                  = true
  ftp_publish_basic_authentication_enabled       = false
  webdeploy_publish_basic_authentication_enabled = false
  builtin_logging_enabled                        = false
  key_vault_reference_identity_id                = azurerm_user_assigned_identity.app.id
  virtual_network_subnet_id                      = var.enable_network_isolation ? azurerm_subnet.integration[0].id : null

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.app.id]
  }

  site_config {
    application_insights_connection_string = azurerm_application_insights.this.connection_string
    ftps_state                             = "Disabled"
    minimum_tls_version                    = "1.2"
    scm_minimum_tls_version                = "1.2"
    http2_enabled                          = true
    use_32_bit_worker                      = false
    remote_debugging_enabled               = false
    health_check_path                      = local.health_check_path
    health_check_eviction_time_in_min      = local.health_check_eviction_minutes
    elastic_instance_minimum               = local.effective_always_ready_instance_count
    pre_warmed_instance_count              = var.pre_warmed_instance_count
    app_scale_limit                        = var.function_app_scale_limit
    runtime_scale_monitoring_enabled       = local.runtime_scale_monitoring
    vnet_route_all_enabled                 = var.enable_network_isolation

    application_stack {
      python_version = local.python_version
    }

    cors {
      allowed_origins     = var.cors_allowed_origins
      support_credentials = false
    }
  }

  # App Service Authentication (Easy Auth) with Microsoft Entra ID. Unauthenticated requests pass
  # through (AllowAnonymous): function-key routes and the health probe keep working, and the app
  # itself rejects approval calls without the platform's principal (see infra/README.md,
  # "App Service Authentication"). No token store: the app reads only the principal headers.
  dynamic "auth_settings_v2" {
    for_each = var.enable_app_service_authentication ? [local.app_authentication] : []
    content {
      auth_enabled           = true
      require_authentication = false
      unauthenticated_action = "AllowAnonymous"
      require_https          = true

      active_directory_v2 {
        client_id            = auth_settings_v2.value.client_id
        tenant_auth_endpoint = auth_settings_v2.value.open_id_issuer
        allowed_audiences    = auth_settings_v2.value.allowed_audiences
      }

      login {
        token_store_enabled = false
      }
    }
  }

  app_settings = merge(local.app_settings_shared, local.app_settings_by_instance.production)

  # Only with a slot: slot settings mean nothing on a site without one.
  dynamic "sticky_settings" {
    for_each = var.enable_staging_slot ? [local.sticky_app_setting_names] : []
    content {
      app_setting_names = sticky_settings.value
    }
  }

  # A slot swap exchanges WEBSITE_CONTENTSHARE (not sticky) between the slots; the declared value
  # is used once, at creation, so a later apply never points production back at the old code.
  lifecycle {
    ignore_changes = [app_settings["WEBSITE_CONTENTSHARE"]]
  }

  # What the first start needs: the identity's roles, the share and the secret, and with network
  # isolation the private endpoints (with their DNS zone groups), the DNS zone links and the
  # subnet rules. Creation is not propagation: see infra/README.md, "What a deployment looks like".
  depends_on = [
    azurerm_role_assignment.app,
    azurerm_role_assignment.durable_task_data,
    azurerm_storage_share.content,
    azapi_resource.content_share_secret,
    azurerm_private_endpoint.this,
    azurerm_private_dns_zone_virtual_network_link.this,
    azurerm_subnet_network_security_group_association.integration,
    azurerm_subnet_network_security_group_association.private_endpoints,
  ]
}

resource "azurerm_linux_function_app_slot" "staging" {
  #checkov:skip=CKV_AZURE_221: The HTTP API is the product and must be reachable; enable_network_isolation keeps storage and Key Vault private, and a private app behind Front Door or API Management is a deployment choice beyond this template.
  count = var.enable_staging_slot ? 1 : 0

  name            = "staging"
  function_app_id = azurerm_linux_function_app.this.id
  tags            = local.tags

  storage_account_name          = azurerm_storage_account.task_hub.name
  storage_uses_managed_identity = true

  functions_extension_version                    = "~4"
  https_only                                     = true
  client_certificate_enabled                     = false
  public_network_access_enabled                  = true
  ftp_publish_basic_authentication_enabled       = false
  webdeploy_publish_basic_authentication_enabled = false
  builtin_logging_enabled                        = false
  key_vault_reference_identity_id                = azurerm_user_assigned_identity.app.id
  virtual_network_subnet_id                      = var.enable_network_isolation ? azurerm_subnet.integration[0].id : null

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.app.id]
  }

  site_config {
    application_insights_connection_string = azurerm_application_insights.this.connection_string
    ftps_state                             = "Disabled"
    minimum_tls_version                    = "1.2"
    scm_minimum_tls_version                = "1.2"
    http2_enabled                          = true
    use_32_bit_worker                      = false
    remote_debugging_enabled               = false
    health_check_path                      = local.health_check_path
    health_check_eviction_time_in_min      = local.health_check_eviction_minutes
    elastic_instance_minimum               = var.staging_always_ready_instance_count
    pre_warmed_instance_count              = var.staging_pre_warmed_instance_count
    app_scale_limit                        = var.function_app_scale_limit
    runtime_scale_monitoring_enabled       = local.runtime_scale_monitoring
    vnet_route_all_enabled                 = var.enable_network_isolation

    application_stack {
      python_version = local.python_version
    }

    cors {
      allowed_origins     = var.cors_allowed_origins
      support_credentials = false
    }
  }

  # App Service Authentication (Easy Auth) with Microsoft Entra ID. Unauthenticated requests pass
  # through (AllowAnonymous): function-key routes and the health probe keep working, and the app
  # itself rejects approval calls without the platform's principal (see infra/README.md,
  # "App Service Authentication"). No token store: the app reads only the principal headers.
  dynamic "auth_settings_v2" {
    for_each = var.enable_app_service_authentication ? [local.app_authentication] : []
    content {
      auth_enabled           = true
      require_authentication = false
      unauthenticated_action = "AllowAnonymous"
      require_https          = true

      active_directory_v2 {
        client_id            = auth_settings_v2.value.client_id
        tenant_auth_endpoint = auth_settings_v2.value.open_id_issuer
        allowed_audiences    = auth_settings_v2.value.allowed_audiences
      }

      login {
        token_store_enabled = false
      }
    }
  }

  app_settings = merge(local.app_settings_shared, local.app_settings_by_instance.staging)

  lifecycle {
    ignore_changes = [app_settings["WEBSITE_CONTENTSHARE"]]
  }

  depends_on = [
    azurerm_role_assignment.app,
    azurerm_role_assignment.durable_task_data,
    azurerm_storage_share.content,
    azapi_resource.content_share_secret,
    azurerm_private_endpoint.this,
    azurerm_private_dns_zone_virtual_network_link.this,
    azurerm_subnet_network_security_group_association.integration,
    azurerm_subnet_network_security_group_association.private_endpoints,
  ]
}
