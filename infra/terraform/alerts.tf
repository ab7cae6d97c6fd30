# What needs a human, and where to look: the operations action group, the scheduled query
# alerts of infra/monitoring/alerts.json, the task hub's queue depth and the workflows workbook
# (infra/monitoring/workbook.json). infra/bicep/modules/alerts.bicep reads the same two files.

locals {
  alert_definitions = { for alert in jsondecode(file("${path.module}/../monitoring/alerts.json")).alerts : alert.name => alert }
}

resource "azurerm_monitor_action_group" "operations" {
  name                = "ag-${local.base_name}-operations"
  resource_group_name = data.azurerm_resource_group.this.name
  location            = "global"
  tags                = local.tags
  short_name          = "operations"
  enabled             = true

  email_receiver {
    name                    = "operations"
    email_address           = var.operations_email
    use_common_alert_schema = true
  }
}

resource "azurerm_monitor_scheduled_query_rules_alert_v2" "this" {
  for_each = local.alert_definitions

  name                    = "alert-${local.base_name}-${each.key}"
  resource_group_name     = data.azurerm_resource_group.this.name
  location                = local.location
  tags                    = local.tags
  display_name            = each.value.title
  description             = each.value.meaning
  severity                = each.value.severity
  enabled                 = true
  evaluation_frequency    = each.value.frequency
  window_duration         = each.value.window
  scopes                  = [azurerm_log_analytics_workspace.this.id]
  auto_mitigation_enabled = true

  criteria {
    query                   = each.value.query
    time_aggregation_method = "Total"
    metric_measure_column   = each.value.measure
    operator                = each.value.operator
    threshold               = each.value.threshold

    failing_periods {
      number_of_evaluation_periods             = 1
      minimum_failing_periods_to_trigger_alert = 1
    }
  }

  action {
    action_groups = [azurerm_monitor_action_group.operations.id]
  }
}

# The task hub's control and work-item queues: a backlog that keeps growing means workers fall
# behind (too few instances, throttling, a hot partition). Queue capacity is reported hourly.
resource "azurerm_monitor_metric_alert" "task_hub_queue_depth" {
  name                = "alert-${local.base_name}-task-hub-queue-depth"
  resource_group_name = data.azurerm_resource_group.this.name
  tags                = local.tags
  description         = "Messages waiting in the task hub storage account queues stayed above 1000 for an hour: orchestration and activity work is piling up."
  severity            = 2
  enabled             = true
  scopes              = ["${azurerm_storage_account.task_hub.id}/queueServices/default"]
  frequency           = "PT1H"
  window_size         = "PT6H"
  auto_mitigate       = true

  criteria {
    metric_namespace = "Microsoft.Storage/storageAccounts/queueServices"
    metric_name      = "QueueMessageCount"
    aggregation      = "Average"
    operator         = "GreaterThan"
    threshold        = 1000
  }

  action {
    action_group_id = azurerm_monitor_action_group.operations.id
  }
}

resource "azurerm_application_insights_workbook" "workflows" {
  name                = uuidv5("url", "${azurerm_application_insights.this.id}/workflows-workbook")
  resource_group_name = data.azurerm_resource_group.this.name
  location            = local.location
  tags                = local.tags
  display_name        = "Durable workflows (${local.base_name})"
  category            = "workbook"
  source_id           = lower(azurerm_application_insights.this.id)
  data_json           = file("${path.module}/../monitoring/workbook.json")
}
