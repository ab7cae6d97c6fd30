"""Start Azurite's Table service for tests, or reuse one that is already running.

Only the Table service is needed: the app's data lives in tables, and the local emulator keeps
Durable state in SQLite. Installed by `make test` from npm into `node_modules`.
"""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ACCOUNT = "devstoreaccount1"
# Azurite's well-known development key (public, documented; not a secret).
ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
DEFAULT_TABLE_PORT = 10002
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Azurite:
    table_port: int
    process: subprocess.Popen[bytes] | None

    @property
    def connection_string(self) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
            f"TableEndpoint=http://127.0.0.1:{self.table_port}/{ACCOUNT};"
        )

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def start_or_reuse() -> Azurite:
    """Reuse an Azurite on the default table port, else start one on a free port."""
    if _is_azurite(DEFAULT_TABLE_PORT):
        return Azurite(DEFAULT_TABLE_PORT, None)
    return start_fresh()


def start_fresh() -> Azurite:
    """An empty, in-memory Azurite Table service of its own, on a free port."""
    binary = ROOT / "node_modules" / ".bin" / "azurite-table"
    if not binary.exists():
        raise RuntimeError(f"{binary} is missing: run `make test` (it installs Azurite from npm)")
    port = _free_port()
    process = subprocess.Popen(
        [
            str(binary),
            "--tableHost",
            "127.0.0.1",
            "--tablePort",
            str(port),
            "--inMemoryPersistence",
            "--skipApiVersionCheck",
            "--silent",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stderr = process.stderr.read().decode() if process.stderr else ""
            raise RuntimeError(f"Azurite exited with {process.returncode}: {stderr}")
        if _is_azurite(port):
            return Azurite(port, process)
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("Azurite did not start within 30 s")


def _is_azurite(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/{ACCOUNT}/Tables", timeout=1):
            return True
    except urllib.error.HTTPError as exc:  # any HTTP answer from Azurite counts
        return "Azurite" in (exc.headers.get("Server") or "")
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
