"""`vmtui policy` on a long trace beside the textbook's list-based simulator.

Not a test: a figure for the README. Target (issue 17): 1,000,000 accesses with
1,024 frames in less wall time than OSTEP's paging-policy.py takes on the same
trace, and under 200 MB of peak RSS.

One trace file is written (1,000,000 pages drawn uniformly from 0..2047 with a
fixed seed, one a line) and both simulators read it, each in a child process
whose wall time and peak RSS (ru_maxrss from wait4) are measured, median of 3:

    vmtui policy --policy P --frames 1024 --trace-file T -q
    python paging-policy.py -f T -p P -C 1024 -c -N

for P in FIFO and LRU. Both print only their totals (paging-policy.py's -N, vmtui's
-q). The two hit counts must agree, or the benchmark fails.

paging-policy.py is not part of vmtui: it is OSTEP's homework script
(github.com/remzi-arpacidusseau/ostep-homework, vm-beyondphys-policy/). Give its path in
OSTEP_PAGING_POLICY; without it the textbook column is skipped, with a message.

    OSTEP_PAGING_POLICY=/path/to/paging-policy.py python -m bench.bench_policy [--repeat 3]
    python -m bench --only policy
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ENV = "OSTEP_PAGING_POLICY"
POLICIES = ("FIFO", "LRU")
FRAMES = 1024
PAGES = 2048
TARGET_MB = 200


def write_trace(path: Path, accesses: int, seed: int = 17) -> None:
    rng = random.Random(seed)
    with path.open("w") as f:
        for _ in range(accesses // 10_000 + 1):
            n = min(10_000, accesses)
            accesses -= n
            f.write("".join(f"{rng.randrange(PAGES)}\n" for _ in range(n)))


def run_child(argv: list[str]) -> tuple[float, int, str]:
    """(wall s, peak RSS KiB, stdout) of one child process (rusage from wait4)."""
    with tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=err, text=True)
        assert proc.stdout is not None
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        proc.stdout.close()
        if proc.returncode != 0:
            err.seek(0)
            raise SystemExit(f"{' '.join(argv[1:4])}... exited {proc.returncode}: "
                             f"{err.read()[-500:]}")
    return wall, usage.ru_maxrss, out


def vmtui_argv(policy: str, trace: Path) -> list[str]:
    return [sys.executable, "-m", "vmtui.cli", "policy", "--policy", policy, "--frames",
            str(FRAMES), "--trace-file", str(trace), "-q"]


def ostep_argv(script: str, policy: str, trace: Path) -> list[str]:
    return [sys.executable, script, "-f", str(trace), "-p", policy, "-C", str(FRAMES), "-c",
            "-N"]


def vmtui_hits(out: str) -> int:
    m = re.search(r"^hits: (\d+)  misses: (\d+)", out, re.M)
    if m is None:
        raise SystemExit(f"vmtui policy -q printed no totals: {out[-300:]!r}")
    return int(m.group(1))


def ostep_hits(out: str) -> int:
    m = re.search(r"^FINALSTATS hits (\d+)\s+misses (\d+)", out, re.M)
    if m is None:
        raise SystemExit(f"paging-policy.py printed no FINALSTATS: {out[-300:]!r}")
    return int(m.group(1))


def median_run(argv: list[str], repeat: int, hits_of: object) -> tuple[float, float, int]:
    """Median wall s and median peak RSS MB of `repeat` runs, and the hit count (the
    same every run)."""
    walls, rss, hits = [], [], set()
    for _ in range(repeat):
        wall, kib, out = run_child(argv)
        walls.append(wall)
        rss.append(kib / 1024)
        hits.add(hits_of(out))  # type: ignore[operator]
    if len(hits) != 1:
        raise SystemExit(f"hit counts differ between runs: {sorted(hits)}")
    return statistics.median(walls), statistics.median(rss), hits.pop()


def measure(accesses: int, repeat: int) -> dict[str, dict[str, object]]:
    script = os.environ.get(ENV, "")
    if script and not Path(script).is_file():
        print(f"[policy] {ENV}={script}: no such file; the textbook column is skipped",
              flush=True)
        script = ""
    if not script:
        print(f"[policy] {ENV} is not set: the textbook's paging-policy.py column is skipped "
              "(set it to the path of OSTEP's vm-beyondphys-policy/paging-policy.py)",
              flush=True)
    got: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        trace = Path(tmp) / "trace.txt"
        write_trace(trace, accesses)
        for policy in POLICIES:
            r: dict[str, object] = {}
            r["secs"], r["mb"], r["hits"] = median_run(vmtui_argv(policy, trace), repeat,
                                                       vmtui_hits)
            print(f"[policy] vmtui {policy}: {r['secs']:.2f} s, {r['mb']:.0f} MB, "
                  f"{r['hits']} hits", flush=True)
            if script:
                secs, mb, hits = median_run(ostep_argv(script, policy, trace), repeat,
                                            ostep_hits)
                print(f"[policy] paging-policy.py {policy}: {secs:.2f} s, {mb:.0f} MB, "
                      f"{hits} hits", flush=True)
                if hits != r["hits"]:
                    raise SystemExit(f"{policy}: vmtui counts {r['hits']} hits, "
                                     f"paging-policy.py {hits}: the outputs disagree")
                r |= {"ostep_secs": secs, "ostep_mb": mb}
            got[policy] = r
    return got


def rows(quick: bool = False) -> list[Any]:
    from bench.common import Row

    accesses = 100_000 if quick else 1_000_000
    repeat = 1 if quick else 3
    got = measure(accesses, repeat)
    out = []
    for policy, r in got.items():
        secs, mb = float(r["secs"]), float(r["mb"])  # type: ignore[arg-type]
        what = (f"`vmtui policy -q --trace-file`, {policy}, {accesses:,} accesses, "
                f"{FRAMES:,} frames: wall time, peak RSS (reference column: OSTEP's "
                "paging-policy.py -c -N, same file, same hits)")
        target = f"< paging-policy.py's time, < {TARGET_MB} MB"
        if "ostep_secs" in r:
            osecs, omb = float(r["ostep_secs"]), float(r["ostep_mb"])  # type: ignore[arg-type]
            out.append(Row(what, f"{secs:.2f} s, {mb:.0f} MB", f"{osecs:.2f} s, {omb:.0f} MB",
                           f"{secs / osecs:.2f}", target, secs < osecs and mb < TARGET_MB))
        else:
            out.append(Row(what, f"{secs:.2f} s, {mb:.0f} MB",
                           f"(skipped: {ENV} not set)", "", target, None))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accesses", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    for policy, r in measure(args.accesses, args.repeat).items():
        line = (f"{policy}, {args.accesses:,} accesses, {FRAMES} frames: vmtui "
                f"{r['secs']:.2f} s, {r['mb']:.0f} MB")
        if "ostep_secs" in r:
            line += (f"; paging-policy.py {r['ostep_secs']:.2f} s, {r['ostep_mb']:.0f} MB; "
                     f"hits {r['hits']} in both")
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
