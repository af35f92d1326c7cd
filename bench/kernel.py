"""The real Linux kernel's figures, measured in the same run as the engine's.

Other benchmarks import these to put the simulated kernel beside the real one:

    from bench.kernel import kernel_mmap_ops_per_sec, kernel_touch_faults_per_sec

Both measure in C, compiled with gcc into a temporary folder the first time
it is needed (`bench/kernel_ops.c`; for the touch figure the project's
shared/oracle/touch.c when shared/ sits beside the repository), so the figure
is the kernel's cost and not the Python interpreter's. `python -m bench.kernel` (or
`python bench/kernel.py`) prints both, the median of 5 runs.

A note on noise: on a virtual machine the first touch after a pause can be
3 to 5 times slower than the next (seen here: ~150-240K faults/s against
~730K), as the host seems to take back guest memory left free and must fault
it in again. Take the median of several back-to-back runs (`runs=`).
"""

from __future__ import annotations

import atexit
import functools
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
KERNEL_OPS_C = HERE / "kernel_ops.c"
ORACLE_TOUCH_C = HERE.parent.parent / "shared" / "oracle" / "touch.c"
"""The project's referee program, beside the repository when shared/ is there."""

MAP_BUDGET = 65_000
"""Mappings a process may hold here: vm.max_map_count is 65530 by default."""


@dataclass(frozen=True, slots=True)
class MmapRun:
    """One run of `kernel_ops mmap`: the rate and the proof that the VMAs were live."""

    ops_per_sec: float
    live_vmas: int
    maps_before: int
    maps_after: int
    ops: int
    secs: float
    method: str = "C (bench/kernel_ops.c)"


@dataclass(frozen=True, slots=True)
class TouchRun:
    """One run of the touch program: first-touch minor faults per second."""

    faults_per_sec: float
    pages: int
    minflt: int
    secs: float
    source: str


@functools.cache
def _build_dir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="vmtui-kernel-"))
    atexit.register(shutil.rmtree, path, True)
    return path


@functools.cache
def _compile(source: Path, name: str) -> Path:
    """`gcc -O2 source` into the temporary folder; the path of the binary."""
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        raise RuntimeError("measuring the real kernel needs a C compiler (gcc or cc)")
    out = _build_dir() / name
    done = subprocess.run(
        [cc, "-O2", "-o", str(out), str(source)], capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise RuntimeError(f"compiling {source.name} failed:\n{done.stderr}")
    return out


def _run(argv: list[str]) -> dict[str, str]:
    """Run a measuring program and parse its one line of key=value pairs."""
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"{Path(argv[0]).name} failed: {done.stderr.strip()}")
    return dict(word.split("=", 1) for word in done.stdout.split() if "=" in word)


def kernel_mmap_ops(live_vmas: int, ops: int) -> MmapRun:
    """Time `ops` rounds of mmap(8K anon rw) + mprotect(first page, r) + munmap.

    Before timing, the measuring process holds `live_vmas` separate VMAs: one
    PROT_NONE region of `live_vmas` pages with every other page made PROT_READ
    (so no two neighbours merge) and MADV_DONTFORK on the whole region (so its
    ends cannot merge with another mapping). The run checks that
    /proc/self/maps grew by exactly `live_vmas` lines and raises otherwise.
    """
    if live_vmas < 0 or ops < 1:
        raise ValueError("live_vmas >= 0 and ops >= 1")
    if live_vmas > MAP_BUDGET - 100:
        raise ValueError(f"live_vmas must stay below {MAP_BUDGET - 100} (vm.max_map_count)")
    exe = _compile(KERNEL_OPS_C, "kernel_ops")
    got = _run([str(exe), "mmap", str(live_vmas), str(ops)])
    run = MmapRun(
        ops_per_sec=float(got["ops_per_s"]),
        live_vmas=live_vmas,
        maps_before=int(got["maps_before"]),
        maps_after=int(got["maps_after"]),
        ops=ops,
        secs=float(got["secs"]),
    )
    if run.maps_after - run.maps_before != live_vmas:
        raise RuntimeError(
            f"expected {live_vmas} new VMAs, /proc/self/maps grew by "
            f"{run.maps_after - run.maps_before}: some merged"
        )
    return run


def kernel_mmap_ops_per_sec(live_vmas: int, ops: int, runs: int = 1) -> float:
    """Rounds per second of mmap + mprotect + munmap with `live_vmas` live VMAs.

    The median of `runs` runs, each in a fresh process.
    """
    return statistics.median(kernel_mmap_ops(live_vmas, ops).ops_per_sec for _ in range(runs))


def kernel_touch_faults(pages: int) -> TouchRun:
    """Write one byte to each of `pages` fresh anonymous pages; faults per second.

    Runs shared/oracle/touch.c when the shared folder sits beside the
    repository, else the same logic in bench/kernel_ops.c.
    """
    if pages < 1:
        raise ValueError("pages >= 1")
    if ORACLE_TOUCH_C.is_file():
        argv = [str(_compile(ORACLE_TOUCH_C, "touch")), str(pages)]
        source = "shared/oracle/touch.c"
    else:
        argv = [str(_compile(KERNEL_OPS_C, "kernel_ops")), "touch", str(pages)]
        source = "bench/kernel_ops.c touch"
    got = _run(argv)
    return TouchRun(
        faults_per_sec=float(got["faults_per_s"]),
        pages=pages,
        minflt=int(got["minflt"]),
        secs=float(got["secs"]),
        source=source,
    )


def kernel_touch_faults_per_sec(pages: int, runs: int = 1) -> float:
    """First-touch minor faults per second over `pages` pages (median of `runs`)."""
    return statistics.median(kernel_touch_faults(pages).faults_per_sec for _ in range(runs))


def main() -> int:
    """Print both figures, each the median of 5 runs."""
    live, ops, pages = 60_000, 200_000, 200_000
    # One discarded run each: a fresh VM's first pass over memory is slower.
    kernel_mmap_ops(live, 1000)
    kernel_touch_faults(pages)
    mm = [kernel_mmap_ops(live, ops) for _ in range(5)]
    mm0 = [kernel_mmap_ops(0, ops) for _ in range(5)]
    tt = [kernel_touch_faults(pages) for _ in range(5)]
    print(f"kernel {Path('/proc/sys/kernel/osrelease').read_text().strip()}, measured in C")
    print(
        f"mmap+mprotect+munmap rounds/s, {live} live VMAs "
        f"(maps {mm[0].maps_before} -> {mm[0].maps_after}), {ops} rounds: "
        f"{statistics.median(r.ops_per_sec for r in mm):,.0f}"
        f"  [runs: {', '.join(f'{r.ops_per_sec:,.0f}' for r in mm)}]"
    )
    print(
        f"mmap+mprotect+munmap rounds/s, no extra VMAs ({mm0[0].maps_before} maps): "
        f"{statistics.median(r.ops_per_sec for r in mm0):,.0f}"
        f"  [runs: {', '.join(f'{r.ops_per_sec:,.0f}' for r in mm0)}]"
    )
    print(
        f"first-touch faults/s, {pages} pages ({tt[0].source}, minflt {tt[0].minflt}): "
        f"{statistics.median(r.faults_per_sec for r in tt):,.0f}"
        f"  [runs: {', '.join(f'{r.faults_per_sec:,.0f}' for r in tt)}]"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
