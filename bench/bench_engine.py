"""Engine benchmarks for the address-space and fault issues (not tests).

    python -m bench.bench_engine            # both, with the real kernel beside them
    python -m bench.bench_engine mmap       # mmap+mprotect+munmap with 1,000 / 65,000 VMAs
    python -m bench.bench_engine faults     # first-touch faults of 64M / 256M / 1G anonymous
                                            # writes, and host bytes per page touched (1G)
    python -m bench.bench_engine bytes      # only the host bytes per page touched (1G)

Every figure is the median of several runs made in this one process, and
the real kernel's figure comes from the same run (bench/kernel.py, in C).
"""

from __future__ import annotations

import statistics
import sys
import time

from vmtui.engine.arch.x86 import access
from vmtui.engine.boot import new_machine
from vmtui.engine.include.machine import Machine, MachineConfig
from vmtui.engine.mm import mmap, mprotect

PAGE = 4096


def _machine(ram: str) -> Machine:
    return new_machine(MachineConfig.from_dict({"ram": ram, "swap": 0, "max_map_count": 70000}))


def engine_mmap_ops_per_sec(live_vmas: int, ops: int) -> float:
    """Rounds per second of mmap(8K rw) + mprotect(first page, r) + munmap with
    `live_vmas` separate VMAs already mapped (alternating rights defeat merging)."""
    m = _machine("512M")
    t = m.current
    base = 0x100000000
    anon = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS
    region = mmap.do_mmap(m, t, base, live_vmas * PAGE, 1, anon | mmap.MAP_FIXED, None, 0)
    for i in range(0, live_vmas, 2):
        mprotect.do_mprotect(m, t, region + i * PAGE, PAGE, 3)
    m.log.take()
    assert t.mm.map_count >= live_vmas
    t0 = time.perf_counter()
    for _ in range(ops):
        a = mmap.do_mmap(m, t, 0, 2 * PAGE, 3, anon, None, 0)
        mprotect.do_mprotect(m, t, a, PAGE, 1)
        mmap.do_munmap(m, t.mm, a, 2 * PAGE)
        m.log.take()
    return ops / (time.perf_counter() - t0)


def engine_touch_faults_per_sec(pages: int) -> float:
    """First-touch faults per second of writing every page of a fresh anonymous mapping."""
    m = _machine(f"{(pages * PAGE >> 20) + 512}M")
    t = m.current
    a = mmap.do_mmap(m, t, 0, pages * PAGE, 3, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, None, 0)
    f0 = t.min_flt
    t0 = time.perf_counter()
    access.user_access(m, t, a, pages * PAGE, "w", 1)
    secs = time.perf_counter() - t0
    assert t.min_flt - f0 == pages, (t.min_flt - f0, pages)
    return pages / secs


def bench_mmap(runs: int = 5, ops: int = 2000) -> None:
    from bench.kernel import kernel_mmap_ops_per_sec

    small = statistics.median(engine_mmap_ops_per_sec(1000, ops) for _ in range(runs))
    big = statistics.median(engine_mmap_ops_per_sec(65000, ops) for _ in range(runs))
    k_small = kernel_mmap_ops_per_sec(1000, 200_000, runs=runs)
    k_big = kernel_mmap_ops_per_sec(60_000, 200_000, runs=runs)
    print(f"mmap(8K)+mprotect+munmap rounds per second (median of {runs})")
    print(f"  engine, 1,000 live VMAs:   {small:10.0f}")
    print(f"  engine, 65,000 live VMAs:  {big:10.0f}")
    print(f"  per-operation cost 65,000 / 1,000: {small / big:.2f}x (target < 2x)")
    print(f"  kernel, 1,000 live VMAs:   {k_small:10.0f}")
    print(f"  kernel, 60,000 live VMAs:  {k_big:10.0f}")
    print(f"  engine / kernel at 1,000:  {small / k_small:.4f}   at 65,000: {big / k_big:.4f}")


def bench_faults(runs: int = 5, sizes: tuple[int, ...] = (64, 256, 1024)) -> None:
    """Engine and kernel first-touch rates at each size, from this one run."""
    from bench.kernel import kernel_touch_faults_per_sec

    print(f"first-touch faults per second, anonymous write (median of {runs})")
    print(f"  {'size':>6} {'engine':>10} {'kernel':>10} {'engine/kernel':>14}")
    for mib in sizes:
        pages = mib << 8
        eng = statistics.median(engine_touch_faults_per_sec(pages) for _ in range(runs))
        ker = kernel_touch_faults_per_sec(pages, runs=runs)
        print(f"  {mib:>5}M {eng:10.0f} {ker:10.0f} {eng / ker:14.2f}  (target >= 1.0)")


def bench_bytes(mib: int = 1024) -> None:
    pages = mib << 8
    rss = host_bytes_per_touched_page(pages)
    traced = host_bytes_per_touched_page(pages, traced=True)
    print(f"host memory per simulated page written, {mib} MiB anonymous write "
          "(fresh interpreter each)")
    print(f"  RSS growth / pages:                 {rss:8.1f} bytes")
    print(f"  tracemalloc (live Python objects):  {traced:8.1f} bytes  (target <= 100)")


HOST_BYTES = r"""
import sys
sys.path.insert(0, sys.argv[1])
from vmtui.engine.arch.x86 import access
from vmtui.engine.mm import mmap
from vmtui.engine.boot import new_machine
from vmtui.engine.include.machine import MachineConfig
pages = int(sys.argv[2])
traced = sys.argv[3] == "traced"
kernel = sys.argv[4]
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096
m = new_machine(MachineConfig.from_dict({"ram": f"{(pages * 4096 >> 20) + 512}M", "swap": 0,
                                         "kernel": kernel}))
t = m.current
a = mmap.do_mmap(m, t, 0, pages * 4096, 3, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, None, 0)
if traced:
    import gc, tracemalloc
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
else:
    before = rss()
access.user_access(m, t, a, pages * 4096, "w", 1)
if traced:
    gc.collect()
    print((tracemalloc.get_traced_memory()[0] - before) / pages)
else:
    print((rss() - before) / pages)
"""


def host_bytes_per_touched_page(pages: int, traced: bool = False, kernel: str = "5.4") -> float:
    """Host memory growth per simulated page written, in a fresh interpreter: the RSS
    growth over the write, or (`traced`) what tracemalloc counts as still allocated by
    Python after it (the machine's own growth, without the allocator's slack)."""
    import subprocess
    from pathlib import Path

    root = str(Path(__file__).resolve().parent.parent)
    out = subprocess.run([sys.executable, "-c", HOST_BYTES, root, str(pages),
                          "traced" if traced else "rss", kernel],
                         capture_output=True, text=True, check=True).stdout
    return float(out.split()[-1])


def rows(quick: bool = False) -> list:
    """The README's engine rows: mmap at 1,000 / 65,000 VMAs, first touch at 64M / 256M /
    1G beside the kernel, host bytes per touched page."""
    from bench.common import Row, count
    from bench.kernel import kernel_mmap_ops_per_sec, kernel_touch_faults_per_sec

    runs = 3 if quick else 5
    ops = 500 if quick else 2000
    small = statistics.median(engine_mmap_ops_per_sec(1000, ops) for _ in range(runs))
    big = statistics.median(engine_mmap_ops_per_sec(65000, ops) for _ in range(runs))
    k_small = kernel_mmap_ops_per_sec(1000, 200_000, runs=runs)
    k_big = kernel_mmap_ops_per_sec(60_000, 200_000, runs=runs)  # max_map_count 65530
    out = [
        Row("mmap(8K)+mprotect+munmap rounds/s, 1,000 live VMAs", count(small), count(k_small),
            f"{small / k_small:.3f}"),
        Row("the same, 65,000 live VMAs (kernel: 60,000)", count(big), count(k_big),
            f"{big / k_big:.3f}"),
        Row("per-operation cost, 65,000 / 1,000 live VMAs", f"{small / big:.2f}x",
            f"{k_small / k_big:.2f}x", "", "< 2x", small / big < 2),
    ]
    sizes = (64, 256) if quick else (64, 256, 1024)
    for mib in sizes:
        pages = mib << 8
        eng = statistics.median(engine_touch_faults_per_sec(pages) for _ in range(runs))
        ker = kernel_touch_faults_per_sec(pages, runs=runs)
        label = f"{mib} MiB" if mib < 1024 else "1 GiB"
        out.append(Row(f"first-touch faults/s, {label} anonymous write", count(eng), count(ker),
                       f"{eng / ker:.2f}", ">= 1.0", eng / ker >= 1.0))
    pages = (64 if quick else 1024) << 8
    for kernel, lru in (("5.4", "two-list LRU"), ("6.18", "MGLRU")):
        rss = host_bytes_per_touched_page(pages, kernel=kernel)
        traced = host_bytes_per_touched_page(pages, traced=True, kernel=kernel)
        out.append(Row(f"host memory per simulated page written ({pages >> 8} MiB, Linux "
                       f"{kernel} model, {lru}): RSS growth / live Python objects "
                       "(tracemalloc)", f"{rss:,.0f} / {traced:,.0f} bytes", "", "",
                       "<= 100 bytes", max(rss, traced) <= 100))
    return out


def main(argv: list[str]) -> int:
    what = argv[1:] or ["mmap", "faults"]
    if "mmap" in what:
        bench_mmap()
    if "faults" in what:
        bench_faults()
    if "faults" in what or "bytes" in what:
        bench_bytes()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
