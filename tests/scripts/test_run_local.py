"""``scripts/run_local.sh`` (``make run``): ports first, Azurite quiet, Ctrl-C is a clean exit.

The script runs from a copy in a temporary folder (it creates ``local.settings.json`` and
``.local/`` next to itself), with stand-ins for Azurite and the host on free ports.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
READY = "The app is running"
#: A stand-in for Azurite or the host: listens on the ports its options name and records them.
#: It also keeps the settings it was started with (`.env`) and, in the shared `events` file, when
#: it was signalled and when it exited; the host takes a moment to finish its work in flight.
LISTENER = """\
import json, os, signal, socket, sys, time
from pathlib import Path
args = sys.argv[1:]
me = Path(sys.argv[0])
me.with_suffix(".args").write_text(" ".join(args))
me.with_suffix(".env").write_text(json.dumps(dict(os.environ)))
def log(event):
    with (me.parent / "events").open("a") as events:
        events.write(f"{me.name} {event}\\n")
def stop(*_):
    log("signalled")
    time.sleep(0.5 if me.name == "host" else 0)
    log("exited")
    sys.exit(0)
options = ("--port", "--blobPort", "--queuePort", "--tablePort")
ports = [int(args[i + 1]) for i, a in enumerate(args) if a in options]
socks = []
for port in ports:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen()
    socks.append(s)
signal.signal(signal.SIGINT, stop)
signal.signal(signal.SIGTERM, stop)
while True:
    time.sleep(0.1)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder with the script, the settings example and stand-in programs."""
    (tmp_path / "scripts").mkdir()
    for script in ("run_local.sh", "local_settings_env.py"):
        shutil.copy(ROOT / "scripts" / script, tmp_path / "scripts" / script)
    shutil.copy(ROOT / "local.settings.json.example", tmp_path / "local.settings.json.example")
    for name in ("azurite", "host"):
        program = tmp_path / name
        program.write_text(f"#!{sys.executable}\n{LISTENER}")
        program.chmod(0o755)
    return tmp_path


def environment(project: Path, port: int, azurite_ports: list[int]) -> dict[str, str]:
    return {
        **os.environ,
        "PORT": str(port),
        "AZURITE_PORTS": " ".join(map(str, azurite_ports)),
        "AZURITE_BIN": str(project / "azurite"),
        "LOCALHOST_BIN": str(project / "host"),
        "PYTHON": sys.executable,
    }


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_a_taken_port_stops_the_script_before_it_says_the_app_is_running(
    project: Path, taken_port: int
) -> None:
    env = environment(project, taken_port, [free_port(), free_port(), free_port()])

    result = subprocess.run(
        ["bash", str(project / "scripts" / "run_local.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 1
    assert f"Port {taken_port} is already in use" in result.stderr
    assert "PORT=7072 make run" in result.stderr
    assert READY not in result.stdout
    assert not (project / "azurite.args").exists()  # Azurite was never started


def accepts(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def running(project: Path, env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """The script until it says the app is running; then the terminal's Ctrl-C, and its end."""
    log = (project / "run.log").open("w")
    script = subprocess.Popen(
        ["bash", str(project / "scripts" / "run_local.sh")],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        # A terminal's Ctrl-C reaches every process of the group with the default handler.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 60
        while READY not in (project / "run.log").read_text():
            assert script.poll() is None, (project / "run.log").read_text()
            assert time.monotonic() < deadline, "the script never said the app was running"
            time.sleep(0.1)
        yield script
        os.killpg(script.pid, signal.SIGINT)
        script.wait(timeout=30)
    finally:
        if script.poll() is None:
            os.killpg(script.pid, signal.SIGKILL)
        log.close()


def started_with(project: Path, program: str) -> dict[str, str]:
    environ: dict[str, str] = json.loads((project / f"{program}.env").read_text())
    return environ


def test_ctrl_c_stops_the_app_and_azurite_and_exits_0(project: Path) -> None:
    ports = [free_port() for _ in range(4)]

    with running(project, environment(project, ports[0], ports[1:])) as script:
        pass

    output = (project / "run.log").read_text()
    assert script.returncode == 0, output
    assert not any(accepts(port) for port in ports), "the app or Azurite is still listening"
    # Azurite's debug log (tens of MB an hour) is written only with AZURITE_DEBUG=1.
    assert "--debug" not in (project / "azurite.args").read_text()


def test_ctrl_c_lets_the_host_finish_before_azurite_stops(project: Path) -> None:
    ports = [free_port() for _ in range(4)]

    with running(project, environment(project, ports[0], ports[1:])):
        pass

    events = (project / "events").read_text().splitlines()
    # Azurite stopping while the host still drains its activities fails them as transient.
    assert events.index("host exited") < events.index("azurite signalled"), events


def test_ports_other_than_the_defaults_reach_the_settings_that_name_them(
    project: Path,
) -> None:
    app, blob, queue, table = (free_port() for _ in range(4))

    with running(project, environment(project, app, [blob, queue, table])):
        settings = started_with(project, "host")

    assert settings["PUBLIC_BASE_URL"] == f"http://localhost:{app}"
    assert json.loads(settings["HEALTH_MONITOR_ALLOWLIST"]) == {
        "self": f"http://localhost:{app}/api/health"
    }
    for storage in ("AzureWebJobsStorage", "AppStorage"):
        assert f"TableEndpoint=http://127.0.0.1:{table}/devstoreaccount1;" in settings[storage]
        assert f"QueueEndpoint=http://127.0.0.1:{queue}/devstoreaccount1;" in settings[storage]
        assert f"BlobEndpoint=http://127.0.0.1:{blob}/devstoreaccount1;" in settings[storage]
    assert "PUBLIC_BASE_URL" in (project / "run.log").read_text()


def test_a_setting_from_the_environment_is_kept_on_other_ports(project: Path) -> None:
    ports = [free_port() for _ in range(4)]
    env = environment(project, ports[0], ports[1:])
    env["PUBLIC_BASE_URL"] = "https://shop.example.com"
    env["AppStorage"] = "UseDevelopmentStorage=true"

    with running(project, env):
        settings = started_with(project, "host")

    assert settings["PUBLIC_BASE_URL"] == "https://shop.example.com"
    assert settings["AppStorage"] == "UseDevelopmentStorage=true"
    assert f"127.0.0.1:{ports[3]}" in settings["AzureWebJobsStorage"]
