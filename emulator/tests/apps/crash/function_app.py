"""Fixture: mixed orchestrations whose effects are files, for the kill -9 test.

Each activity records its effect once, keyed by what it acts for (``<instance>.<step>``),
and counts every attempt, so a test can tell a re-run (allowed: at least once, as on Azure)
from a duplicated effect (not allowed).
"""

import os
import time
import uuid
from collections.abc import Generator
from datetime import timedelta
from pathlib import Path
from typing import Any

import azure.durable_functions as df

app = df.DFApp()
FAN_OUT = 4


def _journal() -> Path:
    return Path(os.environ["CRASH_JOURNAL"])


@app.orchestration_trigger(context_name="context")
def mixed(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    """A chain, a fan-out, a durable timer and a sub-orchestration."""
    me = context.instance_id
    first = yield context.call_activity("effect", f"{me}.chain-1")
    second = yield context.call_activity("effect", f"{me}.chain-2")
    fanned = yield context.task_all(
        [context.call_activity("effect", f"{me}.fan-{i}") for i in range(FAN_OUT)]
    )
    yield context.create_timer(context.current_utc_datetime + timedelta(milliseconds=200))
    child = yield context.call_sub_orchestrator("pair", me, f"{me}-child")
    return [first, second, *fanned, *child]


@app.orchestration_trigger(context_name="context")
def pair(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    parent = context.get_input()
    one = yield context.call_activity("effect", f"{parent}.child-1")
    two = yield context.call_activity("effect", f"{parent}.child-2")
    return [one, two]


@app.activity_trigger(input_name="key")
def effect(key: str) -> str:
    """Count the attempt, then apply the effect at most once (create-exclusive)."""
    journal = _journal()
    (journal / "attempts" / f"{key}.{uuid.uuid4().hex}").touch()
    time.sleep(0.3)
    try:
        with (journal / "effects" / key).open("x") as handle:
            handle.write(key)
    except FileExistsError:
        pass
    return key
