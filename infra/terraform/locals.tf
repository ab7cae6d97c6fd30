# Derived values, mirroring the variables of infra/bicep/main.bicep and its modules.

data "azurerm_client_config" "current" {}

data "azurerm_resource_group" "this" {
  name = var.resource_group_name
}

locals {
  location = coalesce(var.location, data.azurerm_resource_group.this.location)

  # Bicep uses uniqueString(); Terraform has no equivalent, so the names differ between the two
  # paths while following the same pattern. Both are stable for a given subscription, resource
  # group and environment.
  resource_token = substr(sha1("${data.azurerm_client_config.current.subscription_id}/${data.azurerm_resource_group.this.id}/${var.environment_name}"), 0, 13)
  base_name      = lower("${var.name_prefix}-${var.environment_name}")
  tags = merge(var.tags, {
    "azd-env-name" = var.environment_name
    application    = "durable-shop"
  })

  function_app_name             = "func-${local.base_name}-${local.resource_token}"
  task_hub_storage_account      = substr(lower("sth${var.name_prefix}${var.environment_name}${local.resource_token}"), 0, 24)
  content_storage_account       = substr(lower("stc${var.name_prefix}${var.environment_name}${local.resource_token}"), 0, 24)
  key_vault_name                = substr("kv-${local.base_name}-${local.resource_token}", 0, 24)
  content_share_secret_name     = "content-share-connection-string"
  storage_replication_type      = var.zone_redundant ? "ZRS" : "LRS"
  python_version                = "3.11"
  health_check_path             = "/api/health"
  python_threadpool_size        = 16
  health_check_eviction_minutes = 10

  # App Service Authentication (see function_app.tf); the issuer is the public cloud's.
  app_authentication = {
    client_id         = var.auth_client_id
    open_id_issuer    = "https://login.microsoftonline.com/${coalesce(var.auth_tenant_id, data.azurerm_client_config.current.tenant_id)}/v2.0"
    allowed_audiences = length(var.auth_allowed_audiences) > 0 ? var.auth_allowed_audiences : ["api://${var.auth_client_id}"]
  }

  # Zone-redundant Elastic Premium needs at least 2 always-ready instances.
  effective_always_ready_instance_count = var.zone_redundant ? max(var.always_ready_instance_count, 2) : var.always_ready_instance_count

  # One Python worker process per vCPU of the plan size (see app_settings_shared below).
  worker_process_count_by_sku = {
    EP1 = 1
    EP2 = 2
    EP3 = 4
  }
  # lookup() rather than [var.plan_sku]: checkov cannot render an index by a variable that
  # comes from a .tfvars file, and would then see app_settings as unreadable.
  worker_process_count = lookup(local.worker_process_count_by_sku, var.plan_sku)

  # The Durable Task Scheduler backend: its own resource, task hubs named like the storage ones,
  # and runtime scale monitoring (the scale controller cannot see the scheduler's backlog).
  use_scheduler                   = var.durable_backend == "scheduler"
  durable_task_scheduler_name     = "dts-${local.base_name}-${local.resource_token}"
  durable_task_scheduler_endpoint = join("", [for scheduler in azapi_resource.durable_task_scheduler : scheduler.output.properties.endpoint])
  runtime_scale_monitoring        = var.enable_network_isolation || local.use_scheduler
  # host.json's storage provider as app settings override it, per backend. lookup() rather than
  # a condition: checkov renders it, and a map it cannot render hides every app setting.
  durable_provider_types = {
    azureStorage = "AzureStorage"
    scheduler    = "azureManaged"
  }
  durable_provider_connections = {
    azureStorage = "AzureWebJobsStorage"
    scheduler    = "DURABLE_TASK_SCHEDULER_CONNECTION_STRING"
  }

  # Task hub, host id, content share and host name per site instance: slots share the storage
  # account, so each needs its own task hub (else they steal each other's work items) and its
  # own host id.
  production_task_hub_name = lower(replace("${var.name_prefix}${var.environment_name}", "-", ""))
  site_instances = {
    production = {
      task_hub_name      = local.production_task_hub_name
      host_id            = local.base_name
      content_share_name = local.function_app_name
      host_name          = "${local.function_app_name}.azurewebsites.net"
    }
    staging = {
      task_hub_name      = "${local.production_task_hub_name}staging"
      host_id            = "${local.base_name}-staging"
      content_share_name = "${local.function_app_name}-staging"
      host_name          = "${local.function_app_name}-staging.azurewebsites.net"
    }
  }

  # App settings every site instance gets. Five more are set by azurerm from resource arguments
  # (tests/infra/test_infra_parity.py knows this mapping):
  # AzureWebJobsStorage__accountName (storage_account_name + storage_uses_managed_identity),
  # FUNCTIONS_EXTENSION_VERSION (functions_extension_version), FUNCTIONS_WORKER_RUNTIME
  # (application_stack), APPLICATIONINSIGHTS_CONNECTION_STRING
  # (site_config.application_insights_connection_string) and WEBSITE_HEALTHCHECK_MAXPINGFAILURES
  # (site_config.health_check_eviction_time_in_min).
  #
  # Worker sizing, consistent with host.json (at most 4 orchestrator, 8 activity and 4 entity
  # functions at once per host): one Python process per vCPU (1 on EP1), because orchestrator
  # replays are CPU-bound under the GIL and a second process on one vCPU only adds memory; 16
  # threads so that every invocation host.json admits (4 + 8 + 4) gets a thread at once instead
  # of queueing inside the worker, where the scale controller cannot see it.
  app_settings_shared = {
    FUNCTIONS_WORKER_PROCESS_COUNT = tostring(local.worker_process_count)
    PYTHON_THREADPOOL_THREAD_COUNT = tostring(local.python_threadpool_size)

    # The Durable backend: host.json's storageProvider, overridden by these two settings, so the
    # same package runs on either (README.md, "Choosing the Durable backend").
    AzureFunctionsJobHost__extensions__durableTask__storageProvider__type                 = lookup(local.durable_provider_types, var.durable_backend)
    AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName = lookup(local.durable_provider_connections, var.durable_backend)

    # Host storage and the Durable task hub: identity-based, no connection string, no key.
    AzureWebJobsStorage__credential = "managedidentity"
    AzureWebJobsStorage__clientId   = azurerm_user_assigned_identity.app.client_id

    # The app's own tables (connection `AppStorage`), same account, same identity.
    AppStorage__tableServiceUri = trimsuffix(azurerm_storage_account.task_hub.primary_table_endpoint, "/")
    AppStorage__credential      = "managedidentity"
    AppStorage__clientId        = azurerm_user_assigned_identity.app.client_id

    # Content share: the only key-based connection, held in Key Vault (see infra/README.md).
    WEBSITE_CONTENTAZUREFILECONNECTIONSTRING = "@Microsoft.KeyVault(VaultName=${azurerm_key_vault.this.name};SecretName=${local.content_share_secret_name})"
    WEBSITE_SKIP_CONTENTSHARE_VALIDATION     = "1"
    WEBSITE_CONTENTOVERVNET                  = var.enable_network_isolation ? "1" : "0"

    # Telemetry: Entra-authenticated ingestion (App Insights has local auth disabled).
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING = "ClientId=${azurerm_user_assigned_identity.app.client_id};Authorization=AAD"
    # The worker takes the host's trace context (host.json telemetryMode OpenTelemetry) and exports
    # its own spans and logs with the same identity (shared/telemetry.py, docs/telemetry.md).
    PYTHON_ENABLE_OPENTELEMETRY = "true"

    # Remote build (Oryx) installs requirements.txt on zip deploy and `func ... publish`.
    SCM_DO_BUILD_DURING_DEPLOYMENT = "true"
    ENABLE_ORYX_BUILD              = "true"

    # The app's settings (shared/settings.py).
    BATCH_MAX_PARALLEL               = tostring(var.batch_max_parallel)
    BATCH_CHUNK_SIZE                 = tostring(var.batch_chunk_size)
    BATCH_MAX_ITEMS                  = tostring(var.batch_max_items)
    APPROVAL_DEFAULT_STAGE_HOURS     = tostring(var.approval_default_stage_hours)
    HEALTH_CHECK_INTERVAL_SECONDS    = tostring(var.health_check_interval_seconds)
    HEALTH_ALERT_THRESHOLD           = tostring(var.health_alert_threshold)
    HEALTH_CHECK_TIMEOUT_SECONDS     = tostring(var.health_check_timeout_seconds)
    MAX_REQUEST_BYTES                = tostring(var.max_request_bytes)
    STORAGE_TIMEOUT_SECONDS          = tostring(var.storage_timeout_seconds)
    IDEMPOTENCY_KEY_RETENTION_HOURS  = tostring(var.idempotency_key_retention_hours)
    IDEMPOTENCY_KEY_CLEANUP_SCHEDULE = var.idempotency_key_cleanup_schedule
    OPERATIONS_EMAIL                 = var.operations_email
    NOTIFICATION_ALLOWED_DOMAINS     = var.notification_allowed_domains

    # The version new orchestrations are stamped with; not sticky, so it moves with the code on a swap.
    AzureFunctionsJobHost__extensions__durableTask__defaultVersion = var.orchestration_version
  }

  # App settings that differ per site instance.
  app_settings_by_instance = {
    production = {
      TASKHUB_NAME                             = local.site_instances.production.task_hub_name
      DURABLE_TASK_SCHEDULER_CONNECTION_STRING = local.use_scheduler ? "Endpoint=${local.durable_task_scheduler_endpoint};TaskHub=${local.site_instances.production.task_hub_name};Authentication=ManagedIdentity;ClientID=${azurerm_user_assigned_identity.app.client_id}" : ""
      AzureFunctionsWebHost__hostid            = local.site_instances.production.host_id
      WEBSITE_CONTENTSHARE                     = local.site_instances.production.content_share_name
      HEALTH_MONITOR_ALLOWLIST                 = jsonencode(merge({ self = "https://${local.site_instances.production.host_name}${local.health_check_path}" }, var.health_monitor_allowlist))
    }
    staging = {
      TASKHUB_NAME                             = local.site_instances.staging.task_hub_name
      DURABLE_TASK_SCHEDULER_CONNECTION_STRING = local.use_scheduler ? "Endpoint=${local.durable_task_scheduler_endpoint};TaskHub=${local.site_instances.staging.task_hub_name};Authentication=ManagedIdentity;ClientID=${azurerm_user_assigned_identity.app.client_id}" : ""
      AzureFunctionsWebHost__hostid            = local.site_instances.staging.host_id
      WEBSITE_CONTENTSHARE                     = local.site_instances.staging.content_share_name
      HEALTH_MONITOR_ALLOWLIST                 = jsonencode(merge({ self = "https://${local.site_instances.staging.host_name}${local.health_check_path}" }, var.health_monitor_allowlist))
    }
  }

  # Settings that stay with their slot on a swap: each slot keeps its own task hub, host id and
  # health target. WEBSITE_CONTENTSHARE is deliberately not sticky: the code moves with the swap.
  sticky_app_setting_names = ["TASKHUB_NAME", "DURABLE_TASK_SCHEDULER_CONNECTION_STRING", "AzureFunctionsWebHost__hostid", "HEALTH_MONITOR_ALLOWLIST"]
}
