"""The maple-tree VMA set (6.1+) beside the rbtree one (5.4): per-op cost (not tests).

    python -m bench.bench_maple         # find_vma and unmapped_area_topdown at 1,000 / 65,000 VMAs

Each figure is the median of 5 runs in this one process. Both look-ups walk one or a
few root-to-leaf paths, so 65x the VMAs should cost well under 2x per operation.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from typing import Any

from vmtui.engine.include.mm_types import VM_READ, VM_WRITE, MmStruct, VmArea
from vmtui.engine.lib.vma_maple import MapleVmaSet
from vmtui.engine.lib.vma_tree import VmaSet

PAGE = 4096
SIZES = (1000, 65_000)
RUNS = 5


def build(kind: str, n: int) -> Any:
    """`n` one-page VMAs one page apart (no two merge), from 4 GiB up."""
    mm = MmStruct(1 << 47)
    s: Any = MapleVmaSet() if kind == "maple" else VmaSet()
    base = 1 << 32
    for i in range(n):
        start = base + 2 * i * PAGE
        s.link(VmArea(mm, start, start + PAGE, VM_READ | VM_WRITE))
    return s


def per_op(s: Any, op: str, n: int, ops: int) -> float:
    """Seconds per call of `op` over random addresses / windows of the set."""
    rnd = random.Random(1)
    base = 1 << 32
    if op == "find_vma":
        addrs = [base + rnd.randrange(2 * n) * PAGE for _ in range(ops)]
        fn = s.find_vma
        t0 = time.perf_counter()
        for a in addrs:
            fn(a)
        return (time.perf_counter() - t0) / ops
    # every one-page hole between the VMAs fits: each search finds the highest hole
    # below a random high limit, one root-to-leaf walk (plus vma_next/vma_prev)
    highs = [base + rnd.randrange(1, 2 * n) * PAGE for _ in range(ops)]
    fn = s.unmapped_area_topdown
    t0 = time.perf_counter()
    for h in highs:
        fn(PAGE, base // 2, h)
    return (time.perf_counter() - t0) / ops


def measure(ops: int = 20_000) -> dict[tuple[str, str, int], float]:
    out = {}
    for kind in ("maple", "rbtree"):
        for n in SIZES:
            s = build(kind, n)
            for op in ("find_vma", "unmapped_area_topdown"):
                out[(kind, op, n)] = statistics.median(per_op(s, op, n, ops)
                                                       for _ in range(RUNS))
    return out


def rows(quick: bool = False) -> list:
    from bench.common import Row

    r = measure(4000 if quick else 20_000)
    out = []
    for op in ("find_vma", "unmapped_area_topdown"):
        small, big = r[("maple", op, SIZES[0])], r[("maple", op, SIZES[1])]
        ratio = big / small
        rb = r[("rbtree", op, SIZES[1])]
        out.append(Row(f"maple tree `{op}` per op, 1,000 -> 65,000 VMAs (rbtree set at 65,000)",
                       f"{small * 1e6:.1f} -> {big * 1e6:.1f} us", f"{rb * 1e6:.1f} us",
                       f"{ratio:.2f}x", "< 2x", ratio < 2))
    return out


def main() -> int:
    r = measure()
    for op in ("find_vma", "unmapped_area_topdown"):
        for kind in ("maple", "rbtree"):
            small, big = r[(kind, op, SIZES[0])], r[(kind, op, SIZES[1])]
            print(f"{kind:6} {op:22} {small * 1e6:7.2f} us at {SIZES[0]:,}, "
                  f"{big * 1e6:7.2f} us at {SIZES[1]:,}: x{big / small:.2f}"
                  + ("  [target < 2x: " + ("met]" if big / small < 2 else "MISSED]")
                     if kind == "maple" else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
