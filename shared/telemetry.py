"""Where the app's traces and logs go: Application Insights, an OTLP endpoint, or nowhere.

- `APPLICATIONINSIGHTS_CONNECTION_STRING`: Application Insights through the Azure Monitor
  distro, authenticated with Entra ID when `APPLICATIONINSIGHTS_AUTHENTICATION_STRING` says
  `Authorization=AAD` (the infrastructure sets it with the app identity's client id, because
  the component accepts no instrumentation key);
- else `OTEL_EXPORTER_OTLP_ENDPOINT`: that OTLP/HTTP endpoint (a collector, Jaeger);
- else nothing is configured and nothing leaves the machine.

Either way Azure SDK calls (every Table Storage read and write) become spans, every log
record carries the workflow fields of `shared.log_context`, and `shared.telemetry_privacy`
scrubs each span and record before an exporter sees it. docs/telemetry.md has the host side.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from enum import StrEnum
from typing import Any, ParamSpec, TypeVar

from azure.core.credentials import TokenCredential
from opentelemetry import trace
from opentelemetry._logs import set_logger_provider
from opentelemetry.instrumentation.logging.handler import LoggingHandler
from opentelemetry.sdk._logs import LoggerProvider, LogRecordProcessor
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

from shared import log_context
from shared.errors import ActivityError
from shared.telemetry_privacy import ScrubbingLogProcessor, ScrubbingSpanProcessor

P = ParamSpec("P")
R = TypeVar("R")

CONNECTION_STRING = "APPLICATIONINSIGHTS_CONNECTION_STRING"
AUTHENTICATION_STRING = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING"
OTLP_ENDPOINT = "OTEL_EXPORTER_OTLP_ENDPOINT"
SERVICE_NAME = "durable-shop"

#: The tracer the app's own spans (activity boundaries) come from.
TRACER = "durable_shop"

_activity_log = logging.getLogger("shared.activity")
_lock = threading.Lock()
_mode: Destination | None = None


class Destination(StrEnum):
    AZURE_MONITOR = "azure-monitor"
    OTLP = "otlp"
    OFF = "off"


def configure(environ: Mapping[str, str] = os.environ) -> Destination:
    """Set up the process's telemetry once, from the settings (see the table above)."""
    global _mode
    with _lock:
        if _mode is None:
            log_context.install()
            _mode = _configure(environ)
        return _mode


def _configure(environ: Mapping[str, str]) -> Destination:
    if environ.get(CONNECTION_STRING):
        from azure.monitor.opentelemetry import configure_azure_monitor

        configure_azure_monitor(
            connection_string=environ[CONNECTION_STRING],
            credential=ingestion_credential(environ.get(AUTHENTICATION_STRING, "")),
            span_processors=[ScrubbingSpanProcessor()],
            log_record_processors=[ScrubbingLogProcessor()],
            enable_live_metrics=False,
        )
        return Destination.AZURE_MONITOR
    if environ.get(OTLP_ENDPOINT):
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        install_exporters(
            BatchSpanProcessor(OTLPSpanExporter()),
            BatchLogRecordProcessor(OTLPLogExporter()),
            environ.get("OTEL_SERVICE_NAME", SERVICE_NAME),
        )
        return Destination.OTLP
    return Destination.OFF


def install_exporters(
    spans: SpanProcessor, logs: LogRecordProcessor, service: str
) -> TracerProvider:
    """Global providers that scrub, then hand spans and logs to the given processors.

    Also the way tests capture what would be exported (the SDK's in-memory exporters
    behind simple processors).
    """
    resource = Resource.create({"service.name": service})
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(ScrubbingSpanProcessor())
    tracer_provider.add_span_processor(spans)
    trace.set_tracer_provider(tracer_provider)

    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(ScrubbingLogProcessor())
    logger_provider.add_log_record_processor(logs)
    set_logger_provider(logger_provider)
    logging.getLogger().addHandler(LoggingHandler(logger_provider=logger_provider))

    _trace_azure_sdk_calls()
    return tracer_provider


def _trace_azure_sdk_calls() -> None:
    """Azure SDK clients (Table Storage) report each call as a span of the current trace."""
    from azure.core.settings import settings
    from azure.core.tracing.ext.opentelemetry_span import OpenTelemetrySpan

    settings.tracing_implementation = OpenTelemetrySpan


def ingestion_credential(authentication: str) -> TokenCredential | None:
    """The managed identity `APPLICATIONINSIGHTS_AUTHENTICATION_STRING` names, if any.

    `Authorization=AAD;ClientId=<id>` is the user-assigned identity the infrastructure grants
    Monitoring Metrics Publisher; `Authorization=AAD` alone is the system-assigned one.
    Anything else (unset) means key-based ingestion, which works only where local
    authentication is on.
    """
    parts = {
        name.strip().lower(): value.strip()
        for name, _, value in (part.partition("=") for part in authentication.split(";"))
        if name.strip()
    }
    if parts.get("authorization", "").upper() != "AAD":
        return None
    from azure.identity import ManagedIdentityCredential

    return ManagedIdentityCredential(client_id=parts.get("clientid") or None)


def tracer() -> trace.Tracer:
    return trace.get_tracer(TRACER)


@contextmanager
def activity_boundary(function: str, payload: Any) -> Iterator[log_context.LogFields | None]:
    """One activity call: its log fields bound, a span carrying them, and one closing line.

    The span (`activity:<name>`, a child of the host's invocation context) is where the
    activity's Table Storage calls nest. The closing line gives the outcome (`succeeded`, or
    the error kind and code: never the message) and the duration as structured fields, the
    figures behind the activity retry and duration charts.
    """
    with log_context.activity_scope(function, payload) as fields:
        attributes = fields.as_attributes() if fields else {"function": function}
        started = time.perf_counter()
        with tracer().start_as_current_span(
            f"activity:{function}",
            kind=SpanKind.INTERNAL,
            attributes=attributes,
            record_exception=True,
            set_status_on_exception=True,
        ) as span:
            try:
                yield fields
            except Exception as exc:
                _activity_log.warning(
                    "activity %s failed: %s",
                    function,
                    outcome := _outcome(exc),
                    extra={"outcome": outcome, "durationMs": _ms_since(started)},
                )
                raise
            span.set_status(Status(StatusCode.OK))
            _activity_log.info(
                "activity %s succeeded",
                function,
                extra={"outcome": "succeeded", "durationMs": _ms_since(started)},
            )


def _outcome(exc: Exception) -> str:
    if isinstance(exc, ActivityError):
        return f"{exc.info.kind.value}:{exc.info.code}"
    return f"error:{type(exc).__name__}"


def _ms_since(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
