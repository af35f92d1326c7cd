"""Read-only parsers of the real machine's /proc and /sys, each returning plain dataclasses.

Every `parse_*` takes the text the kernel printed, so tests can feed fixed
samples; every `read_*` reads the live file through `read_proc_text` (or
`read_proc_bytes` for pagemap), opened read-only, and parses it. The formats are
those of fs/proc/task_mmu.c (maps, smaps, pagemap), fs/proc/array.c (stat,
status), fs/proc/meminfo.c, mm/vmstat.c (vmstat, zoneinfo, buddyinfo),
mm/swapfile.c (swaps) and drivers/base/node.c (the NUMA nodes in sysfs).

Process readers turn the errors of a vanished or forbidden process into
`ProcessGone` and `AccessDenied`, both `HostError`s naming the PID, so the
command line can print one clear line instead of a traceback.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

PROC = "/proc"
NODE_SYSFS = "/sys/devices/system/node"

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
CLK_TCK = os.sysconf("SC_CLK_TCK")

#: How many pagemap entries one read may cover, per VMA: 64 Ki pages is 256 MiB
#: of address space with 4 KiB pages and a 512 KiB read, so a huge mapping
#: (a 64 GiB heap, a sparse 1 TiB reservation) cannot stall a refresh.
PAGEMAP_MAX_PAGES = 65536


# --------------------------------------------------------------------------- errors


class HostError(Exception):
    """Reading the real machine failed; `str()` is one line naming the PID when there is one."""

    def __init__(self, message: str, pid: int | None = None) -> None:
        super().__init__(f"PID {pid}: {message}" if pid is not None else message)
        self.pid = pid
        self.message = message


class ProcessGone(HostError):
    """The process does not exist, or exited while its files were being read."""


class AccessDenied(HostError):
    """The user may not read this process's files (ptrace access mode check)."""


# --------------------------------------------------------------------------- readers


def read_proc_text(path: str) -> str:
    """Read a whole /proc or /sys text file, opened read-only."""
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        return f.read()


def read_proc_bytes(path: str, offset: int, length: int) -> bytes:
    """Read `length` bytes at `offset` of a binary /proc file (pagemap), opened read-only."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        chunks: list[bytes] = []
        done = 0
        while done < length:
            chunk = os.pread(fd, min(length - done, 1 << 19), offset + done)
            if not chunk:
                break
            chunks.append(chunk)
            done += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def pid_path(pid: int, name: str) -> str:
    """The path of /proc/PID/NAME."""
    return f"{PROC}/{pid}/{name}"


def _read_pid_text(pid: int, name: str) -> str:
    """Read /proc/PID/NAME, turning a vanished or forbidden process into a `HostError`."""
    path = pid_path(pid, name)
    try:
        return read_proc_text(path)
    except (FileNotFoundError, ProcessLookupError) as exc:
        raise ProcessGone(f"no such process ({path}: {exc.strerror or 'gone'})", pid) from None
    except PermissionError:
        raise AccessDenied(f"permission denied reading {path} ({_denied_hint()})", pid) from None
    except OSError as exc:
        raise HostError(f"cannot read {path}: {exc.strerror or exc}", pid) from None


def _denied_hint() -> str:
    if os.geteuid() != 0:
        return "run as the process's owner or as root"
    return "the ptrace access check refused even root: Yama, an LSM or another PID namespace"


def pid_exists(pid: int) -> bool:
    """Whether /proc/PID exists (a zombie still does)."""
    return os.path.isdir(f"{PROC}/{pid}")


# --------------------------------------------------------------------------- maps / smaps

_MAPS_RE = re.compile(
    r"^(?P<start>[0-9a-f]+)-(?P<end>[0-9a-f]+) (?P<perms>\S{4}) (?P<offset>[0-9a-f]+) "
    r"(?P<dev>[0-9a-f]+:[0-9a-f]+) (?P<inode>\d+)(?: +(?P<path>.*))?$"
)
_SMAPS_FIELD_RE = re.compile(r"^(?P<key>[A-Za-z_][A-Za-z0-9_]*):\s+(?P<value>\d+)(?: kB)?\s*$")


@dataclass
class Vma:
    """One line of /proc/PID/maps (show_map_vma()), plus its smaps fields when read from smaps."""

    start: int
    end: int
    perms: str
    offset: int
    dev: str
    inode: int
    path: str
    line: str
    #: smaps figures in kB (Rss, Pss, Anonymous, Swap, Locked, ...), empty from maps.
    smaps: dict[str, int] = field(default_factory=dict)
    #: the VmFlags mnemonics of smaps (rd wr mr mw me ac ...), empty from maps.
    vm_flags: tuple[str, ...] = ()

    @property
    def size(self) -> int:
        """Length in bytes."""
        return self.end - self.start

    @property
    def pages(self) -> int:
        """Length in base pages."""
        return self.size // PAGE_SIZE

    def kb(self, key: str) -> int:
        """An smaps figure in kB (0 when absent)."""
        return self.smaps.get(key, 0)


def _parse_maps_line(line: str) -> Vma | None:
    m = _MAPS_RE.match(line)
    if not m:
        return None
    return Vma(
        start=int(m["start"], 16),
        end=int(m["end"], 16),
        perms=m["perms"],
        offset=int(m["offset"], 16),
        dev=m["dev"],
        inode=int(m["inode"]),
        path=m["path"] or "",
        line=line,
    )


def parse_maps(text: str) -> list[Vma]:
    """Parse /proc/PID/maps; each `Vma.line` keeps the kernel's line exactly."""
    out = []
    for line in text.splitlines():
        vma = _parse_maps_line(line)
        if vma is not None:
            out.append(vma)
    return out


def parse_smaps(text: str) -> list[Vma]:
    """Parse /proc/PID/smaps (show_smap()): the maps header line and its kB fields per VMA."""
    out: list[Vma] = []
    cur: Vma | None = None
    for line in text.splitlines():
        m = _SMAPS_FIELD_RE.match(line)
        if m and cur is not None:
            cur.smaps[m["key"]] = int(m["value"])
            continue
        if line.startswith("VmFlags:"):
            if cur is not None:
                cur.vm_flags = tuple(line[len("VmFlags:") :].split())
            continue
        vma = _parse_maps_line(line)
        if vma is not None:
            cur = vma
            out.append(vma)
    return out


def read_maps(pid: int) -> list[Vma]:
    """Read and parse /proc/PID/maps."""
    return parse_maps(_read_pid_text(pid, "maps"))


def read_smaps(pid: int) -> list[Vma]:
    """Read and parse /proc/PID/smaps."""
    return parse_smaps(_read_pid_text(pid, "smaps"))


# --------------------------------------------------------------------------- status / stat


@dataclass
class ProcStatus:
    """/proc/PID/status (proc_pid_status()): the memory figures in kB, the rest as text."""

    name: str
    state: str
    pid: int
    ppid: int
    threads: int
    vm_peak_kb: int = 0
    vm_size_kb: int = 0
    vm_lck_kb: int = 0
    vm_pin_kb: int = 0
    vm_hwm_kb: int = 0
    vm_rss_kb: int = 0
    rss_anon_kb: int = 0
    rss_file_kb: int = 0
    rss_shmem_kb: int = 0
    vm_data_kb: int = 0
    vm_stk_kb: int = 0
    vm_exe_kb: int = 0
    vm_lib_kb: int = 0
    vm_pte_kb: int = 0
    vm_swap_kb: int = 0
    #: every line as key -> value text, for figures not named above.
    raw: dict[str, str] = field(default_factory=dict)

    @property
    def is_kernel_thread(self) -> bool:
        """Kernel threads have no mm: no Vm* lines at all."""
        return "VmSize" not in self.raw

    @property
    def is_zombie(self) -> bool:
        """Exited but not yet reaped: the mm is gone."""
        return self.state.startswith(("Z", "X"))


_STATUS_KB = {
    "VmPeak": "vm_peak_kb",
    "VmSize": "vm_size_kb",
    "VmLck": "vm_lck_kb",
    "VmPin": "vm_pin_kb",
    "VmHWM": "vm_hwm_kb",
    "VmRSS": "vm_rss_kb",
    "RssAnon": "rss_anon_kb",
    "RssFile": "rss_file_kb",
    "RssShmem": "rss_shmem_kb",
    "VmData": "vm_data_kb",
    "VmStk": "vm_stk_kb",
    "VmExe": "vm_exe_kb",
    "VmLib": "vm_lib_kb",
    "VmPTE": "vm_pte_kb",
    "VmSwap": "vm_swap_kb",
}


def _int_prefix(text: str) -> int:
    m = re.match(r"\s*(-?\d+)", text)
    return int(m.group(1)) if m else 0


def parse_status(text: str) -> ProcStatus:
    """Parse /proc/PID/status."""
    raw: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            raw[key] = value.strip()
    st = ProcStatus(
        name=raw.get("Name", ""),
        state=raw.get("State", ""),
        pid=_int_prefix(raw.get("Pid", "0")),
        ppid=_int_prefix(raw.get("PPid", "0")),
        threads=_int_prefix(raw.get("Threads", "0")),
        raw=raw,
    )
    for key, attr in _STATUS_KB.items():
        if key in raw:
            setattr(st, attr, _int_prefix(raw[key]))
    return st


def read_status(pid: int) -> ProcStatus:
    """Read and parse /proc/PID/status."""
    return parse_status(_read_pid_text(pid, "status"))


@dataclass
class ProcStat:
    """/proc/PID/stat (do_task_stat()): the fields a memory lecture needs."""

    pid: int
    comm: str
    state: str
    ppid: int
    minflt: int
    cminflt: int
    majflt: int
    cmajflt: int
    utime: int
    stime: int
    num_threads: int
    starttime: int
    vsize: int
    rss_pages: int
    processor: int

    @property
    def cpu_seconds(self) -> float:
        """User plus system CPU time in seconds."""
        return (self.utime + self.stime) / CLK_TCK


def parse_stat(text: str) -> ProcStat:
    """Parse /proc/PID/stat; comm sits in parentheses and may itself hold spaces or ')'."""
    text = text.strip()
    lp, rp = text.index("("), text.rindex(")")
    pid = int(text[:lp])
    comm = text[lp + 1 : rp]
    f = text[rp + 2 :].split()
    # f[0] is field 3 (state) of proc(5); field n is f[n - 3].

    def num(n: int) -> int:
        return int(f[n - 3]) if len(f) > n - 3 else 0

    return ProcStat(
        pid=pid,
        comm=comm,
        state=f[0],
        ppid=num(4),
        minflt=num(10),
        cminflt=num(11),
        majflt=num(12),
        cmajflt=num(13),
        utime=num(14),
        stime=num(15),
        num_threads=num(20),
        starttime=num(22),
        vsize=num(23),
        rss_pages=num(24),
        processor=num(39),
    )


def read_stat(pid: int) -> ProcStat:
    """Read and parse /proc/PID/stat."""
    return parse_stat(_read_pid_text(pid, "stat"))


# --------------------------------------------------------------------------- pagemap

PM_PFN_MASK = (1 << 55) - 1
PM_SOFT_DIRTY = 1 << 55
PM_MMAP_EXCLUSIVE = 1 << 56
PM_FILE = 1 << 61
PM_SWAP = 1 << 62
PM_PRESENT = 1 << 63


@dataclass(frozen=True, slots=True)
class PageEntry:
    """One decoded 64-bit /proc/PID/pagemap entry (pagemap_pmd_range() / pte_to_pagemap_entry())."""

    vaddr: int
    present: bool
    swapped: bool
    #: the frame number; 0 for a reader without CAP_SYS_ADMIN (the kernel hides it).
    pfn: int
    soft_dirty: bool
    exclusive: bool
    file_shared: bool
    swap_type: int
    swap_offset: int

    @staticmethod
    def decode(vaddr: int, raw: int) -> PageEntry:
        """Decode one raw entry: bit 63 present, 62 swapped, 61 file/shared, 56 exclusive,
        55 soft-dirty, 0-54 the PFN (or swap type in 0-4 and offset in 5-54 when swapped)."""
        swapped = bool(raw & PM_SWAP)
        low = raw & PM_PFN_MASK
        return PageEntry(
            vaddr=vaddr,
            present=bool(raw & PM_PRESENT),
            swapped=swapped,
            pfn=0 if swapped else low,
            soft_dirty=bool(raw & PM_SOFT_DIRTY),
            exclusive=bool(raw & PM_MMAP_EXCLUSIVE),
            file_shared=bool(raw & PM_FILE),
            swap_type=(low & 0x1F) if swapped else 0,
            swap_offset=(low >> 5) if swapped else 0,
        )


@dataclass
class PagemapRange:
    """Raw pagemap entries for the first `len(raw)` pages of [start, end)."""

    pid: int
    start: int
    end: int
    #: one 64-bit entry per page read, in address order.
    raw: list[int] = field(default_factory=list)
    #: False when the kernel refused the read (pagemap needs ptrace read access).
    available: bool = True
    reason: str = ""

    @property
    def pages(self) -> int:
        """Pages in the whole range."""
        return (self.end - self.start) // PAGE_SIZE

    @property
    def truncated(self) -> bool:
        """Whether the per-VMA cap stopped the read before `end`."""
        return self.available and len(self.raw) < self.pages

    def entry(self, i: int) -> PageEntry:
        """The decoded entry of page `i` of the range."""
        return PageEntry.decode(self.start + i * PAGE_SIZE, self.raw[i])

    def entries(self) -> list[PageEntry]:
        """Every page read, decoded."""
        return [self.entry(i) for i in range(len(self.raw))]

    @property
    def present(self) -> int:
        """Pages read that are present in RAM."""
        return sum(1 for r in self.raw if r & PM_PRESENT)

    @property
    def swapped(self) -> int:
        """Pages read that are out in swap."""
        return sum(1 for r in self.raw if r & PM_SWAP)

    @property
    def pfns_hidden(self) -> bool:
        """Whether present pages show PFN 0, as they do to a reader without CAP_SYS_ADMIN."""
        present = [r for r in self.raw if r & PM_PRESENT]
        return bool(present) and all((r & PM_PFN_MASK) == 0 for r in present)


def parse_pagemap(pid: int, start: int, end: int, data: bytes) -> PagemapRange:
    """Split raw pagemap bytes (little-endian u64 per page) into a `PagemapRange`."""
    n = len(data) // 8
    raw = list(memoryview(data[: n * 8]).cast("Q")) if n else []
    return PagemapRange(pid=pid, start=start, end=end, raw=raw)


def read_pagemap(
    pid: int, start: int, end: int, max_pages: int = PAGEMAP_MAX_PAGES
) -> PagemapRange:
    """Read /proc/PID/pagemap for [start, end), at most `max_pages` pages from `start`.

    A refusal (no ptrace read access) gives `available=False` rather than an
    error: residency is a bonus, the rest of the view still works without it.
    """
    start -= start % PAGE_SIZE
    npages = max(0, min((end - start) // PAGE_SIZE, max_pages))
    path = pid_path(pid, "pagemap")
    try:
        data = read_proc_bytes(path, (start // PAGE_SIZE) * 8, npages * 8)
    except (FileNotFoundError, ProcessLookupError) as exc:
        raise ProcessGone(f"no such process ({path}: {exc.strerror or 'gone'})", pid) from None
    except PermissionError:
        return PagemapRange(pid, start, end, available=False, reason="permission denied")
    except OSError as exc:
        return PagemapRange(pid, start, end, available=False, reason=exc.strerror or str(exc))
    return parse_pagemap(pid, start, end, data)


# --------------------------------------------------------------------------- meminfo / vmstat


@dataclass
class MemInfo:
    """/proc/meminfo (meminfo_proc_show()): every figure, in kB where the kernel says kB."""

    fields: dict[str, int]

    def kb(self, key: str) -> int:
        """A figure (0 when absent)."""
        return self.fields.get(key, 0)


def parse_meminfo(text: str) -> MemInfo:
    """Parse /proc/meminfo (or a node's meminfo with its "Node N " prefix)."""
    fields: dict[str, int] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key = re.sub(r"^Node \d+ ", "", key.strip())
        fields[key] = _int_prefix(value)
    return MemInfo(fields)


def read_meminfo() -> MemInfo:
    """Read and parse /proc/meminfo."""
    return parse_meminfo(read_proc_text(f"{PROC}/meminfo"))


@dataclass
class VmStat:
    """/proc/vmstat (vmstat_show()): event counters and gauges by name."""

    counters: dict[str, int]

    def get(self, key: str) -> int:
        """A counter (0 when this kernel lacks it)."""
        return self.counters.get(key, 0)


def parse_vmstat(text: str) -> VmStat:
    """Parse /proc/vmstat."""
    counters: dict[str, int] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2:
            try:
                counters[parts[0]] = int(parts[1])
            except ValueError:
                continue
    return VmStat(counters)


def read_vmstat() -> VmStat:
    """Read and parse /proc/vmstat."""
    return parse_vmstat(read_proc_text(f"{PROC}/vmstat"))


# --------------------------------------------------------------------------- zoneinfo / buddyinfo

_ZONE_HEADER_RE = re.compile(r"^Node\s+(\d+),\s+zone\s+(\S+)")
_ZONE_FIELDS = ("boost", "min", "low", "high", "promo", "spanned", "present", "managed", "cma")


@dataclass
class Zone:
    """One zone of /proc/zoneinfo (zoneinfo_show_print()); page counts, not kB."""

    node: int
    name: str
    free: int = 0
    min: int = 0
    low: int = 0
    high: int = 0
    boost: int = 0
    #: the promotion watermark of newer kernels (memory tiering); None before it existed.
    promo: int | None = None
    spanned: int = 0
    present: int = 0
    managed: int = 0
    cma: int = 0
    protection: tuple[int, ...] = ()
    start_pfn: int | None = None
    #: the zone's nr_* / numa_* counters.
    stats: dict[str, int] = field(default_factory=dict)
    #: the node's per-node stats, printed once under the node's first zone.
    node_stats: dict[str, int] = field(default_factory=dict)

    @property
    def populated(self) -> bool:
        """Whether the zone has any memory (present pages)."""
        return self.present > 0


def parse_zoneinfo(text: str) -> list[Zone]:
    """Parse /proc/zoneinfo into its zones, in the order printed."""
    zones: list[Zone] = []
    zone: Zone | None = None
    mode = ""
    for line in text.splitlines():
        m = _ZONE_HEADER_RE.match(line)
        if m:
            zone = Zone(node=int(m.group(1)), name=m.group(2))
            zones.append(zone)
            mode = "zone"
            continue
        if zone is None:
            continue
        s = line.strip()
        if s == "per-node stats":
            mode = "node"
            continue
        if s == "pagesets":
            mode = "pagesets"
            continue
        if s.startswith("pages free"):
            zone.free = _int_prefix(s[len("pages free") :])
            mode = "zone"
            continue
        if s.startswith("protection:"):
            zone.protection = tuple(int(x) for x in re.findall(r"-?\d+", s))
            continue
        if s.startswith("start_pfn:"):
            zone.start_pfn = _int_prefix(s.partition(":")[2])
            continue
        if mode == "pagesets" or ":" in s:
            continue
        parts = s.split()
        if len(parts) != 2 or not parts[1].lstrip("-").isdigit():
            continue
        key, value = parts[0], int(parts[1])
        if mode == "node":
            zone.node_stats[key] = value
        elif key in _ZONE_FIELDS:
            setattr(zone, key, value)
        else:
            zone.stats[key] = value
    return zones


def read_zoneinfo() -> list[Zone]:
    """Read and parse /proc/zoneinfo."""
    return parse_zoneinfo(read_proc_text(f"{PROC}/zoneinfo"))


@dataclass
class BuddyZone:
    """One line of /proc/buddyinfo (frag_show_print()): free blocks per order."""

    node: int
    zone: str
    #: free[order] is the number of free blocks of 2**order pages.
    free: tuple[int, ...]

    @property
    def free_pages(self) -> int:
        """Free pages in all orders together."""
        return sum(n << order for order, n in enumerate(self.free))


def parse_buddyinfo(text: str) -> list[BuddyZone]:
    """Parse /proc/buddyinfo."""
    out = []
    for line in text.splitlines():
        m = re.match(r"^Node\s+(\d+),\s+zone\s+(\S+)\s*(.*)$", line)
        if m:
            counts = tuple(int(x) for x in m.group(3).split())
            out.append(BuddyZone(node=int(m.group(1)), zone=m.group(2), free=counts))
    return out


def read_buddyinfo() -> list[BuddyZone]:
    """Read and parse /proc/buddyinfo."""
    return parse_buddyinfo(read_proc_text(f"{PROC}/buddyinfo"))


# --------------------------------------------------------------------------- swaps


@dataclass
class SwapArea:
    """One line of /proc/swaps (swap_show())."""

    filename: str
    type: str
    size_kb: int
    used_kb: int
    priority: int


def _unescape_octal(text: str) -> str:
    # seq_file_path() escapes space, tab, newline and backslash as \ooo.
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), text)


def parse_swaps(text: str) -> list[SwapArea]:
    """Parse /proc/swaps (its first line is the header)."""
    out = []
    for line in text.splitlines()[1:]:
        parts = line.split()
        if len(parts) < 5:
            continue
        out.append(
            SwapArea(
                filename=_unescape_octal(parts[0]),
                type=parts[1],
                size_kb=int(parts[2]),
                used_kb=int(parts[3]),
                priority=int(parts[4]),
            )
        )
    return out


def read_swaps() -> list[SwapArea]:
    """Read and parse /proc/swaps (no areas when the kernel has no swap support)."""
    try:
        return parse_swaps(read_proc_text(f"{PROC}/swaps"))
    except FileNotFoundError:
        return []


# --------------------------------------------------------------------------- NUMA nodes


@dataclass
class NumaNode:
    """A NUMA node from /sys/devices/system/node/nodeN (drivers/base/node.c)."""

    id: int
    cpus: list[int]
    #: distances[j] is the SLIT distance to the j-th node in `read_numa_nodes()` order.
    distances: list[int]
    meminfo: MemInfo

    @property
    def mem_total_kb(self) -> int:
        """MemTotal of the node."""
        return self.meminfo.kb("MemTotal")

    @property
    def mem_free_kb(self) -> int:
        """MemFree of the node."""
        return self.meminfo.kb("MemFree")


def parse_cpulist(text: str) -> list[int]:
    """Parse a cpulist such as "0-3,8,10-11" (lib/bitmap.c bitmap_parselist())."""
    cpus: list[int] = []
    for part in text.strip().split(","):
        if not part:
            continue
        lo, _, hi = part.partition("-")
        cpus.extend(range(int(lo), int(hi or lo) + 1))
    return cpus


def read_numa_nodes(root: str = NODE_SYSFS) -> list[NumaNode]:
    """Read every NUMA node; a kernel without CONFIG_NUMA shows as one node 0."""
    try:
        names = [n for n in os.listdir(root) if re.fullmatch(r"node\d+", n)]
    except FileNotFoundError:
        names = []
    if not names:
        try:
            cpus = parse_cpulist(read_proc_text("/sys/devices/system/cpu/online"))
        except OSError:
            cpus = list(range(os.cpu_count() or 1))
        return [NumaNode(id=0, cpus=cpus, distances=[10], meminfo=read_meminfo())]
    nodes = []
    for name in sorted(names, key=lambda n: int(n[4:])):
        base = f"{root}/{name}"
        try:
            cpus = parse_cpulist(read_proc_text(f"{base}/cpulist"))
        except FileNotFoundError:
            cpus = []
        try:
            distances = [int(x) for x in read_proc_text(f"{base}/distance").split()]
        except FileNotFoundError:
            distances = []
        try:
            meminfo = parse_meminfo(read_proc_text(f"{base}/meminfo"))
        except FileNotFoundError:
            meminfo = MemInfo({})
        nodes.append(NumaNode(id=int(name[4:]), cpus=cpus, distances=distances, meminfo=meminfo))
    return nodes


def _ranges(ids: list[int]) -> str:
    """Compress sorted ids into "0-3,5" as numactl prints node masks."""
    parts: list[str] = []
    i = 0
    while i < len(ids):
        j = i
        while j + 1 < len(ids) and ids[j + 1] == ids[j] + 1:
            j += 1
        parts.append(str(ids[i]) if i == j else f"{ids[i]}-{ids[j]}")
        i = j + 1
    return ",".join(parts)


def format_numactl_hardware(nodes: list[NumaNode]) -> str:
    """The nodes as `numactl --hardware` prints them (numactl.c hardware())."""
    lines = [f"available: {len(nodes)} nodes ({_ranges([n.id for n in nodes])})"]
    for n in nodes:
        lines.append(f"node {n.id} cpus:" + "".join(f" {c}" for c in n.cpus))
        lines.append(f"node {n.id} size: {n.mem_total_kb >> 10} MB")
        lines.append(f"node {n.id} free: {n.mem_free_kb >> 10} MB")
    if not nodes or not nodes[0].distances:
        lines.append("No distance information available.")
        return "\n".join(lines) + "\n"
    lines.append("node distances:")
    lines.append("node " + "".join(f"{n.id:3d} " for n in nodes))
    for n in nodes:
        lines.append(f"{n.id:3d}: " + "".join(f"{d:3d} " for d in n.distances))
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- kswapd

_KSWAPD_RE = re.compile(r"^kswapd(\d+)(?::\d+)?$")


@dataclass
class KswapdThread:
    """A kswapd kernel thread (mm/vmscan.c kswapd_run()) and its CPU time."""

    pid: int
    name: str
    node: int
    state: str
    utime: int
    stime: int
    processor: int

    @property
    def cpu_seconds(self) -> float:
        """User plus system time in seconds."""
        return (self.utime + self.stime) / CLK_TCK


def read_kswapd_threads() -> list[KswapdThread]:
    """Find the kswapdN threads among /proc's processes; threads that vanish are skipped."""
    out = []
    for name in os.listdir(PROC):
        if not name.isdigit():
            continue
        try:
            st = parse_stat(read_proc_text(f"{PROC}/{name}/stat"))
        except (OSError, ValueError):
            continue
        m = _KSWAPD_RE.match(st.comm)
        if m is None:
            continue
        out.append(
            KswapdThread(
                pid=st.pid,
                name=st.comm,
                node=int(m.group(1)),
                state=st.state,
                utime=st.utime,
                stime=st.stime,
                processor=st.processor,
            )
        )
    out.sort(key=lambda k: (k.node, k.pid))
    return out
