"""One scenario in this (fresh) process: ``python -m tests.bench.scenario NAME JSON-PARAMS``.

Prints the figures as one JSON line prefixed with ``RESULT_PREFIX`` on stdout; everything else
the scenario prints is diagnostics.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import Any

RESULT_PREFIX = "BENCH-RESULT "


def run_scenario(name: str, params: dict[str, Any]) -> Any:
    if name == "chain-emulator":
        from tests.bench import chain_emulator

        return asdict(chain_emulator.run(**params))
    if name == "chain-durabletask":
        from tests.bench import chain_durabletask

        return asdict(chain_durabletask.run(**params))
    if name == "batch":
        from tests.bench import batch

        return [asdict(r) for r in batch.run(**params)]
    if name == "http":
        from tests.bench import http_latency

        return [asdict(r) for r in http_latency.run(**params)]
    if name == "replay":
        from tests.bench import replay

        return asdict(replay.run(**params))
    raise SystemExit(f"unknown scenario {name!r}")


def main(argv: list[str]) -> None:
    name, params = argv[1], json.loads(argv[2]) if len(argv) > 2 else {}
    figures = run_scenario(name, params)
    sys.stdout.write(RESULT_PREFIX + json.dumps(figures) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv)
