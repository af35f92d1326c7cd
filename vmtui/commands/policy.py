"""`vmtui policy`: the page-replacement lab, one trace through FIFO, LRU, OPT, MRU, CLOCK, LINUX.

A table with one row per access (page, hit or miss, victim, frames after),
fixed-width so it reads on a projector; `--hide` prints the same exercise with
the answers left blank (the OSTEP homework habit), `--belady` looks for
Belady's anomaly, `--policy all` compares every policy on the trace.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from vmtui.engine.replacement import POLICIES, Access, Result, random_trace, simulate

MAX_FRAMES = 1024
"""More frames than this make a table no screen shows; the engine has no limit."""
MAX_TRACE = 10_000
"""Longer traces are for benchmarks, not for a lab table."""

_HELP_POLICY = {
    "FIFO": "evict the page loaded longest ago",
    "LRU": "evict the page unused for the longest time",
    "OPT": "Belady: evict the page used farthest in the future (never = farthest; "
    "ties to the lowest frame slot)",
    "MRU": "evict the page used most recently",
    "CLOCK": "second chance: a hand sweeps the frames, clearing reference bits",
    "LINUX": "Linux 5.4's active/inactive lists (mark_page_accessed, shrink_active_list)",
}


class BadInput(Exception):
    """A user mistake: the message names the bad token; exit status 2."""


def register(sub: Any) -> None:
    """Add `vmtui policy` to the subcommand parsers."""
    policies = "\n".join(f"  {name:<6} {text}" for name, text in _HELP_POLICY.items())
    p = sub.add_parser(
        "policy",
        help="page replacement lab: FIFO, LRU, OPT, MRU, CLOCK, LINUX on a trace",
        description="Run a page reference trace through a replacement policy and show, "
        "for every access, hit or miss, the victim and the frames.",
        epilog=f"policies:\n{policies}\n  all    every policy, one table of totals\n\n"
        "examples:\n"
        "  vmtui policy --policy OPT --frames 3 --trace 7,0,1,2,0,3,0,4,2,3,0,3,2,1,2,0,1,7,0,1\n"
        "  vmtui policy --policy FIFO --frames 3 --trace 1,2,3,4,1,2,5,1,2,3,4,5 --belady\n"
        "  vmtui policy --policy CLOCK --frames 4 --seed 7 --random-trace 12 --pages 6 --hide",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--policy",
        metavar="NAME",
        help="FIFO, LRU, OPT, MRU, CLOCK, LINUX or all (any case; --belady defaults to FIFO)",
    )
    p.add_argument("--frames", metavar="N", default="3", help="physical frames (default 3)")
    p.add_argument("--trace", metavar="P,P,...", help="the pages referenced, e.g. 1,2,3,1")
    p.add_argument(
        "--random-trace",
        metavar="LEN",
        help="instead of --trace: LEN random pages fixed by --seed",
    )
    p.add_argument(
        "--pages",
        metavar="P",
        default="10",
        help="random pages are 0..P-1 (default 10)",
    )
    p.add_argument("--seed", metavar="S", default="0", help="seed of --random-trace (default 0)")
    p.add_argument("--json", action="store_true", help="one JSON object per access, then totals")
    p.add_argument(
        "--hide",
        action="store_true",
        help="answers hidden: print the trace and the questions for a class to predict",
    )
    p.add_argument(
        "--belady",
        action="store_true",
        help="run with N and N+1 frames and say whether Belady's anomaly shows",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Parse the inputs, simulate, print; 2 and a one-line message on bad input."""
    try:
        policy = _parse_policy(args.policy, default="FIFO" if args.belady else None)
        frames = _parse_int("--frames", args.frames, low=1, high=MAX_FRAMES - args.belady)
        trace, origin = _parse_trace(args)
    except BadInput as exc:
        print(f"vmtui policy: {exc}", file=sys.stderr)
        return 2
    names = POLICIES if policy == "ALL" else (policy,)
    out = sys.stdout.write
    if args.belady:
        _belady(out, names, frames, trace, origin, args.json, args.hide)
    elif policy == "ALL":
        _compare(out, frames, trace, origin, args.json, args.hide)
    else:
        result = simulate(policy, frames, trace)
        if args.json:
            _json_run(out, result, args.hide)
        else:
            _table(out, result, origin, args.hide)
    return 0


# ---------------------------------------------------------------- parsing


def _parse_policy(text: str | None, default: str | None) -> str:
    if text is None:
        if default is None:
            raise BadInput(f"say which --policy ({', '.join(POLICIES)} or all)")
        return default
    name = text.strip().upper()
    if name != "ALL" and name not in POLICIES:
        raise BadInput(f"unknown policy {text!r} (choose {', '.join(POLICIES)} or all)")
    return name


def _parse_int(flag: str, text: str, low: int, high: int | None = None) -> int:
    token = text.strip()
    try:
        value = int(token, 10)
    except ValueError:
        raise BadInput(f"{flag} wants a whole number, got {text!r}") from None
    if value < low:
        raise BadInput(f"{flag} must be at least {low}, got {value}")
    if high is not None and value > high:
        raise BadInput(f"{flag} must be at most {high}, got {value}")
    return value


def _parse_trace(args: argparse.Namespace) -> tuple[tuple[int, ...], str]:
    """The trace and a line saying where it came from."""
    if args.trace is not None and args.random_trace is not None:
        raise BadInput("give --trace or --random-trace, not both")
    if args.random_trace is not None:
        length = _parse_int("--random-trace", args.random_trace, low=1, high=MAX_TRACE)
        pages = _parse_int("--pages", args.pages, low=1)
        seed = _parse_int("--seed", args.seed, low=-(2**63))
        origin = f"--seed {seed} --random-trace {length} --pages {pages}"
        return random_trace(seed, length, pages), origin
    if args.trace is None:
        raise BadInput("give a trace: --trace 1,2,3,1 or --random-trace LEN [--seed S]")
    tokens = args.trace.split(",")
    if len(tokens) > MAX_TRACE:
        raise BadInput(f"--trace has {len(tokens)} pages; at most {MAX_TRACE}")
    trace: list[int] = []
    for pos, token in enumerate(tokens, 1):
        word = token.strip()
        if not word.isdigit() or not word.isascii():
            raise BadInput(
                f"bad page {token.strip()!r} at position {pos} of --trace: "
                "pages are whole numbers >= 0, e.g. --trace 1,2,3,1"
            )
        trace.append(int(word))
    return tuple(trace), "--trace " + ",".join(map(str, trace))


# ---------------------------------------------------------------- tables

Out = Callable[[str], object]


def _pct(hits: int, total: int) -> str:
    return f"{100.0 * hits / total:6.2f}%" if total else "     - "


def _cells(values: Sequence[object], width: int) -> str:
    """`[a b c]` with every value right-aligned in `width` (None shows as `.`)."""
    return "[" + " ".join(("." if v is None else str(v)).rjust(width) for v in values) + "]"


def _columns(result: Result) -> list[tuple[str, Callable[[Access], str]]]:
    """The policy's own columns after `frames`: header and cell maker."""
    w = max((len(str(p)) for p in result.trace), default=1)
    name = result.policy
    if name == "FIFO":
        return [("first in -> last in", lambda a: " ".join(map(str, a.order)))]
    if name in ("LRU", "MRU"):
        return [("LRU -> MRU", lambda a: " ".join(map(str, a.order)))]
    if name == "OPT":
        wn = max(len(str(len(result.trace))), 1)

        def next_use(a: Access) -> str:
            return _cells([None if n is None else n + 1 for n in a.next_use], wn).replace(".", "-")

        return [("next use (#)", next_use)]
    if name == "CLOCK":
        return [
            ("ref bits", lambda a: _cells(a.ref_bits, w)),
            ("hand", lambda a: str(a.hand)),
            ("note", lambda a: a.note),
        ]
    if name == "LINUX":

        def marked(pages: tuple[int, ...], referenced: tuple[int, ...]) -> str:
            return "[" + " ".join(f"{p}*" if p in referenced else str(p) for p in pages) + "]"

        return [
            ("active", lambda a: marked(a.active, a.referenced)),
            ("inactive", lambda a: marked(a.inactive, a.referenced)),
            ("note", lambda a: a.note),
        ]
    return []


_LEGEND = {
    "OPT": "next use: the access # where each frame's page is wanted again (- never); "
    "the victim is the farthest, ties to the lowest slot",
    "CLOCK": "ref bits per frame slot; hand: the slot the hand points at (slots from 0)",
    "LINUX": "lists head first (new pages join the head, reclaim takes the tail); "
    "* = PG_referenced",
}


def _header(out: Out, result: Result, origin: str, hidden: bool) -> None:
    n = len(result.trace)
    extra = " (answers hidden)" if hidden else ""
    out(
        f"{result.policy}, {result.frames} frame{'s' * (result.frames != 1)}, "
        f"{n} access{'es' * (n != 1)}{extra}\n"
    )
    out(f"trace: {' '.join(map(str, result.trace))}\n")
    if origin.startswith("--seed"):
        out(f"from:  {origin}\n")
    out("\n")


def _table(out: Out, result: Result, origin: str, hidden: bool) -> None:
    """One fixed-width row per access, then the totals (or blanks when hidden)."""
    _header(out, result, origin, hidden)
    w = max((len(str(p)) for p in result.trace), default=1)
    wi = max(len(str(len(result.trace))), 1)
    cols: list[tuple[str, list[str]]] = [
        ("#", [str(a.index + 1) for a in result.accesses]),
        ("page", [str(a.page) for a in result.accesses]),
    ]
    if hidden:
        width = len(_cells([None] * result.frames, w))
        cols += [
            ("hit/miss?", [""] * len(result.accesses)),
            ("victim?", [""] * len(result.accesses)),
            ("frames after?", [""] * len(result.accesses)),
        ]
        widths = [max(wi, 1), max(4, w), 9, max(7, w), max(13, width)]
        blanks = {2, 3, 4}
    else:
        cols += [
            ("result", ["hit" if a.hit else "miss" for a in result.accesses]),
            ("victim", ["-" if a.victim is None else str(a.victim) for a in result.accesses]),
            ("frames", [_cells(a.frames, w) for a in result.accesses]),
        ]
        for head, cell in _columns(result):
            cols.append((head, [cell(a) for a in result.accesses]))
        widths = [max(len(h), *(len(c) for c in cells)) for h, cells in cols]
        blanks = set()
    right = {0, 1, 3}
    last = len(cols) - 1

    def line(cells: list[str]) -> str:
        parts = []
        for k, (cell, width) in enumerate(zip(cells, widths, strict=True)):
            if k in right:
                parts.append(cell.rjust(width))
            elif k == last:
                parts.append(cell)
            else:
                parts.append(cell.ljust(width))
        return "  ".join(parts).rstrip() + "\n"

    out(line([h for h, _ in cols]))
    for row in range(len(result.accesses)):
        cells = []
        for k, (_, values) in enumerate(cols):
            cells.append("_" * widths[k] if k in blanks else values[row])
        out(line(cells))
    out("\n")
    if hidden:
        out("hits: ____  misses: ____  hit ratio: ____\n")
        out("For the answers, run the same command without --hide.\n")
        return
    legend = _LEGEND.get(result.policy)
    if legend:
        out(f"{legend}\n")
    n = len(result.trace)
    out(
        f"hits: {result.hits}  misses: {result.misses}  "
        f"hit ratio: {_pct(result.hits, n).strip()} ({result.hits}/{n})\n"
    )


def _compare(
    out: Out, frames: int, trace: tuple[int, ...], origin: str, as_json: bool, hidden: bool
) -> None:
    """Every policy on the same trace: one row of totals each."""
    results = [simulate(name, frames, trace) for name in POLICIES]
    if as_json:
        for r in results:
            out(json.dumps(_totals(r, hidden)) + "\n")
        return
    n = len(trace)
    extra = " (answers hidden)" if hidden else ""
    out(
        f"every policy, {frames} frame{'s' * (frames != 1)}, "
        f"{n} access{'es' * (n != 1)}{extra}\n"
    )
    out(f"trace: {' '.join(map(str, trace))}\n")
    if origin.startswith("--seed"):
        out(f"from:  {origin}\n")
    out("\n")
    wn = max(6, len(str(n)))
    out(f"policy  {'hits':>{wn}}  {'misses':>{wn}}  hit ratio\n")
    for r in results:
        if hidden:
            out(f"{r.policy:<6}  {'_' * wn}  {'_' * wn}  _________\n")
        else:
            out(f"{r.policy:<6}  {r.hits:>{wn}}  {r.misses:>{wn}}  {_pct(r.hits, n):>9}\n")
    out("\n")
    if hidden:
        out("For the answers, run the same command without --hide.\n")
    else:
        out("OPT is the floor: no policy that loads on demand misses less.\n")


def _belady(
    out: Out,
    names: Sequence[str],
    frames: int,
    trace: tuple[int, ...],
    origin: str,
    as_json: bool,
    hidden: bool,
) -> None:
    """Each policy at N and N+1 frames: more frames, more misses is Belady's anomaly."""
    rows = [
        (name, simulate(name, frames, trace).misses, simulate(name, frames + 1, trace).misses)
        for name in names
    ]
    if as_json:
        for name, a, b in rows:
            obj: dict[str, Any] = {"kind": "belady", "policy": name, "frames": [frames, frames + 1]}
            if not hidden:
                obj |= {"misses": [a, b], "anomaly": b > a}
            out(json.dumps(obj) + "\n")
        return
    n = len(trace)
    out(f"Belady's anomaly: {frames} and {frames + 1} frames, {n} access{'es' * (n != 1)}\n")
    out(f"trace: {' '.join(map(str, trace))}\n")
    if origin.startswith("--seed"):
        out(f"from:  {origin}\n")
    out("\n")
    h1, h2 = f"misses@{frames}", f"misses@{frames + 1}"
    out(f"policy  {h1}  {h2}  anomaly\n")
    for name, a, b in rows:
        if hidden:
            out(f"{name:<6}  {'_' * len(h1)}  {'_' * len(h2)}  _______\n")
        else:
            out(f"{name:<6}  {a:>{len(h1)}}  {b:>{len(h2)}}  {'YES' if b > a else 'no'}\n")
    out("\n")
    if hidden:
        out("Does one more frame ever mean more misses? Run without --hide to see.\n")
        return
    for name, a, b in rows:
        if b > a:
            out(
                f"{name}: Belady's anomaly shows: {frames + 1} frames miss {b - a} more "
                f"than {frames} ({b} > {a}).\n"
            )
        else:
            out(
                f"{name}: no anomaly on this trace ({frames + 1} frames: {b} misses, "
                f"{frames} frames: {a}).\n"
            )
    if any(name in ("LRU", "OPT") for name, _, _ in rows):
        out("LRU and OPT are stack algorithms: they never show the anomaly.\n")


# ---------------------------------------------------------------- JSON


def _totals(result: Result, hidden: bool) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "kind": "totals",
        "policy": result.policy,
        "frames": result.frames,
        "accesses": len(result.trace),
    }
    if not hidden:
        obj |= {
            "hits": result.hits,
            "misses": result.misses,
            "hit_ratio": round(result.hit_ratio, 6),
        }
    return obj


def _access_json(a: Access, policy: str) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "kind": "access",
        "n": a.index + 1,
        "page": a.page,
        "hit": a.hit,
        "victim": a.victim,
        "frames": list(a.frames),
    }
    if policy in ("FIFO", "LRU", "MRU"):
        obj["order"] = list(a.order)
    elif policy == "OPT":
        obj["next_use"] = [None if n is None else n + 1 for n in a.next_use]
    elif policy == "CLOCK":
        obj |= {"ref_bits": list(a.ref_bits), "hand": a.hand, "note": a.note}
    elif policy == "LINUX":
        obj |= {
            "active": list(a.active),
            "inactive": list(a.inactive),
            "referenced": list(a.referenced),
            "note": a.note,
        }
    return obj


def _json_run(out: Out, result: Result, hidden: bool) -> None:
    for a in result.accesses:
        obj = (
            {"kind": "access", "n": a.index + 1, "page": a.page}
            if hidden
            else _access_json(a, result.policy)
        )
        out(json.dumps(obj) + "\n")
    out(json.dumps(_totals(result, hidden)) + "\n")
