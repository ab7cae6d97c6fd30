"""``python -m tests.bench [--quick] [--only SECTION] [--json PATH]``: run, print the table."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from tests.bench import machine
from tests.bench.common import ROOT
from tests.bench.report import Results, render
from tests.bench.results import (
    BatchRun,
    ChainRun,
    HttpRun,
    ReplayPoint,
    ReplayReport,
    TimestampCost,
)
from tests.bench.scenario import RESULT_PREFIX

DEFAULT_JSON = ROOT / ".local" / "bench" / "results.json"
SCENARIO_TIMEOUT_S = 1800
SECTIONS = ("chain", "batch", "http", "replay")


@dataclass(frozen=True)
class Plan:
    """How much of each scenario to run."""

    mode: str
    chain_instances: int
    chain_rounds: int
    batch_items: int
    batch_rounds: int
    replay_lengths: tuple[int, ...]
    replay_repeats: dict[str, int]
    replay_hot: dict[str, int]
    http_duration_s: float
    http_repeats: int


FULL = Plan(
    mode="full",
    chain_instances=500,
    chain_rounds=3,
    batch_items=1000,
    batch_rounds=3,
    replay_lengths=(100, 1000, 10_000),
    replay_repeats={"100": 200, "1000": 30, "10000": 5, "timestamps": 50},
    replay_hot={"100": 5, "1000": 5, "10000": 3},
    http_duration_s=10.0,
    http_repeats=3,
)
QUICK = Plan(
    mode="quick",
    chain_instances=100,
    chain_rounds=1,
    batch_items=200,
    batch_rounds=1,
    replay_lengths=(100, 1000, 10_000),
    replay_repeats={"100": 20, "1000": 5, "10000": 1, "timestamps": 5},
    replay_hot={"100": 2, "1000": 2, "10000": 1},
    http_duration_s=3.0,
    http_repeats=1,
)

CHAIN_VARIANTS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("emulator, SQLite in memory", "chain-emulator", {"state": "memory"}),
    ("emulator, SQLite file", "chain-emulator", {"state": "file"}),
    (
        "emulator, file, sdk_timestamps",
        "chain-emulator",
        {"state": "file", "sdk_timestamps": True},
    ),
    ("durabletask, in-memory backend", "chain-durabletask", {}),
)


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def run_scenario(name: str, params: dict[str, Any]) -> Any:
    """Run one scenario in a fresh interpreter and return its figures."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    completed = subprocess.run(
        [sys.executable, "-m", "tests.bench.scenario", name, json.dumps(params)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=SCENARIO_TIMEOUT_S,
        check=False,
    )
    for line in reversed(completed.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX) :])
    tail = "\n".join(completed.stderr.strip().splitlines()[-15:])
    raise RuntimeError(f"{name} exited with {completed.returncode}:\n{tail}")


def _replay_report(data: dict[str, Any]) -> ReplayReport:
    return ReplayReport(
        points=[ReplayPoint(**p) for p in data["points"]],
        timestamps=[TimestampCost(**t) for t in data["timestamps"]],
    )


def collect(plan: Plan, sections: frozenset[str] = frozenset(SECTIONS)) -> Results:
    started = time.perf_counter()
    load_before = machine.load_average()
    chain: dict[str, list[ChainRun]] = {label: [] for label, _, _ in CHAIN_VARIANTS}
    batch: list[BatchRun] = []
    http: list[HttpRun] = []
    replay: ReplayReport | None = None
    failures: list[str] = []

    # Variants alternate within each round, so drifting load on a shared machine is spread
    # over all of them instead of favouring whichever ran last.
    for round_index in range(plan.chain_rounds if "chain" in sections else 0):
        for label, name, extra in CHAIN_VARIANTS:
            log(f"chain5 x{plan.chain_instances}: {label} (run {round_index + 1})")
            try:
                data = run_scenario(name, {"instances": plan.chain_instances, **extra})
                chain[label].append(ChainRun(**data))
            except Exception as exc:
                failures.append(f"chain5 {label}: {exc}")

    if "batch" in sections:
        log(f"batch x{plan.batch_items}: {plan.batch_rounds} run(s) after a warm-up batch")
        try:
            data = run_scenario("batch", {"items": plan.batch_items, "rounds": plan.batch_rounds})
            batch = [BatchRun(**run) for run in data]
        except Exception as exc:
            failures.append(f"batch: {exc}")

    if "http" in sections:
        log(
            f"HTTP latency, 1 and 20 clients, {plan.http_duration_s:g} s each, "
            f"{plan.http_repeats} time(s)"
        )
        try:
            data = run_scenario(
                "http", {"duration_s": plan.http_duration_s, "repeats": plan.http_repeats}
            )
            http = [HttpRun(**run) for run in data]
        except Exception as exc:
            failures.append(f"http: {exc}")

    if "replay" in sections:
        log(f"replay at {', '.join(map(str, plan.replay_lengths))} events")
        try:
            data = run_scenario(
                "replay",
                {
                    "lengths": list(plan.replay_lengths),
                    "repeats": plan.replay_repeats,
                    "hot": plan.replay_hot,
                },
            )
            replay = _replay_report(data)
        except Exception as exc:
            failures.append(f"replay: {exc}")

    return Results(
        machine=machine.describe(),
        mode=plan.mode,
        load_before=load_before,
        load_after=machine.load_average(),
        runtime_s=time.perf_counter() - started,
        chain=chain,
        batch=batch,
        http=http,
        replay=replay,
        failures=failures,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a fast smoke run (~1 minute)")
    parser.add_argument(
        "--json",
        type=Path,
        default=DEFAULT_JSON,
        help=f"also write the figures here (default: {DEFAULT_JSON.relative_to(ROOT)})",
    )
    parser.add_argument(
        "--batch-items",
        type=int,
        help="items per batch import instead of the plan's (e.g. 10000; one run)",
    )
    parser.add_argument(
        "--http-seconds",
        type=float,
        help="seconds per HTTP load instead of the plan's (10; 3 with --quick)",
    )
    parser.add_argument(
        "--only",
        choices=SECTIONS,
        action="append",
        help="run only this section (repeat for several); default: all of them",
    )
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.batch_items:
        plan = replace(plan, batch_items=args.batch_items, batch_rounds=1)
    if args.http_seconds:
        plan = replace(plan, http_duration_s=args.http_seconds)
    results = collect(plan, frozenset(args.only or SECTIONS))
    sys.stdout.write(render(results))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(asdict(results), indent=2) + "\n", encoding="utf-8")
    log(f"figures written to {args.json}")
    return 1 if results.failures else 0


if __name__ == "__main__":
    sys.exit(main())
