"""Reclaim benchmark for issue 4 (not a test): pages reclaimed per second under steady pressure.

    python -m bench.bench_reclaim            # anon (swap) and page-cache pressure
    python -m bench.bench_reclaim anon       # a 96M working set on 64M of RAM, swept repeatedly
    python -m bench.bench_reclaim file       # a 128M file streamed through 64M of RAM
    python -m bench.bench_reclaim kernels    # both, two-list LRU (5.4) beside MGLRU (6.18)

Steady pressure: the working set is written once to fill RAM and swap, then
swept over and over, so every sweep makes kswapd (and, when it falls behind,
direct reclaim) free as many pages as the sweep needs. The figure is
(pgsteal_kswapd + pgsteal_direct) / wall-clock seconds of the sweeps, the
median of several runs in this one process. Every reclaimed page of the anon
case is a full swap-out: rmap walk, add_to_swap, try_to_unmap, swap_writepage;
every swept page that was out is a major fault back in.
"""

from __future__ import annotations

import statistics
import sys
import time

from vmtui.engine.boot import new_machine
from vmtui.engine.include.machine import Machine, MachineConfig
from vmtui.scenario.execute import run_command
from vmtui.scenario.lang import parse_command

RUNS = 5
_KSWAPD_TIME = [0.0]


def _timed_kswapd() -> None:
    """Time every hand-off to a kswapd thread: reclaim's own share of the wall clock."""
    from vmtui.engine.mm import kswapd

    if getattr(kswapd.run_kswapd, "_timed", False):
        return
    real = kswapd.run_kswapd

    def run(m: Machine, node: object) -> None:
        t0 = time.perf_counter()
        try:
            real(m, node)  # type: ignore[arg-type]
        finally:
            _KSWAPD_TIME[0] += time.perf_counter() - t0

    run._timed = True  # type: ignore[attr-defined]
    kswapd.run_kswapd = run  # type: ignore[assignment]


def _do(m: Machine, line: str) -> None:
    res, _events = run_command(m, parse_command(line, 1))
    if not res.ok:
        raise RuntimeError(f"{line}: {res.summary()}")


def _stolen(m: Machine) -> int:
    return m.vmstat["pgsteal_kswapd"] + m.vmstat["pgsteal_direct"]


def anon_pressure(sweeps: int = 4, kernel: str = "5.4") -> tuple[float, dict[str, int]]:
    """96M of anonymous memory on 64M of RAM with 128M of swap, rewritten `sweeps` times."""
    m = new_machine(MachineConfig.from_dict({"ram": "64M", "swap": "128M", "kernel": kernel}))
    _do(m, "a = mmap 96M rw private,anon")
    _do(m, "write a 96M = 1")
    before = dict(m.vmstat)
    stolen = _stolen(m)
    t0 = time.perf_counter()
    for i in range(sweeps):
        _do(m, f"write a 96M = {i + 2}")
    dt = time.perf_counter() - t0
    delta = {k: m.vmstat[k] - before.get(k, 0) for k in ("pswpout", "pswpin", "pgscan_kswapd",
                                                        "pgscan_direct", "pgmajfault")}
    delta["_stolen"] = _stolen(m) - stolen
    return (_stolen(m) - stolen) / dt, delta


def file_pressure(sweeps: int = 4, kernel: str = "5.4") -> tuple[float, dict[str, int]]:
    """A 128M file read through a private mapping on 64M of RAM, `sweeps` times."""
    m = new_machine(MachineConfig.from_dict({"ram": "64M", "swap": "0", "kernel": kernel}))
    _do(m, "file big 128M")
    _do(m, "f = mmap 128M r private file=big")
    _do(m, "read f 128M")
    before = dict(m.vmstat)
    stolen = _stolen(m)
    t0 = time.perf_counter()
    for _ in range(sweeps):
        _do(m, "read f 128M")
    dt = time.perf_counter() - t0
    delta = {k: m.vmstat[k] - before.get(k, 0) for k in ("pgscan_kswapd", "pgscan_direct",
                                                        "pgmajfault", "workingset_refault")}
    delta["_stolen"] = _stolen(m) - stolen
    return (_stolen(m) - stolen) / dt, delta


def report(name: str, fn: object) -> float:
    """Run `fn` RUNS times; print the median rate and kswapd's own rate (pages per second
    of the time kswapd threads held the CPU)."""
    assert callable(fn)
    _timed_kswapd()
    rates = []
    own = []
    last: dict[str, int] = {}
    for _ in range(RUNS):
        _KSWAPD_TIME[0] = 0.0
        rate, last = fn()
        rates.append(rate)
        stolen = last.pop("_stolen", 0)
        if _KSWAPD_TIME[0]:
            own.append(stolen / _KSWAPD_TIME[0])
    med = statistics.median(rates)
    print(f"{name}: {med:,.0f} pages reclaimed/s of wall clock, faults included (median of "
          f"{RUNS}; runs {', '.join(f'{r:,.0f}' for r in rates)})")
    if own:
        print(f"  kswapd alone: {statistics.median(own):,.0f} pages reclaimed per second of "
              "kswapd time")
    print("  one run: " + ", ".join(f"{k} {v}" for k, v in last.items()))
    return med


def rows(quick: bool = False) -> list:
    """The README's reclaim rows (median pages reclaimed per second of wall clock)."""
    from bench.common import Row, count

    global RUNS
    RUNS = 3 if quick else 5
    anon = report("anon (swap) pressure, 96M on 64M RAM", anon_pressure)
    file = report("page-cache pressure, 128M file on 64M RAM", file_pressure)
    return [Row("pages reclaimed/s under steady swap pressure (96M working set on 64M RAM "
                "+ 128M swap)", count(anon)),
            Row("page-cache pages reclaimed/s (128M file read through 64M RAM)", count(file))]


def kernel_rows(quick: bool = False) -> list:
    """The same steady pressure on 5.4's two-list LRU and on 6.18's MGLRU: a row each."""
    from functools import partial

    from bench.common import Row, count

    global RUNS
    RUNS = 3 if quick else 5
    out = []
    for what, fn in (("96M anonymous working set on 64M RAM + 128M swap", anon_pressure),
                     ("128M file read through 64M RAM", file_pressure)):
        got = [report(f"kernel {k}: {what}", partial(fn, kernel=k)) for k in ("5.4", "6.18")]
        out.append(Row(f"pages reclaimed/s, {what}: Linux 5.4 model (two-list LRU) / "
                       "6.18 model (MGLRU)", f"{count(got[0])} / {count(got[1])}"))
    return out


def main(argv: list[str]) -> int:
    which = argv[0] if argv else "all"
    if which == "kernels":
        for row in kernel_rows():
            print(f"{row.what}: {row.engine}")
        return 0
    if which in ("all", "anon"):
        report("anon (swap) pressure, 96M on 64M RAM", anon_pressure)
    if which in ("all", "file"):
        report("page-cache pressure, 128M file on 64M RAM", file_pressure)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
