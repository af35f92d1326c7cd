"""The counters of /proc/vmstat, /proc/zoneinfo, /proc/buddyinfo and /proc/pagetypeinfo
(mm/vmstat.c, Linux 5.4), in the kernel's exact formats.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vmtui.engine.fs import task_mmu
from vmtui.engine.include.fs import File
from vmtui.engine.include.layout import PAGE_SHIFT, PAGE_SIZE
from vmtui.engine.include.mmzone import (
    MAX_ORDER,
    ZONE_NAMES,
    ZONE_NORMAL,
    Node,
    PG_anon,
    PG_dirty,
    PG_mlocked,
    PG_pgtable,
    PG_swapcache,
    PG_writeback,
    Zone,
)

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine, Task


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
            for i in range(len(lru.lists)):
                lst = lru.pfns(i)  # with the multi-gen LRU: by generation (lru_gen_is_active)
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
        stack_kb = task_mmu.THREAD_SIZE.get(m.layout.arch, 16 << 10) >> 10
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
