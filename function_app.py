"""The Functions app: one Durable Functions app object with every blueprint registered.

Each module owns one concern (a pattern's orchestrator, a domain's activities, a route group)
and exposes `bp`; this file is the only place that decides what the app serves.
Each HTTP function declares its own auth level with its route (api/routing.py), as the key
model in api/access.py requires; the app-wide default below applies to none of them.
"""

import azure.durable_functions as df
import azure.functions as func

import activities.approvals
import activities.batch_items
import activities.customers
import activities.health_checks
import activities.inventory
import activities.jobs
import activities.notifications
import activities.order_recovery
import activities.payments
import activities.shipping
import api.approvals
import api.batches
import api.counters
import api.customers
import api.health
import api.health_monitors
import api.instances
import api.inventory
import api.jobs
import api.monitors
import api.notifications
import api.openapi
import api.order_recovery
import api.orders
import entities.counter
import housekeeping.idempotency_keys
import orchestrators.batch
import orchestrators.expense_approval
import orchestrators.export_monitor
import orchestrators.health_monitor
import orchestrators.onboarding
import orchestrators.order_saga
import shared.sdk_timestamps
import shared.telemetry

BLUEPRINTS: tuple[df.Blueprint, ...] = (
    # Orchestrations, one module per pattern.
    orchestrators.onboarding.bp,  # function chaining
    orchestrators.order_saga.bp,  # saga with compensation
    orchestrators.batch.bp,  # fan-out/fan-in with sub-orchestration chunks
    orchestrators.export_monitor.bp,  # monitor
    orchestrators.expense_approval.bp,  # human interaction with escalation
    orchestrators.health_monitor.bp,  # eternal orchestration
    # Activities, grouped by domain.
    activities.customers.bp,
    activities.inventory.bp,
    activities.payments.bp,
    activities.shipping.bp,
    activities.notifications.bp,
    activities.order_recovery.bp,
    activities.batch_items.bp,
    activities.jobs.bp,
    activities.approvals.bp,
    activities.health_checks.bp,
    # Durable entities.
    entities.counter.bp,
    # HTTP API.
    api.customers.bp,
    api.orders.bp,
    api.order_recovery.bp,
    api.inventory.bp,
    api.batches.bp,
    api.jobs.bp,
    api.monitors.bp,
    api.approvals.bp,
    api.health_monitors.bp,
    api.counters.bp,
    api.instances.bp,
    api.notifications.bp,
    api.health.bp,
    api.openapi.bp,
    # Timers: upkeep of the app's own tables.
    housekeeping.idempotency_keys.bp,
)

shared.telemetry.configure()  # Application Insights, OTLP, or nothing (docs/telemetry.md)
shared.sdk_timestamps.apply_setting()  # exact, faster history timestamps (README, Benchmark)

app = df.DFApp(http_auth_level=func.AuthLevel.FUNCTION)
for blueprint in BLUEPRINTS:
    app.register_functions(blueprint)
