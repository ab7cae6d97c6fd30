"""The chain bench's start client, in a process of its own so its CPU is never the engine's:
``python -m tests.bench.start_client JSON-PARAMS``.

It reads one command per line on stdin (``{"first": 0, "count": 500}``), sends that many starts
back to back (inputs ``first``, ``first + 1``, ...) and answers one JSON line on stdout: the
instance ids and the wall and CPU seconds of the sending loop (process CPU, all threads), so the
client's own cost is reported, not hidden. End of input ends it.

* ``{"engine": "emulator", "url": ...}``: ``http.client`` on one keep-alive HTTP/1.1
  connection, ``POST`` to the Durable start URL with the input JSON-encoded once more, as the
  SDK's client does.
* ``{"engine": "durabletask", "address": ..., "name": ...}``: ``TaskHubGrpcClient`` (gRPC).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import IO, Any, Self
from urllib.parse import urlsplit

from tests.bench.common import ROOT

Start = Callable[[int], str]
CLOSE_TIMEOUT_S = 30


@dataclass
class Starts:
    """One command's answer: the ids in input order, and what sending them cost the client."""

    ids: list[str]
    wall_s: float  # first request sent -> last answer read
    cpu_s: float  # the client process's CPU over the same loop


def emulator_starter(url: str) -> Start:
    """Starts through the Durable HTTP API on one keep-alive connection."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port)
    headers = {"Content-Type": "application/json"}

    def start(value: int) -> str:
        connection.request("POST", parts.path, json.dumps(json.dumps(value)), headers)
        response = connection.getresponse()
        body = response.read()
        if response.status != 202:
            raise RuntimeError(f"start {value}: HTTP {response.status}: {body[:300]!r}")
        return str(json.loads(body)["id"])

    return start


def durabletask_starter(address: str, name: str) -> Start:
    """Starts through durabletask's gRPC client (imported here: the emulator's client never
    loads gRPC)."""
    from durabletask.client import TaskHubGrpcClient

    client = TaskHubGrpcClient(host_address=address)

    def start(value: int) -> str:
        return client.schedule_new_orchestration(name, input=value)

    return start


def starter(params: dict[str, Any]) -> Start:
    if params["engine"] == "emulator":
        return emulator_starter(params["url"])
    if params["engine"] == "durabletask":
        return durabletask_starter(params["address"], params["name"])
    raise SystemExit(f"unknown engine {params['engine']!r}")


def serve(start: Start, commands: IO[str], answers: IO[str]) -> None:
    """Answer each command line with one JSON line, until end of input."""
    for line in commands:
        command = json.loads(line)
        first, count = int(command["first"]), int(command["count"])
        wall, cpu = time.perf_counter(), time.process_time()
        ids = [start(value) for value in range(first, first + count)]
        spent = {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}
        answers.write(json.dumps({"ids": ids, **spent}) + "\n")
        answers.flush()


class StartClient:
    """The bench's side: the client process, one command at a time."""

    def __init__(self, params: dict[str, Any]) -> None:
        # Closed by __exit__: a file, not a pipe, so a chatty client can never block on it.
        self._errors = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.bench.start_client", json.dumps(params)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._errors,
            text=True,
        )
        if self._process.stdin is None or self._process.stdout is None:
            raise RuntimeError("the start client has no pipes")
        self._commands: IO[str] = self._process.stdin
        self._answers: IO[str] = self._process.stdout

    def start(self, first: int, count: int) -> Starts:
        """Send ``count`` starts from the client process and wait for its answer."""
        with contextlib.suppress(BrokenPipeError):  # a dead client: its error output says why
            self._commands.write(json.dumps({"first": first, "count": count}) + "\n")
            self._commands.flush()
        answer = self._answers.readline()
        if not answer:
            raise RuntimeError(f"the start client failed:\n{self._error_tail()}")
        data = json.loads(answer)
        return Starts(ids=list(data["ids"]), wall_s=data["wall_s"], cpu_s=data["cpu_s"])

    def _error_tail(self) -> str:
        self._process.wait(timeout=CLOSE_TIMEOUT_S)
        self._errors.seek(0)
        return "\n".join(self._errors.read().strip().splitlines()[-15:])

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        process = self._process
        with contextlib.suppress(BrokenPipeError):
            self._commands.close()  # end of input: the client exits
        try:
            process.wait(timeout=CLOSE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=CLOSE_TIMEOUT_S)
        self._answers.close()
        self._errors.close()


def main(argv: list[str]) -> None:
    serve(starter(json.loads(argv[1])), sys.stdin, sys.stdout)


if __name__ == "__main__":
    main(sys.argv)
