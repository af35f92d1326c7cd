"""Every benchmark in one go: `python -m bench` prints the README's figures table.

    python -m bench                      # all of them (about 10-15 minutes on 2 cores)
    python -m bench --quick              # fewer runs per figure, smaller sizes (a smoke run)
    python -m bench --only engine,forks  # some of them
    python -m bench --json               # the rows as JSON, one object per line

Each benchmark module runs in its own Python process (so one's heap and caches do
not slow or speed up the next, and host-memory figures are its own) and hands back
rows through its `rows(quick)` function; the real kernel's figures are measured
in the same run by bench/kernel.py (C, built here with the system's cc). The
README's table is pasted from one run of this command, with the machine line it
prints.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import Row, machine_line, markdown  # noqa: E402

# name -> module (its rows()) or module:function; in the order of the README's table
BENCHES = {
    "engine": "bench.bench_engine",
    "reclaim": "bench.bench_reclaim",
    "player": "bench.bench_player",
    "ui": "bench.bench_ui",
    "load": "bench.bench_load",
    "forks": "bench.bench_forks",
    "check": "bench.bench_check",
    "huge": "bench.bench_huge",
    "policy": "bench.bench_policy",
    "maple": "bench.bench_maple",
    "kernels": "bench.bench_reclaim:kernel_rows",
    "pane": "bench.bench_maple:pane_rows",
}

CHILD = """
import json, sys
sys.path.insert(0, sys.argv[1])
import importlib
name, _, fn = sys.argv[2].partition(":")
rows = getattr(importlib.import_module(name), fn or "rows")(quick=sys.argv[3] == "1")
print("\\n@@ROWS@@")
for r in rows:
    print(json.dumps(r.as_dict()))
"""


def run_one(module: str, quick: bool) -> list[Row]:
    """Run MODULE.rows() in a fresh interpreter; its own prints go to stderr as progress."""
    proc = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), module, "1" if quick else "0"],
                          cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        return [Row(f"{module}: failed", "; ".join(tail))]
    sys.stderr.write(proc.stdout.split("\n@@ROWS@@")[0])
    body = proc.stdout.split("\n@@ROWS@@", 1)[1]
    return [Row(**json.loads(line)) for line in body.splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="", help="comma-separated: " + ", ".join(BENCHES))
    ap.add_argument("--quick", action="store_true", help="fewer runs, smaller sizes")
    ap.add_argument("--json", action="store_true", help="rows as JSON lines")
    args = ap.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(BENCHES)
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        ap.error(f"unknown benchmark {', '.join(unknown)}: expected some of {', '.join(BENCHES)}")
    t0 = time.perf_counter()
    rows: list[Row] = []
    for name in names:
        print(f"[bench] {name} ...", file=sys.stderr, flush=True)
        t = time.perf_counter()
        got = run_one(BENCHES[name], args.quick)
        rows += got
        print(f"[bench] {name}: {len(got)} figure(s) in {time.perf_counter() - t:.0f} s",
              file=sys.stderr, flush=True)
    if args.json:
        for r in rows:
            print(json.dumps(r.as_dict()))
        return 0
    print(f"Measured by `python -m bench{' --quick' if args.quick else ''}` on {machine_line()}"
          f" (all figures from this one run, {time.perf_counter() - t0:.0f} s):")
    print()
    print(markdown(rows))
    return 1 if any(r.what.endswith(": failed") for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
