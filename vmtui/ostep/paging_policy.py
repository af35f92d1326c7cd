"""vm-beyondphys-policy/paging-policy.py: hit or miss, and memory after, per access.

The trace is `-a` (or `-f`, one page a line), else `-n` pages drawn as
int(maxpage * random()). The policies are `vmtui.engine.replacement`'s with the
textbook's options: OPT and UNOPT break ties its way (`Options.ties="ostep"`)
and CLOCK is its random probe with `-b`-bit counters (`clock="probe"`), drawing
from the same generator after the trace, as the script does. The memory list
is the script's: load order, with LRU and MRU moving a page to the end on a hit.
"""

from __future__ import annotations

import optparse
from pathlib import Path
from typing import Any

from vmtui.engine.replacement import POLICIES, Options, simulate
from vmtui.ostep import BadInput, Exercise, Question, numbers, parser, rng, whole

_SIDES = {"FIFO": ("first in", "last in"), "LRU": ("LRU", "MRU"), "MRU": ("LRU", "MRU")}


def make_parser() -> optparse.OptionParser:
    p = parser("paging-policy")
    p.add_option("-a", "--addresses", default="-1", dest="addresses",
                 help="comma-separated pages to access; -1 draws them at random")
    p.add_option("-f", "--addressfile", default="", dest="addressfile",
                 help="a file with one page per line")
    p.add_option("-n", "--numaddrs", default="10", dest="numaddrs",
                 help="with -a -1, how many pages to draw")
    p.add_option("-p", "--policy", default="FIFO", dest="policy",
                 help="FIFO, LRU, OPT, UNOPT, RAND, CLOCK (and vmtui's MRU, LINUX)")
    p.add_option("-b", "--clockbits", default="2", dest="clockbits",
                 help="CLOCK: bits of each page's reference counter")
    p.add_option("-C", "--cachesize", default="3", dest="cachesize",
                 help="pages the memory holds")
    p.add_option("-m", "--maxpage", default="10", dest="maxpage",
                 help="random pages are 0..maxpage-1")
    p.add_option("-s", "--seed", default="0", dest="seed", help="random seed")
    p.add_option("-N", "--notrace", action="store_true", default=False, dest="notrace",
                 help="with -c, totals only")
    p.add_option("-c", "--compute", action="store_true", default=False, dest="solve",
                 help="compute the answers")
    return p


def _trace(opts: Any, gen: Any) -> tuple[list[int], str]:
    if opts.addressfile:
        path = Path(opts.addressfile)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise BadInput(f"-f {opts.addressfile}: cannot read it ({exc.__class__.__name__}: "
                           f"{getattr(exc, 'strerror', None) or exc})") from None
        pages = []
        for n, line in enumerate(text.splitlines(), 1):
            try:
                pages.append(int(line))
            except ValueError:
                raise BadInput(f"-f {opts.addressfile}, line {n}: {line.strip()!r} is not a "
                               "page number (one whole number a line)") from None
        return pages, f"from {opts.addressfile}"
    if str(opts.addresses).strip() == "-1":
        n = whole("-n", opts.numaddrs)
        if n < 0:
            raise BadInput(f"-n must be at least 0, got {n}")
        maxpage = whole("-m", opts.maxpage)
        return [int(maxpage * gen.random()) for _ in range(n)], \
            f"drawn: -s {opts.seed} -n {n} -m {maxpage}"
    return numbers("-a", opts.addresses, "page"), "given with -a"


def build(opts: Any) -> Exercise:
    seed = whole("-s", opts.seed)
    frames = whole("-C", opts.cachesize)
    bits = whole("-b", opts.clockbits)
    policy = str(opts.policy).strip().upper()
    if policy not in POLICIES:
        raise BadInput(f"-p: unknown policy {opts.policy!r} (choose {', '.join(POLICIES)})")
    if frames < 1:
        raise BadInput(f"-C (cache size) must be at least 1 page, got {frames}")
    if bits < 0:
        raise BadInput(f"-b (clock bits) must be at least 0, got {bits}")
    gen = rng(seed)
    trace, origin = _trace(opts, gen)
    for pos, page in enumerate(trace, 1):
        if page < 0:
            raise BadInput(f"page {page} at position {pos}: pages are whole numbers >= 0")
    result = simulate(policy, frames, trace,
                      Options(ties="ostep", clock="probe", clockbits=bits, rng=gen))
    left, right = _SIDES.get(policy, ("loaded first", "loaded last"))
    questions = []
    hits = 0
    for a in result.accesses:
        hits += a.hit
        memory = list(a.order)
        word = "hit" if a.hit else "miss"
        answer = word if a.victim is None else f"miss, evicts {a.victim}"
        steps = [f"memory ({left} -> {right}): {memory}"]
        if a.note:
            steps.append(a.note)
        steps.append(f"hits {hits}, misses {a.index + 1 - hits}")

        def check(guess: str, a: Any = a) -> bool:
            words = guess.replace(",", " ").lower().split()
            if not words or words[0] not in ("hit", "miss", "h", "m"):
                return False
            if (words[0][0] == "h") != a.hit:
                return False
            rest = [w for w in words[1:] if w not in ("evicts", "evict", "victim")]
            return not rest or (a.victim is not None and rest[0] == str(a.victim))

        data = {"kind": "access", "n": a.index + 1, "page": a.page, "hit": a.hit,
                "victim": a.victim, "memory": memory}
        if policy == "CLOCK":
            data["counters"] = {str(p): a.ref_bits[a.frames.index(p)] for p in memory}
        questions.append(Question(
            prompt=f"access page {a.page}", answer=answer, steps=steps, data=data,
            hidden={"kind": "access", "n": a.index + 1, "page": a.page}, check=check,
            draw={"memory": memory, "victim": a.victim, "page": a.page, "hit": a.hit}))
    n = len(trace)
    rate = f"{100.0 * result.hits / n:.2f}%" if n else "-"
    notes = [f"trace {origin}: {' '.join(map(str, trace))}"]
    if policy == "CLOCK":
        notes.append(f"CLOCK as the textbook models it: {bits}-bit counters, random probes "
                     "(vmtui policy --clock hand sweeps instead)")
    if policy in ("OPT", "UNOPT"):
        notes.append("ties among pages never used again: the textbook's rule "
                     f"({'the page loaded last' if policy == 'OPT' else 'the page loaded first'})")
    return Exercise(
        script="paging-policy",
        command="",
        title=f"paging-policy: {policy}, a cache of {frames} page{'s' * (frames != 1)}, "
              f"{n} access{'es' * (n != 1)}",
        setup=[],
        setup_json=[],
        questions=questions,
        ask="For each access: a hit or a miss, which page is evicted, and the memory after?",
        totals=[f"hits: {result.hits}  misses: {result.misses}  hit rate: {rate}"],
        totals_json={"kind": "totals", "policy": policy, "cachesize": frames, "accesses": n,
                     "hits": result.hits, "misses": result.misses,
                     "hit_rate": round(100.0 * result.hits / n, 2) if n else None},
        notes=notes,
        show_steps=not opts.notrace,
    )
