"""More /proc files and the teaching views, rendered from engine state.

The /proc files follow Linux 5.4 byte for byte where the engine has the
numbers: /proc/PID/smaps (fs/proc/task_mmu.c show_smap), /proc/meminfo
(fs/proc/meminfo.c), /proc/vmstat, /proc/buddyinfo and /proc/zoneinfo
(mm/vmstat.c), /proc/swaps (mm/swapfile.c swap_show) and `numactl --hardware`
(numactl.c hardware()). Where 5.4 differs from a newer kernel a student may
compare with, the 5.4 form is kept and the comment says what changed since.

The teaching views (pagetable, tlb, lru, vmas, rbtree, layout, mm, walk) have
no kernel file behind them: they show the structures the kernel keeps, named
as the kernel names them.

Every `NAME_text(m, task)` here is what `show NAME` prints.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from vmtui.engine.fs import procfs
from vmtui.engine.include.fs import File
from vmtui.engine.include.layout import PAGE_SHIFT, PAGE_SIZE
from vmtui.engine.include.mm_types import (
    VM_FLAG_NAMES,
    VM_LOCKED,
    VM_LOCKONFAULT,
    VmArea,
    vm_flags_text,
)
from vmtui.engine.include.mmzone import (
    MAX_ORDER,
    ZONE_NAMES,
    ZONE_NORMAL,
    Node,
    PG_active,
    PG_anon,
    PG_dirty,
    PG_mlocked,
    PG_pgtable,
    PG_referenced,
    PG_reserved,
    PG_swapbacked,
    PG_swapcache,
    PG_unevictable,
    PG_writeback,
    PG_zero,
    Zone,
)
from vmtui.engine.include.pgtable import (
    _PAGE_ACCESSED,
    _PAGE_DIRTY,
    _PAGE_SPECIAL,
    PageTable,
    Walk,
    is_swap_pte,
    pte_flags_text,
    pte_pfn,
    pte_present,
)
from vmtui.engine.lib.rbtree import RbNode
from vmtui.engine.mm import mempolicy, shmem, vmscan

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine, Task

KB_PER_PAGE = PAGE_SIZE >> 10
PSS_SHIFT = 12  # fs/proc/task_mmu.c: Pss is summed in 1/4096ths of a byte
THREAD_SIZE = {"x86_64": 16 << 10, "x86_64-5level": 16 << 10, "i386": 8 << 10}
VSYSCALL_START = 0xFFFFFFFFFF600000
# /sys/kernel/mm/transparent_hugepage/enabled: "madvise", Ubuntu's default for 5.4 and the
# oracle machine's. The engine has no MADV_HUGEPAGE, so no VMA is eligible.
THP_MODE = "madvise"
VM_DIRTY_RATIO = 20  # vm.dirty_ratio
VM_DIRTY_BACKGROUND_RATIO = 10  # vm.dirty_background_ratio
MAX_RECLAIM_RETRIES = 16

# ------------------------------------------------------------------ vmstat_text[] of 5.4
# mm/vmstat.c: enum zone_stat_item, then numa_stat_item, node_stat_item,
# writeback_stat_item and vm_event_item, as an x86-64 distribution kernel
# (CONFIG_NUMA, _ZSMALLOC, _NUMA_BALANCING, _MIGRATION, _COMPACTION,
# _HUGETLB_PAGE, _TRANSPARENT_HUGEPAGE, _MEMORY_BALLOON, _SWAP) prints them.
ZONE_ITEMS = (
    "nr_free_pages", "nr_zone_inactive_anon", "nr_zone_active_anon", "nr_zone_inactive_file",
    "nr_zone_active_file", "nr_zone_unevictable", "nr_zone_write_pending", "nr_mlock",
    "nr_page_table_pages", "nr_kernel_stack", "nr_bounce", "nr_zspages", "nr_free_cma",
)
NUMA_ITEMS = ("numa_hit", "numa_miss", "numa_foreign", "numa_interleave", "numa_local",
              "numa_other")
# 5.9 split workingset_* into _anon/_file and dropped nr_unstable; 5.14 added nr_swapcached
NODE_ITEMS = (
    "nr_inactive_anon", "nr_active_anon", "nr_inactive_file", "nr_active_file",
    "nr_unevictable", "nr_slab_reclaimable", "nr_slab_unreclaimable", "nr_isolated_anon",
    "nr_isolated_file", "workingset_nodes", "workingset_refault", "workingset_activate",
    "workingset_restore", "workingset_nodereclaim", "nr_anon_pages", "nr_mapped",
    "nr_file_pages", "nr_dirty", "nr_writeback", "nr_writeback_temp", "nr_shmem",
    "nr_shmem_hugepages", "nr_shmem_pmdmapped", "nr_file_hugepages", "nr_file_pmdmapped",
    "nr_anon_transparent_hugepages", "nr_unstable", "nr_vmscan_write",
    "nr_vmscan_immediate_reclaim", "nr_dirtied", "nr_written", "nr_kernel_misc_reclaimable",
)
WRITEBACK_ITEMS = ("nr_dirty_threshold", "nr_dirty_background_threshold")


def _for_zones(prefix: str) -> tuple[str, ...]:
    """TEXTS_FOR_ZONES(): one counter per zone type (no HIGHMEM on x86-64)."""
    return tuple(f"{prefix}_{z.lower()}" for z in ZONE_NAMES)


EVENT_ITEMS = (
    ("pgpgin", "pgpgout", "pswpin", "pswpout")
    + _for_zones("pgalloc") + _for_zones("allocstall") + _for_zones("pgskip")
    + ("pgfree", "pgactivate", "pgdeactivate", "pglazyfree", "pgfault", "pgmajfault",
       "pglazyfreed", "pgrefill", "pgsteal_kswapd", "pgsteal_direct", "pgscan_kswapd",
       "pgscan_direct", "pgscan_direct_throttle", "zone_reclaim_failed", "pginodesteal",
       "slabs_scanned", "kswapd_inodesteal", "kswapd_low_wmark_hit_quickly",
       "kswapd_high_wmark_hit_quickly", "pageoutrun", "pgrotated", "drop_pagecache",
       "drop_slab", "oom_kill", "numa_pte_updates", "numa_huge_pte_updates",
       "numa_hint_faults", "numa_hint_faults_local", "numa_pages_migrated",
       "pgmigrate_success", "pgmigrate_fail", "compact_migrate_scanned",
       "compact_free_scanned", "compact_isolated", "compact_stall", "compact_fail",
       "compact_success", "compact_daemon_wake", "compact_daemon_migrate_scanned",
       "compact_daemon_free_scanned", "htlb_buddy_alloc_success", "htlb_buddy_alloc_fail",
       "unevictable_pgs_culled", "unevictable_pgs_scanned", "unevictable_pgs_rescued",
       "unevictable_pgs_mlocked", "unevictable_pgs_munlocked", "unevictable_pgs_cleared",
       "unevictable_pgs_stranded", "thp_fault_alloc", "thp_fault_fallback",
       "thp_collapse_alloc", "thp_collapse_alloc_failed", "thp_file_alloc", "thp_file_mapped",
       "thp_split_page", "thp_split_page_failed", "thp_deferred_split_page", "thp_split_pmd",
       "thp_split_pud", "thp_zero_page_alloc", "thp_zero_page_alloc_failed", "thp_swpout",
       "thp_swpout_fallback", "balloon_inflate", "balloon_deflate", "balloon_migrate",
       "swap_ra", "swap_ra_hit")
)
VMSTAT_ORDER = ZONE_ITEMS + NUMA_ITEMS + NODE_ITEMS + WRITEBACK_ITEMS + EVENT_ITEMS

# node counters the engine counts as events (m.vmstat) rather than as state
_NODE_EVENT_LIKE = ("workingset_nodes", "workingset_refault", "workingset_activate",
                    "workingset_restore", "workingset_nodereclaim", "nr_vmscan_write",
                    "nr_vmscan_immediate_reclaim", "nr_dirtied", "nr_written")
_ZONE_LRU = ("nr_zone_inactive_anon", "nr_zone_active_anon", "nr_zone_inactive_file",
             "nr_zone_active_file", "nr_zone_unevictable")
_NODE_LRU = ("nr_inactive_anon", "nr_active_anon", "nr_inactive_file", "nr_active_file",
             "nr_unevictable")


# ------------------------------------------------------------------ counters from state
class Counters:
    """The zone and node counters of mm/vmstat.c, recounted from the frames in use.

    The kernel keeps vm_zone_stat / vm_node_stat up to date on every change;
    the engine recounts them from struct pages and LRU lists when a file is
    read, so they always equal what they count.
    """

    def __init__(self, m: Machine) -> None:
        self.zone: dict[Zone, dict[str, int]] = {z: dict.fromkeys(ZONE_ITEMS + NUMA_ITEMS, 0)
                                                 for z in m.mem.zones}
        self.node: dict[Node, dict[str, int]] = {n: dict.fromkeys(NODE_ITEMS, 0)
                                                 for n in m.mem.nodes}
        self.swapcache = 0
        for z, st in self.zone.items():
            st["nr_free_pages"] = z.nr_free
        pages = m.mem.pages
        for node in m.mem.nodes:
            nst = self.node[node]
            lru = node.lru
            if lru is None:
                continue
            for i, lst in enumerate(lru.lists):
                nst[_NODE_LRU[i]] = len(lst)
                zname = _ZONE_LRU[i]
                for pfn in lst:
                    page = pages.get(pfn)
                    if page is not None:
                        self.zone[page.zone][zname] += 1
        for page in pages.values():
            f = page.flags
            zst = self.zone[page.zone]
            nst = self.node[page.zone.node]
            if f & PG_pgtable:
                zst["nr_page_table_pages"] += 1
            if f & PG_mlocked:
                zst["nr_mlock"] += 1
            mapping = page.mapping
            if isinstance(mapping, File):
                nst["nr_file_pages"] += 1
                if page.mapcount > 0:
                    nst["nr_mapped"] += 1  # NR_FILE_MAPPED: shmem included
                if mapping.shmem:
                    nst["nr_shmem"] += 1  # shmem dirtying is never accounted
                elif f & PG_dirty:
                    nst["nr_dirty"] += 1
                    zst["nr_zone_write_pending"] += 1
            elif f & PG_swapcache:
                nst["nr_file_pages"] += 1  # 5.4 counts the swap cache in NR_FILE_PAGES
            if f & PG_swapcache:
                self.swapcache += 1
            if f & PG_anon and page.mapcount > 0:
                nst["nr_anon_pages"] += 1  # NR_ANON_MAPPED
            if f & PG_writeback:
                nst["nr_writeback"] += 1
                zst["nr_zone_write_pending"] += 1
        # kernel stacks: THREAD_SIZE per task and per kswapd thread, from the node's
        # highest kernel zone (GFP_KERNEL)
        stack_kb = THREAD_SIZE.get(m.layout.arch, 16 << 10) >> 10
        owners = [m.mem.nodes[t.node] for t in m.live_tasks()] + list(m.mem.nodes)
        for node in owners:
            kz = _kernel_zone(node)
            if kz is not None:
                self.zone[kz]["nr_kernel_stack"] += stack_kb
        # counters the engine keeps as events
        single = len(m.mem.nodes) == 1
        for node in m.mem.nodes:
            for name in _NODE_EVENT_LIKE:
                if name in node.stat:
                    self.node[node][name] = node.stat[name]
                elif single:
                    self.node[node][name] = m.vmstat.get(name, 0)
        # zone_statistics() counts per node here; the kernel counts per zone. Without
        # per-zone numbers, a node's count shows on its highest populated zone.
        for node in m.mem.nodes:
            main = _kernel_zone(node)
            for name in NUMA_ITEMS:
                if any(name in z.stat for z in node.zones):
                    for z in node.zones:
                        self.zone[z][name] = z.stat.get(name, 0)
                elif main is not None:
                    self.zone[main][name] = node.stat.get(name, 0) if not single \
                        else m.vmstat.get(name, node.stat.get(name, 0))

    def zone_total(self, name: str) -> int:
        """global_zone_page_state()."""
        return sum(st[name] for st in self.zone.values())

    def node_total(self, name: str) -> int:
        """global_node_page_state()."""
        return sum(st[name] for st in self.node.values())


def _kernel_zone(node: Node) -> Zone | None:
    """The zone a node's GFP_KERNEL allocations come from: its highest populated <= Normal."""
    for z in reversed(node.zones[: ZONE_NORMAL + 1]):
        if z.present:
            return z
    return None


def totalreserve_pages(m: Machine) -> int:
    """calculate_totalreserve_pages(): per zone, its largest lowmem_reserve plus its high
    watermark, capped at its managed pages."""
    total = 0
    for node in m.mem.nodes:
        for i, zone in enumerate(node.zones):
            reserve = max([0] + zone.lowmem_reserve[i:])
            reserve += zone.high_wmark()
            total += min(reserve, zone.managed)
    return total


def si_mem_available(m: Machine, c: Counters | None = None) -> int:
    """si_mem_available() (mm/page_alloc.c, 5.4): free pages above the reserves, plus the
    page cache and reclaimable slab that can go without swapping, in pages."""
    c = c or Counters(m)
    wmark_low = sum(z.low_wmark() for z in m.mem.zones)
    available = c.zone_total("nr_free_pages") - totalreserve_pages(m)
    pagecache = c.node_total("nr_active_file") + c.node_total("nr_inactive_file")
    pagecache -= min(pagecache // 2, wmark_low)
    available += pagecache
    reclaimable = c.node_total("nr_slab_reclaimable") + \
        c.node_total("nr_kernel_misc_reclaimable")
    available += reclaimable - min(reclaimable // 2, wmark_low)
    return max(available, 0)


def dirty_limits(m: Machine, c: Counters) -> tuple[int, int]:
    """global_dirty_limits(): (background, dirty) thresholds in pages from vm.dirty_*ratio
    of the dirtyable memory (free pages above the reserves plus the file LRU)."""
    x = c.zone_total("nr_free_pages")
    x -= min(x, totalreserve_pages(m))
    x += c.node_total("nr_inactive_file") + c.node_total("nr_active_file")
    avail = x + 1
    ratio = VM_DIRTY_RATIO * PAGE_SIZE // 100
    bg_ratio = VM_DIRTY_BACKGROUND_RATIO * PAGE_SIZE // 100
    thresh = ratio * avail // PAGE_SIZE
    bg = bg_ratio * avail // PAGE_SIZE
    if bg >= thresh:
        bg = thresh // 2
    return bg, thresh


def vmstat_values(m: Machine) -> dict[str, int]:
    """Every /proc/vmstat counter by name (global sums), in 5.4 order, then any counter
    the engine keeps that 5.4 does not print."""
    c = Counters(m)
    out: dict[str, int] = {}
    ev = m.vmstat
    # the engine's own counters (numa_*, workingset_*) count since the scenario began
    for name in ZONE_ITEMS + NUMA_ITEMS:
        out[name] = ev[name] if name in ev else c.zone_total(name)
    for name in NODE_ITEMS:
        out[name] = ev[name] if name in ev else c.node_total(name)
    bg, thresh = dirty_limits(m, c)
    out["nr_dirty_threshold"] = thresh
    out["nr_dirty_background_threshold"] = bg
    for name in EVENT_ITEMS:
        # pgpgin/pgpgout: the kernel counts sectors and halves them for /proc/vmstat;
        # the engine counts kB already
        out[name] = m.vmstat.get(name, 0)
    for name, v in m.vmstat.items():
        out.setdefault(name, v)
    return out


# ------------------------------------------------------------------ /proc/vmstat
def vmstat_text(m: Machine, task: Task) -> str:
    """/proc/vmstat (mm/vmstat.c vmstat_show): `name value` per line, vmstat_text[] order."""
    return "".join(f"{k} {v}\n" for k, v in vmstat_values(m).items())


# ------------------------------------------------------------------ /proc/meminfo
def _val_kb(label: str, pages: int) -> str:
    """show_val_kb(): the label padded to 16 columns, the value to 8, then " kB"."""
    return f"{label + ':':<16}{pages * KB_PER_PAGE:>8} kB"


def _raw_kb(label: str, kb: int) -> str:
    """seq_printf(m, "Label:    %8lu kB\\n", kb) for the lines already in kB."""
    return f"{label + ':':<16}{kb:>8} kB"


def vmalloc_total_kb(m: Machine) -> int:
    """VMALLOC_TOTAL >> 10: x86-64 ends the area one byte early (VMALLOC_END is inclusive)."""
    for lo, hi, name in m.layout.kernel_regions():
        if name.startswith("vmalloc"):
            size = hi - lo
            if m.layout.arch != "i386":
                size -= 1
            return size >> 10
    return 0


def direct_map_kb(m: Machine) -> list[tuple[str, int]]:
    """arch_report_meminfo(): how the direct map covers RAM. The first 2M is mapped with
    4K pages, the rest with 2M pages, and whole gigabytes above 1G with 1G pages."""
    ram = m.mem.max_pfn << PAGE_SHIFT
    if m.layout.arch == "i386":
        low = min(ram, 896 << 20)
        k4 = min(low, 4 << 20)
        return [("DirectMap4k", k4 >> 10), ("DirectMap4M", (low - k4) >> 10)]
    k4 = min(ram, 2 << 20)
    g1 = max(0, (ram >> 30) - 1) << 30
    m2 = ram - k4 - g1
    return [("DirectMap4k", k4 >> 10), ("DirectMap2M", m2 >> 10), ("DirectMap1G", g1 >> 10)]


def swap_totals(m: Machine) -> tuple[int, int]:
    """si_swapinfo(): (total, free) swap pages of the areas in use."""
    if not m.swap.enabled:
        return 0, 0
    areas = [si for si in m.swap.areas if si.writeok]
    return sum(si.usable for si in areas), sum(si.free_slots() for si in areas)


def vm_commit_limit(m: Machine) -> int:
    """vm_commit_limit(): RAM * vm.overcommit_ratio / 100 + swap, in pages."""
    return m.mem.totalram * m.sysctl["vm.overcommit_ratio"] // 100 + m.swap.total()


def meminfo_text(m: Machine, task: Task) -> str:
    """/proc/meminfo (fs/proc/meminfo.c meminfo_proc_show, 5.4, x86-64)."""
    c = Counters(m)
    nt = c.node_total
    zt = c.zone_total
    buffers = 0
    cached = max(0, nt("nr_file_pages") - c.swapcache - buffers)
    swap_total, swap_free = swap_totals(m)
    sreclaimable = nt("nr_slab_reclaimable")
    sunreclaim = nt("nr_slab_unreclaimable")
    vmalloc_pages = sum(len(pfns) for _size, pfns in m.vmalloc_areas.values())
    lines = [
        _val_kb("MemTotal", m.mem.totalram),
        _val_kb("MemFree", zt("nr_free_pages")),
        _val_kb("MemAvailable", si_mem_available(m, c)),
        _val_kb("Buffers", buffers),
        _val_kb("Cached", cached),
        _val_kb("SwapCached", c.swapcache),
        _val_kb("Active", nt("nr_active_anon") + nt("nr_active_file")),
        _val_kb("Inactive", nt("nr_inactive_anon") + nt("nr_inactive_file")),
        _val_kb("Active(anon)", nt("nr_active_anon")),
        _val_kb("Inactive(anon)", nt("nr_inactive_anon")),
        _val_kb("Active(file)", nt("nr_active_file")),
        _val_kb("Inactive(file)", nt("nr_inactive_file")),
        _val_kb("Unevictable", nt("nr_unevictable")),
        _val_kb("Mlocked", zt("nr_mlock")),
        _val_kb("SwapTotal", swap_total),
        _val_kb("SwapFree", swap_free),
        _val_kb("Dirty", nt("nr_dirty")),
        _val_kb("Writeback", nt("nr_writeback")),
        _val_kb("AnonPages", nt("nr_anon_pages")),
        _val_kb("Mapped", nt("nr_mapped")),
        _val_kb("Shmem", nt("nr_shmem")),
        _val_kb("KReclaimable", sreclaimable + nt("nr_kernel_misc_reclaimable")),
        _val_kb("Slab", sreclaimable + sunreclaim),
        _val_kb("SReclaimable", sreclaimable),
        _val_kb("SUnreclaim", sunreclaim),
        _raw_kb("KernelStack", zt("nr_kernel_stack")),
        _val_kb("PageTables", zt("nr_page_table_pages")),
        _val_kb("NFS_Unstable", nt("nr_unstable")),
        _val_kb("Bounce", zt("nr_bounce")),
        _val_kb("WritebackTmp", nt("nr_writeback_temp")),
        _val_kb("CommitLimit", vm_commit_limit(m)),
        _val_kb("Committed_AS", max(0, m.committed_as)),
        _raw_kb("VmallocTotal", vmalloc_total_kb(m)),
        _val_kb("VmallocUsed", vmalloc_pages),
        _val_kb("VmallocChunk", 0),
        _val_kb("Percpu", 0),
        f"HardwareCorrupted: {0:>5} kB",
        _val_kb("AnonHugePages", 0),
        _val_kb("ShmemHugePages", 0),
        _val_kb("ShmemPmdMapped", 0),
        _val_kb("FileHugePages", 0),
        _val_kb("FilePmdMapped", 0),
        # hugetlb_report_meminfo()
        f"HugePages_Total:   {0:>5}",
        f"HugePages_Free:    {0:>5}",
        f"HugePages_Rsvd:    {0:>5}",
        f"HugePages_Surp:    {0:>5}",
        _raw_kb("Hugepagesize", 2048 if m.layout.arch != "i386" else 4096),
        _raw_kb("Hugetlb", 0),
    ]
    lines += [_raw_kb(name, kb) for name, kb in direct_map_kb(m)]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ /proc/PID/smaps
class MemSizeStats:
    """struct mem_size_stats: what smaps_pte_entry() adds up for one VMA (bytes)."""

    __slots__ = ("resident", "pss", "shared_clean", "shared_dirty", "private_clean",
                 "private_dirty", "referenced", "anonymous", "lazyfree", "swap", "swap_pss",
                 "pss_locked")

    def __init__(self) -> None:
        self.resident = self.pss = self.shared_clean = self.shared_dirty = 0
        self.private_clean = self.private_dirty = self.referenced = self.anonymous = 0
        self.lazyfree = self.swap = self.swap_pss = self.pss_locked = 0


def smap_gather_stats(m: Machine, vma: VmArea) -> MemSizeStats:
    """smap_gather_stats() -> smaps_pte_entry() -> smaps_account() for every PTE of `vma`.

    A present PTE counts its page (never the shared zero page: vm_normal_page()
    skips it); a page mapped by two or more PTEs is Shared and adds
    PAGE_SIZE / mapcount to Pss. A swap PTE adds to Swap, and to SwapPss
    PAGE_SIZE / the number of PTEs holding the same swap entry.
    """
    mss = MemSizeStats()
    pgd = vma.vm_mm.pgd
    if pgd is None:
        return mss
    locked = bool(vma.vm_flags & VM_LOCKED)
    pages = m.mem.pages
    full = PAGE_SIZE << PSS_SHIFT
    check_shmem_swap = False
    if vma.vm_file is not None and vma.vm_file.shmem:
        # shmem pages in swap have no swap PTE: shmem_swap_usage() (no SwapPss for them)

        add, check_shmem_swap = shmem.smaps_shmem_swap(vma)
        mss.swap += add
        if check_shmem_swap:
            mss.swap += shmem.smaps_shmem_swap_holes(m, vma)
    for table, idx, _va in m.pt.iter_ptes(pgd, vma.vm_start, vma.vm_end):
        pte = table.entries[idx]
        if is_swap_pte(pte):
            mss.swap += PAGE_SIZE
            n = m.swap.count(pte)
            mss.swap_pss += full // n if n >= 2 else full
            continue
        if not pte_present(pte):
            continue
        page = pages.get(pte_pfn(pte)) or m.special_page(pte_pfn(pte))
        if page is None or pte & _PAGE_SPECIAL:
            continue  # the zero page, or a special (PFN) mapping
        f = page.flags
        dirty = bool(pte & _PAGE_DIRTY) or bool(f & PG_dirty)
        if f & PG_anon:
            mss.anonymous += PAGE_SIZE
            if not f & PG_swapbacked and not dirty:
                mss.lazyfree += PAGE_SIZE
        mss.resident += PAGE_SIZE
        if pte & _PAGE_ACCESSED or f & PG_referenced:
            mss.referenced += PAGE_SIZE
        mapcount = page.mapcount
        if mapcount >= 2:
            if dirty:
                mss.shared_dirty += PAGE_SIZE
            else:
                mss.shared_clean += PAGE_SIZE
            share = full // mapcount
        else:
            if dirty:
                mss.private_dirty += PAGE_SIZE
            else:
                mss.private_clean += PAGE_SIZE
            share = full
        mss.pss += share
        if locked:
            mss.pss_locked += share
    return mss


def smaps_vm_flags(flags: int) -> str:
    """show_smap_vma_flags() of 5.4: VM_LOCKONFAULT got its "lf" only in 6.2."""
    names = [name for bit, name in VM_FLAG_NAMES if flags & bit and bit != VM_LOCKONFAULT]
    return "VmFlags: " + "".join(n + " " for n in names)


def thp_eligible(vma: VmArea) -> int:
    """transparent_hugepage_enabled() under THP_MODE: "always" allows an anonymous VMA
    that holds one aligned 2M page; "madvise" needs MADV_HUGEPAGE, which the engine lacks."""
    if THP_MODE != "always" or not vma.is_anonymous():
        return 0
    haddr = (vma.vm_end & ~((2 << 20) - 1)) - (2 << 20)
    return int(haddr >= vma.vm_start and haddr + (2 << 20) <= vma.vm_end)


def _smap_block(header: str, size: int, mss: MemSizeStats, thp: int, vmflags: str
                ) -> list[str]:
    """show_smap(): SEQ_PUT_DEC is "%8lu" of bytes >> 10 after a 16-column label."""

    def dec(label: str, nbytes: int) -> str:
        return f"{label}{nbytes >> 10:>8} kB"

    return [
        header,
        dec("Size:           ", size),
        dec("KernelPageSize: ", PAGE_SIZE),
        dec("MMUPageSize:    ", PAGE_SIZE),
        dec("Rss:            ", mss.resident),
        dec("Pss:            ", mss.pss >> PSS_SHIFT),
        dec("Shared_Clean:   ", mss.shared_clean),
        dec("Shared_Dirty:   ", mss.shared_dirty),
        dec("Private_Clean:  ", mss.private_clean),
        dec("Private_Dirty:  ", mss.private_dirty),
        dec("Referenced:     ", mss.referenced),
        dec("Anonymous:      ", mss.anonymous),
        dec("LazyFree:       ", mss.lazyfree),
        dec("AnonHugePages:  ", 0),
        dec("ShmemPmdMapped: ", 0),
        dec("FilePmdMapped: ", 0),  # one space short in 5.4 (fixed in 5.6)
        dec("Shared_Hugetlb: ", 0),
        f"Private_Hugetlb: {0:>7} kB",
        dec("Swap:           ", mss.swap),
        dec("SwapPss:        ", mss.swap_pss >> PSS_SHIFT),
        dec("Locked:         ", mss.pss_locked >> PSS_SHIFT),
        f"THPeligible:\t\t{thp}",  # tabs in 5.3 and 5.4; "THPeligible:    %d" since 5.6
        vmflags,
    ]


def smaps_text(m: Machine, task: Task) -> str:
    """/proc/PID/smaps (fs/proc/task_mmu.c show_smap), computed from the task's page tables."""
    lines: list[str] = []
    for vma in task.mm.vmas:
        mss = smap_gather_stats(m, vma)
        lines += _smap_block(procfs.maps_line(vma), vma.vm_end - vma.vm_start, mss,
                             thp_eligible(vma), smaps_vm_flags(vma.vm_flags))
    if m.layout.vsyscall:
        # the gate VMA (vsyscall=xonly, the 5.4 default): execute-only, no struct pages
        head = f"{VSYSCALL_START:08x}-{VSYSCALL_START + PAGE_SIZE:08x} --xp 00000000 00:00 0 "
        lines += _smap_block(head.ljust(procfs.MAPS_NAME_COLUMN) + " [vsyscall]", PAGE_SIZE,
                             MemSizeStats(), 0, "VmFlags: ex ")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ buddyinfo, zoneinfo
def buddyinfo_text(m: Machine, task: Task) -> str:
    """/proc/buddyinfo (mm/vmstat.c frag_show_print): free blocks per order, populated
    zones only."""
    lines = []
    for node in m.mem.nodes:
        for zone in node.zones:
            if not zone.present:
                continue
            counts = "".join(f"{len(zone.free_area[o]):6d} " for o in range(MAX_ORDER))
            lines.append(f"Node {node.id}, zone {zone.name:>8s} {counts}")
    return "\n".join(lines) + "\n"


def zone_batchsize(zone: Zone) -> int:
    """zone_batchsize(): about a thousandth of the zone, at most 1M, as 2^n - 1."""
    batch = zone.managed // 1024
    if batch * PAGE_SIZE > 1 << 20:
        batch = (1 << 20) // PAGE_SIZE
    batch //= 4
    batch = max(batch, 1)
    n = batch + batch // 2
    return (1 << (n.bit_length() - 1)) - 1


def stat_threshold(zone: Zone, cpus: int) -> int:
    """calculate_normal_threshold(): how far a CPU's counter may drift before folding."""
    mem = zone.managed >> (27 - PAGE_SHIFT)
    return min(125, 2 * cpus.bit_length() * (1 + mem.bit_length()))


def zoneinfo_text(m: Machine, task: Task) -> str:
    """/proc/zoneinfo (mm/vmstat.c zoneinfo_show_print, 5.4): every zone of every node;
    the node's counters under its first populated zone; an empty zone stops after
    `protection`. Newer kernels add boost, cma (5.12) and promo lines, which 5.4 lacks."""
    c = Counters(m)
    cpus = sorted(cpu for node in m.mem.nodes for cpu in node.cpus)
    out: list[str] = []
    for node in m.mem.nodes:
        first = next((z for z in node.zones if z.present), None)
        for zone in node.zones:
            s = f"Node {node.id}, zone {zone.name:>8s}"
            if zone is first:
                s += "\n  per-node stats"
                for name in NODE_ITEMS:
                    s += f"\n      {name:<12s} {c.node[node][name]}"
            s += (f"\n  pages free     {zone.nr_free}"
                  f"\n        min      {zone.min_wmark()}"
                  f"\n        low      {zone.low_wmark()}"
                  f"\n        high     {zone.high_wmark()}"
                  f"\n        spanned  {zone.spanned}"
                  f"\n        present  {zone.present}"
                  f"\n        managed  {zone.managed}")
            s += "\n        protection: (" + ", ".join(map(str, zone.lowmem_reserve)) + ")"
            if not zone.present:
                out.append(s + "\n")
                continue
            for name in ZONE_ITEMS + NUMA_ITEMS:
                s += f"\n      {name:<12s} {c.zone[zone][name]}"
            s += "\n  pagesets"
            batch = zone_batchsize(zone)
            for cpu in cpus:
                s += (f"\n    cpu: {cpu}"
                      f"\n              count: 0"
                      f"\n              high:  {6 * batch}"
                      f"\n              batch: {max(1, batch)}"
                      f"\n  vm stats threshold: {stat_threshold(zone, len(cpus))}")
            ks = node.kswapd
            failures = getattr(ks, "failures", 0) if ks is not None else 0
            s += (f"\n  node_unreclaimable:  {int(failures >= MAX_RECLAIM_RETRIES)}"
                  f"\n  start_pfn:           {zone.start_pfn}")
            out.append(s + "\n")
    return "".join(out)


# ------------------------------------------------------------------ numactl, swaps
def _node_list(ids: list[int]) -> str:
    """numactl's hardware(): "0-3", "0,2", "0-1,3" as it prints the available nodes."""
    out = ""
    prev = -1
    skip = False
    last = ids[-1] if ids else -1
    for i in ids:
        if prev == -1:
            out += str(i)
            prev = i
            continue
        if i > prev + 1:
            if skip:
                out += str(prev)
                skip = False
            out += f",{i}"
            prev = i
            continue
        if i == prev + 1:
            if not skip:
                out += "-"
                skip = True
            prev = i
        if i == last and skip:
            out += str(prev)
    return out


def numa_text(m: Machine, task: Task) -> str:
    """`numactl --hardware` (numactl.c hardware()): nodes, their CPUs, size and free memory
    (node meminfo MemTotal / MemFree, in MB), then the SLIT distance table."""
    nodes = m.mem.nodes
    ids = [n.id for n in nodes]
    lines = [f"available: {len(nodes)} nodes ({_node_list(ids)})"]
    for n in nodes:
        total = sum(z.managed for z in n.zones) << PAGE_SHIFT
        free = n.free_pages() << PAGE_SHIFT
        lines.append(f"node {n.id} cpus:" + "".join(f" {c}" for c in sorted(n.cpus)))
        lines.append(f"node {n.id} size: {total >> 20} MB")
        lines.append(f"node {n.id} free: {free >> 20} MB")
    lines.append("node distances:")
    lines.append("node " + "".join(f"{i:3d} " for i in ids))
    for i in ids:
        lines.append(f"{i:3d}: " + "".join(f"{m.mem.distances[i][k]:3d} " for k in ids))
    return "\n".join(lines) + "\n"


def swaps_text(m: Machine, task: Task) -> str:
    """/proc/swaps (mm/swapfile.c swap_show, 5.4): single tabs between Size, Used and
    Priority (5.8 doubled them to line the columns up, "fix /proc/swaps heading")."""
    lines = ["Filename\t\t\t\tType\t\tSize\tUsed\tPriority"]
    if m.swap.enabled:
        for si in m.swap.areas:
            if not si.writeok:
                continue
            pad = " " * (40 - len(si.name) if len(si.name) < 40 else 1)
            kind = "partition" if si.name.startswith("/dev/") else "file\t"
            lines.append(f"{si.name}{pad}{kind}\t{si.usable * KB_PER_PAGE}\t"
                         f"{si.inuse_pages * KB_PER_PAGE}\t{si.prio}")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ teaching views
def _human(n: int) -> str:
    """A byte count as a lecturer says it: 4 kB, 128 MiB, 128 TiB - 4 kB, ~85.3 TiB."""
    for unit, shift in (("EiB", 60), ("PiB", 50), ("TiB", 40), ("GiB", 30), ("MiB", 20)):
        size = 1 << shift
        if n >= size - PAGE_SIZE:
            if n % size == 0:
                return f"{n >> shift} {unit}"
            if (n + PAGE_SIZE) % size == 0:
                return f"{(n + PAGE_SIZE) >> shift} {unit} - 4 kB"
            lower = size >> 10
            if n >= size and n % lower == 0 and shift > 20:
                return f"{n // lower} {('kB', 'MiB', 'GiB', 'TiB', 'PiB')[(shift - 20) // 10]}"
            if n >= size:
                return f"~{n / size:.1f} {unit}"
    if n % 1024 == 0:
        return f"{n >> 10} kB"
    return f"{n} B"


def _va_width(m: Machine) -> int:
    return 8 if m.layout.addr_top == 1 << 32 else 16


def walk_text(m: Machine, w: Walk) -> str:
    """A page-table walk, level by level, as a worked exercise: how the address splits into
    table indexes, then what each level's entry holds."""
    lay = m.layout
    cr3 = w.steps[0].table_pfn if w.steps else None
    lines = [f"walk {w.va:#x} ({lay.arch}, {lay.levels}-level paging" +
             (f", CR3 -> PGD frame {cr3:#x})" if cr3 is not None else ")")]
    split = " | ".join(f"{name} {idx}" for name, idx, _hi, _lo in lay.index_bits(w.va))
    lines.append(f"  {w.va:#x} = {split} | offset {w.va & (PAGE_SIZE - 1):#05x}")
    for s in w.steps:
        frame = f"{s.table_pfn:#x}" if s.table_pfn is not None else "-"
        lines.append(f"  {s.level:<4} bits {s.bit_hi:2d}-{s.bit_lo:2d} index {s.index:4d}  "
                     f"table frame {frame}  entry {s.entry:#018x}  [{s.flags}]  {s.note}")
    phys = w.phys()
    lines.append(f"  offset bits 11-0 = {w.va & 0xFFF:#x}; " +
                 (f"physical address {phys:#x}" if phys is not None else f"stopped: {w.stopped}"))
    return "\n".join(lines) + "\n"


PAGETABLE_MAX_LINES = 64


def pagetable_text(m: Machine, task: Task) -> str:
    """The task's page-table tree, user half: every table with its level, frame, the range
    it covers and how many entries it holds (PTE tables: present / swap / PROT_NONE)."""
    mm = task.mm
    lay = m.layout
    pt = m.pt
    if mm.pgd is None:
        return f"pid {task.pid} has no page tables (it has exited)\n"
    tables = pt.tables(mm.pgd)
    kernel_entries = sum(1 for i in mm.pgd.entries if i >= pt.kernel_first)
    lines = [f"page tables of pid {task.pid} ({lay.arch}, {lay.levels}-level, "
             f"{'/'.join(lay.level_names)}): {len(tables)} user table(s), "
             f"mm->pgtables_bytes {mm.pgtables_bytes} ({_human(mm.pgtables_bytes)})"]
    width = _va_width(m)
    last = lay.levels - 1
    shown = 0

    def describe(table: PageTable) -> str:
        if table.level < last:
            n = sum(1 for child in table.entries.values()
                    if not isinstance(child, int) and not child.kernel)
            return f"{n} entr{'y' if n == 1 else 'ies'}"
        present = swap = other = 0
        for pte in table.entries.values():
            if is_swap_pte(pte):
                swap += 1
            elif pte & 1:
                present += 1
            else:
                other += 1
        s = f"{present} present"
        if swap:
            s += f", {swap} swap"
        if other:
            s += f", {other} PROT_NONE"
        return s

    stack: list[tuple[PageTable, int, int, int]] = [(mm.pgd, 0, -1, 0)]
    while stack:
        table, base, index, depth = stack.pop()
        if shown >= PAGETABLE_MAX_LINES:
            break
        name = lay.level_names[table.level]
        if table.level == 0:
            extra = f" (+{kernel_entries} kernel entries shared with init_mm)" \
                if kernel_entries else ""
            lines.append(f"{name} frame {table.pfn:#x}: {describe(table)}{extra}")
        else:
            span = 1 << pt.shifts[table.level - 1]
            lines.append(f"{'  ' * depth}[{index:3d}] {base:0{width}x}-{base + span:0{width}x} "
                         f"{name} frame {table.pfn:#x}: {describe(table)}")
        shown += 1
        if table.level == last:
            continue
        shift = pt.shifts[table.level]
        children = [(i, c) for i, c in sorted(table.entries.items())
                    if not isinstance(c, int) and not c.kernel]
        for i, child in reversed(children):
            stack.append((child, base + (i << shift), i, depth + 1))
    if shown < len(tables):
        lines.append(f"... and {len(tables) - shown} more table(s)")
    return "\n".join(lines) + "\n"


TLB_MAX_LINES = 64


def tlb_text(m: Machine, task: Task) -> str:
    """The simulated TLB: its entries oldest first (the next to be evicted on top), with the
    process each belongs to, and the hit / miss / flush counts."""
    owners = {t.mm.ctx_id: t.pid for t in m.tasks.values() if t.mm.ctx_id}
    st = m.tlb_stats
    lookups = st["hits"] + st["misses"]
    rate = f", hit rate {100 * st['hits'] / lookups:.1f}%" if lookups else ""
    lines = [f"TLB: {len(m.tlb)} of {m.config.tlb_entries} entries; hits {st['hits']}, "
             f"misses {st['misses']}, flushes {st['flushes']}{rate}"]
    if m.tlb:
        lines.append("    #   pid  virtual page         frame")
    width = _va_width(m)
    for n, ((mm_id, vpn), pfn) in enumerate(m.tlb.items()):
        if n >= TLB_MAX_LINES:
            lines.append(f"  ... and {len(m.tlb) - n} more")
            break
        pid = owners.get(mm_id)
        mark = "*" if pid == task.pid else " "
        lines.append(f"  {n:3d} {mark}{pid if pid is not None else '?':>4} "
                     f"{vpn << PAGE_SHIFT:0{width}x} -> {pfn:#x}")
    return "\n".join(lines) + "\n"


def _pfns(lst: Iterable[int], n: int = 4) -> str:
    items = list(lst)
    if not items:
        return ""
    if len(items) <= 2 * n:
        return " ".join(f"{p:#x}" for p in items)
    return " ".join(f"{p:#x}" for p in items[:n]) + " ... " + \
        " ".join(f"{p:#x}" for p in items[-n:])


def lru_text(m: Machine, task: Task) -> str:
    """Per node: the five LRU lists (oldest, where reclaim scans, on the left), the
    state of the node's kswapd, and the LRU batches its CPUs hold."""
    lines = []
    for node in m.mem.nodes:
        zones = [z for z in node.zones if z.managed]
        free = node.free_pages()
        lines.append(f"node {node.id}: {free} free pages; watermarks (all zones) min "
                     f"{sum(z.min_wmark() for z in zones)} low {sum(z.low_wmark() for z in zones)}"
                     f" high {sum(z.high_wmark() for z in zones)}")
        lru = node.lru
        for i, name in enumerate(vmscan.LRU_NAMES):
            lst = lru.lists[i] if lru is not None else {}
            lines.append(f"  {name:<14s}{len(lst):8d}  {_pfns(lst)}".rstrip())
        ks = node.kswapd
        if ks is not None:
            extra = " (woken, runs before the next step)" if ks.pending else ""
            failures = getattr(ks, "failures", 0)
            stuck = f", {failures} run(s) without progress" if failures else ""
            lines.append(f"  kswapd{node.id}: {ks.state}{extra}; woken {ks.wakeups} time(s), "
                         f"ran {ks.runs}, scanned {ks.scanned}, reclaimed {ks.reclaimed}{stuck}")
            last = getattr(ks, "last", "")
            if last:
                lines.append(f"    last run: {last}")
        # mm/swap.c's per-CPU batches of this node's CPUs: pages on their way to a list
        for cpu in node.cpus:
            pv = getattr(m, "lru_pvecs", {}).get(cpu)
            if pv is not None and pv.total():
                counts = ", ".join(f"{k} {n}" for k, n in pv.counts().items() if n)
                lines.append(f"  cpu{cpu} LRU batches: {counts}")
    return "\n".join(lines) + "\n"


def _vma_start(v: VmArea | None) -> str:
    return f"{v.vm_start:#x}" if v is not None else "NULL"


VMAS_MAX = 64


def vmas_text(m: Machine, task: Task) -> str:
    """Every field of every vm_area_struct of the task (include/linux/mm_types.h, 5.4)."""
    mm = task.mm
    lines = [f"mm->mmap of pid {task.pid}: {mm.map_count} vm_area_struct(s)"]
    for n, vma in enumerate(mm.vmas):
        if n >= VMAS_MAX:
            lines.append(f"... and {mm.map_count - n} more")
            break
        rb = vma.vm_rb
        name = procfs.vma_name(vma)
        prot = vma.vm_page_prot
        lines += [
            f"vma {n}: {vma.vm_start:#x}-{vma.vm_end:#x} {vma.perms()} {name}".rstrip(),
            f"  vm_start       {vma.vm_start:#x}",
            f"  vm_end         {vma.vm_end:#x}  ({_human(vma.vm_end - vma.vm_start)}, "
            f"{vma.pages()} page(s))",
            f"  vm_next        {_vma_start(vma.vm_next)}",
            f"  vm_prev        {_vma_start(vma.vm_prev)}",
            f"  vm_rb          {'red' if rb.red else 'black'}",
            f"  rb_subtree_gap {vma.rb_subtree_gap:#x} ({_human(vma.rb_subtree_gap)})",
            f"  vm_page_prot   {prot:#x}  [{pte_flags_text(prot)}]",
            f"  vm_flags       {vma.vm_flags:#x}  [{vm_flags_text(vma.vm_flags)}]",
            "  anon_vma       " + (f"#{vma.anon_vma.id} ({len(vma.anon_vma.vmas)} vma(s))"
                                    if vma.anon_vma is not None else "NULL"),
            f"  vm_ops         {vma.vm_ops or 'NULL'}",
            f"  vm_pgoff       {vma.vm_pgoff:#x}",
            f"  vm_file        {vma.vm_file.name if vma.vm_file is not None else 'NULL'}",
        ]
    return "\n".join(lines) + "\n"


RBTREE_MAX_NODES = 63


def _rb_node_text(node: RbNode[VmArea]) -> str:
    v = node.vma
    return (f"{'R' if node.red else 'B'} {v.vm_start:x}-{v.vm_end:x} "
            f"gap {node.subtree_gap:#x}")


def rbtree_text(m: Machine, task: Task) -> str:
    """mm->mm_rb drawn sideways (the right subtree above, the left below; read it with
    your head tilted left), each node with its colour and rb_subtree_gap, then the levels."""
    rb = task.mm.vmas.rb
    n = len(rb)
    lines = [f"mm->mm_rb of pid {task.pid}: {n} VMA(s); R/B = red/black, gap = rb_subtree_gap"
             " (the largest free gap below a VMA of the subtree)"]
    if rb.root is None:
        return "\n".join(lines) + "\n"
    depth_limit = 64
    if n > RBTREE_MAX_NODES:
        depth_limit = 5  # 63 nodes at most; deeper subtrees are shown as "..."
        lines.append(f"(the top {depth_limit + 1} levels; deeper subtrees drawn as ...)")

    def draw(node: RbNode[VmArea], prefix: str, kind: str, depth: int) -> Iterator[str]:
        up = "│   " if kind == "left" else "    "
        down = "│   " if kind == "right" else "    "
        if kind == "root":
            up = down = ""
        if depth == depth_limit and (node.left is not None or node.right is not None):
            yield prefix + {"right": "┌── ", "left": "└── ", "root": ""}[kind] + \
                _rb_node_text(node) + " ..."
            return
        if node.right is not None:
            yield from draw(node.right, prefix + up, "right", depth + 1)
        yield prefix + {"right": "┌── ", "left": "└── ", "root": ""}[kind] + _rb_node_text(node)
        if node.left is not None:
            yield from draw(node.left, prefix + down, "left", depth + 1)

    lines += draw(rb.root, "", "root", 0)
    per_level: dict[int, list[bool]] = {}
    for d, _slot, node in rb.levels(depth_limit):
        per_level.setdefault(d, []).append(node.red)
    for d in sorted(per_level):
        reds = sum(per_level[d])
        lines.append(f"depth {d}: {len(per_level[d])} node(s), {reds} red, "
                     f"{len(per_level[d]) - reds} black")
    return "\n".join(lines) + "\n"


def layout_text(m: Machine, task: Task) -> str:
    """The whole virtual address space in numbers: the fixed regions of the architecture,
    the kernel half's map, and where this task's code, data, heap, mmap area and stack are."""
    lay = m.layout
    mm = task.mm
    width = _va_width(m)
    lines = [f"{lay.arch}: {lay.va_bits}-bit virtual addresses, {lay.levels}-level paging "
             f"({'/'.join(lay.level_names)}, {'+'.join(map(str, lay.level_bits))} index bits "
             f"+ 12 offset bits)"]
    lines.append("regions:")
    for lo, hi, name in lay.regions():
        lines.append(f"  {lo:0{width}x}-{hi - 1:0{width}x}  {_human(hi - lo):>9}  {name}")
    lines.append("kernel half (Documentation/x86/x86_64/mm.rst in 5.4):"
                 if lay.arch != "i386" else "kernel half (3G/1G split):")
    for lo, hi, name in lay.kernel_regions():
        lines.append(f"  {lo:0{width}x}-{hi - 1:0{width}x}  {_human(hi - lo):>9}  {name}")
    stack = next((v for v in mm.vmas if v.vm_start <= mm.start_stack < v.vm_end), None)
    heap = next((v for v in mm.vmas if procfs.vma_name(v) == "[heap]"), None)
    marks: list[tuple[int, str]] = [
        (lay.task_size, "TASK_SIZE (end of the user half)"),
        (mm.mmap_base, "mmap_base (top-down mmap starts below it)"),
        (mm.start_stack, "start_stack"),
        (mm.brk, f"brk (heap {_human(mm.brk - mm.start_brk)})"),
        (mm.start_brk, "start_brk"),
        (mm.end_data, "end_data"),
        (mm.start_data, "start_data"),
        (mm.end_code, "end_code"),
        (mm.start_code, "start_code"),
        (m.mmap_min_addr, "mmap_min_addr (nothing maps below it)"),
    ]
    if stack is not None:
        marks.append((stack.vm_end, "[stack] top"))
        marks.append((stack.vm_start, f"[stack] bottom ({_human(stack.vm_end - stack.vm_start)}"
                                      "; grows down)"))
    if heap is not None:
        marks.append((heap.vm_start, "[heap] VMA start"))
    lines.append(f"pid {task.pid} ({task.comm}), top down:")
    for addr, what in sorted(marks, key=lambda x: -x[0]):
        lines.append(f"  {addr:0{width}x}  {what}")
    used = sum(v.vm_end - v.vm_start for v in mm.vmas)
    lines.append(f"mapped: {_human(used)} in {mm.map_count} VMA(s), "
                 f"{100 * used / lay.task_size:.3g}% of the user half")
    return "\n".join(lines) + "\n"


def mm_text(m: Machine, task: Task) -> str:
    """The task's struct mm_struct (include/linux/mm_types.h, 5.4), field by field."""
    mm = task.mm
    kb = KB_PER_PAGE
    pgd = f"frame {mm.pgd.pfn:#x}" if mm.pgd is not None else "NULL"
    rows = [
        ("mmap", _vma_start(mm.mmap) + " (first VMA)"),
        ("mm_rb", f"{len(mm.vmas.rb)} node(s)"),
        ("mmap_base", f"{mm.mmap_base:#x}"),
        ("mmap_legacy_base", f"{mm.mmap_legacy_base:#x}"),
        ("task_size", f"{mm.task_size:#x} ({_human(mm.task_size)})"),
        ("highest_vm_end", f"{mm.highest_vm_end:#x}"),
        ("pgd", pgd),
        ("mm_users", str(mm.mm_users)),
        ("mm_count", str(mm.mm_count)),
        ("pgtables_bytes", f"{mm.pgtables_bytes} ({mm.pgtables_bytes >> PAGE_SHIFT} table(s))"),
        ("map_count", str(mm.map_count)),
        ("hiwater_rss", f"{mm.hiwater_rss} pages"),
        ("hiwater_vm", f"{mm.hiwater_vm} pages"),
        ("total_vm", f"{mm.total_vm} pages ({mm.total_vm * kb} kB)"),
        ("locked_vm", f"{mm.locked_vm} pages"),
        ("pinned_vm", f"{mm.pinned_vm} pages"),
        ("data_vm", f"{mm.data_vm} pages"),
        ("exec_vm", f"{mm.exec_vm} pages"),
        ("stack_vm", f"{mm.stack_vm} pages"),
        ("def_flags", f"{mm.def_flags:#x}"),
        ("start_code", f"{mm.start_code:#x}"),
        ("end_code", f"{mm.end_code:#x}"),
        ("start_data", f"{mm.start_data:#x}"),
        ("end_data", f"{mm.end_data:#x}"),
        ("start_brk", f"{mm.start_brk:#x}"),
        ("brk", f"{mm.brk:#x}"),
        ("start_stack", f"{mm.start_stack:#x}"),
        ("arg_start", f"{mm.arg_start:#x}"),
        ("arg_end", f"{mm.arg_end:#x}"),
        ("env_start", f"{mm.env_start:#x}"),
        ("env_end", f"{mm.env_end:#x}"),
        ("rss_stat[MM_FILEPAGES]", str(mm.rss_file)),
        ("rss_stat[MM_ANONPAGES]", str(mm.rss_anon)),
        ("rss_stat[MM_SWAPENTS]", str(mm.rss_swap)),
        ("rss_stat[MM_SHMEMPAGES]", str(mm.rss_shmem)),
        ("flags", f"{mm.flags:#x}"),
    ]
    lines = [f"mm_struct of pid {task.pid} ({task.comm})"]
    lines += [f"  {k:<24s}{v}" for k, v in rows]
    return "\n".join(lines) + "\n"


__all__ = [
    "Counters", "EVENT_ITEMS", "MemSizeStats", "NODE_ITEMS", "NUMA_ITEMS", "PAGE_SHIFT",
    "VMSTAT_ORDER", "ZONE_ITEMS", "buddyinfo_text", "dirty_limits", "layout_text", "lru_text",
    "meminfo_text", "mm_text", "numa_text", "pagetable_text", "rbtree_text", "si_mem_available",
    "smap_gather_stats", "smaps_text", "smaps_vm_flags", "swaps_text", "tlb_text",
    "totalreserve_pages", "vmas_text", "vmstat_text", "vmstat_values", "walk_text",
    "zoneinfo_text",
]


# ------------------------------------------------------------------ files `cat` reads
def statm_text(m: Machine, task: Task) -> str:
    """/proc/PID/statm (fs/proc/array.c proc_pid_statm -> task_statm(), 5.4): size resident
    shared text lib data dt, in pages; lib and dt are always 0."""
    mm = task.mm
    shared = mm.rss_file + mm.rss_shmem
    text = (((mm.end_code + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)) -
            (mm.start_code & ~(PAGE_SIZE - 1))) >> PAGE_SHIFT
    return (f"{mm.total_vm} {shared + mm.rss_anon} {shared} {text} 0 "
            f"{mm.data_vm + mm.stack_vm} 0\n")


def smaps_rollup_text(m: Machine, task: Task) -> str:
    """/proc/PID/smaps_rollup (show_smaps_rollup, 5.4): one header from the first VMA's start
    to the last one's end, then smaps' counters summed over every VMA (the gate VMA aside).
    5.4 has no Pss_Anon/Pss_File/Pss_Shmem (5.9) or Pss_Dirty (6.0) lines yet."""
    vmas = list(task.mm.vmas)
    total = MemSizeStats()
    for vma in vmas:
        mss = smap_gather_stats(m, vma)
        for name in MemSizeStats.__slots__:
            setattr(total, name, getattr(total, name) + getattr(mss, name))
    start = vmas[0].vm_start if vmas else 0
    end = vmas[-1].vm_end if vmas else 0
    column = 25 + m.layout.pte_bytes * 6 - 1
    head = f"{start:08x}-{end:08x} ---p 00000000 00:00 0 ".ljust(column) + " [rollup]"
    block = _smap_block(head, 0, total, 0, "")
    return "\n".join([block[0]] + block[4:-2]) + "\n"


def _mpol_text(m: Machine, task: Task) -> str:
    """mpol_to_str() of the task's policy, as numa_maps prints it: default, local,
    prefer:N, bind:0-1, interleave:0-1."""
    pol = task.mempolicy
    if pol is None or pol.mode == mempolicy.MPOL_DEFAULT:
        return "default"
    if pol.mode == mempolicy.MPOL_LOCAL:
        return "local"
    name = {mempolicy.MPOL_PREFERRED: "prefer", mempolicy.MPOL_BIND: "bind",
            mempolicy.MPOL_INTERLEAVE: "interleave"}[pol.mode]
    return f"{name}:{_node_list(sorted(pol.nodes))}"


def numa_maps_text(m: Machine, task: Task) -> str:
    """/proc/PID/numa_maps (fs/proc/task_mmu.c show_numa_map, 5.4): per VMA its start, the
    policy, file=/heap/stack, then what gather_pte_stats() counts over its present pages
    (the zero page aside): anon, dirty, mapped, mapmax, swapcache, active, writeback, N<node>."""
    mm = task.mm
    policy = _mpol_text(m, task)
    pages = m.mem.pages
    lines = []
    for vma in mm.vmas:
        s = f"{vma.vm_start:08x} {policy}"
        if vma.vm_file is not None:
            s += f" file={vma.vm_file.name}"
        elif vma.vm_start <= mm.brk and vma.vm_end >= mm.start_brk:
            s += " heap"
        elif vma.vm_start <= mm.start_stack <= vma.vm_end:
            s += " stack"
        n = anon = dirty = swapcache = active = writeback = mapmax = 0
        nodes: dict[int, int] = {}
        if mm.pgd is not None:
            for table, idx, _va in m.pt.iter_ptes(mm.pgd, vma.vm_start, vma.vm_end):
                pte = table.entries[idx]
                if is_swap_pte(pte) or not pte_present(pte):
                    continue
                page = pages.get(pte_pfn(pte))
                if page is None or page.flags & (PG_reserved | PG_zero):
                    continue
                f = page.flags
                n += 1
                dirty += bool(pte & _PAGE_DIRTY or f & PG_dirty)
                swapcache += bool(f & PG_swapcache)
                active += bool(f & (PG_active | PG_unevictable))
                writeback += bool(f & PG_writeback)
                anon += bool(f & PG_anon)
                mapmax = max(mapmax, page.mapcount)
                nid = page.zone.node.id
                nodes[nid] = nodes.get(nid, 0) + 1
        if n:
            if anon:
                s += f" anon={anon}"
            if dirty:
                s += f" dirty={dirty}"
            if n not in (anon, dirty):
                s += f" mapped={n}"
            if mapmax > 1:
                s += f" mapmax={mapmax}"
            if swapcache:
                s += f" swapcache={swapcache}"
            if active < n:
                s += f" active={active}"
            if writeback:
                s += f" writeback={writeback}"
            s += "".join(f" N{nid}={nodes[nid]}" for nid in sorted(nodes))
            s += f" kernelpagesize_kB={KB_PER_PAGE}"
        lines.append(s)
    return "".join(line + "\n" for line in lines)


def node_meminfo_text(m: Machine, nid: int) -> str:
    """/sys/devices/system/node/nodeN/meminfo (drivers/base/node.c node_read_meminfo, 5.4):
    the node's share of /proc/meminfo, `Node N Label:` padded to the value's %8lu. 5.4 has
    no SwapCached (5.9) or SecPageTables (6.0) line."""
    c = Counters(m)
    node = m.mem.nodes[nid]
    ns = c.node[node]
    zs = [c.zone[z] for z in node.zones]

    def zt(name: str) -> int:
        return sum(s[name] for s in zs)

    total = sum(z.managed for z in node.zones)
    free = zt("nr_free_pages")
    sreclaimable = ns["nr_slab_reclaimable"]
    sunreclaim = ns["nr_slab_unreclaimable"]
    rows = [
        ("MemTotal", total), ("MemFree", free), ("MemUsed", total - free),
        ("Active", ns["nr_active_anon"] + ns["nr_active_file"]),
        ("Inactive", ns["nr_inactive_anon"] + ns["nr_inactive_file"]),
        ("Active(anon)", ns["nr_active_anon"]), ("Inactive(anon)", ns["nr_inactive_anon"]),
        ("Active(file)", ns["nr_active_file"]), ("Inactive(file)", ns["nr_inactive_file"]),
        ("Unevictable", ns["nr_unevictable"]), ("Mlocked", zt("nr_mlock")),
        ("Dirty", ns["nr_dirty"]), ("Writeback", ns["nr_writeback"]),
        ("FilePages", ns["nr_file_pages"]), ("Mapped", ns["nr_mapped"]),
        ("AnonPages", ns["nr_anon_pages"]), ("Shmem", ns["nr_shmem"]),
    ]
    lines = [f"Node {nid} {label + ':':<16}{pages * KB_PER_PAGE:>8} kB" for label, pages in rows]
    lines.append(f"Node {nid} {'KernelStack:':<16}{zt('nr_kernel_stack'):>8} kB")
    rows = [
        ("PageTables", zt("nr_page_table_pages")), ("NFS_Unstable", ns["nr_unstable"]),
        ("Bounce", zt("nr_bounce")), ("WritebackTmp", ns["nr_writeback_temp"]),
        ("KReclaimable", sreclaimable + ns["nr_kernel_misc_reclaimable"]),
        ("Slab", sreclaimable + sunreclaim), ("SReclaimable", sreclaimable),
        ("SUnreclaim", sunreclaim), ("AnonHugePages", 0), ("ShmemHugePages", 0),
        ("ShmemPmdMapped", 0), ("FileHugePages", 0), ("FilePmdMapped", 0),
    ]
    lines += [f"Node {nid} {label + ':':<16}{pages * KB_PER_PAGE:>8} kB" for label, pages in rows]
    # hugetlb_report_node_meminfo(): "Node %d HugePages_Total: %5u" and so on
    lines += [f"Node {nid} {'HugePages_' + name + ':':<16} {0:5d}"
              for name in ("Total", "Free", "Surp")]
    return "\n".join(lines) + "\n"


def thp_enabled_text(m: Machine) -> str:
    """/sys/kernel/mm/transparent_hugepage/enabled: the modes, the one in use in brackets."""
    return " ".join(f"[{mode}]" if mode == THP_MODE else mode
                    for mode in ("always", "madvise", "never")) + "\n"


PAGEBLOCK_ORDER = 9  # HUGETLB_PAGE_ORDER on x86-64 (2M pageblocks)
MIGRATE_TYPES = ("Unmovable", "Movable", "Reclaimable", "HighAtomic", "Isolate")


def pagetypeinfo_text(m: Machine, task: Task) -> str:
    """/proc/pagetypeinfo (mm/vmstat.c pagetypeinfo_show, 5.4). The engine keeps no migrate
    types: every free block is shown as Movable (user pages are), and a pageblock counts as
    Unmovable when it holds a frame reserved at boot (kernel image, memmap), else Movable."""
    order = PAGEBLOCK_ORDER if m.layout.arch != "i386" else 10
    per_block = 1 << order
    out = [f"Page block order: {order}", f"Pages per block:  {per_block}", "",
           f"{'Free pages count per migrate type at order':<43} " +
           "".join(f"{o:6d} " for o in range(MAX_ORDER))]
    zones = [(node, zone) for node in m.mem.nodes for zone in node.zones if zone.present]
    for node, zone in zones:
        for mt in MIGRATE_TYPES:
            counts = [len(zone.free_area[o]) if mt == "Movable" else 0 for o in range(MAX_ORDER)]
            out.append(f"Node {node.id:4d}, zone {zone.name:>8s}, type {mt:>12s} " +
                       "".join(f"{c:6d} " for c in counts))
    out += ["", f"{'Number of blocks type ':<23}" + "".join(f"{mt:>12s} " for mt in MIGRATE_TYPES)]
    for node, zone in zones:
        first = zone.start_pfn & ~(per_block - 1)
        blocks = {(pfn - first) // per_block for pfn in range(first, zone.end_pfn, per_block)}
        unmovable = set()
        for lo, hi, _name in m.reserved:
            for pfn in range(max(lo, zone.start_pfn), min(hi, zone.end_pfn)):
                unmovable.add((pfn - first) // per_block)
        n_un = len(unmovable & blocks)
        counts = [n_un, len(blocks) - n_un, 0, 0, 0]
        out.append(f"Node {node.id}, zone {zone.name:>8s} " + "".join(f"{c:12d} " for c in counts))
    return "\n".join(out) + "\n"
