"""`vmtui policy`: the page-replacement lab, one trace through FIFO, LRU, OPT, UNOPT, MRU,
RAND, CLOCK, LINUX.

A table with one row per access (page, hit or miss, victim, frames after),
fixed-width so it reads on a projector; `--hide` prints the same exercise with
the answers left blank (the OSTEP homework habit), `--belady` looks for
Belady's anomaly, `--policy all` runs every policy on the trace. Tables and
JSON stream: each access is printed as it is simulated, so memory stays
O(frames) whatever the trace's length (OPT and UNOPT hold the trace: they need
the future). Where a column's width depends on the simulation (RAND's and the
probing CLOCK's load order, LINUX's lists, pages of more than 6 digits) the
table takes two passes, the first only measuring. `--trace-file` reads the
trace from a file, also streaming (once to check and count it, then once per
pass); `-q` prints only the totals, in O(1) per access.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from array import array
from collections.abc import Callable, Iterator, Sequence
from itertools import islice
from typing import Any

from vmtui.engine.replacement import (
    CLOCKS,
    POLICIES,
    TIES,
    Access,
    Options,
    Result,
    iterate,
    random_pages,
    simulate,
    steps,
)

MAX_FRAMES = 1 << 20
"""Bounds a typing slip; the engine has no limit."""
MAX_TRACE = 100_000_000
"""Bounds a typing slip in --random-trace and --trace: the output streams, so long traces
cost time, not memory. A --trace-file has no bound."""

_HELP_POLICY = {
    "FIFO": "evict the page loaded longest ago",
    "LRU": "evict the page unused for the longest time",
    "OPT": "Belady: evict the page used farthest in the future (never = farthest; "
    "ties: --ties)",
    "UNOPT": "the opposite of OPT: evict the page used soonest (never = last choice)",
    "MRU": "evict the page used most recently",
    "RAND": "evict a random resident page (drawn from --seed)",
    "CLOCK": "second chance: a hand sweeps the frames, clearing reference bits "
    "(--clock, --clockbits)",
    "LINUX": "Linux 5.4's active/inactive lists (mark_page_accessed, shrink_active_list)",
}


class BadInput(Exception):
    """A user mistake: the message names the bad token; exit status 2."""


def register(sub: Any) -> None:
    """Add `vmtui policy` to the subcommand parsers."""
    policies = "\n".join(f"  {name:<6} {text}" for name, text in _HELP_POLICY.items())
    p = sub.add_parser(
        "policy",
        help="page replacement lab: FIFO, LRU, OPT, UNOPT, MRU, RAND, CLOCK, LINUX on a trace",
        description="Run a page reference trace through a replacement policy and show, "
        "for every access, hit or miss, the victim and the frames.",
        epilog=f"policies:\n{policies}\n  all    every policy, one table of totals\n\n"
        "examples:\n"
        "  vmtui policy --policy OPT --frames 3 --trace 7,0,1,2,0,3,0,4,2,3,0,3,2,1,2,0,1,7,0,1\n"
        "  vmtui policy --policy FIFO --frames 3 --trace 1,2,3,4,1,2,5,1,2,3,4,5 --belady\n"
        "  vmtui policy --policy CLOCK --frames 4 --seed 7 --random-trace 12 --pages 6 --hide\n"
        "  vmtui policy --policy CLOCK --clock probe --clockbits 2 --frames 3 --trace 1,2,3,4,1,5\n"
        "  vmtui policy --policy all --frames 3 --trace 1,2,3,4,1,2,5,1,2,3,4,5",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--policy",
        metavar="NAME",
        help="FIFO, LRU, OPT, UNOPT, MRU, RAND, CLOCK, LINUX or all (any case; --belady "
        "defaults to FIFO)",
    )
    p.add_argument("--ties", choices=TIES, default="slot",
                   help="OPT/UNOPT: a tie among pages never used again goes to the lowest "
                   "frame slot (slot, the default) or by OSTEP paging-policy.py's rule "
                   "(ostep: OPT the page loaded last, UNOPT the one loaded first)")
    p.add_argument("--clock", choices=CLOCKS, default="hand",
                   help="CLOCK: a hand sweeping the frames (hand, the default) or OSTEP's "
                   "random probes (probe, drawn from --seed)")
    p.add_argument("--clockbits", metavar="N", default="1",
                   help="CLOCK: bits of each frame's reference counter, 0 and up (default 1: "
                   "the accessed bit)")
    p.add_argument("--frames", metavar="N", default="3", help="physical frames (default 3)")
    p.add_argument("--trace", metavar="P,P,...", help="the pages referenced, e.g. 1,2,3,1")
    p.add_argument("--trace-file", metavar="PATH",
                   help="instead of --trace: the pages from a file, one or more a line "
                   "(comma-separated as in --trace; blank lines and # comments skipped), "
                   "read as they are simulated, for traces of any length")
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
    p.add_argument("--seed", metavar="S", default="0",
                   help="seed of --random-trace, and of RAND's and the probing CLOCK's "
                   "choices (each its own generator; default 0)")
    p.add_argument("--json", action="store_true", help="one JSON object per access, then totals")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="only the totals, no per-access rows (as paging-policy.py -N): "
                   "O(1) time per access whatever the frame count")
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
        bits = _parse_int("--clockbits", args.clockbits, low=0, high=64)
        seed = _parse_int("--seed", args.seed, low=-(2**63))
        if args.quiet and args.hide:
            raise BadInput("-q prints only the totals: there are no answers to --hide")
        trace = _parse_trace(args)
    except BadInput as exc:
        print(f"vmtui policy: {exc}", file=sys.stderr)
        return 2
    names = POLICIES if policy == "ALL" else (policy,)
    out = sys.stdout.write
    opts = _Opts(args.ties, args.clock, bits, seed)
    try:
        if args.belady:
            _belady(out, names, frames, trace, args.json, args.hide, opts)
        elif policy == "ALL":
            _compare(out, frames, trace, args.json, args.hide, opts, args.quiet)
        else:
            run = _Run(policy, frames, trace, opts)
            if args.quiet:
                _quiet(out, run, args.json)
            elif args.json:
                _json_run(out, run, args.hide)
            else:
                _table(out, run, args.hide)
    except BadInput as exc:  # the trace file changed between two passes
        sys.stdout.flush()
        print(f"vmtui policy: {exc}", file=sys.stderr)
        return 2
    return 0


class _Opts:
    """The policy options of the command line; `make()` gives a fresh generator each run,
    so a second pass over the trace draws the same choices."""

    def __init__(self, ties: str, clock: str, clockbits: int, seed: int) -> None:
        self.ties, self.clock, self.clockbits, self.seed = ties, clock, clockbits, seed

    def make(self) -> Options:
        return Options(ties=self.ties, clock=self.clock, clockbits=self.clockbits,
                       rng=random.Random(self.seed))


class _Trace:
    """Where the pages come from, replayable: each `pages()` call reads them afresh.

    `n` and `width` (the widest page, in digits) are known before the first
    access, so the table's columns can be sized without holding the trace.
    """

    def __init__(self, n: int, width: int, origin: str, listed: bool) -> None:
        self.n, self.width, self.origin, self.listed = n, width, origin, listed
        self._held: Sequence[int] | None = None

    def pages(self) -> Iterator[int]:
        raise NotImplementedError

    def held(self) -> Sequence[int]:
        """The whole trace, for OPT and UNOPT (they need the future): 8 bytes a page."""
        if self._held is None:
            try:
                self._held = array("q", self.pages())
            except OverflowError:  # pages beyond 2**63
                self._held = tuple(self.pages())
        return self._held

    def for_policy(self, policy: str) -> Sequence[int] | Iterator[int]:
        return self.held() if policy in ("OPT", "UNOPT") else self.pages()


class _Listed(_Trace):
    """--trace: the pages on the command line."""

    def __init__(self, trace: tuple[int, ...]) -> None:
        width = max((len(str(p)) for p in trace), default=1)
        super().__init__(len(trace), width, "--trace " + ",".join(map(str, trace)), True)
        self._held = trace

    def pages(self) -> Iterator[int]:
        return iter(self._held or ())


class _Random(_Trace):
    """--random-trace: drawn afresh from the seed at each pass."""

    def __init__(self, seed: int, length: int, npages: int) -> None:
        self.seed, self.length, self.npages = seed, length, npages
        width = max((len(str(p)) for p in random_pages(seed, length, npages)), default=1)
        super().__init__(length, width,
                         f"--seed {seed} --random-trace {length} --pages {npages}", True)

    def pages(self) -> Iterator[int]:
        return random_pages(self.seed, self.length, self.npages)


class _File(_Trace):
    """--trace-file: checked and counted in a first read, then read once per pass."""

    def __init__(self, path: str) -> None:
        self.path = path
        n = width = 0
        for page in self._read():
            n += 1
            width = max(width, len(str(page)))
        if n == 0:
            raise BadInput(f"{path}: no pages in the file (one or more a line, e.g. 1,2,3,1)")
        super().__init__(n, width, f"--trace-file {path}", False)

    def pages(self) -> Iterator[int]:
        return self._read()

    def _read(self) -> Iterator[int]:
        path = self.path
        try:
            f = open(path, "rb")  # noqa: SIM115 (closed by _parse, a generator)
        except OSError as exc:
            raise BadInput(f"cannot read --trace-file {path}: {exc.strerror or exc}") from None
        return self._parse(f)

    def _parse(self, f: Any) -> Iterator[int]:
        """Line by line in binary, so that a line that is not UTF-8 is named exactly."""
        path = self.path
        with f:
            try:
                for lineno, raw in enumerate(f, 1):
                    word = raw.strip()
                    if word.isdigit():  # the common case: one page a line (bytes: ASCII)
                        yield int(word)
                        continue
                    try:
                        line = raw.decode("utf-8")
                    except UnicodeDecodeError:
                        raise BadInput(f"{path}:{lineno}: not UTF-8 text") from None
                    text = line.split("#", 1)[0]
                    if not text.strip():
                        continue
                    col = 1
                    for token in text.rstrip("\r\n").split(","):
                        word_ = token.strip()
                        if not word_.isdigit() or not word_.isascii():
                            at = col + len(token) - len(token.lstrip())
                            raise BadInput(
                                f"{path}:{lineno}:{at}: bad page {word_!r}: pages are whole "
                                "numbers >= 0, one or more a line separated by commas"
                            )
                        yield int(word_)
                        col += len(token) + 1
            except OSError as exc:
                raise BadInput(f"cannot read --trace-file {path}: {exc.strerror or exc}") from None


class _Run:
    """One policy on one trace, replayable: each `accesses()` call simulates afresh."""

    def __init__(self, policy: str, frames: int, trace: _Trace, opts: _Opts) -> None:
        self.policy, self.frames, self.trace, self.opts = policy, frames, trace, opts
        self.hits = 0

    def accesses(self) -> Iterator[Access]:
        """Every access with the frames and the policy's state (O(frames) each)."""
        self.hits = 0
        for a in iterate(self.policy, self.frames, self.trace.for_policy(self.policy),
                         self.opts.make()):
            self.hits += a.hit
            yield a

    def count(self) -> None:
        """Only the totals: O(1) per access (O(log frames) for OPT and UNOPT)."""
        hits = 0
        for a in steps(self.policy, self.frames, self.trace.for_policy(self.policy),
                       self.opts.make()):
            hits += a.hit
        self.hits = hits

    @property
    def misses(self) -> int:
        return self.trace.n - self.hits

    @property
    def hit_ratio(self) -> float:
        return self.hits / self.trace.n if self.trace.n else 0.0

    def result(self) -> Result:
        return simulate(self.policy, self.frames, self.trace.pages(), self.opts.make())


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


def _parse_trace(args: argparse.Namespace) -> _Trace:
    """The trace, replayable, and where it came from."""
    sources = (("--trace", args.trace), ("--random-trace", args.random_trace),
               ("--trace-file", args.trace_file))
    given = [flag for flag, value in sources if value is not None]
    if len(given) > 1:
        but = "not both" if len(given) == 2 else "only one"
        raise BadInput(f"give {' or '.join(given)}, {but}")
    if args.trace_file is not None:
        return _File(args.trace_file)
    if args.random_trace is not None:
        length = _parse_int("--random-trace", args.random_trace, low=1, high=MAX_TRACE)
        pages = _parse_int("--pages", args.pages, low=1)
        seed = _parse_int("--seed", args.seed, low=-(2**63))
        return _Random(seed, length, pages)
    if args.trace is None:
        raise BadInput("give a trace: --trace 1,2,3,1, --trace-file PATH or --random-trace LEN "
                       "[--seed S]")
    tokens = args.trace.split(",")
    if len(tokens) > MAX_TRACE:
        raise BadInput(f"--trace has {len(tokens)} pages; at most {MAX_TRACE} (or --trace-file)")
    trace: list[int] = []
    for pos, token in enumerate(tokens, 1):
        word = token.strip()
        if not word.isdigit() or not word.isascii():
            raise BadInput(
                f"bad page {token.strip()!r} at position {pos} of --trace: "
                "pages are whole numbers >= 0, e.g. --trace 1,2,3,1"
            )
        trace.append(int(word))
    return _Listed(tuple(trace))


# ---------------------------------------------------------------- tables

Out = Callable[[str], object]


def _pct(hits: int, total: int) -> str:
    return f"{100.0 * hits / total:6.2f}%" if total else "     - "


def _cells(values: Sequence[object], width: int) -> str:
    """`[a b c]` with every value right-aligned in `width` (None shows as `.`)."""
    return "[" + " ".join(("." if v is None else str(v)).rjust(width) for v in values) + "]"


def _columns(result: _Run) -> list[tuple[str, Callable[[Access], str]]]:
    """The policy's own columns after `frames`: header and cell maker."""
    w = result.trace.width
    name = result.policy
    if name == "FIFO":
        return [("first in -> last in", lambda a: " ".join(map(str, a.order)))]
    if name in ("LRU", "MRU"):
        return [("LRU -> MRU", lambda a: " ".join(map(str, a.order)))]
    if name in ("OPT", "UNOPT"):
        wn = max(len(str(result.trace.n)), 1)

        def next_use(a: Access) -> str:
            return _cells([None if n is None else n + 1 for n in a.next_use], wn).replace(".", "-")

        return [("next use (#)", next_use), ("note", lambda a: a.note)]
    if name == "RAND":
        return [("loaded first -> last", lambda a: " ".join(map(str, a.order))),
                ("note", lambda a: a.note)]
    if name == "CLOCK":
        head = "ref bits" if result.opts.clockbits <= 1 else "counters"
        if result.opts.clock == "probe":
            return [
                (head, lambda a: _cells(a.ref_bits, w)),
                ("loaded first -> last", lambda a: " ".join(map(str, a.order))),
                ("note", lambda a: a.note),
            ]
        return [
            (head, lambda a: _cells(a.ref_bits, w)),
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


def _legend(run: _Run) -> str:
    name, opts = run.policy, run.opts
    if name in ("OPT", "UNOPT"):
        rule = ("the lowest slot" if opts.ties == "slot" else
                "the page loaded last" if name == "OPT" else "the page loaded first")
        pick = "farthest" if name == "OPT" else "soonest"
        return ("next use: the access # where each frame's page is wanted again (- never); "
                f"the victim is the {pick}, ties among pages never used again to {rule} "
                f"(--ties {opts.ties})")
    if name == "CLOCK":
        what = (f"{opts.clockbits}-bit reference counter per frame slot (a new page starts at 1)"
                if opts.clockbits != 1 else "ref bits per frame slot")
        if opts.clock == "probe":
            return (f"{what}; probe: random positions of the load-order list (OSTEP's model), "
                    f"drawn from --seed {opts.seed}; page(n): its counter after the probe")
        return f"{what}; hand: the slot the hand points at (slots from 0)"
    if name == "RAND":
        return (f"the victim: a random position of the load-order list, drawn from "
                f"--seed {opts.seed}")
    if name == "LINUX":
        return ("lists head first (new pages join the head, reclaim takes the tail); "
                "* = PG_referenced")
    return ""


def _trace_lines(out: Out, trace: _Trace, list_pages: bool = True) -> None:
    """`trace: 1 2 3` (written in pieces: a long trace is never one string), and
    `from:` for a random trace or a file (a file's pages are not listed, nor any
    trace's with `list_pages` False, for -q)."""
    if trace.listed and list_pages:
        out("trace:")
        pages = trace.pages()
        while chunk := list(islice(pages, 4096)):
            out(" " + " ".join(map(str, chunk)))
        out("\n")
    if not isinstance(trace, _Listed):
        out(f"from:  {trace.origin}\n")


def _header(out: Out, result: _Run, hidden: bool, pages: bool = True) -> None:
    n = result.trace.n
    extra = " (answers hidden)" if hidden else ""
    out(
        f"{result.policy}, {result.frames} frame{'s' * (result.frames != 1)}, "
        f"{n} access{'es' * (n != 1)}{extra}\n"
    )
    _trace_lines(out, result.trace, pages)
    out("\n")


def _static_widths(result: _Run, heads: list[str]) -> list[int] | None:
    """The columns' widths when the trace alone fixes them (its length, its widest
    page, the frame count), else None: then a first pass measures them."""
    n, w, frames, opts = result.trace.n, result.trace.width, result.frames, result.opts
    if w > len("victim"):
        return None  # the victim column is as wide as the widest page evicted
    widths = [max(1, len(str(n))), max(4, w), 6, 6, max(6, len(_cells([None] * frames, w)))]
    name = result.policy
    if name in ("FIFO", "LRU", "MRU"):
        widths.append(0)  # the last column: not padded
    elif name in ("OPT", "UNOPT"):
        wn = max(len(str(n)), 1)
        widths += [max(len(heads[5]), len(_cells([None] * frames, wn))), 0]
    elif name == "CLOCK" and opts.clock == "hand":
        if len(str(max(1, opts.clockbits))) > w or len(str(frames - 1)) > len("hand"):
            return None
        widths += [max(len(heads[5]), len(_cells([None] * frames, w))), len("hand"), 0]
    else:
        return None  # RAND, the probing CLOCK, LINUX: lists of pages as wide as they come
    assert len(widths) == len(heads)
    return widths


def _table(out: Out, result: _Run, hidden: bool) -> None:
    """One fixed-width row per access, then the totals (or blanks when hidden).

    Each row is printed as its access is simulated when the trace alone fixes
    the columns' widths; otherwise a first pass measures them. Neither keeps
    more than one access.
    """
    _header(out, result, hidden)
    w = result.trace.width
    wi = max(len(str(result.trace.n)), 1)
    cells: list[Callable[[Access], str]] = [lambda a: str(a.index + 1), lambda a: str(a.page)]
    heads = ["#", "page"]
    if hidden:
        width = len(_cells([None] * result.frames, w))
        heads += ["hit/miss?", "victim?", "frames after?"]
        widths = [max(wi, 1), max(4, w), 9, max(7, w), max(13, width)]
        blanks = {2, 3, 4}
        rows: Iterator[Access] = (Access(i, p, False, None, 0, ())
                                  for i, p in enumerate(result.trace.pages()))
    else:
        heads += ["result", "victim", "frames"]
        cells += [lambda a: "hit" if a.hit else "miss",
                  lambda a: "-" if a.victim is None else str(a.victim),
                  lambda a: _cells(a.frames, w)]
        for head, cell in _columns(result):
            heads.append(head)
            cells.append(cell)
        static = _static_widths(result, heads)
        if static is not None:
            widths = static
        else:
            widths = [len(h) for h in heads]
            last = len(heads) - 1
            for a in result.accesses():
                for k in range(last):  # the last column is not padded
                    widths[k] = max(widths[k], len(cells[k](a)))
        blanks = set()
        rows = result.accesses()
    right = {0, 1, 3}
    last = len(heads) - 1

    def line(values: list[str]) -> str:
        parts = []
        for k, (cell, width) in enumerate(zip(values, widths, strict=True)):
            if k in right:
                parts.append(cell.rjust(width))
            elif k == last:
                parts.append(cell)
            else:
                parts.append(cell.ljust(width))
        return "  ".join(parts).rstrip() + "\n"

    out(line(heads))
    for a in rows:
        out(line(["_" * widths[k] if k in blanks else cells[k](a) for k in range(len(heads))]))
    out("\n")
    if hidden:
        out("hits: ____  misses: ____  hit ratio: ____\n")
        out("For the answers, run the same command without --hide.\n")
        return
    legend = _legend(result)
    if legend:
        out(f"{legend}\n")
    _hits_line(out, result)


def _hits_line(out: Out, result: _Run) -> None:
    n = result.trace.n
    out(
        f"hits: {result.hits}  misses: {result.misses}  "
        f"hit ratio: {_pct(result.hits, n).strip()} ({result.hits}/{n})\n"
    )


def _quiet(out: Out, result: _Run, as_json: bool) -> None:
    """-q: the header (without the pages) and the totals, no rows; O(1) per access."""
    result.count()
    if as_json:
        out(json.dumps(_totals(result, False)) + "\n")
        return
    _header(out, result, False, pages=False)
    _hits_line(out, result)


def _compare(
    out: Out, frames: int, trace: _Trace, as_json: bool, hidden: bool, opts: _Opts,
    quiet: bool = False,
) -> None:
    """Every policy on the same trace: its per-access table, then one row of totals each."""
    runs = [_Run(name, frames, trace, opts) for name in POLICIES]
    if as_json:
        for r in runs:
            r.count()
            out(json.dumps(_totals(r, hidden)) + "\n")
        return
    n = trace.n
    if not hidden and not quiet:
        for r in runs:
            _table(out, r, hidden)
            out("\n")
    else:
        for r in runs:
            r.count()
    extra = " (answers hidden)" if hidden else ""
    out(
        f"every policy, {frames} frame{'s' * (frames != 1)}, "
        f"{n} access{'es' * (n != 1)}{extra}\n"
    )
    _trace_lines(out, trace, not quiet)
    out("\n")
    wn = max(6, len(str(n)))
    out(f"policy  {'hits':>{wn}}  {'misses':>{wn}}  hit ratio\n")
    for r in runs:
        if hidden:
            out(f"{r.policy:<6}  {'_' * wn}  {'_' * wn}  _________\n")
        else:
            out(f"{r.policy:<6}  {r.hits:>{wn}}  {r.misses:>{wn}}  {_pct(r.hits, n):>9}\n")
    out("\n")
    if hidden:
        out("For the answers, run the same command without --hide.\n")
    else:
        out("OPT is the floor: no policy that loads on demand misses less; "
            "UNOPT is the ceiling.\n")


def _belady(
    out: Out,
    names: Sequence[str],
    frames: int,
    trace: _Trace,
    as_json: bool,
    hidden: bool,
    opts: _Opts,
) -> None:
    """Each policy at N and N+1 frames: more frames, more misses is Belady's anomaly."""
    rows = [
        (name, _misses(name, frames, trace, opts), _misses(name, frames + 1, trace, opts))
        for name in names
    ]
    if as_json:
        for name, a, b in rows:
            obj: dict[str, Any] = {"kind": "belady", "policy": name, "frames": [frames, frames + 1]}
            if not hidden:
                obj |= {"misses": [a, b], "anomaly": b > a}
            out(json.dumps(obj) + "\n")
        return
    n = trace.n
    out(f"Belady's anomaly: {frames} and {frames + 1} frames, {n} access{'es' * (n != 1)}\n")
    _trace_lines(out, trace)
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


def _misses(name: str, frames: int, trace: _Trace, opts: _Opts) -> int:
    run = _Run(name, frames, trace, opts)
    run.count()
    return run.misses


# ---------------------------------------------------------------- JSON


def _totals(result: _Run, hidden: bool) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "kind": "totals",
        "policy": result.policy,
        "frames": result.frames,
        "accesses": result.trace.n,
    }
    if not hidden:
        obj |= {
            "hits": result.hits,
            "misses": result.misses,
            "hit_ratio": round(result.hit_ratio, 6),
        }
    return obj


def _access_json(a: Access, run: _Run) -> dict[str, Any]:
    policy = run.policy
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
    elif policy in ("OPT", "UNOPT"):
        obj["next_use"] = [None if n is None else n + 1 for n in a.next_use]
        obj["order"] = list(a.order)
    elif policy == "RAND":
        obj |= {"order": list(a.order), "note": a.note}
    elif policy == "CLOCK":
        obj |= {"ref_bits": list(a.ref_bits), "hand": a.hand, "note": a.note}
        if run.opts.clock == "probe":
            obj["order"] = list(a.order)
    elif policy == "LINUX":
        obj |= {
            "active": list(a.active),
            "inactive": list(a.inactive),
            "referenced": list(a.referenced),
            "note": a.note,
        }
    return obj


def _json_run(out: Out, run: _Run, hidden: bool) -> None:
    if hidden:
        for i, page in enumerate(run.trace.pages()):
            out(json.dumps({"kind": "access", "n": i + 1, "page": page}) + "\n")
    else:
        for a in run.accesses():
            out(json.dumps(_access_json(a, run)) + "\n")
    out(json.dumps(_totals(run, hidden)) + "\n")
