"""``scripts/run_local.sh`` (``make run``): ports first, Azurite quiet, Ctrl-C is a clean exit.

The script runs from a copy in a temporary folder (it creates ``local.settings.json`` and
``.local/`` next to itself), with stand-ins for Azurite and the host on free ports.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
READY = "The app is running"
#: A stand-in for Azurite or the host: listens on the ports its options name and records them.
LISTENER = """\
import signal, socket, sys, time
from pathlib import Path
args = sys.argv[1:]
Path(sys.argv[0] + ".args").write_text(" ".join(args))
options = ("--port", "--blobPort", "--queuePort", "--tablePort")
ports = [int(args[i + 1]) for i, a in enumerate(args) if a in options]
socks = []
for port in ports:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen()
    socks.append(s)
signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
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
    shutil.copy(ROOT / "scripts" / "run_local.sh", tmp_path / "scripts" / "run_local.sh")
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


def test_ctrl_c_stops_the_app_and_azurite_and_exits_0(project: Path) -> None:
    ports = [free_port() for _ in range(4)]
    env = environment(project, ports[0], ports[1:])
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

        os.killpg(script.pid, signal.SIGINT)
        returncode = script.wait(timeout=30)
    finally:
        if script.poll() is None:
            os.killpg(script.pid, signal.SIGKILL)
        log.close()

    output = (project / "run.log").read_text()
    assert returncode == 0, output
    assert not any(accepts(port) for port in ports), "the app or Azurite is still listening"
    # Azurite's debug log (tens of MB an hour) is written only with AZURITE_DEBUG=1.
    assert "--debug" not in (project / "azurite.args").read_text()
