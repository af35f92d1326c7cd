"""How long do 1,000 and 5,000 forks take, and how big is `--json` for 300 forks?

Not a test: figures for the README. Targets (issues 11 and 17): 5,000 forks
well under 20 s, time linear in the number of forks (per-step work follows
what a step changed, not processes x VMAs), and `--json` growing linearly
(before: every line held every process's maps, 300 forks gave 96 MB).

The process is small: the default /bin/demo address space plus 64 KiB of
written anonymous memory, so every fork copies VMAs and PTEs. Each fork is one
step of `vmtui run -q -c "..."` (run in this process, output discarded); each
figure is the median of --repeat runs.

    python -m bench.bench_forks [--repeat 5]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vmtui.cli import main as vmtui  # noqa: E402

SETUP = "a = mmap 64K rw private,anon; write a 64K = 1"


def commands(forks: int) -> str:
    return "; ".join([SETUP] + ["c = fork"] * forks)


class Counter(io.TextIOBase):
    """A stdout that only counts what is written to it."""

    def __init__(self) -> None:
        self.chars = 0

    def write(self, s: str) -> int:
        self.chars += len(s)
        return len(s)


def run(argv: list[str]) -> tuple[float, int]:
    """Seconds `vmtui ARGV` took, and the characters it printed."""
    out = Counter()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(out):
        code = vmtui(argv)
    elapsed = time.perf_counter() - t0
    if code != 0:
        raise SystemExit(f"vmtui {' '.join(argv[:2])} ... exited {code}")
    return elapsed, out.chars


def figures(repeat: int = 5) -> dict[str, float]:
    """The README's fork figures: seconds for 1,000 and 5,000 forks, --json bytes for 300."""
    out: dict[str, float] = {}
    for n in (1000, 5000):
        out[f"forks_{n}_s"] = statistics.median(
            run(["run", "-q", "-c", commands(n)])[0] for _ in range(repeat))
    runs = [run(["run", "--json", "-c", commands(300)]) for _ in range(repeat)]
    out["json_300_s"] = statistics.median(t for t, _ in runs)
    out["json_300_bytes"] = runs[0][1]
    return out


def rows(quick: bool = False) -> list:
    """The README's fork rows."""
    from bench.common import Row, secs

    f = figures(2 if quick else 5)
    t1, t5 = f["forks_1000_s"], f["forks_5000_s"]
    return [
        Row("`vmtui run -q`: 1,000 forks of a small process (64 KiB written)", secs(t1)),
        Row("the same, 5,000 forks", f"{secs(t5)} ({t5 / t1:.1f}x the 1,000 forks)", "", "",
            "< 20 s, about 5x", t5 < 20 and t5 / t1 < 6.5),
        Row("`vmtui run --json` of 300 forks", f"{f['json_300_bytes'] / 1e6:.2f} MB in "
            f"{secs(f['json_300_s'])}"),
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="runs per figure (median)")
    args = ap.parse_args()
    f = figures(args.repeat)
    t1, t5 = f["forks_1000_s"], f["forks_5000_s"]
    print(f"vmtui run -q, 1,000 forks: {t1:.2f} s (per fork {t1 / 1000 * 1e3:.2f} ms)")
    print(f"vmtui run -q, 5,000 forks: {t5:.2f} s (per fork {t5 / 5000 * 1e3:.2f} ms; "
          f"{t5 / t1:.1f}x the 1,000-fork time for 5x the forks)  "
          f"[target < 20 s: {'met' if t5 < 20 else 'MISSED'}]")
    print(f"vmtui run --json, 300 forks: {f['json_300_bytes'] / 1e6:.2f} MB in "
          f"{f['json_300_s']:.2f} s ({f['json_300_bytes'] / 301 / 1e3:.1f} kB per step)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
