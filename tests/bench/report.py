"""The bench's table: machine, chain throughput side by side, batch, replay per episode."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tests.bench.common import median
from tests.bench.results import BatchRun, ChainRun, HttpRun, ReplayPoint, ReplayReport


@dataclass
class Results:
    machine: dict[str, Any]
    mode: str
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    runtime_s: float
    chain: dict[str, list[ChainRun]]  # column label -> runs
    batch: list[BatchRun]
    http: list[HttpRun]
    replay: ReplayReport | None
    failures: list[str]


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain aligned table: first column left-aligned, the others right-aligned."""
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    lines = []
    for index, row in enumerate([headers, *rows]):
        cells = [
            str(cell).ljust(widths[i]) if i == 0 else str(cell).rjust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("  " + "  ".join(cells).rstrip())
        if index == 0:
            lines.append("  " + "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def spread(values: Sequence[float], fmt: str) -> str:
    """Median, with the range when there is more than one sample."""
    if not values:
        return "n/a"
    mid = format(median(values), fmt)
    if len(values) == 1:
        return mid
    return f"{mid} [{format(min(values), fmt)}-{format(max(values), fmt)}]"


def per_orchestration_ms(run: ChainRun, cpu_s: float) -> float | None:
    """``cpu_s`` of the burst per instance in ms; None where the engine has no such figure."""
    return cpu_s / run.instances * 1e3 if cpu_s >= 0 else None


def emulator_own_cpu_s(run: ChainRun) -> float:
    """The engine's process CPU less the SDK call and the activities' user code (-1 if
    either was not measured)."""
    if run.sdk_cpu_s < 0 or run.activity_cpu_s < 0:
        return -1.0
    return run.cpu_s - run.sdk_cpu_s - run.activity_cpu_s


def ratio_to_durabletask(
    chain: dict[str, list[ChainRun]], label: str, pick: Callable[[ChainRun], float]
) -> float | None:
    """The column's median of ``pick`` over durabletask's median (None without both)."""
    reference = next(
        (runs for runs in chain.values() if runs and runs[0].engine == "durabletask"), []
    )
    if not chain[label] or not reference or median([pick(r) for r in reference]) <= 0:
        return None
    return median([pick(r) for r in chain[label]]) / median([pick(r) for r in reference])


def _chain_section(chain: dict[str, list[ChainRun]]) -> str:
    labels = list(chain)
    any_runs = next((runs for runs in chain.values() if runs), [])
    if not any_runs:
        return "1. chain5: no result"
    instances = any_runs[0].instances

    def row(name: str, pick: Callable[[ChainRun], float | None], fmt: str) -> list[str]:
        """One figure per column: the runs' median [min-max]; n/a where no run has it."""
        cells = []
        for label in labels:
            values = [v for v in map(pick, chain[label]) if v is not None]
            cells.append(spread(values, fmt) if values else "n/a")
        return [name, *cells]

    def share(pick: Callable[[ChainRun], float]) -> Callable[[ChainRun], float | None]:
        return lambda r: pick(r) * 100 if pick(r) >= 0 else None

    def ratio(name: str, pick: Callable[[ChainRun], float]) -> list[str]:
        ratios = (ratio_to_durabletask(chain, label, pick) for label in labels)
        return [name, *(f"{r:.2f}x" if r is not None else "n/a" for r in ratios)]

    def cpu_ms(run: ChainRun) -> float:
        return run.cpu_s / run.instances * 1e3

    rows = [
        row("orchestrations/s (wall)", lambda r: r.throughput_per_s, ".1f"),
        ratio("  / durabletask's (medians)", lambda r: r.throughput_per_s),
        row("first start -> last completion, s", lambda r: r.total_s, ".2f"),
        row(f"start phase ({instances} starts), s", lambda r: r.start_phase_s, ".2f"),
        row("instance latency p50, s", lambda r: r.latency_p50_s, ".2f"),
        row("instance latency p95, s", lambda r: r.latency_p95_s, ".2f"),
        row("engine process CPU per orchestration, ms", cpu_ms, ".2f"),
        ratio("  / durabletask's (medians)", cpu_ms),
        row(
            "  SDK call (worker thread CPU), ms",
            lambda r: per_orchestration_ms(r, r.sdk_cpu_s),
            ".2f",
        ),
        row(
            "  activities' user code (thread CPU), ms",
            lambda r: per_orchestration_ms(r, r.activity_cpu_s),
            ".3f",
        ),
        row(
            "  local host's own (the rest), ms",
            lambda r: per_orchestration_ms(r, emulator_own_cpu_s(r)),
            ".2f",
        ),
        row("CPU-bound ceiling (1 core), orch/s", lambda r: r.instances / r.cpu_s, ".0f"),
        row(
            "start client process CPU per start, ms",
            lambda r: r.client_cpu_s / r.instances * 1e3,
            ".2f",
        ),
        row(
            "orchestrator episodes", lambda r: float(r.episodes) if r.episodes >= 0 else None, ".0f"
        ),
        row("SDK share of episode time, %", share(lambda r: r.sdk_share), ".0f"),
        row("SDK share of episode CPU, %", share(lambda r: r.sdk_cpu_share), ".0f"),
        row("peak RSS, MB", lambda r: r.peak_rss_mb, ".0f"),
        row("machine load (1 min) at the end", lambda r: r.load_1min, ".1f"),
        ["runs", *(str(len(chain[label])) for label in labels)],
    ]
    title = (
        f"1. chain5: {instances} instances x 5 sequential activities, started back to back "
        "from a separate client process, warm (median [min-max] of the runs; CPU rows count "
        "the engine's process, the client's is its own row)"
    )
    return title + "\n" + table(["", *labels], rows)


def _batch_section(runs: list[BatchRun]) -> str:
    if not runs:
        return "2. Batch import: no result"
    first = runs[0]
    outcomes = sorted(
        {f"{r.runtime_status}, {r.processed} processed, {r.failed} failed" for r in runs}
    )
    rows = [
        ["completion, POST -> terminal status, s", spread([r.completion_s for r in runs], ".2f")],
        ["POST /api/batches (validate, stage, start), s", spread([r.post_s for r in runs], ".2f")],
        ["outcome", "; ".join(outcomes)],
        ["orchestrator episodes", spread([float(r.episodes) for r in runs], ".0f")],
        ["activities", spread([float(r.activities) for r in runs], ".0f")],
        [
            "history events replayed, all episodes",
            spread([float(r.events_replayed) for r in runs], ".0f"),
        ],
        [
            "largest episode context, events",
            spread([float(r.longest_context) for r in runs], ".0f"),
        ],
        [
            "largest history of any instance, events",
            spread([float(r.largest_history) for r in runs], ".0f"),
        ],
        [
            "SDK per replayed event, wall / CPU, us",
            spread([r.sdk_s / r.events_replayed * 1e6 for r in runs if r.events_replayed], ".0f")
            + " / "
            + spread(
                [r.sdk_cpu_s / r.events_replayed * 1e6 for r in runs if r.events_replayed], ".0f"
            ),
        ],
        [
            "SDK share of episode time, %",
            spread([r.sdk_s / r.episode_s * 100 for r in runs if r.episode_s], ".0f"),
        ],
        ["emulator process CPU, s", spread([r.cpu_s for r in runs], ".1f")],
        ["peak RSS (emulator + client), MB", spread([r.peak_rss_mb for r in runs], ".0f")],
        ["machine load (1 min) at the end", spread([r.load_1min for r in runs], ".1f")],
        ["runs", str(len(runs))],
    ]
    title = (
        f"2. Batch import: POST /api/batches, {first.items} items ({first.failing_items} in an "
        f"unsupported currency, chunks of {first.chunk_size}), shop app on the emulator + "
        f"Azurite, status polled every "
        f"{first.poll_interval_s:g} s"
    )
    return title + "\n" + table(["", "figure"], rows)


def http_loads(runs: Sequence[HttpRun]) -> list[list[HttpRun]]:
    """The repeats of each (endpoint, clients) load, in the order the loads first ran."""
    loads: dict[tuple[str, int], list[HttpRun]] = {}
    for run in runs:
        loads.setdefault((run.target, run.clients), []).append(run)
    return list(loads.values())


def p99_over_one_client_p50(load: Sequence[HttpRun], runs: Sequence[HttpRun]) -> float | None:
    """The load's median p99 over the same endpoint's median one-client p50."""
    one_client = [r.p50_ms for r in runs if r.target == load[0].target and r.clients == 1]
    if not one_client or median(one_client) <= 0:
        return None
    return median([r.p99_ms for r in load]) / median(one_client)


def _per_request_ms(cpu_s: float, run: HttpRun) -> float:
    return cpu_s / run.requests * 1e3 if run.requests else 0.0


def _http_section(runs: list[HttpRun]) -> str:
    if not runs:
        return "3. HTTP latency: no result"
    rows = []
    for load in http_loads(runs):
        ratio = p99_over_one_client_p50(load, runs)
        unexpected = sum(r.unexpected_status for r in load)
        statuses = sorted({s for r in load for s in r.statuses})
        rows.append(
            [
                load[0].target,
                str(load[0].clients),
                spread([r.p50_ms for r in load], ".1f"),
                spread([r.p99_ms for r in load], ".1f"),
                f"{ratio:.1f}x" if ratio is not None else "n/a",
                spread([r.per_s for r in load], ".0f"),
                spread([_per_request_ms(r.server_cpu_s, r) for r in load], ".2f"),
                spread([_per_request_ms(r.client_cpu_s, r) for r in load], ".2f"),
                f"{sum(r.requests for r in load)}"
                + (f" ({unexpected} not 202: {statuses})" if unexpected else ""),
                spread([r.load_1min for r in load], ".1f"),
            ]
        )
    repeats = max(len(load) for load in http_loads(runs))
    title = (
        f"3. HTTP latency: each load {runs[0].duration_s:g} s of back-to-back requests from a "
        "separate client process (aiohttp, one keep-alive connection per client), wall clock "
        "on the emulator with a SQLite file; the shop app with Azurite for /api/customers; "
        f"median [min-max] of {repeats} repeat(s), each from an idle host; CPU per request: "
        "the emulator's process and the load generator's, over the load"
    )
    headers = [
        "endpoint",
        "clients",
        "p50 ms",
        "p99 ms",
        "p99 / 1-client p50",
        "req/s",
        "server CPU/req ms",
        "client CPU/req ms",
        "requests",
        "load",
    ]
    return title + "\n" + table(headers, rows)


def _per_event(ms: float, events: int) -> str:
    return f"{ms:.1f} ({ms * 1e3 / events:.1f})"


def _replay_section(report: ReplayReport | None) -> str:
    if report is None or not report.points:
        return "4. Replay: no result"
    points = report.points
    headers = ["ms per episode (us per event)", *(f"{p.events} events" for p in points)]

    def ratio(cpu_ms: float, p: ReplayPoint) -> str:
        return f"{cpu_ms / p.durabletask_ms:.1f}x" if p.durabletask_ms else "n/a"

    rows = [
        [
            "SDK replay as shipped (dateutil), wall",
            *(_per_event(p.sdk_ms, p.events) for p in points),
        ],
        [
            "SDK replay as shipped, thread CPU",
            *(_per_event(p.sdk_cpu_ms, p.events) for p in points),
        ],
        ["  of which parsing the context", *(_per_event(p.sdk_parse_ms, p.events) for p in points)],
        [
            "  of which dateutil on timestamps",
            *(_per_event(p.sdk_timestamps_ms, p.events) for p in points),
        ],
        [
            "SDK replay with shared.sdk_timestamps, wall",
            *(_per_event(p.fast_sdk_ms, p.events) for p in points),
        ],
        [
            "SDK replay with shared.sdk_timestamps, CPU",
            *(_per_event(p.fast_sdk_cpu_ms, p.events) for p in points),
        ],
        [
            "  of which parsing the context",
            *(_per_event(p.fast_sdk_parse_ms, p.events) for p in points),
        ],
        [
            "  of which parse_timestamp on timestamps",
            *(_per_event(p.fast_sdk_timestamps_ms, p.events) for p in points),
        ],
        ["durabletask replay, CPU", *(_per_event(p.durabletask_ms, p.events) for p in points)],
        ["SDK CPU / durabletask CPU, as shipped", *(ratio(p.sdk_cpu_ms, p) for p in points)],
        [
            "SDK CPU / durabletask CPU, with the module",
            *(ratio(p.fast_sdk_cpu_ms, p) for p in points),
        ],
        [
            "emulator episode, hot, wall",
            *(_per_event(p.episode_ms, p.episode_events) for p in points),
        ],
        [
            "  of which the SDK call",
            *(_per_event(p.episode_sdk_ms, p.episode_events) for p in points),
        ],
        [
            "  emulator's own share",
            *(_per_event(p.episode_ms - p.episode_sdk_ms, p.episode_events) for p in points),
        ],
        [
            "emulator episode after restart",
            *(_per_event(p.cold_episode_ms, p.events) for p in points),
        ],
        [
            "repeats (SDK / episodes)",
            *(f"{p.repeats} / {p.episode_repeats}" for p in points),
        ],
    ]
    stamps = table(
        ["parse of one timestamp (thread CPU)", "example", "dateutil, us", "parse_timestamp, us"],
        [[t.label, t.example, f"{t.us:.1f}", f"{t.fast_us:.2f}"] for t in report.timestamps],
    )
    title = (
        "4. Replay of a sequential activity chain (medians; CPU rows use thread CPU time, "
        "so other load on the machine does not inflate them)"
    )
    return title + "\n" + table(headers, rows) + "\n\n" + stamps


def render(results: Results) -> str:
    machine = results.machine
    packages = ", ".join(f"{k} {v}" for k, v in dict(machine["packages"]).items())
    before, after = results.load_before, results.load_after
    minutes, seconds = divmod(round(results.runtime_s), 60)
    header = [
        f"make bench ({results.mode}), total runtime {minutes}m{seconds:02d}s",
        f"machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB, "
        f"{machine['os']}, {machine['python']}",
        f"packages: {packages}",
        f"load average 1/5/15 min: before {before[0]:.2f}/{before[1]:.2f}/{before[2]:.2f}, "
        f"after {after[0]:.2f}/{after[1]:.2f}/{after[2]:.2f} "
        f"(above {machine['cores']} means other processes shared the cores: trust CPU rows "
        "more than wall rows)",
    ]
    parts = [
        "\n".join(header),
        _chain_section(results.chain),
        _batch_section(results.batch),
        _http_section(results.http),
        _replay_section(results.replay),
    ]
    if results.failures:
        parts.append("FAILED scenarios:\n" + "\n".join(f"  {f}" for f in results.failures))
    return "\n\n".join(parts) + "\n"
