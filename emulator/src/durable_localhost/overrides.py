"""Activity overrides: tests answer chosen activities with fakes while the real SDK runs the rest.

A fake takes the activity's decoded JSON input and returns its JSON output, or raises to fail
the attempt; the failure reaches the orchestrator with the same texts a raising activity
produces, so retry policies and error classification see what they would see in Azure.
"""

from __future__ import annotations

import inspect
import json
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Executor
from typing import Any

from durable_localhost.worker_threads import run_on

ActivityFake = Callable[[Any], Any]
"""Decoded JSON input -> JSON-serialisable output (a plain function or a coroutine function)."""


class UnknownActivity(KeyError):
    """An override names an activity the app does not define (a typo would otherwise pass)."""


class ActivityOverrides:
    """Fakes by activity name, and every call they answered, in order.

    Thread-safe: tests set and clear fakes from their own thread while the host runs.
    """

    def __init__(self, fakes: Mapping[str, ActivityFake] | None = None) -> None:
        self._fakes: dict[str, ActivityFake] = dict(fakes or {})
        self._known: frozenset[str] | None = None
        self._calls: list[tuple[str, Any]] = []
        self._lock = threading.Lock()

    def bind(self, known: Iterable[str]) -> None:
        """Check every fake against the app's activity names, now and on each later ``set``."""
        with self._lock:
            self._known = frozenset(known)
            self._check(self._fakes)

    def set(self, name: str, fake: ActivityFake) -> None:
        """Answer ``name`` with ``fake`` from its next attempt on."""
        with self._lock:
            self._check([name])
            self._fakes[name] = fake

    def clear(self, name: str | None = None) -> None:
        """Run the app's own activity again (every activity when ``name`` is None)."""
        with self._lock:
            if name is None:
                self._fakes.clear()
            else:
                self._fakes.pop(name, None)

    def get(self, name: str) -> ActivityFake | None:
        """The fake answering ``name``, if any."""
        with self._lock:
            return self._fakes.get(name)

    def calls(self, name: str | None = None) -> list[Any]:
        """Inputs the fakes received, in order: of ``name``, or ``(name, input)`` pairs."""
        with self._lock:
            if name is None:
                return list(self._calls)
            return [payload for called, payload in self._calls if called == name]

    async def run(self, fake: ActivityFake, name: str, payload: str | None, pool: Executor) -> str:
        """Call ``fake`` on the decoded input (sync fakes on ``pool``); its result as JSON text."""
        value = json.loads(payload) if payload else None
        with self._lock:
            self._calls.append((name, value))
        if inspect.iscoroutinefunction(fake):
            result = await fake(value)
        else:
            result = await run_on(pool, fake, value)
            if inspect.isawaitable(result):
                result = await result
        return json.dumps(result)

    def _check(self, names: Iterable[str]) -> None:
        if self._known is None:
            return
        unknown = sorted(set(names) - self._known)
        if unknown:
            raise UnknownActivity(
                f"no activity named {', '.join(unknown)}; the app has {sorted(self._known)}"
            )


def fails_then(times: int, error: BaseException, then: ActivityFake) -> ActivityFake:
    """A fake whose first ``times`` calls raise ``error`` and whose later calls answer ``then``.

    Shared by every instance calling the activity; build one per activity whose attempts should
    be counted separately.
    """
    failures = [times]
    lock = threading.Lock()

    def fake(payload: Any) -> Any:
        with lock:
            failing = failures[0] > 0
            failures[0] -= 1 if failing else 0
        if failing:
            raise error.with_traceback(None)
        return then(payload)

    return fake
