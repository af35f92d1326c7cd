"""The simulated machine: RAM, swap, files, processes, and the kernel services they share.

`Machine` is the one object the rest of vmtui talks to. It is deterministic:
every random choice (ASLR) comes from `rng`, seeded from the scenario.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from vmtui.engine.include.errors import KernelError
from vmtui.engine.include.events import EventLog
from vmtui.engine.include.fs import File
from vmtui.engine.include.layout import Layout, layout_for, page_align
from vmtui.engine.include.mm_types import (
    MmStruct,
)
from vmtui.engine.include.mmzone import (
    ZONE_MOVABLE,
    Page,
    PG_reserved,
    PhysMem,
    Zone,
    build_zonelist,
)
from vmtui.engine.include.pgtable import PageTables
from vmtui.engine.include.settings import MACHINE_KEYS, SETTINGS, SettingError, check, parse_size
from vmtui.engine.include.swap_info import SwapState

VMSTAT_NAMES = (
    "pgfault", "pgmajfault", "pswpin", "pswpout", "pgpgin", "pgpgout",
    "pglazyfreed", "drop_pagecache", "allocstall_dma", "allocstall_dma32",
    "pgskip_dma", "pgskip_dma32", "pgskip_normal", "pgskip_movable",
    "pgalloc_dma", "pgalloc_dma32", "pgalloc_normal", "pgalloc_movable", "pgfree",
    "pgactivate", "pgdeactivate", "pglazyfree", "pgrefill",
    "pgscan_kswapd", "pgscan_direct", "pgsteal_kswapd", "pgsteal_direct",
    "pginodesteal", "slabs_scanned", "kswapd_inodesteal",
    "kswapd_low_wmark_hit_quickly", "kswapd_high_wmark_hit_quickly", "pageoutrun",
    "allocstall_normal", "allocstall_movable", "pgrotated", "workingset_refault",
    "numa_hit", "numa_miss", "numa_foreign", "numa_interleave", "numa_local", "numa_other",
    "oom_kill", "unevictable_pgs_mlocked", "unevictable_pgs_munlocked",
    "unevictable_pgs_culled", "thp_fault_alloc", "swap_ra", "swap_ra_hit",
)

# /etc/sysctl.conf as Debian and Ubuntu ship it: comments only
ETC_SYSCTL_CONF = ("#\n# /etc/sysctl.conf - Configuration file for setting system variables\n"
                   "# See /etc/sysctl.d/ for additional system variables.\n"
                   "# See sysctl.conf (5) for information.\n#\n")


def _node_cpus(v: Any, key: str, taken: set[int]) -> list[int]:
    """`cpus` of a [[machine.node]]: a count (cpus = 2) or a list of CPU numbers."""
    if isinstance(v, list):
        if not v:
            raise SettingError(key, "expected at least one CPU")
        out = []
        for c in v:
            if isinstance(c, bool) or not isinstance(c, int):
                raise SettingError(key, "expected a count (cpus = 2) or a list of CPU numbers "
                                   "(cpus = [0, 1])")
            if not 0 <= c < 1024:
                raise SettingError(key, f"CPU {c} is out of range: 0..1023")
            if c in taken or c in out:
                raise SettingError(key, f"CPU {c} is listed twice")
            out.append(c)
        return out
    n = check("cpus", v)
    start = max(taken, default=-1) + 1
    return list(range(start, start + n))


@dataclass
class MachineConfig:
    """The [machine] table of a scenario, with every default filled in."""

    arch: str = "x86_64"
    kernel: str = "5.4"
    nodes: list[dict[str, Any]] = field(default_factory=list)
    distances: list[list[int]] | None = None
    swap: int = 128 << 20
    swappiness: int = 60
    min_free_kbytes: int | None = None
    watermark_scale_factor: int = 10
    overcommit_memory: int = 0
    max_map_count: int = 65530
    aslr: bool = False
    seed: int = 1
    program: str = "/bin/demo"
    tlb_entries: int = 64
    swap_rotational: bool = True
    page_budget: int = 1 << 20
    lru_gen: bool = True  # kernel 6.18: the multi-gen LRU (CONFIG_LRU_GEN_ENABLED)
    min_ttl_ms: int = 0  # kernel 6.18: /sys/kernel/mm/lru_gen/min_ttl_ms

    @classmethod
    def from_dict(cls, d: dict[str, Any], text: bool = False) -> MachineConfig:
        """Build from a [machine] table (with `text`: values as typed after `-m KEY=`);
        SettingError names the bad key and what it allows (settings.py owns the rules)."""
        unknown = [k for k in d if k not in MACHINE_KEYS]
        if unknown:
            raise SettingError(unknown[0], f"unknown [machine] key {unknown[0]!r}; expected "
                               f"one of {', '.join(sorted(MACHINE_KEYS))}")

        c = cls()

        def get(key: str, default: Any = None) -> Any:
            if key not in d:
                return SETTINGS[key].default if default is None else default
            return check(key, d[key], text=text, kernel=c.kernel)

        c.arch = get("arch")
        c.kernel = get("kernel")
        c.lru_gen = get("lru_gen")
        c.min_ttl_ms = get("min_ttl_ms")
        for key in ("lru_gen", "min_ttl_ms"):
            if key in d and c.kernel == "5.4":
                raise SettingError(key, "Linux 5.4 has no multi-gen LRU (lru_gen came in 6.1): "
                                   'set kernel = "6.18"')
        c.swap = parse_size(get("swap"))
        c.swappiness = get("swappiness")
        c.min_free_kbytes = get("min_free_kbytes") if "min_free_kbytes" in d else None
        c.watermark_scale_factor = get("watermark_scale_factor")
        c.overcommit_memory = get("overcommit_memory")
        c.max_map_count = get("max_map_count")
        c.aslr = get("aslr")
        c.seed = get("seed")
        c.program = get("program")
        c.tlb_entries = get("tlb_entries")
        c.swap_rotational = get("swap_rotational")
        c.page_budget = get("page_budget")
        if "node" in d:
            for key in ("nodes", "ram", "cpus", "movable"):
                if key in d:
                    raise SettingError(key, "give it in each [[machine.node]] table, or leave "
                                       "out [[machine.node]]")
            specs = d["node"]
            if not isinstance(specs, list) or not specs or \
                    not all(isinstance(x, dict) for x in specs):
                raise SettingError("node", "expected [[machine.node]] tables")
            if len(specs) > 64:
                raise SettingError("node", f"{len(specs)} nodes: at most 64")
            nodes = []
            taken: set[int] = set()
            for i, spec in enumerate(specs):
                where = f"node[{i}]"
                bad = [k for k in spec if k not in ("ram", "cpus", "movable", "zones")]
                if bad:
                    raise SettingError(f"{where}.{bad[0]}", "unknown [[machine.node]] key; "
                                       "expected ram, cpus, zones (or movable)")
                try:
                    ram = parse_size(check("ram", spec.get("ram", "256M")))
                    cpus = _node_cpus(spec.get("cpus", 1), "cpus", taken)
                    movable = parse_size(check("movable", spec.get("movable", 0)))
                except SettingError as e:
                    raise SettingError(f"{where}.{e.key}", e.msg) from None
                if "zones" in spec:
                    if "movable" in spec:
                        raise SettingError(f"{where}.zones", "give movable once: in zones or "
                                           "as movable")
                    movable = _zones(spec["zones"], f"{where}.zones")
                taken.update(cpus)
                nodes.append({"ram": ram & ~((4 << 20) - 1), "cpus": cpus,
                              "movable": movable, "key": where})
            if 0 not in taken:
                raise SettingError("node[0].cpus", "no node has CPU 0, where the first process "
                                   "starts")
            c.nodes = nodes
        else:
            n = get("nodes")
            ram = parse_size(get("ram"))
            cpus = get("cpus", 2 * n)
            if cpus < n:
                raise SettingError("cpus", f"{cpus} CPUs for {n} nodes: at least one per node")
            cpus_per = cpus // n
            movable = parse_size(get("movable"))
            per = (ram // n) & ~((4 << 20) - 1)
            c.nodes = [{"ram": per, "cpus": list(range(i * cpus_per, (i + 1) * cpus_per)),
                        "movable": movable // n, "key": "movable"} for i in range(n)]
        for nd in c.nodes:
            # a node needs memory outside ZONE_MOVABLE for the kernel (its image, memmap,
            # page tables): at least 16M of it here
            key = nd.pop("key")
            if nd["ram"] < (16 << 20):
                raise SettingError(key.replace("movable", "ram"), f"a node has "
                                   f"{nd['ram'] >> 20}M: at least 16M per node")
            if nd["movable"] > nd["ram"] - (16 << 20):
                raise SettingError(key, f"ZONE_MOVABLE of {nd['movable'] >> 20}M on a node of "
                                   f"{nd['ram'] >> 20}M: at most the node's RAM less 16M "
                                   "(the kernel needs memory outside ZONE_MOVABLE)")
        total = sum(nd["ram"] for nd in c.nodes)
        if total > (1 << 46):
            raise SettingError("ram", "above 64T is beyond what x86-64 addresses")
        if c.arch == "i386" and total > (4 << 30):
            raise SettingError("ram", "i386 addresses at most 4G of RAM here (no PAE)")
        if c.min_free_kbytes is not None and c.min_free_kbytes >= total >> 10:
            raise SettingError("min_free_kbytes", f"{c.min_free_kbytes} kB is all of RAM "
                               f"({total >> 10} kB) or more: the min watermark would leave "
                               "nothing to allocate")
        c.distances = _distances(d["distances"], len(c.nodes)) if "distances" in d else None
        return c


def _zones(v: Any, key: str) -> int:
    """`zones` of a [[machine.node]]: { movable = SIZE }; the other zones follow from the node's
    physical addresses as on x86 (DMA below 16M, DMA32 below 4G, Normal above)."""
    if not isinstance(v, dict):
        raise SettingError(key, 'expected a table like { movable = "64M" }')
    movable = 0
    for name, size in v.items():
        if name.lower() != "movable":
            raise SettingError(f"{key}.{name}", "only Movable can be sized: DMA, DMA32 and "
                               "Normal follow from the node's addresses (below 16M, below 4G, "
                               "above)")
        try:
            movable = parse_size(check("movable", size))
        except SettingError as e:
            raise SettingError(f"{key}.{name}", e.msg) from None
    return movable


def _distances(v: Any, n: int) -> list[list[int]]:
    """The SLIT: N x N, 10 on the diagonal, 11..254 elsewhere (slit_valid(), arch/x86/mm/numa.c)."""
    if not isinstance(v, list) or len(v) != n or \
            any(not isinstance(r, list) or len(r) != n for r in v):
        raise SettingError("distances", f"expected an N x N table of numbers for N = {n} nodes")
    for a, row in enumerate(v):
        for b, x in enumerate(row):
            if isinstance(x, bool) or not isinstance(x, int):
                raise SettingError("distances", f"row {a}: expected whole numbers")
            if a == b and x != 10:
                raise SettingError("distances", f"distance of node {a} to itself must be 10")
            if a != b and not 11 <= x <= 254:
                raise SettingError("distances", f"distance {a}->{b} = {x}: expected 11..254")
    return [list(r) for r in v]


class Task:
    """task_struct: a process with its mm, fault counters, CPU and memory policy."""

    def __init__(self, pid: int, comm: str, mm: MmStruct, cpu: int, node: int) -> None:
        self.pid = pid
        self.comm = comm
        self.mm = mm
        mm.owner = self
        self.ppid = 0
        self.cpu = cpu
        self.node = node  # numa_node_id() of the CPU it runs on
        self.min_flt = 0
        self.maj_flt = 0
        self.state = "R"  # R running, Z zombie, X dead
        self.exit_code: str | None = None
        self.rlimit_stack = 8 << 20
        self.rlimit_data = 1 << 62
        # MLOCK_LIMIT of 5.4's include/uapi/linux/resource.h: 64 KiB (8 MiB since 5.16)
        self.rlimit_memlock = 64 << 10
        self.root = True
        self.oom_score_adj = 0
        self.mempolicy: Any = None  # mempolicy.MemPolicy or None for the default (local)
        self.il_next = 0
        self.malloc: Any = None  # malloc.Arena, created on first use
        self.vmalloc_seen: set[int] = set()

    @property
    def alive(self) -> bool:
        return self.state == "R"

    def __repr__(self) -> str:
        return f"<task {self.pid} {self.comm}>"


class Machine:
    """RAM, swap, files and processes: the fields every engine module reads and writes.

    Fields only (and small accessors over them): the services that act on a machine are
    functions of the module named after their kernel file, and `boot.new_machine()` builds
    a booted machine (a bare `Machine()` has no kernel mapped and no process)."""

    def __init__(self, config: MachineConfig | None = None) -> None:
        self.config = c = config or MachineConfig.from_dict({})
        self.layout: Layout = layout_for(c.arch)
        # the kernel model (engine/kmodel.py): every behaviour that differs between Linux
        # versions is reached through it; set by boot.new_machine
        self.kmodel: Any = None
        self.rng = random.Random(c.seed)
        self.log = EventLog()
        self.vmstat: dict[str, int] = dict.fromkeys(VMSTAT_NAMES, 0)
        self.sysctl: dict[str, int] = {
            "vm.swappiness": c.swappiness,
            "vm.min_free_kbytes": 0,
            "vm.watermark_scale_factor": c.watermark_scale_factor,
            "vm.overcommit_memory": c.overcommit_memory,
            "vm.overcommit_ratio": 50,
            "vm.max_map_count": c.max_map_count,
            "vm.mmap_min_addr": 65536,
            "vm.page-cluster": 3,
        }
        self.mem = PhysMem(c.nodes, c.distances)
        self.reserved: list[tuple[int, int, str]] = []  # (first pfn, last pfn, what) at boot
        # mm/swap.c's per-CPU LRU batches (mm/swap.py); the CPU kswapd runs on while it works;
        # pages a batch still holds after their last user freed them
        self.lru_pvecs: Any = None
        self.running_cpu: int | None = None
        self.lru_released: set[int] = set()
        # ZERO_PAGE and the special mappings' pages, in the kernel image (vdso.py): __vvar_page,
        # then the vDSO image's pages; made when first mapped, kept out of the buddy allocator
        self.zero_page: Page = None  # type: ignore[assignment]  # set by boot.new_machine
        self.special_base = 0
        self.special_pages: dict[int, Page] = {}
        self.pt: PageTables = None  # type: ignore[assignment]  # set by boot.new_machine
        self.swap = SwapState()
        self.files: dict[str, File] = {}
        self.next_ino = 1000
        self.tasks: dict[int, Task] = {}
        self.current_pid = 0
        self.next_pid = 1
        # address spaces that work other than their own task's changed (reclaim unmapping
        # their pages, swapoff, an exit or a kill): with the tasks a command ran as and the
        # tasks it made, all a command can change (changed_tasks)
        self.touched_mms: set[MmStruct] = set()
        self.anon_vma_seq = 0
        self.committed_as = 0
        self.fault_kinds: dict[str, int] = {}
        self.last_fault: tuple[int, str, str] | None = None
        self.last_walk: Any = None  # the last walk access.mmu_walk made (the walk pane's)
        self.last_walk_pid = 0  # the pid whose page tables that walk went through
        self.walks = 0  # how many walks mmu_walk has made: a step that changed it walked
        self.tlb: dict[tuple[int, int], int] = {}  # (mm ctx_id, virtual page) -> pfn
        self.tlb_stats = {"hits": 0, "misses": 0, "flushes": 0}
        self.last_ctx_id = 0  # last_mm_ctx_id in arch/x86/mm/init.c
        self.ticks = 0
        self.lru_gen_min_ttl = 0  # /sys/kernel/mm/lru_gen/min_ttl_ms (6.18's lru_gen)
        self.names: dict[str, int] = {}
        # the disk's /etc files the shell commands read and write (sysctl -p, reboot)
        self.etc_files: dict[str, str] = {"/etc/sysctl.conf": ETC_SYSCTL_CONF}
        self.failed_names: dict[str, str] = {}  # NAME -> which `NAME = ...` failed, and why
        self.oom_victims: list[tuple[int, str, str]] = []
        self.segmentation: Any = None
        self.vmalloc_next = self.layout.vmalloc_start if self.layout.arch != "i386" else \
            0xF8800000
        self.vmalloc_areas: dict[int, tuple[int, list[int]]] = {}
        self._zonelists: dict[tuple[int, int], list[Zone]] = {}
        self.reclaim_hook: Any = None  # the kswapd thread driver, set by vmscan
        self.progress: Any = None  # called as progress(done, total) during long bulk work
        # pages the running command may still touch (access.py); None outside a command
        self.budget_left: int | None = None
        self.budget_done = 0
        # init_mm: the kernel's own page tables; its upper half is shared by every process
        self.init_mm = MmStruct(self.layout.task_size)

    # ------------------------------------------------------------ bookkeeping
    def count(self, name: str, n: int = 1) -> None:
        self.vmstat[name] = self.vmstat.get(name, 0) + n

    @property
    def current(self) -> Task:
        return self.tasks[self.current_pid]

    def live_tasks(self) -> list[Task]:
        return [t for t in self.tasks.values() if t.alive]

    def changed_tasks(self, ran_as: Iterable[int], first_new_pid: int) -> list[Task]:
        """The tasks whose address space or counters may have changed since `first_new_pid`
        was next_pid and touched_mms was last cleared: the tasks that ran (`ran_as`), the
        tasks made since, and the owners of touched_mms, in pid order.
        Runtime complexity: O(tasks changed), not O(tasks)."""
        out: dict[int, Task] = {}
        tasks = self.tasks
        for pid in (*ran_as, *range(first_new_pid, self.next_pid)):
            t = tasks.get(pid)
            if t is not None:
                out[pid] = t
        for mm in self.touched_mms:
            t = mm.owner
            if t is not None and tasks.get(t.pid) is t:
                out[t.pid] = t
        return [out[pid] for pid in sorted(out)]

    @property
    def mmap_min_addr(self) -> int:
        return self.sysctl["vm.mmap_min_addr"]

    def mmap_legacy_base(self, mm: MmStruct) -> int:
        """TASK_UNMAPPED_BASE: the bottom-up allocator starts at a third of the user half."""
        return page_align(mm.task_size // 3)

    def new_file(self, name: str, size: int, shmem: bool = False, dev: str = "08:01") -> File:
        self.next_ino += 1
        f = File(name, size, self.next_ino, dev, shmem)
        self.files[name] = f
        return f

    # ------------------------------------------------------------ kernel half
    # ------------------------------------------------------------ frames
    def new_page(self, zone: Zone, pfn: int) -> Page:
        page = Page(pfn, zone)
        self.mem.pages[pfn] = page
        return page

    def special_page(self, pfn: int) -> Page | None:
        """The struct page of a special mapping's page (the vDSO), or None."""
        return self.special_pages.get(pfn)

    def page_of(self, pfn: int) -> Page:
        if pfn == self.zero_page.pfn:
            return self.zero_page
        special = self.special_pages.get(pfn)
        if special is not None:
            return special
        page = self.mem.pages.get(pfn)
        if page is None:
            # a free or reserved frame seen through the kernel's direct map: no struct page
            # of ours holds it, so it reads as zero and keeps nothing
            return Page(pfn, self.mem.zone_of(pfn), PG_reserved)
        return page

    # ------------------------------------------------------------ TLB
    # ------------------------------------------------------------ swap glue
    # ------------------------------------------------------------ bulk helpers
    # ------------------------------------------------------------ processes
    def new_pid(self) -> int:
        pid = self.next_pid
        self.next_pid += 1
        return pid

    def task_of(self, spec: int | str) -> Task:
        if isinstance(spec, str):
            if spec in self.names:
                spec = self.names[spec]
            else:
                try:
                    spec = int(spec)
                except ValueError:
                    raise KernelError("ESRCH", f"no process {spec!r}") from None
        t = self.tasks.get(int(spec))
        if t is None:
            raise KernelError("ESRCH", f"no process with PID {spec}")
        return t

    def node_of_cpu(self, cpu: int) -> int:
        for node in self.mem.nodes:
            if cpu in node.cpus:
                return node.id
        raise KernelError("EINVAL", f"no CPU {cpu}")

    def zonelist(self, nid: int, highest_zone: int = ZONE_MOVABLE) -> list[Zone]:
        """node_zonelist(): built once per (node, highest zone), as build_zonelists() does."""
        key = (nid, highest_zone)
        zl = self._zonelists.get(key)
        if zl is None:
            zl = self._zonelists[key] = build_zonelist(self.mem, nid, highest_zone)
        return zl

    def iter_pages(self) -> Iterator[Page]:
        return iter(self.mem.pages.values())

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["reclaim_hook"] = None
        state["progress"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for mm in [t.mm for t in self.tasks.values()] + [self.init_mm]:
            mm.vmas.rebuild()
