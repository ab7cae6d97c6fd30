"""The machinery of `make record-histories`: a serial local host, fixed time, fixed ids.

The app runs in-process on durable-localhost with a paused virtual clock, one piece of user
code at a time (`serial=True`) and an empty Azurite of its own. Each scenario starts at its own
instant (`SLOT` apart) with the host's ids and the app's `uuid4()` re-seeded from its name, and
activities read the virtual clock instead of the wall clock: the same code records the same
bytes, and a change to one orchestrator re-records only its own files.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sys
import time
import types
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import httpx

from durable_localhost import ids
from durable_localhost.testing import EmulatorServer
from shared import storage
from shared.settings import get_settings
from tests.replay.history_file import HISTORIES, Execution, RecordedInstance
from tests.support.azurite import Azurite, start_fresh

ROOT: Final = Path(__file__).resolve().parents[2]
START: Final = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
#: Each scenario runs from its own instant; no scenario may run longer than this.
SLOT: Final = timedelta(days=10)
#: The app setting that overrides host.json's defaultVersion, as the Functions host reads it.
DEFAULT_VERSION_SETTING: Final = "AzureFunctionsJobHost__extensions__durableTask__defaultVersion"
#: Packages whose module-level `datetime`, `uuid` and `time` are made deterministic.
APP_PACKAGES: Final = ("activities", "api", "shared", "entities")


@dataclass
class Kept:
    """An instance a scenario asked to write, and what to call it."""

    orchestrator: str
    case: str
    description: str
    instance_id: str


@dataclass
class Recorder:
    """What a scenario uses: the app's routes, the host's webhooks, its clock, `keep()`."""

    server: EmulatorServer
    http: httpx.Client
    kept: list[Kept] = field(default_factory=list)
    continued: dict[str, list[Execution]] = field(default_factory=dict)
    _uuid_random: random.Random = field(default_factory=random.Random)

    # --- driving the app ------------------------------------------------------------------

    def call(self, method: str, path: str, body: Any = None, expect: int | None = None) -> Any:
        """A request to the app's `/api` routes; fails the recording on another status."""
        response = self.http.request(method, f"{self.server.api_url}{path}", json=body)
        if expect is not None and response.status_code != expect:
            raise AssertionError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        self.settle()
        return response.json() if response.content else None

    def start(
        self, orchestrator: str, instance_id: str, payload: Any, version: str | None = None
    ) -> None:
        """Start an orchestration through the host's webhook, as `client.start_new` sends it."""
        url = f"{self.server.webhook_url}/orchestrators/{orchestrator}/{instance_id}"
        params = {"version": version} if version is not None else {}
        body = json.dumps(json.dumps(payload))  # the Python client double-encodes its input
        headers = {"Content-Type": "application/json"}
        response = self.http.post(url, params=params, content=body, headers=headers)
        if response.status_code != 202:
            raise AssertionError(f"start {orchestrator}: {response.status_code} {response.text}")
        self.settle()

    def input_of(self, instance_id: str) -> Any:
        """The decoded input an instance started with (to start a variant of it)."""
        instance = self.server.host.engine.get(instance_id)
        assert instance is not None, instance_id
        assert instance.input is not None, instance_id
        value = json.loads(instance.input)
        return json.loads(value) if isinstance(value, str) else value

    def advance(self, delta: timedelta) -> None:
        """Let virtual time pass, firing every timer due on the way."""
        self.server.clock.advance(delta)
        self.settle()

    def settle(self) -> None:
        if not self.server.wait_idle(60):
            raise AssertionError("the host did not settle within 60 s")

    def keep(self, orchestrator: str, case: str, instance_id: str, description: str) -> None:
        """Write this instance's history as `<orchestrator>/<case>.json`."""
        self.kept.append(Kept(orchestrator, case, description, instance_id))

    def fake_uuid4(self) -> uuid.UUID:
        return uuid.UUID(int=self._uuid_random.getrandbits(128), version=4)

    # --- reading back ---------------------------------------------------------------------

    def recorded(self, kept: Kept, default_version: str | None) -> RecordedInstance:
        engine = self.server.host.engine
        instance = engine.get(kept.instance_id)
        if instance is None:
            raise AssertionError(f"{kept.case}: no instance {kept.instance_id}")
        if not instance.status.is_terminal:
            raise AssertionError(
                f"{kept.orchestrator}/{kept.case}: {kept.instance_id} is still "
                f"{instance.status.value}; a recorded case must run to its end"
            )
        final = self.server.call(engine.history_of(instance))
        executions = [
            *self.continued.get(kept.instance_id, []),
            Execution(_copied(final), instance.status.value),
        ]
        started = next(e for e in executions[0].events if e["EventType"] == 0)
        return RecordedInstance(
            orchestrator=kept.orchestrator,
            case=kept.case,
            description=kept.description,
            instance_id=kept.instance_id,
            version=started.get("Version") or "",
            default_version=default_version,
            executions=executions,
        )


Scenario = Callable[[Recorder], None]


def record(
    scenarios: list[tuple[str, Scenario]],
    settings: dict[str, str],
    out: Path = HISTORIES,
    personal_data: tuple[str, ...] = (),
) -> list[Path]:
    """Run every scenario in order and write the histories they kept; returns the files."""
    azurite = start_fresh()
    try:
        return _record(scenarios, settings | _storage(azurite), out, personal_data)
    finally:
        azurite.stop()


def _record(
    scenarios: list[tuple[str, Scenario]],
    settings: dict[str, str],
    out: Path,
    personal_data: tuple[str, ...],
) -> list[Path]:
    server = EmulatorServer(
        ROOT, clock="virtual", paused=True, start_time=START, serial=True, settings=settings
    )
    _forget_cached_clients()
    try:
        with server, httpx.Client(timeout=60) as http:
            recorder = Recorder(server, http)
            _capture_continue_as_new(recorder)
            with _deterministic_app(recorder):
                for slot, (name, scenario) in enumerate(scenarios):
                    with _slot(recorder, name, slot):
                        scenario(recorder)
            default_version = _default_version()
            recorded = [recorder.recorded(kept, default_version) for kept in recorder.kept]
    finally:
        _forget_cached_clients()  # they point at this run's Azurite, which is about to stop
    return _write(recorded, out, personal_data)


@contextmanager
def _slot(recorder: Recorder, name: str, slot: int) -> Iterator[None]:
    begin = START + slot * SLOT
    recorder.server.clock.advance_to(begin)
    seed = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big")
    ids.seed(seed)
    recorder._uuid_random.seed(seed)
    yield
    if recorder.server.clock.now() >= begin + SLOT:
        raise AssertionError(f"scenario {name} ran past its {SLOT} slot")


def _capture_continue_as_new(recorder: Recorder) -> None:
    """Keep each execution's history: the host drops it when the instance continues as new."""
    engine = recorder.server.host.engine
    drop_history = engine.continue_as_new

    def keep_then_continue(instance: Any, input_json: str | None, now: datetime) -> None:
        executions = recorder.continued.setdefault(instance.instance_id, [])
        executions.append(Execution(_copied(instance.history), "ContinuedAsNew"))
        drop_history(instance, input_json, now)

    engine.continue_as_new = keep_then_continue  # type: ignore[method-assign]


@contextmanager
def _deterministic_app(recorder: Recorder) -> Iterator[None]:
    """Activities and starters read the virtual clock, mint seeded uuids, measure no time.

    The app's modules get stand-ins for their module-level `datetime`, `uuid` and `time`,
    put back afterwards (modules the test process imported itself outlive the host).
    """
    clock = recorder.server.clock

    class VirtualDatetime(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> VirtualDatetime:
            moment = clock.now()
            local = moment.astimezone(tz) if tz else moment.replace(tzinfo=None)
            return cls.fromisoformat(local.isoformat())

    fake_uuid = types.SimpleNamespace(**vars(uuid))
    fake_uuid.uuid4 = recorder.fake_uuid4
    still_time = types.SimpleNamespace(**{k: getattr(time, k) for k in dir(time)})
    still_time.monotonic = lambda: 0.0
    stand_ins = {"datetime": (datetime, VirtualDatetime), "uuid": (uuid, fake_uuid)}
    stand_ins["time"] = (time, still_time)
    patched: list[tuple[types.ModuleType, str, Any]] = []
    for name, module in list(sys.modules.items()):
        if not name.startswith(APP_PACKAGES) or name.startswith("shared.models"):
            continue
        for attribute, (real, stand_in) in stand_ins.items():
            if getattr(module, attribute, None) is real:
                setattr(module, attribute, stand_in)
                patched.append((module, attribute, real))
    try:
        yield
    finally:
        for module, attribute, real in patched:
            setattr(module, attribute, real)


def _forget_cached_clients() -> None:
    """Settings and storage clients cached in this process for another Azurite than the run's."""
    get_settings.cache_clear()
    storage.reset_clients()


def _default_version() -> str | None:
    """host.json's `extensions.durableTask.defaultVersion`, or its app-setting override."""
    override = os.environ.get(DEFAULT_VERSION_SETTING)
    if override:
        return override
    host = json.loads((ROOT / "host.json").read_text(encoding="utf-8"))
    version = host.get("extensions", {}).get("durableTask", {}).get("defaultVersion")
    return str(version) if version else None


def _storage(azurite: Azurite) -> dict[str, str]:
    # AzureWebJobsStorage too: the local host refuses an app without it, as the real host does.
    return {
        "AzureWebJobsStorage": azurite.connection_string,
        "AppStorage": azurite.connection_string,
    }


def _copied(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A copy of `events` whose failure details carry no stack trace.

    Tracebacks name this machine's paths and the line numbers of whatever code raised, so they
    would change the files with every unrelated edit; the orchestrators read only the reason's
    error marker, which stays.
    """
    copied: list[dict[str, Any]] = json.loads(json.dumps(events))
    for event in copied:
        details = event.get("Details")
        if isinstance(details, str) and TRACEBACK in details:
            event["Details"] = json.dumps(_without_traces(json.loads(details)))
    return copied


TRACEBACK: Final = "Traceback (most recent call last):"


def _without_traces(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_traces(v) for k, v in value.items()}
    if isinstance(value, str) and TRACEBACK in value:
        return value[: value.index(TRACEBACK)] + "(stack trace not recorded)"
    return value


def _write(
    recorded: list[RecordedInstance], out: Path, personal_data: tuple[str, ...]
) -> list[Path]:
    """Write every file at once, after checking that none holds personal data."""
    texts = {out / r.orchestrator / f"{r.case}.json": r.to_text() for r in recorded}
    if len(texts) != len(recorded):
        raise AssertionError("two kept instances share an orchestrator and case name")
    leaks = [
        f"{path.relative_to(out)}: {marker!r}"
        for path, text in texts.items()
        for marker in personal_data
        if marker.lower() in text.lower()
    ]
    if leaks:
        raise AssertionError(
            "personal data in recorded histories (docs/data.md): nothing written\n"
            + "\n".join(leaks)
        )
    for stale in out.glob("*/*.json"):
        if stale not in texts:
            stale.unlink()
    for path, text in texts.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return sorted(texts)
