# Inputs. Every variable except resource_group_name mirrors a parameter of
# infra/bicep/main.bicep (snake_case here, camelCase there) with the same default and bounds;
# tests/infra/test_infra_parity.py fails when they drift apart.

# -----------------------------------------------------------------------------------------------
# Environment and naming
# -----------------------------------------------------------------------------------------------

variable "resource_group_name" {
  type        = string
  description = "Existing resource group to deploy into (Bicep gets it from `az deployment group create -g`)."
}

variable "environment_name" {
  type        = string
  description = "Short environment name (dev, test, prod): part of every resource name and of the task hub name, so each environment gets its own task hub. Lowercase letters and digits."

  validation {
    condition     = length(var.environment_name) >= 2 && length(var.environment_name) <= 8
    error_message = "environment_name must be 2 to 8 characters."
  }

  # Storage account names take lowercase letters and digits only.
  validation {
    condition     = can(regex("^[a-z0-9]+$", var.environment_name))
    error_message = "environment_name may contain only lowercase letters and digits."
  }
}

variable "location" {
  type        = string
  default     = null
  description = "Azure region of every resource. Defaults to the resource group's region."
}

variable "name_prefix" {
  type        = string
  default     = "shop"
  description = "Prefix of resource names and of the task hub name. Lowercase letters and digits."

  validation {
    condition     = length(var.name_prefix) >= 2 && length(var.name_prefix) <= 8
    error_message = "name_prefix must be 2 to 8 characters."
  }

  validation {
    condition     = can(regex("^[a-z0-9]+$", var.name_prefix))
    error_message = "name_prefix may contain only lowercase letters and digits."
  }
}

variable "tags" {
  type        = map(string)
  default     = {}
  description = "Tags added to every resource."
}

# -----------------------------------------------------------------------------------------------
# Plan and scale
# -----------------------------------------------------------------------------------------------

variable "plan_sku" {
  type        = string
  default     = "EP1"
  description = "Elastic Premium size: EP1 (1 vCPU, 3.5 GB), EP2 (2 vCPU, 7 GB) or EP3 (4 vCPU, 14 GB)."

  validation {
    condition     = contains(["EP1", "EP2", "EP3"], var.plan_sku)
    error_message = "plan_sku must be EP1, EP2 or EP3."
  }
}

variable "maximum_elastic_worker_count" {
  type        = number
  default     = 20
  description = "Most instances the plan may scale out to."

  validation {
    condition     = var.maximum_elastic_worker_count >= 1 && var.maximum_elastic_worker_count <= 100
    error_message = "maximum_elastic_worker_count must be between 1 and 100."
  }
}

variable "always_ready_instance_count" {
  type        = number
  default     = 1
  description = "Always-ready instances of the production site (raised to 2 when zone redundant). Microsoft.Web/sites siteConfig.minimumElasticInstanceCount: 0-20."

  validation {
    condition     = var.always_ready_instance_count >= 1 && var.always_ready_instance_count <= 20
    error_message = "always_ready_instance_count must be between 1 and 20."
  }
}

variable "pre_warmed_instance_count" {
  type        = number
  default     = 1
  description = "Pre-warmed instances of the production site kept ahead of scale-out (at least 1: runtime scale monitoring requires it). Microsoft.Web/sites siteConfig.preWarmedInstanceCount: 0-10."

  validation {
    condition     = var.pre_warmed_instance_count >= 1 && var.pre_warmed_instance_count <= 10
    error_message = "pre_warmed_instance_count must be between 1 and 10."
  }
}

variable "staging_always_ready_instance_count" {
  type        = number
  default     = 1
  description = "Always-ready instances of the staging slot: always-ready is per site, so these are billed on top of production's."

  validation {
    condition     = var.staging_always_ready_instance_count >= 1 && var.staging_always_ready_instance_count <= 20
    error_message = "staging_always_ready_instance_count must be between 1 and 20."
  }
}

variable "staging_pre_warmed_instance_count" {
  type        = number
  default     = 1
  description = "Pre-warmed instances of the staging slot (at least 1: runtime scale monitoring requires it)."

  validation {
    condition     = var.staging_pre_warmed_instance_count >= 1 && var.staging_pre_warmed_instance_count <= 10
    error_message = "staging_pre_warmed_instance_count must be between 1 and 10."
  }
}

variable "function_app_scale_limit" {
  type        = number
  default     = 10
  description = "Most instances this function app may use (functionAppScaleLimit)."

  validation {
    condition     = var.function_app_scale_limit >= 1 && var.function_app_scale_limit <= 100
    error_message = "function_app_scale_limit must be between 1 and 100."
  }
}

variable "zone_redundant" {
  type        = bool
  default     = false
  description = "Spread the plan across availability zones (also switches storage to ZRS). Only at creation, in regions with zones."
}

variable "durable_backend" {
  type        = string
  default     = "azureStorage"
  description = "Durable backend: azureStorage (queues, tables and blobs in the task hub account) or scheduler (a Durable Task Scheduler with a task hub per site instance; README.md, \"Choosing the Durable backend\")."

  validation {
    condition     = contains(["azureStorage", "scheduler"], var.durable_backend)
    error_message = "durable_backend must be azureStorage or scheduler."
  }
}

variable "enable_staging_slot" {
  type        = bool
  default     = false
  description = "Create a \"staging\" deployment slot with its own task hub, host id and content share."
}

# -----------------------------------------------------------------------------------------------
# Network
# -----------------------------------------------------------------------------------------------

variable "enable_network_isolation" {
  type        = bool
  default     = false
  description = "VNet integration plus private endpoints for storage and Key Vault; their public endpoints are then disabled and runtime scale monitoring is turned on."
}

variable "vnet_address_prefix" {
  type        = string
  default     = "10.40.0.0/16"
  description = "Address space of the VNet (used when enable_network_isolation is true)."
}

variable "integration_subnet_prefix" {
  type        = string
  default     = "10.40.0.0/24"
  description = "Integration subnet, delegated to Microsoft.Web/serverFarms."
}

variable "private_endpoint_subnet_prefix" {
  type        = string
  default     = "10.40.1.0/24"
  description = "Private endpoint subnet."
}

# -----------------------------------------------------------------------------------------------
# Observability and HTTP
# -----------------------------------------------------------------------------------------------

variable "log_retention_days" {
  type        = number
  default     = 30
  description = "Days of log retention in Log Analytics."

  validation {
    condition     = var.log_retention_days >= 30 && var.log_retention_days <= 730
    error_message = "log_retention_days must be between 30 and 730."
  }
}

variable "cors_allowed_origins" {
  type        = list(string)
  default     = []
  description = "Origins allowed to call the HTTP API from a browser. Never \"*\"."

  validation {
    condition     = !contains(var.cors_allowed_origins, "*")
    error_message = "cors_allowed_origins must list origins; a wildcard is not allowed."
  }
}

# -----------------------------------------------------------------------------------------------
# The app's own settings (shared/settings.py): same defaults and bounds as the app.
# -----------------------------------------------------------------------------------------------

variable "batch_max_parallel" {
  type        = number
  default     = 16
  description = "BATCH_MAX_PARALLEL: chunks of a batch processed at once."

  validation {
    condition     = var.batch_max_parallel >= 1 && var.batch_max_parallel <= 200
    error_message = "batch_max_parallel must be between 1 and 200."
  }
}

variable "batch_chunk_size" {
  type        = number
  default     = 100
  description = "BATCH_CHUNK_SIZE: items per sub-orchestration of a batch."

  validation {
    condition     = var.batch_chunk_size >= 10 && var.batch_chunk_size <= 1000
    error_message = "batch_chunk_size must be between 10 and 1000."
  }
}

variable "batch_max_items" {
  type        = number
  default     = 10000
  description = "BATCH_MAX_ITEMS: largest batch accepted."

  validation {
    condition     = var.batch_max_items >= 1 && var.batch_max_items <= 10000
    error_message = "batch_max_items must be between 1 and 10000."
  }
}

variable "approval_default_stage_hours" {
  type        = number
  default     = 72
  description = "APPROVAL_DEFAULT_STAGE_HOURS: deadline of an approval stage."

  validation {
    condition     = var.approval_default_stage_hours >= 1 && var.approval_default_stage_hours <= 144
    error_message = "approval_default_stage_hours must be between 1 and 144."
  }
}

variable "health_monitor_allowlist" {
  type        = map(string)
  default     = {}
  description = "HEALTH_MONITOR_ALLOWLIST entries besides \"self\" (this app's /api/health): name -> https URL."
}

variable "health_check_interval_seconds" {
  type        = number
  default     = 300
  description = "HEALTH_CHECK_INTERVAL_SECONDS: time between health probes."

  validation {
    condition     = var.health_check_interval_seconds >= 1 && var.health_check_interval_seconds <= 86400
    error_message = "health_check_interval_seconds must be between 1 and 86400."
  }
}

variable "health_alert_threshold" {
  type        = number
  default     = 3
  description = "HEALTH_ALERT_THRESHOLD: consecutive failures before an alert."

  validation {
    condition     = var.health_alert_threshold >= 1 && var.health_alert_threshold <= 100
    error_message = "health_alert_threshold must be between 1 and 100."
  }
}

variable "health_check_timeout_seconds" {
  type        = number
  default     = 10
  description = "HEALTH_CHECK_TIMEOUT_SECONDS: timeout of one health probe."

  validation {
    condition     = var.health_check_timeout_seconds >= 1 && var.health_check_timeout_seconds <= 60
    error_message = "health_check_timeout_seconds must be between 1 and 60."
  }
}

variable "max_request_bytes" {
  type        = number
  default     = 2097152
  description = "MAX_REQUEST_BYTES: largest accepted HTTP request body."

  validation {
    condition     = var.max_request_bytes >= 1024 && var.max_request_bytes <= 16777216
    error_message = "max_request_bytes must be between 1024 and 16777216."
  }
}

variable "storage_timeout_seconds" {
  type        = number
  default     = 5
  description = "STORAGE_TIMEOUT_SECONDS: how long one storage call of an HTTP request may wait before the route answers 503."

  validation {
    condition     = var.storage_timeout_seconds >= 1 && var.storage_timeout_seconds <= 60
    error_message = "storage_timeout_seconds must be between 1 and 60."
  }
}

variable "idempotency_key_retention_hours" {
  type        = number
  default     = 24
  description = "IDEMPOTENCY_KEY_RETENTION_HOURS: how long an Idempotency-Key is remembered after its request."

  validation {
    condition     = var.idempotency_key_retention_hours >= 1 && var.idempotency_key_retention_hours <= 720
    error_message = "idempotency_key_retention_hours must be between 1 and 720."
  }
}

variable "idempotency_key_cleanup_schedule" {
  type        = string
  default     = "0 */15 * * * *"
  description = "IDEMPOTENCY_KEY_CLEANUP_SCHEDULE: NCRONTAB schedule (six fields, UTC) of the timer that removes expired Idempotency-Key rows; the app checks its form."

  validation {
    condition     = length(var.idempotency_key_cleanup_schedule) >= 11 && length(var.idempotency_key_cleanup_schedule) <= 100
    error_message = "idempotency_key_cleanup_schedule must be 11 to 100 characters: six NCRONTAB fields."
  }
}

variable "operations_email" {
  type        = string
  default     = "ops@example.com"
  description = "OPERATIONS_EMAIL: where operational alerts go."
}

variable "notification_allowed_domains" {
  type        = string
  default     = "example.com,example.org"
  description = "NOTIFICATION_ALLOWED_DOMAINS: comma-separated domains the app may notify; OPERATIONS_EMAIL must be in one of them."

  validation {
    condition     = length(var.notification_allowed_domains) >= 1 && length(var.notification_allowed_domains) <= 2000
    error_message = "notification_allowed_domains must be 1 to 2000 characters."
  }
}

variable "orchestration_version" {
  type        = string
  default     = "1.1.0"
  description = "Durable defaultVersion of the code production runs (AzureFunctionsJobHost__extensions__durableTask__defaultVersion), MAJOR.MINOR.PATCH; the pipeline passes the running version and sets the release version on the staging slot (docs/changing-orchestrations.md). The default is host.json's."
}

# -----------------------------------------------------------------------------------------------
# App Service Authentication (Easy Auth) with Microsoft Entra ID
# -----------------------------------------------------------------------------------------------

variable "enable_app_service_authentication" {
  type        = bool
  default     = false
  description = "Turn on App Service Authentication with Microsoft Entra ID (on in environments/prod): the platform validates bearer tokens and passes the caller as x-ms-client-principal-*; the approval routes then require it."
}

variable "auth_client_id" {
  type        = string
  default     = ""
  description = "Application (client) id of the Entra app registration whose tokens the API accepts. Required when enable_app_service_authentication is true."

  validation {
    condition     = !var.enable_app_service_authentication || length(var.auth_client_id) > 0
    error_message = "auth_client_id is required when enable_app_service_authentication is true."
  }
}

variable "auth_tenant_id" {
  type        = string
  default     = ""
  description = "Entra tenant that issues the tokens; empty: the tenant of the deployment."
}

variable "auth_allowed_audiences" {
  type        = list(string)
  default     = []
  description = "Audiences a token may carry; empty: api://<auth_client_id>."
}
