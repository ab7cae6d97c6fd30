"""The ``durable-localhost`` command: run an app like ``func start`` does."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
import traceback
from datetime import datetime
from pathlib import Path

from durable_localhost.clock import ClockMode
from durable_localhost.dashboard import DashboardAccess
from durable_localhost.debugging import (
    DEFAULT_DEBUG_PORT,
    DebuggerUnavailableError,
    listen_for_debugger,
)
from durable_localhost.invocation import install_console_logging
from durable_localhost.server import EmulatorHost, EmulatorOptions
from durable_localhost.startup_errors import StartupError
from durable_localhost.timeutil import parse
from durable_localhost.versioning import VersioningSettingError


def build_parser() -> argparse.ArgumentParser:
    """The command-line options."""
    parser = argparse.ArgumentParser(
        prog="durable-localhost",
        description="Run an Azure Functions Python v2 app with Durable Functions locally.",
    )
    parser.add_argument("--port", type=int, default=7071, help="HTTP port (default 7071)")
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default loopback)")
    parser.add_argument("--app", default=".", help="folder with function_app.py and host.json")
    parser.add_argument(
        "--state",
        default=None,
        help="SQLite state file (default <app>/.local/emulator/state.sqlite3; ':memory:')",
    )
    parser.add_argument("--keys", action="store_true", help="enforce function/admin/system keys")
    parser.add_argument(
        "--clock",
        choices=[m.value for m in ClockMode],
        default=ClockMode.WALL.value,
        help="wall (default), scaled (demos, see --time-scale) or virtual",
    )
    parser.add_argument("--time-scale", type=float, default=60.0, help="factor for --clock scaled")
    parser.add_argument("--start-time", default=None, help="virtual/scaled start (ISO-8601)")
    parser.add_argument("--paused", action="store_true", help="start a virtual clock paused")
    parser.add_argument(
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    parser.add_argument(
        "--dashboard",
        choices=[a.value for a in DashboardAccess],
        default=DashboardAccess.LOOPBACK.value,
        help="who may load /_dashboard/: loopback callers (default), any caller, or nobody",
    )
    parser.add_argument(
        "--debug",
        nargs="?",
        type=int,
        const=DEFAULT_DEBUG_PORT,
        default=None,
        metavar="PORT",
        help=f"let a debugger attach with debugpy (default port {DEFAULT_DEBUG_PORT})",
    )
    parser.add_argument(
        "--debug-wait", action="store_true", help="with --debug, wait for the debugger to attach"
    )
    parser.add_argument(
        "--verbose", action="store_true", help="show the traceback when the app fails to start"
    )
    return parser


def options_from(args: argparse.Namespace) -> EmulatorOptions:
    """Translate parsed arguments."""
    start: datetime | None = parse(args.start_time) if args.start_time else None
    return EmulatorOptions(
        app_dir=Path(args.app).resolve(),
        port=args.port,
        host=args.host,
        state=args.state,
        clock=ClockMode(args.clock),
        time_scale=args.time_scale,
        start_time=start,
        paused=args.paused,
        keys=args.keys,
        dashboard=DashboardAccess(args.dashboard),
    )


def banner(host: EmulatorHost) -> str:
    """What ``func start`` prints once the host is up."""
    lines = ["", "Functions:", ""]
    lines += [f"        {line}" for line in host.describe_routes()]
    lines += [
        "",
        f"Durable task hub: {host.config.hub_name}    clock: {host.clock.mode}"
        f"    state: {host.options.state_path()}",
    ]
    versioning = host.config.versioning
    if versioning.default_version:
        lines.append(
            f"Orchestration version: {versioning.default_version}"
            f"    match: {versioning.match}    on mismatch: {versioning.failure}"
        )
    if host.keys.enforced:
        lines += [
            f"Master key:   {host.keys.master}",
            f"Function key: {host.keys.function}",
            f"System key (durabletask_extension): {host.keys.system}",
        ]
    else:
        lines.append("Keys are not enforced (start with --keys to require them).")
    if host.dashboard_url:
        lines.append(f"Dashboard:    {host.dashboard_url}")
    lines.append(f"Listening on {host.base_url}  (Ctrl-C to stop)")
    return "\n".join(lines)


async def serve(options: EmulatorOptions) -> None:
    """Run until SIGINT/SIGTERM."""
    host = EmulatorHost(options)
    await host.start()
    print(banner(host), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        print("Stopping the emulator...", flush=True)
        await host.stop()


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = build_parser().parse_args(argv)
    install_console_logging(getattr(logging, args.log_level))
    try:
        if args.debug is not None:
            listen_for_debugger(args.debug, wait=args.debug_wait)
        asyncio.run(serve(options_from(args)))
    except KeyboardInterrupt:
        return 130
    except StartupError as exc:
        if args.verbose:
            traceback.print_exception(exc)
        print(f"durable-localhost: error: {exc.describe()}", file=sys.stderr)
        if not args.verbose:
            print(
                "durable-localhost: the app was not started (--verbose shows the traceback)",
                file=sys.stderr,
            )
        return 1
    except (OSError, DebuggerUnavailableError, VersioningSettingError) as exc:
        print(f"durable-localhost: {exc}", file=sys.stderr)
        return 1
    return leave_timed_out_functions_behind(0)


def leave_timed_out_functions_behind(code: int) -> int:
    """Exit without joining the threads of functions that ran past ``functionTimeout``.

    The host stops such a function by restarting its worker; here the thread is still running
    and the interpreter would wait for it at exit.
    """
    hung = [t for t in threading.enumerate() if t.name.startswith("emulator-") and t.is_alive()]
    if not hung:
        return code
    print(
        f"durable-localhost: not waiting for {len(hung)} function(s) still running past "
        "functionTimeout",
        file=sys.stderr,
    )
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
