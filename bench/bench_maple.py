"""The maple-tree VMA set (6.1+) beside the rbtree one (5.4): per-op cost (not tests).

    python -m bench.bench_maple         # find_vma and unmapped_area_topdown at 1,000 / 65,000 VMAs
    python -m bench.bench_maple --pane  # the TUI's maple pane on a 6.18 process of 60,000 VMAs

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


def pane_scenario(path: Any, vmas: int, steps: int, kernel: str = "6.18") -> None:
    """A 6.18 process of `vmas` one-page VMAs (alternating protections: none merges),
    every 1000th named; then steps that alternate a read of one of those (a fault: one
    find_vma(), a new path in the pane) and an mmap + munmap of 8K."""
    named = range(0, vmas, 1000)
    maps = ", ".join((f'"z{i} = ' if i in named else '"') +
                     f'mmap 4K {"r" if i % 2 else "rw"} private,anon"' for i in range(vmas))
    lines = ["[scenario]", f'title = "bench: the maple pane, {vmas:,} VMAs"', "[machine]",
             f'kernel = "{kernel}"', 'ram = "1G"', 'swap = "0"', "max_map_count = 200000", "",
             f"[[step]]\ndo = [{maps}]"]
    for k in range(steps + 2):
        if k % 2 == 0:
            lines.append(f'[[step]]\ndo = "read z{named[(k * 7) % len(named)]}"')
        else:
            lines.append(f'[[step]]\ndo = ["y{k} = mmap 8K rw private,anon", "munmap y{k} 8K"]')
    path.write_text("\n".join(lines) + "\n")


async def time_pane(path: Any, steps: int, size: tuple[int, int]) -> dict[str, Any]:
    """Key press to painted screen in the real TUI (bench_ui's timed app), per kind of
    step, and the maple pane's own build (snapshot's maple_view + VmaTreePane.build)."""
    import asyncio

    from bench.bench_ui import timed_app_class
    from vmtui.scenario.loader import load_scenario
    from vmtui.ui import vma_tree
    from vmtui.view import snapshot

    built: list[float] = []
    view: list[float] = []
    build0 = vma_tree.VmaTreePane.build
    view0 = snapshot.maple_view

    def build(self: Any, snap: Any) -> None:
        t = time.perf_counter()
        build0(self, snap)
        built.append(time.perf_counter() - t)

    def maple_view(vmas: Any) -> Any:
        t = time.perf_counter()
        out = view0(vmas)
        view.append(time.perf_counter() - t)
        return out

    vma_tree.VmaTreePane.build = build  # type: ignore[method-assign]
    snapshot.maple_view = maple_view
    try:
        app = timed_app_class()(load_scenario(str(path)), start_step=1)
        key: dict[str, list[float]] = {"read": [], "mmap+munmap": []}
        async with app.run_test(size=size) as pilot:
            while app.snapshot is None or app.snapshot.position != 1 or app._busy:
                await pilot.pause(0.05)
            m = app.driver.player.machine
            n = len(m.current.mm.vmas)
            mt = getattr(m.current.mm.vmas, "mt", None)
            height = mt.height if mt is not None else 0
            built.clear()
            view.clear()
            for k in range(steps):
                app.marks.clear()
                await pilot.press("n")
                while app._busy or app._queue or app._rss_asked or \
                        not any(w == "step" for w, _ in app.marks):
                    await asyncio.sleep(0.002)
                await pilot.pause()
                t0 = next(v for w, v in app.marks if w == "key")
                t1 = max(v for w, v in app.marks if w in ("step", "rss"))
                key["read" if k % 2 == 0 else "mmap+munmap"].append(t1 - t0)
            lines = app.query_one("#tree").line_count()
    finally:
        vma_tree.VmaTreePane.build = build0  # type: ignore[method-assign]
        snapshot.maple_view = view0
    return {"vmas": n, "height": height, "lines": lines,
            "read": statistics.median(key["read"]),
            "mmap": statistics.median(key["mmap+munmap"]),
            "build": statistics.median(built) if built else 0.0,
            "view": statistics.median(view) if view else 0.0}


def pane(vmas: int = 60_000, steps: int = 20, size: tuple[int, int] = (160, 48),
         kernel: str = "6.18") -> dict:
    import asyncio
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench-maple-pane.toml"
        pane_scenario(path, vmas, steps, kernel)
        return asyncio.run(time_pane(path, steps, size))


def pane_rows(quick: bool = False) -> list:
    """Key press to painted screen at 60,000 VMAs with the tree pane shown: the maple pane
    (6.18) and the rbtree pane (5.4), a row per kind of step."""
    from bench.common import Row, ms

    steps = 10 if quick else 20
    new = pane(steps=steps)
    old = pane(steps=steps, kernel="5.4")
    where = (f"{new['vmas']:,} VMAs, 160x48, tree pane shown, median of {steps // 2}; "
             "Linux 6.18 model (maple pane) / 5.4 model (rbtree pane)")
    return [Row(f"TUI: a read that faults (the pane redraws find_vma's path), {where}",
                f"{ms(new['read'])} / {ms(old['read'])}", "", "", "< 100 ms",
                max(new["read"], old["read"]) < 0.1),
            Row(f"TUI: mmap 8K + munmap 8K, {where}", f"{ms(new['mmap'])} / {ms(old['mmap'])}",
                "", "", "< 100 ms", max(new["mmap"], old["mmap"]) < 0.1)]


def main() -> int:
    if "--pane" in sys.argv[1:]:
        small = pane(vmas=30, steps=10)
        r = pane()
        old = pane(kernel="5.4")
        print(f"maple pane, 6.18, {r['vmas']:,} VMAs (height {r['height']}), 160x48, "
              f"key press -> painted screen, median of 10 each:")
        print(f"  read (a fault: find_vma, the pane redraws its path): "
              f"{r['read'] * 1e3:6.1f} ms  [target < 100 ms: "
              f"{'met' if r['read'] < 0.1 else 'MISSED'}]")
        print(f"  mmap 8K + munmap 8K:                                 {r['mmap'] * 1e3:6.1f} ms")
        print(f"  the pane alone: maple_view {r['view'] * 1e6:.0f} us + VmaTreePane.build "
              f"{r['build'] * 1e3:.2f} ms ({r['lines']} lines); at {small['vmas']} VMAs "
              f"{small['view'] * 1e6:.0f} us + {small['build'] * 1e3:.2f} ms")
        print(f"the same steps on 5.4 (the rbtree pane), {old['vmas']:,} VMAs: read "
              f"{old['read'] * 1e3:.1f} ms, mmap 8K + munmap 8K {old['mmap'] * 1e3:.1f} ms, "
              f"VmaTreePane.build {old['build'] * 1e3:.2f} ms")
        return 0
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
