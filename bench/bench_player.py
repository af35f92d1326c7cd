"""How long does stepping back one step take at step 10,000 of a long scenario?

Not a test: a figure for the README. Target: under 50 ms median.

The scenario is a lecturer's long session: mappings made, touched, split,
re-protected and unmapped in a rolling window, a file mapped and read, a child
forked and exited now and then; the machine stays a realistic size. The
player is driven to step N, then `back()` is timed (restore the nearest
snapshot, replay the steps after it), `forward()` returning each time.

Also printed, to see what dominates: the size of one snapshot, the time to
unpickle it, and the time of one replayed step.

    python bench/bench_player.py [--steps 10000] [--snapshot-every 16] [--repeat 30]
"""

from __future__ import annotations

import argparse
import pickle
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vmtui.scenario.loader import from_commands  # noqa: E402
from vmtui.scenario.player import Player  # noqa: E402

WINDOW = 32  # live anonymous mappings at any time


def session(n: int) -> str:
    """n steps of a long session, ';'-separated (each part is one step)."""
    steps = ["file data.bin 256K", "f = mmap 256K rw shared file=data.bin"]
    i = 0
    while len(steps) < n:
        k = i % WINDOW
        steps += [
            f"m{k} = mmap 64K rw private,anon",
            f"write m{k} 64K = {i % 251}",
            f"read m{k}+8K",
            f"mprotect m{k}+16K 8K r",
            f"read f+{(i % 64) * 4}K",
            f"write f+{(i % 64) * 4}K = {i % 97}",
            f"mprotect m{k}+16K 8K rw",
            f"p{k} = malloc {64 + (i % 7) * 512}",
        ]
        if i % 25 == 24:
            steps += ["c = fork", "switch c", "write m0 = 1", "exit"]
        if i >= WINDOW - 1:
            old = (i + 1) % WINDOW
            steps += [f"munmap m{old} 64K", f"free p{old}"]
        i += 1
    return "; ".join(steps[:n])


def measure(steps: int, snapshot_every: int = 16, repeat: int = 30) -> dict[str, float]:
    """back() at step STEPS, timed REPEAT times, and what a restore costs."""
    sc = from_commands(session(steps + 1))
    p = Player(sc, snapshot_every=snapshot_every)
    t0 = time.perf_counter()
    p.goto(steps)
    t_forward = time.perf_counter() - t0
    failed = sum(1 for r in p.records if not r.result.ok)

    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        p.back()
        times.append(time.perf_counter() - t)
        p.forward()
    assert p.position == steps

    snap = max(p.snapshots)
    blob = p.snapshots[snap]
    loads = []
    for _ in range(10):
        t = time.perf_counter()
        pickle.loads(blob)
        loads.append(time.perf_counter() - t)
    return {"median": statistics.median(times), "min": min(times), "max": max(times),
            "blob": len(blob), "load": statistics.median(loads), "snapshots": len(p.snapshots),
            "total_snap": sum(len(b) for b in p.snapshots.values()),
            "replay": steps - 1 - max(k for k in p.snapshots if k <= steps - 1),
            "forward": t_forward, "failed": failed}


def rows(quick: bool = False) -> list:
    """The README's step-back row."""
    from bench.common import Row, ms

    steps = 2000 if quick else 10_000
    r = measure(steps, repeat=10 if quick else 30)
    return [Row(f"one step back at step {steps:,} of a long session (Player)",
                f"{ms(r['median'])} median", "", "", "< 50 ms", r["median"] < 0.05)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=10_000, help="step N to step back from")
    ap.add_argument("--snapshot-every", type=int, default=16, help="Player snapshot interval")
    ap.add_argument("--repeat", type=int, default=30, help="back() calls to time")
    args = ap.parse_args()
    r = measure(args.steps, args.snapshot_every, args.repeat)
    med = r["median"] * 1e3
    print(f"back() at step {args.steps:,} (snapshot_every={args.snapshot_every}): "
          f"median {med:.1f} ms, min {r['min'] * 1e3:.1f} ms, max {r['max'] * 1e3:.1f} ms "
          f"over {args.repeat} calls  [target < 50 ms: {'met' if med < 50 else 'MISSED'}]")
    print(f"  one snapshot: {r['blob'] / 1024:.0f} KiB, unpickled in "
          f"{r['load'] * 1e3:.1f} ms; {r['snapshots']} snapshots hold "
          f"{r['total_snap'] / 2**20:.1f} MiB")
    print(f"  replay after the restore: {r['replay']} step(s) at "
          f"~{r['forward'] / args.steps * 1e3:.2f} ms each (forward to step {args.steps:,} "
          f"took {r['forward']:.1f} s; {r['failed']} steps gave errors)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
