"""Consistent pictures of a real process or of the whole machine, as JSON or text.

`take_process_snapshot(pid)` reads one process the way `vmtui attach` shows it;
`take_host_snapshot()` reads the machine-wide files `vmtui host` shows, and
`host_to_json(prev, cur)` turns two of them into per-second vmstat rates. Both
raise only `HostError`s (one line, naming the PID), never a bare OSError.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from vmtui.host import procfs
from vmtui.host.procfs import (
    AccessDenied,
    BuddyZone,
    HostError,
    KswapdThread,
    MemInfo,
    NumaNode,
    ProcessGone,
    ProcStat,
    ProcStatus,
    SwapArea,
    Vma,
    VmStat,
    Zone,
)

#: The system-wide /proc/vmstat counters `vmtui attach` reports beside the process's own.
SYSTEM_COUNTERS = ("pgfault", "pgmajfault", "pswpin", "pswpout")

#: The /proc/vmstat counters `vmtui host` turns into rates; `pgalloc` and
#: `allocstall` are the sums over zones of pgalloc_* and allocstall_*.
RATE_COUNTERS = (
    "pgfault",
    "pgmajfault",
    "pgalloc",
    "pgfree",
    "pgpgin",
    "pgpgout",
    "pswpin",
    "pswpout",
    "pgscan_kswapd",
    "pgscan_direct",
    "pgsteal_kswapd",
    "pgsteal_direct",
    "allocstall",
    "pgactivate",
    "pgdeactivate",
    "workingset_refault_anon",
    "workingset_refault_file",
    "numa_hit",
    "numa_miss",
    "numa_foreign",
    "numa_local",
    "numa_other",
    "thp_fault_alloc",
    "compact_stall",
)

#: /proc/PID/status figures shown by attach (key in status -> JSON key).
STATUS_FIGURES = (
    ("VmSize", "vm_size_kb"),
    ("VmPeak", "vm_peak_kb"),
    ("VmRSS", "vm_rss_kb"),
    ("VmHWM", "vm_hwm_kb"),
    ("RssAnon", "rss_anon_kb"),
    ("RssFile", "rss_file_kb"),
    ("RssShmem", "rss_shmem_kb"),
    ("VmSwap", "vm_swap_kb"),
    ("VmData", "vm_data_kb"),
    ("VmStk", "vm_stk_kb"),
    ("VmExe", "vm_exe_kb"),
    ("VmLib", "vm_lib_kb"),
    ("VmPTE", "vm_pte_kb"),
    ("VmLck", "vm_lck_kb"),
)


def parse_pid(text: str) -> int:
    """A PID from the command line; ValueError with a readable message otherwise."""
    s = text.strip()
    if not s.isdigit() or int(s) <= 0:
        raise ValueError(f"PID must be a positive whole number, not {text!r}")
    return int(s)


# --------------------------------------------------------------------------- one process


@dataclass
class ProcessSnapshot:
    """What `vmtui attach` shows of a real process at one moment."""

    pid: int
    status: ProcStatus
    stat: ProcStat
    #: from /proc/PID/smaps, whose header lines are the maps lines (both come from show_map_vma()).
    vmas: list[Vma]
    vmstat: VmStat
    taken_at: float = field(default_factory=time.monotonic)
    wall_time: float = field(default_factory=time.time)

    @property
    def comm(self) -> str:
        """The process's name."""
        return self.status.name or self.stat.comm

    @property
    def counters(self) -> dict[str, int]:
        """Its own fault counts (stat) and the system-wide ones (vmstat)."""
        out = {"minflt": self.stat.minflt, "majflt": self.stat.majflt}
        for key in SYSTEM_COUNTERS:
            out[key] = self.vmstat.get(key)
        return out

    @property
    def rss(self) -> dict[str, int]:
        """RssAnon, RssFile, VmSwap and RssShmem in kB, as `vmtui run --json` names them."""
        s = self.status
        return {
            "anon_kb": s.rss_anon_kb,
            "file_kb": s.rss_file_kb,
            "swap_kb": s.vm_swap_kb,
            "shmem_kb": s.rss_shmem_kb,
        }


def take_process_snapshot(pid: int) -> ProcessSnapshot:
    """Read status, smaps, stat and vmstat for `pid`.

    Raises ProcessGone ("no such process" or "exited while being read"),
    AccessDenied, or HostError for anything else the kernel refused.
    """
    if not procfs.pid_exists(pid):
        raise ProcessGone("no such process", pid)
    what = "status"
    try:
        status = procfs.read_status(pid)
        if status.is_zombie:
            raise ProcessGone(
                "has exited (a zombie its parent has not reaped): no memory left to show", pid
            )
        what = "smaps"
        vmas = procfs.read_smaps(pid)
        what = "stat"
        stat = procfs.read_stat(pid)
        what = "vmstat"
        vmstat = procfs.read_vmstat()
    except ProcessGone as exc:
        if "zombie" in exc.message:
            raise
        raise ProcessGone(f"exited while being read (/proc/{pid}/{what})", pid) from None
    except (FileNotFoundError, ProcessLookupError):
        raise ProcessGone(f"exited while being read (/proc/{pid}/{what})", pid) from None
    except PermissionError:
        raise AccessDenied(
            f"permission denied reading /proc/{pid}/{what} ({procfs._denied_hint()})", pid
        ) from None
    except HostError:
        raise
    except OSError as exc:
        raise HostError(f"cannot read /proc/{pid}/{what}: {exc.strerror or exc}", pid) from None
    except (ValueError, IndexError) as exc:
        raise HostError(f"unexpected format in /proc/{pid}/{what}: {exc}", pid) from None
    # An exit during the smaps read shows as an empty file, not an error.
    if not vmas and not status.is_kernel_thread and not procfs.pid_exists(pid):
        raise ProcessGone(f"exited while being read (/proc/{pid}/smaps)", pid)
    return ProcessSnapshot(pid=pid, status=status, stat=stat, vmas=vmas, vmstat=vmstat)


def follow_error(exc: HostError) -> str:
    """The one-line message for an error met while following a process seen alive before."""
    if isinstance(exc, ProcessGone) and exc.message == "no such process":
        return f"PID {exc.pid}: the process exited"
    return str(exc)


def vma_to_json(v: Vma) -> dict[str, object]:
    """One VMA as `vmtui attach --json` lists it (addresses as hex strings, sizes in kB)."""
    return {
        "start": f"{v.start:#x}",
        "end": f"{v.end:#x}",
        "perms": v.perms,
        "offset": v.offset,
        "dev": v.dev,
        "inode": v.inode,
        "path": v.path,
        "size_kb": v.kb("Size") or v.size // 1024,
        "rss_kb": v.kb("Rss"),
        "pss_kb": v.kb("Pss"),
        "anon_kb": v.kb("Anonymous"),
        "swap_kb": v.kb("Swap"),
        "locked_kb": v.kb("Locked"),
        "vm_flags": list(v.vm_flags),
    }


def process_to_json(snap: ProcessSnapshot) -> dict[str, object]:
    """The snapshot in the shape of a `vmtui run --json` line, plus "vmas" and "status"."""
    key = str(snap.pid)
    status: dict[str, object] = {attr: getattr(snap.status, attr) for _, attr in STATUS_FIGURES}
    status["threads"] = snap.status.threads
    status["state"] = snap.status.state
    return {
        "pid": snap.pid,
        "comm": snap.comm,
        "real": True,
        "maps": {key: [v.line for v in snap.vmas]},
        "rss": {key: snap.rss},
        "counters": snap.counters,
        "status": status,
        "vmas": [vma_to_json(v) for v in snap.vmas],
    }


def human_kb(kb: int) -> str:
    """A kB figure as the smallest readable unit: 512K, 12.5M, 3.0G."""
    if kb < 10 * 1024:
        return f"{kb}K"
    if kb < 10 * 1024 * 1024:
        return f"{kb / 1024:.1f}M"
    return f"{kb / (1024 * 1024):.1f}G"


def vma_label(v: Vma) -> str:
    """The path, or the kernel's bracketed name, or [anon] for an anonymous mapping."""
    return v.path or "[anon]"


def format_process_text(snap: ProcessSnapshot) -> str:
    """A readable table for `vmtui attach PID --once`."""
    s = snap.status
    lines = [
        f"vmtui attach: real process {snap.pid} ({snap.comm}), read-only from /proc/{snap.pid}",
        f"State {s.state}   Threads {s.threads}   PPid {s.ppid}",
        "",
    ]
    figs = [(label, getattr(s, attr)) for label, attr in STATUS_FIGURES]
    if s.is_kernel_thread:
        lines.append("(a kernel thread: no mm, so no Vm* figures)")
    else:
        for i in range(0, len(figs), 4):
            lines.append("   ".join(f"{label:<8} {val:>9} kB" for label, val in figs[i : i + 4]))
    c = snap.counters
    lines.append("")
    lines.append(
        f"faults (process): minflt {c['minflt']}  majflt {c['majflt']}    "
        f"(system vmstat): pgfault {c['pgfault']}  pgmajfault {c['pgmajfault']}  "
        f"pswpin {c['pswpin']}  pswpout {c['pswpout']}"
    )
    lines.append("")
    header = (
        f"{'START':>16}-{'END':<16} {'PERM':4} {'OFFSET':>8} {'SIZE':>8} "
        f"{'RSS':>8} {'ANON':>8} {'SWAP':>8}  PATH"
    )
    lines.append(header)
    tot = {"Size": 0, "Rss": 0, "Anonymous": 0, "Swap": 0}
    for v in snap.vmas:
        for k in tot:
            tot[k] += v.kb(k)
        lines.append(
            f"{v.start:>16x}-{v.end:<16x} {v.perms:4} {v.offset:>8x} "
            f"{human_kb(v.kb('Size') or v.size // 1024):>8} {human_kb(v.kb('Rss')):>8} "
            f"{human_kb(v.kb('Anonymous')):>8} {human_kb(v.kb('Swap')):>8}  {vma_label(v)}"
        )
    if not snap.vmas:
        lines.append("(no user mappings: a kernel thread has no mm)")
    lines.append(
        f"{len(snap.vmas)} VMAs{'':>26} {human_kb(tot['Size']):>8} {human_kb(tot['Rss']):>8} "
        f"{human_kb(tot['Anonymous']):>8} {human_kb(tot['Swap']):>8}"
    )
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- the machine


@dataclass
class HostSnapshot:
    """What `vmtui host` shows of this machine at one moment."""

    nodes: list[NumaNode]
    zones: list[Zone]
    buddy: list[BuddyZone]
    swaps: list[SwapArea]
    meminfo: MemInfo
    vmstat: VmStat
    kswapd: list[KswapdThread]
    taken_at: float = field(default_factory=time.monotonic)


def take_host_snapshot() -> HostSnapshot:
    """Read the NUMA nodes, zoneinfo, buddyinfo, swaps, meminfo, vmstat and kswapd threads."""
    try:
        return HostSnapshot(
            nodes=procfs.read_numa_nodes(),
            zones=procfs.read_zoneinfo(),
            buddy=procfs.read_buddyinfo(),
            swaps=procfs.read_swaps(),
            meminfo=procfs.read_meminfo(),
            vmstat=procfs.read_vmstat(),
            kswapd=procfs.read_kswapd_threads(),
        )
    except OSError as exc:
        where = f" {exc.filename}" if getattr(exc, "filename", None) else ""
        raise HostError(f"cannot read{where}: {exc.strerror or exc}") from None


def counter_total(v: VmStat, name: str) -> int:
    """A RATE_COUNTERS value: a vmstat counter, or the sum over zones for pgalloc/allocstall."""
    if name in ("pgalloc", "allocstall"):
        return sum(n for k, n in v.counters.items() if k.startswith(name + "_"))
    return v.get(name)


def vmstat_rates(prev: HostSnapshot | None, cur: HostSnapshot) -> dict[str, float]:
    """Per-second rates of RATE_COUNTERS between two snapshots (empty without `prev`)."""
    if prev is None:
        return {}
    dt = cur.taken_at - prev.taken_at
    if dt <= 0:
        return {}
    out = {}
    for name in RATE_COUNTERS:
        if name in ("pgalloc", "allocstall") or name in cur.vmstat.counters:
            out[name] = round(
                (counter_total(cur.vmstat, name) - counter_total(prev.vmstat, name)) / dt, 1
            )
    return out


def kswapd_cpu_percent(prev: HostSnapshot | None, cur: HostSnapshot) -> dict[int, float]:
    """kswapd CPU use per thread (PID -> percent of one CPU) between two snapshots."""
    if prev is None:
        return {}
    dt = cur.taken_at - prev.taken_at
    before = {k.pid: k.cpu_seconds for k in prev.kswapd}
    return {
        k.pid: round(100.0 * (k.cpu_seconds - before[k.pid]) / dt, 1)
        for k in cur.kswapd
        if k.pid in before and dt > 0
    }


def host_to_json(prev: HostSnapshot | None, cur: HostSnapshot) -> dict[str, object]:
    """`vmtui host --json`: nodes, zones (pages), buddyinfo, swaps, vmstat rates, kswapd."""
    page_kb = procfs.PAGE_SIZE // 1024
    cpu = kswapd_cpu_percent(prev, cur)
    return {
        "page_size": procfs.PAGE_SIZE,
        "interval": round(cur.taken_at - prev.taken_at, 3) if prev else None,
        "nodes": [
            {
                "id": n.id,
                "cpus": n.cpus,
                "size_mb": n.mem_total_kb >> 10,
                "free_mb": n.mem_free_kb >> 10,
                "size_kb": n.mem_total_kb,
                "free_kb": n.mem_free_kb,
                "distances": {str(m.id): d for m, d in zip(cur.nodes, n.distances, strict=False)},
            }
            for n in cur.nodes
        ],
        "numactl_hardware": procfs.format_numactl_hardware(cur.nodes),
        "zones": [
            {
                "node": z.node,
                "zone": z.name,
                "populated": z.populated,
                "free": z.free,
                "min": z.min,
                "low": z.low,
                "high": z.high,
                "boost": z.boost,
                "promo": z.promo,
                "spanned": z.spanned,
                "present": z.present,
                "managed": z.managed,
                "protection": list(z.protection),
                "free_kb": z.free * page_kb,
                "min_kb": z.min * page_kb,
                "low_kb": z.low * page_kb,
                "high_kb": z.high * page_kb,
                "managed_kb": z.managed * page_kb,
            }
            for z in cur.zones
        ],
        "buddyinfo": [
            {"node": b.node, "zone": b.zone, "free": list(b.free), "free_pages": b.free_pages}
            for b in cur.buddy
        ],
        "swaps": [
            {
                "filename": s.filename,
                "type": s.type,
                "size_kb": s.size_kb,
                "used_kb": s.used_kb,
                "priority": s.priority,
            }
            for s in cur.swaps
        ],
        "meminfo": {
            k: cur.meminfo.kb(k)
            for k in (
                "MemTotal",
                "MemFree",
                "MemAvailable",
                "Buffers",
                "Cached",
                "SwapCached",
                "Active(anon)",
                "Inactive(anon)",
                "Active(file)",
                "Inactive(file)",
                "Unevictable",
                "Mlocked",
                "SwapTotal",
                "SwapFree",
                "AnonPages",
                "Mapped",
                "Shmem",
                "PageTables",
            )
            if k in cur.meminfo.fields
        },
        "vmstat_rates": vmstat_rates(prev, cur),
        "kswapd": [
            {
                "pid": k.pid,
                "name": k.name,
                "node": k.node,
                "state": k.state,
                "cpu_seconds": round(k.cpu_seconds, 2),
                "cpu_percent": cpu.get(k.pid),
            }
            for k in cur.kswapd
        ],
    }


def format_host_text(prev: HostSnapshot | None, cur: HostSnapshot) -> str:
    """A readable report for `vmtui host --once`."""
    lines = ["# NUMA nodes (numactl --hardware)", procfs.format_numactl_hardware(cur.nodes)]
    lines.append("# zones (pages; watermarks from min_free_kbytes, mm/page_alloc.c)")
    lines.append(
        f"{'node':>4} {'zone':<8} {'free':>10} {'min':>8} {'low':>8} {'high':>8} {'managed':>10}"
    )
    for z in cur.zones:
        if z.populated:
            lines.append(
                f"{z.node:>4} {z.name:<8} {z.free:>10} {z.min:>8} {z.low:>8} {z.high:>8} "
                f"{z.managed:>10}"
            )
    lines.append("")
    lines.append("# buddyinfo (free blocks per order)")
    orders = max((len(b.free) for b in cur.buddy), default=0)
    lines.append(f"{'node':>4} {'zone':<8} " + "".join(f"{o:>7}" for o in range(orders)))
    for b in cur.buddy:
        lines.append(f"{b.node:>4} {b.zone:<8} " + "".join(f"{n:>7}" for n in b.free))
    lines.append("")
    lines.append("# swap areas")
    if cur.swaps:
        for s in cur.swaps:
            lines.append(
                f"{s.filename}  {s.type}  size {s.size_kb} kB  used {s.used_kb} kB  "
                f"priority {s.priority}"
            )
    else:
        lines.append("(none)")
    lines.append("")
    rates = vmstat_rates(prev, cur)
    if rates:
        dt = cur.taken_at - prev.taken_at if prev else 0.0
        lines.append(f"# vmstat rates (per second over {dt:.2f} s)")
        for name, rate in rates.items():
            lines.append(f"{name:<26} {rate:>12.1f}")
        lines.append("")
    cpu = kswapd_cpu_percent(prev, cur)
    lines.append("# kswapd threads")
    if not cur.kswapd:
        lines.append("(none found)")
    for k in cur.kswapd:
        pct = f"  {cpu[k.pid]:.1f}% CPU" if k.pid in cpu else ""
        lines.append(
            f"{k.name:<10} pid {k.pid:<7} node {k.node}  state {k.state}  "
            f"cpu time {k.cpu_seconds:.2f} s{pct}"
        )
    return "\n".join(lines) + "\n"
