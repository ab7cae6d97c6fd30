"""The bench's arithmetic and its start client's protocol (figures are printed, never asserted:
these check that the printed figures are the ones the README describes)."""

from __future__ import annotations

import io
import json
from dataclasses import replace

import pytest

from tests.bench.report import (
    Results,
    emulator_own_cpu_s,
    http_loads,
    p99_over_one_client_p50,
    ratio_to_durabletask,
    render,
)
from tests.bench.results import ChainRun, HttpRun
from tests.bench.start_client import StartClient, serve

EMULATOR = ChainRun(
    engine="emulator",
    variant="SQLite file",
    instances=100,
    start_phase_s=0.5,
    total_s=1.0,
    throughput_per_s=100.0,
    latency_p50_s=0.5,
    latency_p95_s=0.7,
    cpu_s=1.0,
    client_cpu_s=0.02,
    sdk_cpu_s=0.6,
    activity_cpu_s=0.1,
    peak_rss_mb=50.0,
    episodes=600,
    sdk_share=0.3,
    sdk_cpu_share=0.8,
    load_1min=1.0,
)
DURABLETASK = replace(
    EMULATOR,
    engine="durabletask",
    variant="in-memory backend",
    throughput_per_s=50.0,
    cpu_s=2.0,
    sdk_cpu_s=-1.0,
    activity_cpu_s=-1.0,
    episodes=-1,
    sdk_share=-1.0,
    sdk_cpu_share=-1.0,
)


def _http(
    clients: int, repeat: int, p50_ms: float, p99_ms: float, target: str = "start"
) -> HttpRun:
    return HttpRun(
        target=target,
        clients=clients,
        repeat=repeat,
        duration_s=3.0,
        requests=200,
        unexpected_status=0,
        statuses=[],
        p50_ms=p50_ms,
        p99_ms=p99_ms,
        per_s=66.0,
        server_cpu_s=0.4,
        client_cpu_s=0.05,
        load_1min=1.0,
    )


def _results(chain: dict[str, list[ChainRun]], http: list[HttpRun]) -> Results:
    machine = {
        "cpu": "test",
        "cores": 2,
        "memory_gib": 1,
        "os": "Linux",
        "python": "CPython",
        "packages": {},
    }
    return Results(machine, "quick", (0, 0, 0), (0, 0, 0), 1.0, chain, [], http, None, [])


def _row(text: str, name: str) -> list[str]:
    line = next(line for line in text.splitlines() if line.strip().startswith(name))
    return line[len(line) - len(line.lstrip()) + len(name) :].split()


def test_the_local_hosts_own_cpu_is_the_process_less_the_sdk_and_the_activities() -> None:
    assert emulator_own_cpu_s(EMULATOR) == pytest.approx(0.3)
    assert emulator_own_cpu_s(DURABLETASK) == -1.0
    assert emulator_own_cpu_s(replace(EMULATOR, activity_cpu_s=-1.0)) == -1.0


def test_the_chain_split_prints_per_orchestration_and_n_a_for_durabletask() -> None:
    text = render(_results({"emulator": [EMULATOR], "durabletask": [DURABLETASK]}, []))

    assert _row(text, "SDK call (worker thread CPU), ms") == ["6.00", "n/a"]
    assert _row(text, "local host's own (the rest), ms") == ["3.00", "n/a"]
    assert _row(text, "engine process CPU per orchestration, ms") == ["10.00", "20.00"]
    assert _row(text, "start client process CPU per start, ms") == ["0.20", "0.20"]


def test_ratios_to_durabletask_divide_the_medians_of_the_runs() -> None:
    runs = [replace(EMULATOR, throughput_per_s=v) for v in (10.0, 200.0, 120.0)]
    reference = [replace(DURABLETASK, throughput_per_s=v) for v in (60.0, 40.0, 1000.0)]
    chain = {"emulator": runs, "durabletask": reference}

    assert ratio_to_durabletask(chain, "emulator", lambda r: r.throughput_per_s) == 2.0
    assert ratio_to_durabletask({"emulator": runs}, "emulator", lambda r: r.cpu_s) is None


def test_http_repeats_are_grouped_per_endpoint_and_clients_in_run_order() -> None:
    runs = [_http(1, 1, 1, 5), _http(20, 1, 9, 50), _http(1, 2, 2, 6), _http(20, 2, 8, 40)]

    loads = http_loads(runs)

    assert [[(r.clients, r.repeat) for r in load] for load in loads] == [
        [(1, 1), (1, 2)],
        [(20, 1), (20, 2)],
    ]


def test_the_p99_ratio_divides_the_median_p99_by_the_median_one_client_p50() -> None:
    runs = [
        _http(1, 1, 1.0, 5),
        _http(20, 1, 9, 10.0),
        _http(1, 2, 10.0, 6),
        _http(20, 2, 8, 100.0),
        _http(1, 3, 2.0, 7),
        _http(20, 3, 8, 30.0),
        _http(1, 1, 50.0, 60, target="customers"),
    ]
    twenty = http_loads(runs)[1]

    assert p99_over_one_client_p50(twenty, runs) == 15.0  # median 30 / median 2


def test_the_http_table_prints_median_and_range_with_cpu_per_request() -> None:
    runs = [_http(1, 1, 1.0, 5), _http(1, 2, 3.0, 9), _http(1, 3, 2.0, 7)]

    line = next(line for line in render(_results({}, runs)).splitlines() if "start " in line)

    # p50, p99, ratio, req/s, server and client CPU per request (0.4 s, 0.05 s / 200 requests)
    assert line.split()[2:11] == [
        "2.0",
        "[1.0-3.0]",
        "7.0",
        "[5.0-9.0]",
        "3.5x",
        "66",
        "[66-66]",
        "2.00",
        "[2.00-2.00]",
    ]
    assert "0.25 [0.25-0.25]" in line


def test_the_start_client_answers_each_command_with_its_ids_and_its_cost() -> None:
    commands = io.StringIO('{"first": 0, "count": 2}\n{"first": 5, "count": 1}\n')
    answers = io.StringIO()

    serve(lambda value: f"id-{value}", commands, answers)

    lines = [json.loads(line) for line in answers.getvalue().splitlines()]
    assert [line["ids"] for line in lines] == [["id-0", "id-1"], ["id-5"]]
    assert all(line["cpu_s"] >= 0 and line["wall_s"] >= 0 for line in lines)


def test_a_start_that_fails_stops_the_client_instead_of_answering() -> None:
    def start(value: int) -> str:
        raise RuntimeError(f"start {value}: HTTP 500")

    answers = io.StringIO()
    with pytest.raises(RuntimeError, match="HTTP 500"):
        serve(start, io.StringIO('{"first": 0, "count": 1}\n'), answers)
    assert answers.getvalue() == ""


def test_a_dead_start_client_is_reported_with_its_error() -> None:
    with (
        StartClient({"engine": "nonsense"}) as client,
        pytest.raises(RuntimeError, match="unknown engine 'nonsense'"),
    ):
        client.start(0, 1)
