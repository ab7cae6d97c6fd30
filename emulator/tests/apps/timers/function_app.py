"""Fixture: durable timers, long timers split by the SDK, and a timer racing an event."""

from collections.abc import Generator
from datetime import timedelta
from typing import Any

import azure.durable_functions as df

app = df.DFApp()


@app.orchestration_trigger(context_name="context")
def sleeper(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    spec: dict[str, Any] = context.get_input() or {}
    hours = spec["hours"]
    started = context.current_utc_datetime
    yield context.create_timer(started + timedelta(hours=hours))
    return (context.current_utc_datetime - started).total_seconds()


@app.orchestration_trigger(context_name="context")
def ticker(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    ticks = []
    spec: dict[str, Any] = context.get_input() or {}
    for _ in range(spec["count"]):
        yield context.create_timer(context.current_utc_datetime + timedelta(hours=1))
        ticks.append(context.current_utc_datetime.isoformat())
    return ticks


@app.orchestration_trigger(context_name="context")
def nap(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    spec: dict[str, Any] = context.get_input() or {}
    yield context.create_timer(context.current_utc_datetime + timedelta(seconds=spec["seconds"]))
    return "rested"


@app.orchestration_trigger(context_name="context")
def fetch(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    spec: dict[str, Any] = context.get_input() or {}
    response = yield context.call_http("GET", spec["url"])
    return {"status": response["statusCode"], "content": response["content"]}
