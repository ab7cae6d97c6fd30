"""Fixtures of the end-to-end suite: one running shop app, its clock, an HTTP client.

By default the app runs in-process on the project's emulator (virtual clock, paused; state in
memory; the app's tables in the session's Azurite). With `E2E_BASE_URL` set, the same tests run
against that URL instead (see README.md). The fixtures are package-scoped: the emulator (and
the settings it puts in the environment) lives exactly as long as this folder's tests, so the
rest of a full `pytest` run never shares a process with it.
"""

from __future__ import annotations

from tests.e2e.support.fixtures import api, clock, keyed_target, probe_endpoint, target

__all__ = ["api", "clock", "keyed_target", "probe_endpoint", "target"]
