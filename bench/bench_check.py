"""How long does `vmtui check` take on a 10,000-step scenario, and how much of it is invariants?

Not a test: a figure for the README. Target (issue 17): under 30 s.

The scenario is bench_player's long lecture session (mappings made, touched, split,
re-protected, unmapped in a rolling window, a shared file read and written, a child
forked now and then), written out as a scenario file on a 256M machine. `vmtui check`
runs it on a fresh machine and checks every `expect` and the engine's invariants after
every step: by default the invariants that follow what each step changed (IncrementalCheck,
with every invariant once at the end), with `--paranoid` every invariant after every step
(check_invariants). Both are timed; the share of the invariant checks is measured by
timing the checks themselves (arming, checking, and the full checks) during the same run.

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
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_player import session  # noqa: E402
from vmtui.cli import main as vmtui  # noqa: E402


def scenario_file(path: Path, steps: int) -> None:
    parts = session(steps).split("; ")
    lines = ['[scenario]', f'title = "bench: {steps:,} steps"', '', '[machine]',
             'ram = "256M"', 'swap = "128M"', '']
    lines += [f'[[step]]\ndo = "{cmd}"\n' for cmd in parts]
    path.write_text("\n".join(lines))


def time_check(path: Path, paranoid: bool = False) -> tuple[float, float]:
    """Seconds of one `vmtui check [--paranoid] PATH`, and the seconds spent checking
    invariants (check_invariants, and IncrementalCheck's arm() and check())."""
    from vmtui.engine.check import incremental, invariants

    spent = [0.0]
    patched: list[tuple[object, str, object]] = [
        (invariants, "check_invariants", invariants.check_invariants),
        (incremental, "check_invariants", incremental.check_invariants),
        (incremental.IncrementalCheck, "arm", incremental.IncrementalCheck.arm),
        (incremental.IncrementalCheck, "check", incremental.IncrementalCheck.check),
    ]

    def timer(real: Any) -> Any:
        def timed(*a: object, **k: object) -> object:
            t = time.perf_counter()
            try:
                return real(*a, **k)
            finally:
                spent[0] += time.perf_counter() - t
        return timed

    for owner, name, real in patched:
        setattr(owner, name, timer(real))
    try:
        out = io.StringIO()
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            code = vmtui(["check", str(path)] + (["--paranoid"] if paranoid else []))
        elapsed = time.perf_counter() - t0
    finally:
        for owner, name, real in patched:
            setattr(owner, name, real)
    if code != 0:
        raise SystemExit(f"vmtui check exited {code}:\n{out.getvalue()[-2000:]}")
    return elapsed, spent[0]


def measure(steps: int, repeat: int, paranoid: bool = False) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long.toml"
        scenario_file(path, steps)
        runs = [time_check(path, paranoid) for _ in range(repeat)]
    return {"secs": statistics.median(r[0] for r in runs),
            "inv": statistics.median(r[1] for r in runs)}


def rows(quick: bool = False) -> list:
    from bench.common import Row, secs

    steps = 2000 if quick else 10_000
    r = measure(steps, 1 if quick else 3)
    p = measure(steps, 1 if quick else 3, paranoid=True)
    return [Row(f"`vmtui check` of a {steps:,}-step scenario (the invariants each step "
                "touched after it, all of them at the end)",
                f"{secs(r['secs'])} ({r['inv'] / r['secs']:.0%} in invariant checks)", "", "",
                "< 30 s", r["secs"] < 30),
            Row(f"`vmtui check --paranoid` of a {steps:,}-step scenario (every invariant "
                "after every step)",
                f"{secs(p['secs'])} ({p['inv'] / p['secs']:.0%} in invariant checks)", "", "",
                "", True)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-paranoid", action="store_true",
                    help="time only `vmtui check`, not `vmtui check --paranoid`")
    args = ap.parse_args()
    for paranoid in (False,) if args.no_paranoid else (False, True):
        r = measure(args.steps, args.repeat, paranoid)
        name = "vmtui check --paranoid" if paranoid else "vmtui check"
        target = "" if paranoid else \
            f"  [target < 30 s: {'met' if r['secs'] < 30 else 'MISSED'}]"
        print(f"{name}, {args.steps:,} steps: {r['secs']:.2f} s median of {args.repeat}, "
              f"{r['inv']:.2f} s of it ({r['inv'] / r['secs']:.0%}) checking invariants"
              f"{target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
