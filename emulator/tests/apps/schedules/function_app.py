"""Fixture: timer-triggered functions beside a durable orchestration and an HTTP function.

Every run is recorded in ``calls`` as ``(function, past_due, schedule_status)``; ``slow`` waits
on ``release`` and tracks how many of its runs overlap.
"""

import threading
from collections.abc import Generator
from datetime import timedelta
from typing import Any

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)

calls: list[tuple[str, bool, dict[str, Any]]] = []
release = threading.Event()
release.set()
overlap = {"active": 0, "peak": 0}
_lock = threading.Lock()


def record(name: str, timer: func.TimerRequest) -> None:
    assert isinstance(timer, func.TimerRequest)
    # schedule_status is on the concrete TimerRequest the worker builds, not on its interface.
    status: dict[str, Any] = getattr(timer, "schedule_status", {})
    calls.append((name, timer.past_due, dict(status)))


@app.timer_trigger(schedule="0 */5 * * * *", arg_name="timer")
def every_five_minutes(timer: func.TimerRequest) -> None:
    record("every_five_minutes", timer)


@app.timer_trigger(schedule="%HOURLY_SCHEDULE%", arg_name="timer")
def hourly(timer: func.TimerRequest) -> None:
    record("hourly", timer)


@app.timer_trigger(schedule="0 0 3 * * *", arg_name="timer", run_on_startup=True)
def nightly(timer: func.TimerRequest) -> None:
    record("nightly", timer)


@app.timer_trigger(schedule="00:10:00", arg_name="timer")
def failing(timer: func.TimerRequest) -> None:
    record("failing", timer)
    raise RuntimeError("the cleanup store is unavailable")


@app.timer_trigger(schedule="0 * * * * *", arg_name="timer")
def slow(timer: func.TimerRequest) -> None:
    with _lock:
        overlap["active"] += 1
        overlap["peak"] = max(overlap["peak"], overlap["active"])
    record("slow", timer)
    release.wait(30)
    with _lock:
        overlap["active"] -= 1


@app.orchestration_trigger(context_name="context")
def sleeper(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    yield context.create_timer(context.current_utc_datetime + timedelta(minutes=12))
    return "woke"


@app.route(route="ping")
def ping(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("pong")
