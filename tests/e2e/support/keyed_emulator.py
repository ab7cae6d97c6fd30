"""A second emulator, started like `durable-localhost --keys`, for the function-key checks.

It runs in a child process: the in-process emulator of the main suite keeps running, and the
Durable SDK allows one emulator per process. The keys are chosen here and handed over through
the emulator's `EMULATOR_*_KEY` variables, so the suite knows them without parsing output.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from tests.e2e.support.target import Target

_LISTENING = re.compile(r"Listening on (http://\S+)")
START_TIMEOUT_SECONDS = 60.0


class KeyedEmulator:
    """`python -m durable_localhost --keys --clock virtual --paused --state :memory: --port 0`.

    With a `state` file, `start` may be called again once the process has ended: the host
    restarts on its state with the same keys. `module` runs another entry point with the
    same arguments (one that wraps the emulator's).
    """

    def __init__(
        self,
        app_dir: Path,
        settings: Mapping[str, str],
        log_path: Path,
        *,
        state: str = ":memory:",
    ) -> None:
        self.app_dir = app_dir
        self.log_path = log_path
        self.state = state
        self.master_key = secrets.token_urlsafe(32)
        self.function_key = secrets.token_urlsafe(32)
        self.system_key = secrets.token_urlsafe(32)
        self.env = {
            **os.environ,
            **settings,
            "EMULATOR_MASTER_KEY": self.master_key,
            "EMULATOR_FUNCTION_KEY": self.function_key,
            "EMULATOR_DURABLETASK_KEY": self.system_key,
            "PYTHONUNBUFFERED": "1",
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.base_url = ""

    def start(self, module: str = "durable_localhost") -> Target:
        command = [
            sys.executable,
            "-m",
            module,
            "--app",
            str(self.app_dir),
            "--port",
            "0",
            "--state",
            self.state,
            "--keys",
            "--clock",
            "virtual",
            "--paused",
            "--log-level",
            "WARNING",
        ]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=self.app_dir, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            found = _LISTENING.search(self.log_path.read_text(errors="replace"))
            if found:
                self.base_url = found.group(1).rstrip("/")
                return Target(
                    base_url=self.base_url,
                    function_key=self.function_key,
                    master_key=self.master_key,
                )
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        output = self.log_path.read_text(errors="replace")[-3000:]
        self.stop()
        raise RuntimeError(f"the --keys emulator did not start:\n{output}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
