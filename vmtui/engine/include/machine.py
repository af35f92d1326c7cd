"""The simulated machine: RAM, swap, files, processes, and the kernel services they share.

`Machine` is the one object the rest of vmtui talks to. It is deterministic:
every random choice (ASLR) comes from `rng`, seeded from the scenario.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from vmtui.engine.include.errors import KernelError, SignalError
from vmtui.engine.include.events import EventLog
from vmtui.engine.include.fs import File
from vmtui.engine.include.layout import PAGE_SHIFT, PAGE_SIZE, Layout, layout_for, page_align
from vmtui.engine.include.mm_types import (
    _PAGE_DIRTY,
    _PAGE_PRESENT,
    VM_LOCKED,
    MmStruct,
    VmArea,
)
from vmtui.engine.include.mmzone import (
    ZONE_MOVABLE,
    ZONE_NORMAL,
    Page,
    PG_dirty,
    PG_kernel,
    PG_mlocked,
    PG_pgtable,
    PG_reserved,
    PG_swapcache,
    PG_unevictable,
    PG_zero,
    PhysMem,
    Zone,
    build_zonelist,
    default_min_free_kbytes,
    reserve_kernel,
    setup_per_zone_wmarks,
)
from vmtui.engine.include.pgtable import PageTable, PageTables, is_swap_pte, mk_pte, pte_pfn
from vmtui.engine.include.settings import MACHINE_KEYS, SETTINGS, SettingError, check, parse_size
from vmtui.engine.mm import mempolicy, rmap, swap, vmscan
from vmtui.engine.mm.swapfile import SwapState

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

    @classmethod
    def from_dict(cls, d: dict[str, Any], text: bool = False) -> MachineConfig:
        """Build from a [machine] table (with `text`: values as typed after `-m KEY=`);
        SettingError names the bad key and what it allows (settings.py owns the rules)."""
        unknown = [k for k in d if k not in MACHINE_KEYS]
        if unknown:
            raise SettingError(unknown[0], f"unknown [machine] key {unknown[0]!r}; expected "
                               f"one of {', '.join(sorted(MACHINE_KEYS))}")

        def get(key: str, default: Any = None) -> Any:
            if key not in d:
                return SETTINGS[key].default if default is None else default
            return check(key, d[key], text=text)

        c = cls()
        c.arch = get("arch")
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
    """RAM, swap, files and processes, with the kernel services the engine modules call."""

    def __init__(self, config: MachineConfig | None = None) -> None:
        self.config = c = config or MachineConfig.from_dict({})
        self.layout: Layout = layout_for(c.arch)
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
        self.reserved: list[tuple[int, int, str]] = []
        reserve_kernel(self)
        for node in self.mem.nodes:
            node.lru = vmscan.Lruvec()
            node.kswapd = vmscan.KswapdState(node.id)
        # mm/swap.c's per-CPU LRU batches (mm/swap.py); the CPU kswapd runs on while it works;
        # pages a batch still holds after their last user freed them
        self.lru_pvecs = swap.alloc_pvecs(self.mem)
        self.running_cpu: int | None = None
        self.lru_released: set[int] = set()
        mfk = c.min_free_kbytes if c.min_free_kbytes is not None else \
            default_min_free_kbytes(self.mem)
        self.sysctl["vm.min_free_kbytes"] = mfk
        setup_per_zone_wmarks(self.mem, mfk, c.watermark_scale_factor)
        # init_user_reserve() / init_admin_reserve() (mm/mmap.c): from the free memory at boot
        free_kb = sum(z.nr_free for z in self.mem.zones) << (PAGE_SHIFT - 10)
        self.sysctl["vm.user_reserve_kbytes"] = min(free_kb // 32, 1 << 17)
        self.sysctl["vm.admin_reserve_kbytes"] = min(free_kb // 128, 1 << 13)
        # swap_setup() (mm/swap.c): swap readahead of 1 << 3 pages, 1 << 2 below 16M of RAM
        self.sysctl["vm.page-cluster"] = 2 if self.mem.totalram >> (20 - PAGE_SHIFT) < 16 else 3
        kimg = next(r for r in self.reserved if r[2] == "kernel image")
        self.zero_page = Page(kimg[0] + 1, self.mem.zone_of(kimg[0] + 1), PG_reserved | PG_zero)
        # the special mappings' pages, in the kernel image (vdso.py): __vvar_page, then the
        # vDSO image's pages; made when first mapped, kept out of the buddy allocator
        self.special_base = kimg[0] + 2
        self.special_pages: dict[int, Page] = {}
        self.pt = PageTables(self.layout, self._alloc_table, self._free_table)
        self.swap = SwapState()
        if c.swap:
            self.swap.add_area(c.swap >> PAGE_SHIFT).solidstate = not c.swap_rotational
            self.swap.enabled = True
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
        self.log.muted += 1
        try:
            from vmtui.engine.fs.exec import exec_program

            self.init_mm.pgd = self.pt.new_table(0, kernel=True)
            self._map_kernel_half()
            task = exec_program(self, c.program)
        except (KernelError, SignalError) as e:
            # boot fails only for settings that leave no memory to start the first process
            key = "min_free_kbytes" if c.min_free_kbytes is not None else "ram"
            raise SettingError(key, f"the machine cannot start its first process with these "
                               f"settings ({e.why or e})") from None
        finally:
            self.log.muted -= 1
        self.current_pid = task.pid
        swap.lru_add_drain_all(self)  # the scenario starts with empty LRU batches
        self.vmstat = dict.fromkeys(VMSTAT_NAMES, 0)  # counts since the scenario began
        for node in self.mem.nodes:
            node.stat.clear()
        self.log.take()

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

    def shmem_zero_setup(self, size: int) -> File:
        """shmem_zero_setup(): a MAP_SHARED|MAP_ANONYMOUS mapping is backed by a shmem file."""
        self.next_ino += 1
        f = File("/dev/zero (deleted)", size, self.next_ino, "00:01", shmem=True)
        self.log.emit("shmem_zero_setup", "mm/shmem.c", "shared anonymous memory is a file on "
                      "an internal tmpfs: /dev/zero (deleted)")
        return f

    # ------------------------------------------------------------ kernel half
    def _map_kernel_half(self) -> None:
        """The kernel half of init_mm: one PGD entry per region of the kernel map."""
        pgd = self.init_mm.pgd
        assert pgd is not None
        lay = self.layout
        for lo, _hi, name in lay.kernel_regions():
            if name.startswith("vmalloc"):
                continue  # filled on demand by vmalloc(); processes learn it by vmalloc_fault
            idx = self.pt.index(0, lo)
            if idx not in pgd.entries and lay.levels > 2:
                pgd.entries[idx] = self.pt.new_table(1, kernel=True)
        self._map_direct(pgd)

    def _map_direct(self, pgd: PageTable) -> None:
        """The direct map: all of RAM at PAGE_OFFSET with huge pages (1 GiB on x86-64,
        4 MiB on i386), kernel-only (no _PAGE_USER), as kernel_physical_mapping_init() does."""
        from vmtui.engine.include.pgtable import PAGE_KERNEL_LARGE

        lay = self.layout
        pt = self.pt
        ram = self.mem.max_pfn << PAGE_SHIFT
        # the level whose entries are the huge pages: PUD on x86-64, the PGD on i386
        level = lay.levels - 3 if lay.levels > 2 else 0
        size = 1 << pt.shifts[level]
        prot = PAGE_KERNEL_LARGE if lay.has_nx else PAGE_KERNEL_LARGE & ((1 << 32) - 1)
        limit = min(ram, 896 << 20) if lay.arch == "i386" else ram
        for phys in range(0, limit, size):
            va = lay.direct_map + phys
            table = pgd
            for lvl in range(level):
                idx = pt.index(lvl, va)
                child = table.entries.get(idx)
                if child is None:
                    child = table.entries[idx] = pt.new_table(lvl + 1, kernel=True)
                table = child
            table.entries[pt.index(level, va)] = phys | prot

    def vmalloc(self, size: int) -> int:
        """vmalloc(): kernel virtual memory in init_mm, backed by frames page by page."""
        size = page_align(size)
        if size <= 0:
            raise KernelError("EINVAL", "vmalloc of 0 bytes")
        if size > self.mem.totalram << PAGE_SHIFT:
            raise KernelError("ENOMEM", "vmalloc larger than RAM")
        # a fresh 512 GiB slot per area (x86-64) so the first touch from a process shows
        # vmalloc_fault copying a new PGD entry
        span = 1 << self.pt.shifts[0]
        addr = self.vmalloc_next
        self.vmalloc_next += max(span, page_align(size) + PAGE_SIZE) if self.layout.levels > 2 \
            else page_align(size) + PAGE_SIZE
        pfns = []
        pgd = self.init_mm.pgd
        assert pgd is not None
        for va in range(addr, addr + size, PAGE_SIZE):
            table = self.pt.pte_table(pgd, va, True)
            assert table is not None
            pfn = self._alloc_frame(self.current.node, ZONE_NORMAL, PG_kernel)
            table.entries[self.pt.index(self.layout.levels - 1, va)] = \
                mk_pte(pfn, 0x1 | 0x2 | 0x20 | 0x40 | (1 << 63))
            pfns.append(pfn)
        self.vmalloc_areas[addr] = (size, pfns)
        self.log.emit("vmalloc", "mm/vmalloc.c", f"{size >> 10}K at {addr:#x} in init_mm's page "
                      f"tables ({len(pfns)} frame(s)); other processes' PGDs do not have this "
                      "entry yet")
        return addr

    # ------------------------------------------------------------ frames
    def _alloc_table(self, kernel: bool) -> int:
        node = self.current.node if self.tasks else 0
        return self._alloc_frame(node, ZONE_NORMAL, PG_pgtable)

    def _free_table(self, pfn: int) -> None:
        self.free_table_page(pfn)

    def free_table_page(self, pfn: int) -> None:
        page = self.mem.pages.pop(pfn)
        self.mem.free_one(page.zone, pfn)
        self.count("pgfree")

    def _alloc_frame(self, nid: int, highest_zone: int, flags: int) -> int:
        page = self.alloc_pages(nid, highest_zone, None)
        page.flags |= flags
        return page.pfn

    def alloc_pages(self, nid: int, highest_zone: int, nodemask: list[int] | None,
                    task: Task | None = None, preferred: int | None = None) -> Page:
        """__alloc_pages_nodemask(): fast path at the low watermark, then the slow path."""
        from vmtui.engine.mm import page_alloc

        return page_alloc.alloc_page(self, nid, highest_zone, nodemask, task, preferred)

    def new_page(self, zone: Zone, pfn: int) -> Page:
        page = Page(pfn, zone)
        self.mem.pages[pfn] = page
        return page

    def alloc_user_page(self, task: Task, vma: VmArea | None, addr: int) -> Page:
        """alloc_page_vma(): a movable user page on the node the memory policy picks."""
        nid, nodemask, preferred = mempolicy.policy_node(self, task, vma, addr)
        return self.alloc_pages(nid, ZONE_MOVABLE, nodemask, task, preferred)

    def alloc_user_pages_bulk(self, task: Task, vma: VmArea, addr: int, n: int) -> list[Page]:
        """Up to `n` pages for consecutive addresses, taken exactly as n calls of the fast
        path would take them (first zone above its low watermark), stopping one page
        before any zone would fall to it so the per-page path does the waking.

        Returns fewer (even none) where the per-page path must decide; interleave
        gets none, as its node changes page by page.
        """
        nid, nodemask, interleave = mempolicy.policy_node(self, task, vma, addr)
        if interleave is not None:
            return []
        zl = self.zonelist(nid, ZONE_MOVABLE)
        if nodemask is not None:
            zl = [z for z in zl if z.node.id in nodemask]
        if not zl:
            return []
        preferred = zl[0]
        classzone = preferred.idx
        rmqueue = self.mem.rmqueue
        pages = self.mem.pages
        out: list[Page] = []
        stat = self.vmstat
        for zone in zl:
            want = n - len(out)
            if want <= 0:
                break
            avail = zone.nr_free - (zone.watermark[1] + zone.lowmem_reserve[classzone]) - 1
            k = min(want, avail)
            if k <= 0:
                if zone.nr_free > zone.watermark[1] + zone.lowmem_reserve[classzone]:
                    break  # the next page would wake kswapd: leave it to the per-page path
                continue
            got = 0
            for _ in range(k):
                pfn = rmqueue(zone, 0)
                if pfn is None:
                    break
                page = Page(pfn, zone)
                pages[pfn] = page
                out.append(page)
                got += 1
            name = "pgalloc_" + zone.name.lower()
            stat[name] = stat.get(name, 0) + got
            nstat = zone.node.stat
            if zone.node is preferred.node:
                stat["numa_hit"] += got
                nstat["numa_hit"] = nstat.get("numa_hit", 0) + got
            else:
                stat["numa_miss"] += got
                stat["numa_foreign"] += got
                nstat["numa_miss"] = nstat.get("numa_miss", 0) + got
                pstat = preferred.node.stat
                pstat["numa_foreign"] = pstat.get("numa_foreign", 0) + got
            local = "numa_local" if zone.node.id == task.node else "numa_other"
            stat[local] += got
            nstat[local] = nstat.get(local, 0) + got
            if got < k or got < want:
                break
        return out

    def free_page(self, page: Page) -> None:
        """__free_pages(): the frame goes back to the buddy allocator, unless an LRU batch
        still holds a reference (then release_pages() frees it when the batch drains)."""
        if page.refcount > 1 and swap.pagevec_held(self, page):
            return
        vmscan.del_page_from_lru(self, page)
        del self.mem.pages[page.pfn]
        self.mem.free_one(page.zone, page.pfn)
        self.count("pgfree")

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

    def page_remove_rmap(self, page: Page) -> None:
        """page_remove_rmap() + put_page(): one mapping fewer; free an anon page nobody holds."""
        page.mapcount -= 1
        if page.mapcount > 0:
            return
        if page.flags & PG_mlocked:
            # clear_page_mlock(): isolate it and put it back through lru_cache_add()
            page.flags &= ~PG_mlocked
            self.count("unevictable_pgs_cleared")
            if swap.isolate_lru_page(self, page):
                swap.putback_lru_page(self, page)
        if isinstance(page.mapping, File) or page.flags & PG_reserved:
            return  # stays in the page cache (or is the kernel's own: the vDSO)
        if page.flags & PG_swapcache:
            return  # the swap cache still holds it; reclaim or swap-in decides
        self.free_page(page)

    def page_written(self, page: Page) -> None:
        """A write through a PTE: the MMU sets only the PTE's accessed and dirty bits;
        reclaim moves them to the page (page_referenced(), try_to_unmap())."""

    def page_referenced(self, page: Page) -> None:
        """A read through a PTE: only the PTE's accessed bit (see page_written)."""

    def file_pages_changed(self, n: int) -> None:
        pass

    def page_mlocked_elsewhere(self, page: Page, skip: VmArea) -> bool:
        for vma, _addr in rmap.rmap_walk(page):
            if vma is not skip and vma.vm_flags & VM_LOCKED:
                return True
        return False

    # ------------------------------------------------------------ TLB
    def ctx_id(self, mm: MmStruct) -> int:
        """mm->context.ctx_id: the tag of the mm's TLB entries (init_new_context())."""
        if not mm.ctx_id:
            self.last_ctx_id += 1
            mm.ctx_id = self.last_ctx_id
        return mm.ctx_id

    def tlb_fill(self, mm: MmStruct, addr: int, pfn: int) -> None:
        key = (self.ctx_id(mm), addr >> PAGE_SHIFT)
        tlb = self.tlb
        if key in tlb:
            self.tlb_stats["hits"] += 1
            tlb[key] = tlb.pop(key)
            return
        self.tlb_stats["misses"] += 1
        tlb[key] = pfn
        if len(tlb) > self.config.tlb_entries:
            del tlb[next(iter(tlb))]

    def tlb_flush_page(self, mm: MmStruct, addr: int) -> None:
        if self.tlb.pop((self.ctx_id(mm), addr >> PAGE_SHIFT), None) is not None:
            self.tlb_stats["flushes"] += 1

    def tlb_flush_range(self, mm: MmStruct, start: int, end: int) -> None:
        """flush_tlb_mm_range(): drop every entry of the range (or the whole mm if large)."""
        key = self.ctx_id(mm)
        if (end - start) >> PAGE_SHIFT > len(self.tlb):
            doomed = [k for k in self.tlb if k[0] == key and start >> PAGE_SHIFT <= k[1] <
                      end >> PAGE_SHIFT]
        else:
            doomed = [(key, v) for v in range(start >> PAGE_SHIFT, end >> PAGE_SHIFT)
                      if (key, v) in self.tlb]
        for k in doomed:
            del self.tlb[k]
        if doomed:
            self.tlb_stats["flushes"] += 1

    def tlb_flush_mm(self, mm: MmStruct) -> None:
        key = self.ctx_id(mm)
        for k in [k for k in self.tlb if k[0] == key]:
            del self.tlb[k]

    # ------------------------------------------------------------ swap glue
    def free_swap_and_cache(self, entry: int) -> None:
        """free_swap_and_cache(): drop a PTE's swap reference; free the cached page if unused."""
        self.swap.free(entry)
        page = self.swap.cache.get(entry)
        if page is not None and self.swap.count(entry) == 0 and page.mapcount == 0:
            self.delete_from_swap_cache(page)
            self.free_page(page)

    def delete_from_swap_cache(self, page: Page) -> None:
        """delete_from_swap_cache(): the page leaves the swap cache and its slot is released."""
        entry = page.private
        del self.swap.cache[entry]
        page.flags &= ~PG_swapcache
        page.private = 0
        self.swap.drop_cache_ref(entry)

    def swapin(self, task: Task, vma: VmArea, addr: int, entry: int, may_oom: bool = True
               ) -> Page | None:
        """read_swap_cache_async() (MADV_WILLNEED): a new page, read from the slot."""
        from vmtui.engine.mm import swapfile

        return swapfile.swapin_page(self, task, vma, addr, entry, may_oom)

    # ------------------------------------------------------------ bulk helpers
    def populate_range(self, task: Task, vma: VmArea, start: int, end: int, write: bool
                       ) -> tuple[str, int] | None:
        """populate_vma_page_range(): fault in [start, end) without a user access; None, or
        (errno, address) of the fault that failed."""
        from vmtui.engine.arch.x86 import access as acc

        return acc.populate(self, task, vma, start, end, write)

    def move_page_tables(self, mm: MmStruct, old: int, new: int, length: int) -> int:
        """move_page_tables(): carry every PTE of [old, old+length) to [new, ...)."""
        assert mm.pgd is not None
        moved = 0
        last = self.layout.levels - 1
        entries = [(t, i, va) for t, i, va in self.pt.iter_ptes(mm.pgd, old, old + length)]
        vals = [(va, t.entries.pop(i)) for t, i, va in entries]
        for va, pte in vals:
            nva = new + (va - old)
            table = self.pt.pte_table(mm.pgd, nva, True, lambda _l, _t: self._pgt_acct(mm))
            assert table is not None
            table.entries[self.pt.index(last, nva)] = pte
            moved += 1
        self.tlb_flush_range(mm, old, old + length)
        return moved

    def _pgt_acct(self, mm: MmStruct) -> None:
        mm.pgtables_bytes += PAGE_SIZE

    def madvise_willneed(self, task: Task, vma: VmArea, start: int, end: int) -> None:
        """madvise_willneed(): file pages are read ahead into the page cache; swap is read in."""
        from vmtui.engine.mm.memory import add_to_page_cache

        n = 0
        if vma.vm_file is not None and vma.vm_file.shmem:
            # force_shm_swapin_readahead(): only swapped-out tmpfs pages are read, into the
            # swap cache (read_swap_cache_async); holes stay holes
            from vmtui.engine.mm.swapfile import read_swap_cache_async

            f = vma.vm_file
            for addr in range(start, end, PAGE_SIZE):
                entry = f.swapped.get(vma.linear_page_index(addr))
                if entry is not None and entry not in self.swap.cache:
                    read_swap_cache_async(self, entry, task, vma, addr)
                    n += 1
            self.log.emit("madvise_willneed", "mm/madvise.c", f"tmpfs/shmem mapping: read "
                          f"{n} swapped-out page(s) into the swap cache; holes stay holes")
            return
        if vma.vm_file is not None:
            # vfs_fadvise(POSIX_FADV_WILLNEED) -> force_page_cache_readahead(), which reads
            # at most max(bdi->io_pages, ra_pages) pages of the request, none past EOF
            from vmtui.engine.include.fs import BDI_IO_PAGES, READAHEAD_PAGES

            f = vma.vm_file
            want = (end - start) >> PAGE_SHIFT
            cap = max(BDI_IO_PAGES, READAHEAD_PAGES)
            first = vma.linear_page_index(start)
            for idx in range(first, min(first + min(want, cap), f.npages)):
                if idx not in f.pages:
                    add_to_page_cache(self, task, f, idx)
                    n += 1
            self.log.emit("madvise_willneed", "mm/madvise.c", f"read ahead {n} file page(s) "
                          "into the page cache; they map on the next fault without I/O" +
                          (f" (force_page_cache_readahead reads at most {cap} of the "
                           f"{want} asked for)" if want > cap else ""))
            return
        assert task.mm.pgd is not None
        for table, idx, va in self.pt.iter_ptes(task.mm.pgd, start, end):
            pte = table.entries.get(idx, 0)  # a swap-in before may have reclaimed it
            if is_swap_pte(pte) and pte not in self.swap.cache:
                self.swapin(task, vma, va, pte)
                n += 1
        swap.lru_add_drain(self)  # "Push any new pages onto the LRU now"
        self.log.emit("madvise_willneed", "mm/madvise.c", f"started reading {n} swapped page(s) "
                      "into the swap cache")

    def madvise_free(self, task: Task, vma: VmArea, start: int, end: int) -> None:
        """madvise_free_single_vma(): this CPU's batches are drained first (lru_add_drain);
        each page's PTE is made clean and old and the page clean now, and the page is queued
        in lru_lazyfree_pvecs (mark_page_lazyfree): it loses PG_swapbacked, and counts as
        LazyFree, when that batch fills or drains."""
        assert task.mm.pgd is not None
        swap.lru_add_drain(self)
        n = 0
        for table, idx, _va in self.pt.iter_ptes(task.mm.pgd, start, end):
            pte = table.entries[idx]
            if is_swap_pte(pte) or not pte & _PAGE_PRESENT or pte_pfn(pte) == self.zero_page.pfn:
                continue
            page = self.mem.pages[pte_pfn(pte)]
            if page.mapcount != 1 or page.flags & PG_unevictable:
                continue
            table.entries[idx] = pte & ~_PAGE_DIRTY
            page.flags &= ~PG_dirty
            swap.mark_page_lazyfree(self, page)
            n += 1
        pending = len(swap.this_cpu_pvecs(self).pvecs[swap.LRU_LAZYFREE])
        self.log.emit("madvise_free_single_vma", "mm/madvise.c", f"{n} page(s) marked lazily "
                      "free: reclaim may drop them without swap unless written again"
                      + (f"; {pending} wait in CPU {swap.smp_processor_id(self)}'s "
                         "lru_lazyfree_pvecs until it fills or drains" if pending else ""))

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

    def sysctl_set(self, key: str, value: int) -> None:
        """sysctl -w: validate, store, and recompute what depends on it."""
        if key not in self.sysctl:
            raise KernelError("EINVAL", f"unknown sysctl {key!r}; expected one of "
                              f"{', '.join(sorted(self.sysctl))}")
        try:  # proc_dointvec_minmax(): the same table as [machine] and `-m` (settings.py)
            value = check(key, value, table="sysctl", text=True)
        except SettingError as e:
            raise KernelError("EINVAL", e.msg) from None
        self.sysctl[key] = value
        if key in ("vm.min_free_kbytes", "vm.watermark_scale_factor"):
            setup_per_zone_wmarks(self.mem, self.sysctl["vm.min_free_kbytes"],
                                  self.sysctl["vm.watermark_scale_factor"])
            z = [f"{zz.node.id}:{zz.name} min {zz.min_wmark()} low {zz.low_wmark()} high "
                 f"{zz.high_wmark()}" for zz in self.mem.zones if zz.managed]
            self.log.emit("setup_per_zone_wmarks", "mm/page_alloc.c",
                          "watermarks recomputed (pages): " + "; ".join(z))

    def swapon(self) -> None:
        """sys_swapon(): the swap area takes pages again."""
        if not self.swap.areas:
            raise KernelError("EINVAL", "this machine has no swap area (set swap in [machine])")
        if self.swap.enabled:
            raise KernelError("EBUSY", "swap is already on")
        self.swap.enabled = True
        for si in self.swap.areas:
            si.writeok = True
        for node in self.mem.nodes:
            node.kswapd.failures = 0  # anon pages are reclaimable again
        self.log.emit("sys_swapon", "mm/swapfile.c", f"swap on: {self.swap.total()} pages")

    def swapoff(self) -> None:
        """sys_swapoff() -> try_to_unuse(): every swapped page is read back first."""
        from vmtui.engine.mm import vmscan

        if not self.swap.enabled:
            raise KernelError("EINVAL", "swap is already off")
        vmscan.try_to_unuse(self)
        self.swap.enabled = False

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
