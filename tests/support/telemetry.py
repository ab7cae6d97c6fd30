"""What the app would export, captured with the OpenTelemetry SDK's in-memory exporters.

The providers are global and can be set once per process, so they are installed once, through
the app's own `shared.telemetry.install_exporters` (scrubbing included), and record only inside
`capturing()`: the rest of a test run neither pays for nor keeps its spans and logs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from opentelemetry.context import Context
from opentelemetry.sdk._logs import LogRecordProcessor, ReadableLogRecord, ReadWriteLogRecord
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared import telemetry


class _Gate:
    open = False


class _GatedSpans(SpanProcessor):
    def __init__(self, inner: SpanProcessor) -> None:
        self.inner = inner

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        return None

    def on_end(self, span: ReadableSpan) -> None:
        if _Gate.open:
            self.inner.on_end(span)


class _GatedLogs(LogRecordProcessor):
    def __init__(self, inner: LogRecordProcessor) -> None:
        self.inner = inner

    def on_emit(self, log_record: ReadWriteLogRecord) -> None:
        if _Gate.open:
            self.inner.on_emit(log_record)

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)


@dataclass
class Captured:
    span_exporter: InMemorySpanExporter
    log_exporter: InMemoryLogRecordExporter

    def spans(self) -> tuple[ReadableSpan, ...]:
        return self.span_exporter.get_finished_spans()

    def logs(self) -> tuple[ReadableLogRecord, ...]:
        return self.log_exporter.get_finished_logs()

    def clear(self) -> None:
        self.span_exporter.clear()
        self.log_exporter.clear()

    def exported_texts(self) -> Iterator[tuple[str, str]]:
        """(where, text) of everything exported: span names, attributes, events; log bodies
        and attributes."""
        for span in self.spans():
            yield f"span {span.name}", span.name
            yield f"span {span.name} attributes", _text(dict(span.attributes or {}))
            for event in span.events:
                yield f"span {span.name} event {event.name}", _text(dict(event.attributes or {}))
        for log in self.logs():
            record = log.log_record
            yield "log body", _text(record.body)
            yield f"log {record.body!r} attributes", _text(dict(record.attributes or {}))

    def find(self, markers: Iterable[str]) -> list[str]:
        """Where each marker shows in what was exported (case-insensitive)."""
        wanted = [m.lower() for m in markers]
        return [
            f"{where}: {marker!r}"
            for where, text in self.exported_texts()
            for marker in wanted
            if marker in text.lower()
        ]


def _text(value: Any) -> str:
    return json.dumps(value, default=str)


_installed: Captured | None = None


def _install() -> Captured:
    global _installed
    if _installed is None:
        captured = Captured(InMemorySpanExporter(), InMemoryLogRecordExporter())  # type: ignore[no-untyped-call]
        telemetry.configure({})  # the log record factory, as the app's import does
        telemetry.install_exporters(
            _GatedSpans(SimpleSpanProcessor(captured.span_exporter)),
            _GatedLogs(SimpleLogRecordProcessor(captured.log_exporter)),
            "durable-shop-tests",
        )
        _installed = captured
    return _installed


@contextmanager
def capturing() -> Iterator[Captured]:
    """Record what would be exported while inside (empty on entry)."""
    captured = _install()
    captured.clear()
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.INFO)  # the Functions worker passes INFO and up (host.json default)
    _Gate.open = True
    try:
        yield captured
    finally:
        _Gate.open = False
        root.setLevel(level)
