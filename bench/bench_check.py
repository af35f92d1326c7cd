"""How long does `vmtui check` take on a 10,000-step scenario, and how much of it is invariants?

Not a test: a figure for the README. Target (issue 17): under 30 s.

The scenario is bench_player's long lecture session (mappings made, touched, split,
re-protected, unmapped in a rolling window, a shared file read and written, a child
forked now and then), written out as a scenario file on a 256M machine. `vmtui check`
runs it on a fresh machine and checks every `expect` and the engine's invariants after
every step. The share of the invariant checks is measured by timing check_invariants
itself during the same run.

    python -m bench.bench_check [--steps 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_player import session  # noqa: E402
from vmtui.cli import main as vmtui  # noqa: E402


def scenario_file(path: Path, steps: int) -> None:
    parts = session(steps).split("; ")
    lines = ['[scenario]', f'title = "bench: {steps:,} steps"', '', '[machine]',
             'ram = "256M"', 'swap = "128M"', '']
    lines += [f'[[step]]\ndo = "{cmd}"\n' for cmd in parts]
    path.write_text("\n".join(lines))


def time_check(path: Path) -> tuple[float, float]:
    """Seconds of one `vmtui check PATH`, and the seconds spent in check_invariants."""
    from vmtui.engine.check import invariants

    spent = [0.0]
    real = invariants.check_invariants

    def timed(*a: object, **k: object) -> object:
        t = time.perf_counter()
        try:
            return real(*a, **k)  # type: ignore[arg-type]
        finally:
            spent[0] += time.perf_counter() - t

    invariants.check_invariants = timed  # type: ignore[assignment]
    try:
        out = io.StringIO()
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            code = vmtui(["check", str(path)])
        elapsed = time.perf_counter() - t0
    finally:
        invariants.check_invariants = real  # type: ignore[assignment]
    if code != 0:
        raise SystemExit(f"vmtui check exited {code}:\n{out.getvalue()[-2000:]}")
    return elapsed, spent[0]


def measure(steps: int, repeat: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long.toml"
        scenario_file(path, steps)
        runs = [time_check(path) for _ in range(repeat)]
    return {"secs": statistics.median(r[0] for r in runs),
            "inv": statistics.median(r[1] for r in runs)}


def rows(quick: bool = False) -> list:
    from bench.common import Row, secs

    steps = 2000 if quick else 10_000
    r = measure(steps, 1 if quick else 3)
    return [Row(f"`vmtui check` of a {steps:,}-step scenario (invariants after every step)",
                f"{secs(r['secs'])} ({r['inv'] / r['secs']:.0%} in invariant checks)", "", "",
                "< 30 s", r["secs"] < 30)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    r = measure(args.steps, args.repeat)
    print(f"vmtui check, {args.steps:,} steps: {r['secs']:.2f} s median of {args.repeat}, "
          f"{r['inv']:.2f} s of it ({r['inv'] / r['secs']:.0%}) in check_invariants  "
          f"[target < 30 s: {'met' if r['secs'] < 30 else 'MISSED'}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
