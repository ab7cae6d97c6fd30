"""``durable-localhost --debug``: an editor attached with debugpy stops at breakpoints in
orchestrators, activities and HTTP functions, which run on the host's worker threads.

The test speaks the Debug Adapter Protocol to debugpy as VS Code does (attach, breakpoints by
file and line, wait for ``stopped``, read the stack, continue).
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from durable_webhooks import APPS

pytestmark = pytest.mark.emulator

pytest.importorskip("debugpy")

APP = APPS / "chain"
SOURCE = APP / "function_app.py"
#: How long (real seconds) any one step may take on a busy machine.
STEP_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def line_of(text: str) -> int:
    """The 1-based line of the fixture app that contains ``text``."""
    for number, line in enumerate(SOURCE.read_text().splitlines(), start=1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} is not in {SOURCE}")


class DapClient:
    """A minimal Debug Adapter Protocol client over debugpy's socket."""

    def __init__(self, port: int) -> None:
        deadline = time.monotonic() + STEP_TIMEOUT
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", port), timeout=STEP_TIMEOUT)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        self.seq = itertools.count(1)
        self.buffer = b""
        self.messages: list[dict[str, Any]] = []
        self.lock = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            self.buffer += chunk
            while b"\r\n\r\n" in self.buffer:
                head, rest = self.buffer.split(b"\r\n\r\n", 1)
                length = int(head.split(b":")[1])
                if len(rest) < length:
                    break
                body, self.buffer = rest[:length], rest[length:]
                with self.lock:
                    self.messages.append(json.loads(body))
                    self.lock.notify_all()

    def send(self, command: str, **arguments: Any) -> int:
        seq = next(self.seq)
        body = json.dumps(
            {"seq": seq, "type": "request", "command": command, "arguments": arguments}
        ).encode()
        self.sock.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        return seq

    def wait(self, match: Any) -> dict[str, Any]:
        deadline = time.monotonic() + STEP_TIMEOUT
        with self.lock:
            while True:
                for message in self.messages:
                    if match(message):
                        self.messages.remove(message)
                        return message
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no matching DAP message; seen {self.messages[-5:]}")
                self.lock.wait(left)

    def request(self, command: str, **arguments: Any) -> dict[str, Any]:
        seq = self.send(command, **arguments)
        answer = self.wait(lambda m: m.get("type") == "response" and m["request_seq"] == seq)
        assert answer["success"], answer
        return answer

    def stopped_at(self) -> tuple[int, int]:
        """Wait for a breakpoint stop; its thread and the line of its top frame."""
        event = self.wait(lambda m: m.get("type") == "event" and m["event"] == "stopped")
        thread = event["body"]["threadId"]
        frames = self.request("stackTrace", threadId=thread, levels=1)["body"]["stackFrames"]
        assert Path(frames[0]["source"]["path"]).resolve() == SOURCE.resolve()
        return thread, frames[0]["line"]


def host_command(how: str, debug_port: int, http_port: int) -> list[str]:
    """``--debug`` (attach), or the host launched under debugpy as the editor's launch does."""
    options = ["--app", str(APP), "--port", str(http_port), "--state", ":memory:"]
    if how == "option":
        debug = ["--debug", str(debug_port), "--debug-wait"]
        return [sys.executable, "-m", "durable_localhost", *options, *debug]
    listen = ["--listen", f"127.0.0.1:{debug_port}", "--wait-for-client"]
    return [sys.executable, "-m", "debugpy", *listen, "-m", "durable_localhost", *options]


@pytest.mark.parametrize("how", ["option", "launched"])
def test_breakpoints_hit_in_orchestrators_activities_and_http_functions(
    how: str, tmp_path: Path
) -> None:
    debug_port, http_port = free_port(), free_port()
    command = host_command(how, debug_port, http_port)
    env = {**os.environ, "HUB": "DebugHub", "PYTHONUNBUFFERED": "1"}
    log = (tmp_path / "host.log").open("w")
    host = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        dap = DapClient(debug_port)
        dap.request("initialize", adapterID="debugpy", clientID="test", pathFormat="path")
        attach = dap.send("attach", justMyCode=True)
        dap.wait(lambda m: m.get("type") == "event" and m["event"] == "initialized")
        lines = {
            "orchestrator": line_of("city = context.get_input()"),
            "activity": line_of('logging.info("saying hello'),
            "http": line_of("return func.HttpResponse(json.dumps"),
        }
        dap.request(
            "setBreakpoints",
            source={"path": str(SOURCE)},
            breakpoints=[{"line": line} for line in lines.values()],
        )
        dap.request("configurationDone")
        dap.wait(lambda m: m.get("type") == "response" and m["request_seq"] == attach)
        base = f"http://127.0.0.1:{http_port}"
        _wait_until_serving(base)

        with httpx.Client(base_url=base, timeout=STEP_TIMEOUT) as http:
            echo = threading.Thread(target=http.get, args=("/api/echo",))
            echo.start()
            thread, line = dap.stopped_at()
            assert line == lines["http"]
            dap.request("continue", threadId=thread)
            echo.join(STEP_TIMEOUT)

            started = threading.Thread(
                target=http.post, args=("/api/start/chain",), kwargs={"json": "Oslo"}
            )
            started.start()
            hit = []
            for _ in range(2):
                thread, line = dap.stopped_at()
                hit.append(line)
                dap.request("continue", threadId=thread)
            started.join(STEP_TIMEOUT)

        assert hit == [lines["orchestrator"], lines["activity"]]
        # Replays stop at the orchestrator's breakpoint again; detaching lets them all run.
        dap.request("disconnect", terminateDebuggee=False)
    finally:
        host.terminate()
        try:
            host.wait(STEP_TIMEOUT)
        except subprocess.TimeoutExpired:
            host.kill()
            host.wait()
        log.close()


def _wait_until_serving(base: str) -> None:
    deadline = time.monotonic() + STEP_TIMEOUT
    while True:
        try:
            httpx.get(f"{base}/admin/host/status", timeout=5)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
