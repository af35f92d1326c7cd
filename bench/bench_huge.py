"""Huge ranges: how long `vmtui run` takes, and how much host memory it holds, for reads of
1G, 16G and 16T on the default 256M machine (128M of swap), and for the 16T commands that
end in the OOM killer.

Not a test: figures for the README and docs/commands.md. Each case is one child process,
`python -m vmtui.cli run -q -c ...`; its wall time, CPU time (user + system) and peak
resident set (ru_maxrss from wait4) are printed, with what the command ended in. The
simulated machine holds 256M + 128M = 384M; host memory should follow what it holds.

    python -m bench.bench_huge [--cases read-1G-file,read-16T-anon,...] [--list]
    python -m bench --only huge    # the README's row
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# name: (machine settings, commands)
CASES: dict[str, tuple[tuple[str, ...], str]] = {
    "read-1G-file": ((), "file F 16T; a = mmap 16T r private file=F; read a 1G"),
    "read-16G-file": (("page_budget=0",),
                      "file F 16T; a = mmap 16T r private file=F; read a 16G"),
    "read-16T-file": ((), "file F 16T; a = mmap 16T r private file=F; read a 16T"),
    "read-1G-anon": ((), "a = mmap 16T r private,anon,noreserve; read a 1G"),
    "read-16G-anon": (("page_budget=0",),
                      "a = mmap 16T r private,anon,noreserve; read a 16G"),
    "read-16T-anon": ((), "a = mmap 16T r private,anon,noreserve; read a 16T"),
    "read-16T-anon-nobudget": (("page_budget=0",),
                               "a = mmap 16T r private,anon,noreserve; read a 16T"),
    "write-16T-anon": (("page_budget=0",),
                       "a = mmap 16T rw private,anon,noreserve; write a 16T"),
    "read-16T-shared-anon": (("page_budget=0",),
                             "a = mmap 16T rw shared,anon,noreserve; read a 16T"),
    "sparse-16T-munmap": ((), "a = mmap 16T rw private,anon,noreserve; write a 1M; "
                              "write a+8T 1M; c = fork; mprotect a 16T r; munmap a 16T"),
}


def run_case(settings: tuple[str, ...], commands: str) -> tuple[float, float, int, str]:
    """(wall s, CPU s, peak RSS KiB, the last result line) of one `vmtui run -q`."""
    argv = [sys.executable, "-m", "vmtui.cli", "run", "-q"]
    for s in settings:
        argv += ["-m", s]
    argv += ["-c", commands]
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    results = [ln.strip() for ln in out.splitlines() if ln.strip().startswith("->")]
    last = results[-1] if results else f"(exit {proc.returncode})"
    if len(last) > 90:
        last = last[:87] + "..."
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, last


def rows(quick: bool = False) -> list:
    """The README's row: CPU time and peak host RSS of 1G / 16T file reads (the 16T one
    stopped by the page budget) and of a 16T anonymous read with no budget (OOM)."""
    from bench.common import Row

    names = ("read-1G-anon", "read-16T-anon") if quick else \
        ("read-1G-file", "read-16T-file", "read-16T-anon-nobudget")
    got = [run_case(*CASES[n]) for n in names]
    what = ("`vmtui run -q` on 256M RAM + 128M swap: " +
            (" / ".join(names)) + " (CPU time; peak host RSS)")
    engine = " / ".join(f"{cpu:.1f} s" for _, cpu, _, _ in got) + "; " + \
        " / ".join(f"{rss / 1024:,.0f} MB" for _, _, rss, _ in got)
    return [Row(what, engine, "", "", "", None)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default=",".join(CASES),
                    help="comma list of case names (default: all)")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    args = ap.parse_args(argv)
    if args.list:
        for name, (settings, cmds) in CASES.items():
            print(f"{name}: {' '.join('-m ' + s for s in settings)} -c {cmds!r}")
        return 0
    names = [n.strip() for n in args.cases.split(",") if n.strip()]
    bad = [n for n in names if n not in CASES]
    if bad:
        print(f"unknown case {bad[0]!r}; --list shows them", file=sys.stderr)
        return 2
    print(f"{'case':24} {'wall s':>8} {'cpu s':>8} {'peak RSS':>10}  ended in")
    for name in names:
        settings, cmds = CASES[name]
        wall, cpu, rss_kib, last = run_case(settings, cmds)
        print(f"{name:24} {wall:8.1f} {cpu:8.1f} {rss_kib / 1024:8.0f}MB  {last}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
