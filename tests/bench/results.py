"""The figures each scenario hands back to the bench runner (JSON across the process boundary)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ChainRun:
    """One burst of chain5 instances: started back to back, measured to the last completion."""

    engine: str
    variant: str
    instances: int
    start_phase_s: float  # the client process's first start sent -> last start accepted
    total_s: float  # first start -> last completion
    throughput_per_s: float
    latency_p50_s: float  # created -> completed, per instance
    latency_p95_s: float
    cpu_s: float  # the engine's process CPU (all threads) over the burst, client excluded
    client_cpu_s: float  # the start client's process CPU while sending the burst's starts
    sdk_cpu_s: float  # worker threads' CPU in the SDK call, all episodes; -1 where not measured
    activity_cpu_s: float  # activities' handlers (user code), thread CPU; -1 where not measured
    peak_rss_mb: float
    episodes: int  # orchestrator episodes (work items); -1 where not counted
    sdk_share: float  # share of episode time spent in the SDK call; -1 where not measured
    sdk_cpu_share: float  # share of episode CPU time spent in the SDK call; -1 where not measured
    load_1min: float  # the machine's 1-minute load average when the burst ended


@dataclass
class BatchRun:
    """One POST /api/batches of the shop app, polled to a terminal status."""

    items: int
    failing_items: int
    chunk_size: int  # BATCH_CHUNK_SIZE the emulator ran with
    post_s: float  # the POST itself: validation, staging in Azurite, start
    completion_s: float  # POST sent -> terminal status seen by the poller
    runtime_status: str
    processed: int
    failed: int
    cpu_s: float  # this process only; Azurite runs in its own process
    peak_rss_mb: float
    episodes: int
    activities: int
    episode_s: float  # sum of episode durations
    sdk_s: float  # sum of SDK time inside those episodes
    sdk_cpu_s: float  # the same in thread CPU time
    poll_interval_s: float
    events_replayed: int  # history events in all episode contexts together
    longest_context: int  # events in the largest episode context
    largest_history: int  # history events of the instance with the longest history at the end
    load_1min: float


@dataclass
class HttpRun:
    """One bounded-time load of concurrent clients against one endpoint."""

    target: str
    clients: int
    repeat: int  # 1, 2, ...: the same load again after the host went idle
    duration_s: float
    requests: int
    unexpected_status: int  # answers other than 202
    statuses: list[int]  # the unexpected status codes seen
    p50_ms: float  # send -> whole answer read, as the client process saw it
    p99_ms: float
    per_s: float  # answers per second over the load
    server_cpu_s: float  # the emulator's process CPU over the load (background work included)
    client_cpu_s: float  # the load generator's process CPU over the load
    load_1min: float


@dataclass
class TimestampCost:
    """One history timestamp in a given wire format, parsed by dateutil and by the app's parser."""

    label: str
    example: str
    us: float  # dateutil: median microseconds per parse (thread CPU time)
    fast_us: float  # shared.sdk_timestamps.parse_timestamp, the same way


@dataclass
class ReplayPoint:
    """One history length: pure SDK replay, durabletask's replay, and the emulator's episode."""

    events: int
    repeats: int
    sdk_ms: float  # the SDK wrapper on the host's context JSON (median wall time)
    sdk_cpu_ms: float  # the same calls in thread CPU time (immune to other load)
    sdk_parse_ms: float  # of which: DurableOrchestrationContext.from_json (CPU)
    sdk_timestamps_ms: float  # of which: dateutil parsing the history's timestamps (CPU)
    fast_sdk_ms: float  # the SDK wrapper with shared.sdk_timestamps installed (median wall)
    fast_sdk_cpu_ms: float  # the same in thread CPU time
    fast_sdk_parse_ms: float  # of which: DurableOrchestrationContext.from_json (CPU)
    fast_sdk_timestamps_ms: float  # of which: parse_timestamp on the history's timestamps (CPU)
    durabletask_ms: float  # OrchestratorRequest bytes -> protobuf -> executor.execute (CPU)
    episode_events: int  # median context length of the emulator's hot episodes
    episode_ms: float  # emulator episode with its history cached in memory (median wall)
    episode_sdk_ms: float  # of which: the SDK call on the worker thread
    episode_repeats: int
    cold_episode_ms: float  # the first episode after a restart (history read from SQLite)


@dataclass
class ReplayReport:
    points: list[ReplayPoint]
    timestamps: list[TimestampCost]
