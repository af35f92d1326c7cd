"""`vmtui host`: this machine's NUMA nodes, zones, free lists, swap, vmstat rates and kswapd."""

from __future__ import annotations

import argparse
import json
import sys
import time

from vmtui.host.procfs import HostError
from vmtui.host.snapshot import format_host_text, host_to_json, take_host_snapshot


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `host` subcommand."""
    p = sub.add_parser(
        "host",
        help="this machine's NUMA nodes, zones, buddyinfo, swap, vmstat rates, kswapd",
        description=(
            "Show the real machine's memory from /proc and /sys: NUMA nodes as "
            "`numactl --hardware` prints them, zones with their watermarks, free blocks "
            "per order, swap areas, vmstat counters per second and the kswapd threads. "
            "Read-only."
        ),
    )
    p.add_argument("--once", action="store_true", help="print one report and exit")
    p.add_argument(
        "--json", action="store_true", help="JSON (one object per refresh without --once)"
    )
    p.add_argument(
        "--interval",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="seconds between samples, over which rates are measured (default 1.0)",
    )
    p.set_defaults(func=run)


def _fail(message: str) -> int:
    print(f"vmtui host: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    """Print one report (rates over one interval), stream JSON lines, or open the live app."""
    if not args.interval > 0:
        return _fail(f"--interval must be a positive number of seconds, not {args.interval}")
    try:
        first = take_host_snapshot()
        if not args.once and not args.json:
            from vmtui.ui.host_app import HostApp

            HostApp(interval=args.interval, first=first).run()
            return 0
        prev = first
        while True:
            time.sleep(args.interval)
            cur = take_host_snapshot()
            if args.json:
                print(json.dumps(host_to_json(prev, cur)), flush=True)
            else:
                sys.stdout.write(format_host_text(prev, cur))
            if args.once:
                return 0
            prev = cur
    except HostError as exc:
        return _fail(str(exc))
