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


def _chain_section(chain: dict[str, list[ChainRun]]) -> str:
    labels = list(chain)
    any_runs = next((runs for runs in chain.values() if runs), [])
    if not any_runs:
        return "1. chain5: no result"
    instances = any_runs[0].instances

    def row(name: str, pick: Callable[[ChainRun], float], fmt: str) -> list[str]:
        return [name, *(spread([pick(r) for r in chain[label]], fmt) for label in labels)]

    def episodes(label: str) -> str:
        counts = [r.episodes for r in chain[label] if r.episodes >= 0]
        return spread([float(c) for c in counts], ".0f") if counts else "not counted"

    def share(label: str, pick: Callable[[ChainRun], float]) -> str:
        shares = [pick(r) * 100 for r in chain[label] if pick(r) >= 0]
        return spread(shares, ".0f") if shares else "n/a"

    rows = [
        row("orchestrations/s (wall)", lambda r: r.throughput_per_s, ".1f"),
        row("first start -> last completion, s", lambda r: r.total_s, ".2f"),
        row(f"start phase ({instances} starts), s", lambda r: r.start_phase_s, ".2f"),
        row("instance latency p50, s", lambda r: r.latency_p50_s, ".2f"),
        row("instance latency p95, s", lambda r: r.latency_p95_s, ".2f"),
        row("process CPU per orchestration, ms", lambda r: r.cpu_s / r.instances * 1e3, ".1f"),
        row("CPU-bound ceiling (1 core), orch/s", lambda r: r.instances / r.cpu_s, ".0f"),
        ["orchestrator episodes", *(episodes(label) for label in labels)],
        [
            "SDK share of episode time, %",
            *(share(label, lambda r: r.sdk_share) for label in labels),
        ],
        [
            "SDK share of episode CPU, %",
            *(share(label, lambda r: r.sdk_cpu_share) for label in labels),
        ],
        row("peak RSS, MB", lambda r: r.peak_rss_mb, ".0f"),
        row("machine load (1 min) at the end", lambda r: r.load_1min, ".1f"),
        ["runs", *(str(len(chain[label])) for label in labels)],
    ]
    title = (
        f"1. chain5: {instances} instances x 5 sequential activities, started back to back, "
        "warm (median [min-max] of the runs)"
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


def _http_section(runs: list[HttpRun]) -> str:
    if not runs:
        return "3. HTTP latency: no result"
    one_client = {r.target: r.p50_ms for r in runs if r.clients == 1}
    rows = [
        [
            r.target,
            str(r.clients),
            f"{r.p50_ms:.1f}",
            f"{r.p99_ms:.1f}",
            f"{r.p99_ms / one_client[r.target]:.1f}x" if one_client.get(r.target) else "n/a",
            f"{r.per_s:.0f}",
            f"{r.requests}"
            + (f" ({r.unexpected_status} not 202: {r.statuses})" if r.unexpected_status else ""),
            f"{r.load_1min:.1f}",
        ]
        for r in runs
    ]
    title = (
        f"3. HTTP latency: each load {runs[0].duration_s:g} s of back-to-back requests from a "
        "separate client process (aiohttp, one keep-alive connection per client), wall clock "
        "on the emulator with a SQLite file; the shop app with Azurite for /api/customers"
    )
    headers = [
        "endpoint",
        "clients",
        "p50 ms",
        "p99 ms",
        "p99 / 1-client p50",
        "req/s",
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
