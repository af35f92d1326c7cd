"""How long does loading a scenario file take, and does it grow linearly with its size?

Not a test: a figure for the README. Target: the time per step at 100,000 steps is
under 1.5x the time per step at 1,000 (loading is linear, not quadratic).

Each file is a lecturer's scenario written out long: a [scenario] table, a [machine]
table, then N [[step]] tables with `do` (one command, or a list of two), `say` in
English and Chinese and an `expect` now and then. `parse_scenario` (TOML, keys,
every command parsed and located to its line and column) is timed, median of
--repeat runs (fewer for the largest size).

    python -m bench.bench_load [--sizes 1000,10000,100000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vmtui.cli import tune_gc  # noqa: E402
from vmtui.scenario.loader import parse_scenario  # noqa: E402

COMMANDS = (
    'do = "b{i} = mmap 8K rw private,anon"',
    'do = ["write b{j} 8K = {i}", "read b{j}"]',
    'do = "mprotect b{j} 4K r"\nexpect = "ok"',
    'do = "munmap b{j} 8K"',
)


def scenario_text(n: int) -> str:
    """A scenario of n steps, as a file holds it."""
    out = ['[scenario]\ntitle = { en = "Long", zh = "长" }\nsummary = "a long file"\n\n'
           '[machine]\nram = "64M"\nswap = "64M"\n']
    for i in range(n):
        j = i - i % 4  # the mapping of this group of four steps
        cmd = COMMANDS[i % 4].format(i=i, j=j)
        out.append(f'\n[[step]]\n{cmd}\nsay = {{ en = "step {i}", zh = "第 {i} 步" }}\n')
    return "".join(out)


def time_load(n: int, repeat: int) -> float:
    """Median seconds to parse a scenario of n steps."""
    raw = scenario_text(n)
    tune_gc()  # as every vmtui command that loads a scenario runs (vmtui.cli.main)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        sc = parse_scenario(raw, "bench.toml", "bench")
        times.append(time.perf_counter() - t0)
        assert len(sc.steps) == n
    return statistics.median(times)


def rows(quick: bool = False) -> list:
    """The README's loading row: 1,000 / 10,000 / 100,000 steps and the per-step ratio."""
    from bench.common import Row

    sizes = (1000, 10_000) if quick else (1000, 10_000, 100_000)
    times = [time_load(n, 5 if n <= 10_000 else 2) for n in sizes]
    per = [t / n for t, n in zip(times, sizes, strict=False)]
    ratio = per[-1] / per[0]
    return [Row("scenario file loaded (parse, keys, every command located), "
                + " / ".join(f"{n:,}" for n in sizes) + " steps",
                " / ".join(f"{t:.2f} s" for t in times)
                + " (" + " / ".join(f"{p * 1e6:.0f}" for p in per) + " us a step)",
                "", "", f"per step {sizes[-1]:,} / 1,000 < 1.5x", ratio < 1.5)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    sizes = [int(x) for x in args.sizes.split(",")]
    base = None
    print(f"{'steps':>8} {'bytes':>11} {'load s':>9} {'us/step':>9} {'ratio':>6}")
    for n in sizes:
        reps = args.repeat if n <= 10_000 else max(1, args.repeat // 2)
        t = time_load(n, reps)
        per = t / n
        base = base or per
        print(f"{n:>8} {len(scenario_text(n)):>11} {t:>9.3f} {per * 1e6:>9.1f} "
              f"{per / base:>6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
