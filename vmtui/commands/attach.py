"""`vmtui attach PID`: a read-only view of a real process's memory, from /proc."""

from __future__ import annotations

import argparse
import json
import sys
import time

from vmtui.host.procfs import HostError
from vmtui.host.snapshot import (
    follow_error,
    format_process_text,
    parse_pid,
    process_to_json,
    take_process_snapshot,
)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `attach` subcommand."""
    p = sub.add_parser(
        "attach",
        help="watch a real process's memory (read-only, from /proc)",
        description=(
            "Show a real process's VMAs with their RSS and swap, its /proc/PID/status "
            "figures, its fault counters and the residency of a mapping (from "
            "/proc/PID/pagemap). Nothing is ever written: every file is opened read-only."
        ),
    )
    p.add_argument("pid", metavar="PID", help="the process to show")
    p.add_argument("--once", action="store_true", help="print one snapshot and exit")
    p.add_argument(
        "--json",
        action="store_true",
        help="JSON in the shape of a `vmtui run --json` line (one line per refresh without --once)",
    )
    p.add_argument(
        "--interval",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="seconds between refreshes (default 1.0)",
    )
    p.set_defaults(func=run)


def _fail(message: str) -> int:
    print(f"vmtui attach: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    """Show the process once (text or JSON), stream JSON lines, or open the live app."""
    try:
        pid = parse_pid(args.pid)
    except ValueError as exc:
        return _fail(str(exc))
    if not args.interval > 0:
        return _fail(f"--interval must be a positive number of seconds, not {args.interval}")
    try:
        snap = take_process_snapshot(pid)
    except HostError as exc:
        return _fail(str(exc))
    if args.once:
        if args.json:
            print(json.dumps(process_to_json(snap)))
        else:
            sys.stdout.write(format_process_text(snap))
        return 0
    if args.json:
        while True:
            print(json.dumps(process_to_json(snap)), flush=True)
            time.sleep(args.interval)
            try:
                snap = take_process_snapshot(pid)
            except HostError as exc:
                return _fail(follow_error(exc))
    from vmtui.ui.app import VmtuiApp

    app = VmtuiApp(host_pid=pid, interval=args.interval)
    app.run()
    return 0
