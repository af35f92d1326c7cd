"""LRU lists and page reclaim (mm/vmscan.c, mm/swap.c; Linux 5.4).

Each node has a lruvec of five lists. A list is an ordered dict used as an
ordered set of pfns: the newest page at the end (the list head in the
kernel), the oldest at the front (the tail, where reclaim scans).

Reclaim follows 5.4 function by function:

    kswapd (one per node, kswapd.py runs it on a thread of its own)
      balance_pgdat          priority DEF_PRIORITY (12) down, until a zone is
                             above its high watermark
        kswapd_shrink_node -> shrink_node
    __alloc_pages_slowpath (mm/page_alloc.py)
      try_to_free_pages -> do_try_to_free_pages -> shrink_zones -> shrink_node
    shrink_node -> shrink_node_memcg (mainline: shrink_lruvec)
      get_scan_count          how much of each list, swappiness weighing anon
                              against file
      shrink_list -> shrink_active_list    deactivate (referenced executable
                                           file pages get another round)
                  -> shrink_inactive_list -> shrink_page_list
                       page_check_references (page_referenced through rmap)
                       add_to_swap, try_to_unmap, pageout, __remove_mapping

Kernel 6.18 (m.kmodel.lru_gen) boots with the multi-gen LRU: the lruvec's `lrugen`
(mm/lru_gen.py) holds the evictable pages in generations and its four evictable lists
stay empty; shrink_node and kswapd's aging go to lru_gen_shrink_node / lru_gen_age_node.
Without it, the two lists weigh anon against file by m.kmodel.get_scan_count (5.4's
scanned/rotated ratios, or mainline's anon_cost/file_cost that lru_note_cost keeps).

The swap device completes writes synchronously (the "probably a ramdisk"
case of shrink_page_list), so a page swapped out or written back is freed in
the same pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING

from vmtui.engine.arch.x86 import tlb
from vmtui.engine.include.fs import File
from vmtui.engine.include.layout import PAGE_SHIFT
from vmtui.engine.include.mm_types import VM_EXEC, VM_LOCKED, MmStruct
from vmtui.engine.include.mmzone import (
    ZONE_MOVABLE,
    ZONE_NAMES,
    LruLinks,
    LruList,
    Node,
    Page,
    PG_active,
    PG_anon,
    PG_dirty,
    PG_lru,
    PG_mlocked,
    PG_referenced,
    PG_swapbacked,
    PG_swapcache,
    PG_unevictable,
    PG_workingset,
    Zone,
)
from vmtui.engine.include.pgtable import _PAGE_ACCESSED, _PAGE_DIRTY
from vmtui.engine.mm import (
    kswapd,
    lru_gen,
    oom_kill,
    page_alloc,
    page_writeback,
    rmap,
    shmem,
    swap,
    swapfile,
    workingset,
)

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine, Task

F = "mm/vmscan.c"

LRU_INACTIVE_ANON, LRU_ACTIVE_ANON, LRU_INACTIVE_FILE, LRU_ACTIVE_FILE, LRU_UNEVICTABLE = range(5)
LRU_NAMES = ("inactive_anon", "active_anon", "inactive_file", "active_file", "unevictable")
EVICTABLE_LRUS = (LRU_INACTIVE_ANON, LRU_ACTIVE_ANON, LRU_INACTIVE_FILE, LRU_ACTIVE_FILE)

SWAP_CLUSTER_MAX = 32
DEF_PRIORITY = 12
MAX_RECLAIM_RETRIES = 16

# PG_reclaim (include/linux/page-flags.h): reclaim wants the page freed as soon as its
# writeback ends. include/mmzone.py's flags stop at bit 15.
PG_reclaim = 1 << 16

# pgdat->flags
PGDAT_DIRTY = 1 << 0  # reclaim met pages dirty and not queued for I/O: kswapd may write

# page_check_references() verdicts
PAGEREF_RECLAIM, PAGEREF_RECLAIM_CLEAN, PAGEREF_KEEP, PAGEREF_ACTIVATE = range(4)
SCAN_EQUAL, SCAN_FRACT, SCAN_ANON, SCAN_FILE = ("SCAN_EQUAL", "SCAN_FRACT", "SCAN_ANON",
                                                "SCAN_FILE")


class Lruvec:
    """struct lruvec (with the pgdat fields reclaim keeps beside it): five LRU lists,
    the recent scanned/rotated ratios get_scan_count weighs, and the workingset clock."""

    __slots__ = ("lists", "recent_scanned", "recent_rotated", "inactive_age", "refaults",
                 "workingset_activate", "shadows", "shadow_nodes", "flags", "lrugen",
                 "anon_cost", "file_cost")

    def __init__(self, links: LruLinks) -> None:
        # through page->lru: the frame table's link arrays (mmzone.LruList)
        self.lists: list[LruList] = [links.new_list() for _ in range(5)]
        self.recent_scanned = [0, 0]  # reclaim_stat: [anon, file]
        self.recent_rotated = [0, 0]
        self.inactive_age = 0  # lruvec->inactive_age: evictions + activations (workingset.c)
        self.refaults = 0  # WORKINGSET_ACTIVATE when reclaim last looked (snapshot_refaults)
        self.workingset_activate = 0
        # shadow entries of evicted page-cache pages: (inode, index) -> the packed shadow
        # (eviction << 1 | workingset), and the xa_nodes holding them (workingset.py)
        self.shadows: dict[tuple[int, int], int] = {}
        self.shadow_nodes: dict[tuple[int, int], int] = {}
        self.flags = 0  # PGDAT_DIRTY
        # the multi-gen LRU (lru_gen.LruGenFolio) when the kernel runs it, else None
        self.lrugen: lru_gen.LruGenFolio | None = None
        # mainline's reclaim cost (lru_note_cost): what get_scan_count_cost weighs
        self.anon_cost = 0
        self.file_cost = 0

    def sizes(self) -> dict[str, int]:
        """Pages per list. With the multi-gen LRU, the two youngest generations count as
        active and the rest inactive, as its NR_LRU counters keep them (lru_gen_is_active)."""
        out = {name: len(lst) for name, lst in zip(LRU_NAMES, self.lists, strict=True)}
        g = self.lrugen
        if g is not None:
            for gen in range(lru_gen.MAX_NR_GENS):
                active = lru_gen.lru_gen_is_active(g, gen)
                for type_ in (0, 1):
                    out[LRU_NAMES[2 * type_ + active]] += max(g.nr_pages[gen][type_], 0)
        return out

    def pfns(self, lru: int) -> list[int] | LruList:
        """The pfns counted as on list `lru` (see sizes()), oldest first (the list itself
        with the two-list LRU)."""
        g = self.lrugen
        if g is None or lru == LRU_UNEVICTABLE:
            return self.lists[lru]
        type_, active = divmod(lru, 2)
        out: list[int] = []
        for seq in range(g.min_seq[type_], g.max_seq + 1):
            gen = lru_gen.lru_gen_from_seq(seq)
            if lru_gen.lru_gen_is_active(g, gen) == bool(active):
                out.extend(g.folios[gen][type_])
        return out


def page_is_file_cache(page: Page) -> bool:
    """page_is_file_cache(): not swap-backed (page cache, or a MADV_FREE'd anon page)."""
    return not page.flags & PG_swapbacked


def page_lru(page: Page) -> int:
    """page_lru(): which list the page belongs on, from its flags (5.4: swap-backed pages
    on the anon lists, the rest - MADV_FREE'd anon pages included - on the file lists)."""
    return lru_of_flags(page.flags)


def lru_of_flags(f: int) -> int:
    """page_lru() of a page whose flags are `f` (for frames that have no Page)."""
    if f & PG_unevictable:
        return LRU_UNEVICTABLE
    base = LRU_INACTIVE_ANON if f & PG_swapbacked else LRU_INACTIVE_FILE
    return base + (1 if f & PG_active else 0)


def add_page_to_lru(m: Machine, page: Page) -> None:
    """add_page_to_lru_list() (lruvec_add_folio): onto the head of the list its flags
    choose, or the generation lru_gen_add_folio() picks."""
    if m.mem.touched is not None:  # check/incremental.py
        m.mem.touched.add(page.pfn)
    page.flags |= PG_lru
    lruvec = m.mem.nodes[page.zone.node.id].lru
    if lruvec.lrugen is not None and lru_gen.lru_gen_add_folio(lruvec, page, False):
        return
    lruvec.lists[page_lru(page)][page.pfn] = None


def add_run_to_lru(m: Machine, zone: Zone, pfn: int, n: int, flags: int) -> None:
    """add_page_to_lru() of n new evictable frames from `pfn` that all have `flags`
    (PG_lru among them) and no struct page yet: their flags set in the frame table's
    arrays, and onto the list page_lru() picks, or the generation lru_gen_add_folio()
    picks, a run at a time."""
    lruvec = zone.node.lru
    if lruvec.lrugen is not None:
        gen_flags = lru_gen.lru_gen_add_run(lruvec, pfn, n, flags)
        if gen_flags is not None:
            m.mem.pages.set_flags(pfn, n, gen_flags)
            return
    m.mem.pages.set_flags(pfn, n, flags)
    lruvec.lists[lru_of_flags(flags)].add_run(pfn, n)


def add_page_to_lru_tail(m: Machine, page: Page) -> None:
    """add_page_to_lru_list_tail() (lruvec_add_folio_tail): at the tail, reclaimed first
    (with the multi-gen LRU: the oldest generation, lru_gen_add_folio reclaiming)."""
    if m.mem.touched is not None:  # check/incremental.py
        m.mem.touched.add(page.pfn)
    page.flags |= PG_lru
    lruvec = m.mem.nodes[page.zone.node.id].lru
    if lruvec.lrugen is not None and lru_gen.lru_gen_add_folio(lruvec, page, True):
        return
    lst = lruvec.lists[page_lru(page)]
    lst[page.pfn] = None
    lst.move_to_end(page.pfn, last=False)


def del_page_from_lru(m: Machine, page: Page) -> None:
    """del_page_from_lru_list() (lruvec_del_folio): off whichever list it is on."""
    if m.mem.touched is not None:  # check/incremental.py (free_page() comes through here)
        m.mem.touched.add(page.pfn)
        m.mem.unlinked.setdefault(page.pfn, page)  # type: ignore[union-attr]
    if page.flags & PG_lru:
        lruvec = m.mem.nodes[page.zone.node.id].lru
        if lruvec.lrugen is None or not lru_gen.lru_gen_del_folio(lruvec, page, False):
            lruvec.lists[page_lru(page)].pop(page.pfn, None)
        page.flags &= ~PG_lru


def lru_cache_add_active_or_unevictable(m: Machine, page: Page, locked: bool) -> None:
    """lru_cache_add_active_or_unevictable(): a new anonymous page, through this CPU's
    lru_add_pvec (mm/swap.py)."""
    swap.lru_cache_add_active_or_unevictable(m, page, locked)


def lru_cache_add_file(m: Machine, page: Page) -> None:
    """add_to_page_cache_lru(): a new page-cache page starts inactive, unless its shadow
    entry says it was evicted recently (workingset_refault); then lru_cache_add()."""
    if isinstance(page.mapping, File) and not page.mapping.shmem:
        workingset.workingset_refault(m, page)
    if m.mem.nodes[page.zone.node.id].lru.lrugen is not None:
        # folio_add_lru(): a page added during a fault (lru_gen_in_fault; every page-cache
        # page here comes through filemap_fault and its readahead) starts young
        page.flags |= PG_active
    swap.lru_cache_add(m, page)


def activate_page(m: Machine, page: Page) -> None:
    """activate_page(): queued in this CPU's activate_page_pvecs (mm/swap.py)."""
    swap.activate_page(m, page)


def mark_page_accessed(m: Machine, page: Page) -> None:
    """mark_page_accessed() (mm/swap.py)."""
    swap.mark_page_accessed(m, page)


def page_evictable(page: Page) -> bool:
    """page_evictable(): not mlocked (ramfs-like unevictable mappings are not simulated)."""
    return not page.flags & PG_mlocked


def rotate_reclaimable_page(m: Machine, page: Page) -> None:
    """rotate_reclaimable_page(): queued in this CPU's lru_rotate_pvecs (mm/swap.py)."""
    swap.rotate_reclaimable_page(m, page)


# ---------------------------------------------------------------- kswapd state
class KswapdState:
    """The kswapd thread of one node as the UI shows it (the thread itself lives in
    kswapd.py and is not part of the machine's state)."""

    __slots__ = ("nid", "state", "wakeups", "scanned", "reclaimed", "pending", "runs",
                 "failures", "classzone_idx", "order", "priority", "last", "step_runs",
                 "step_scanned", "step_reclaimed", "step_muted")

    def __init__(self, nid: int) -> None:
        self.nid = nid
        self.state = "sleeping"  # "running" while balance_pgdat works
        self.wakeups = 0
        self.scanned = 0
        self.reclaimed = 0
        self.pending = False  # woken, not yet run
        self.runs = 0
        self.failures = 0  # pgdat->kswapd_failures: balance_pgdat runs that freed nothing
        self.classzone_idx = -1  # pgdat->kswapd_classzone_idx (-1: MAX_NR_ZONES, unset)
        self.order = 0
        self.priority = DEF_PRIORITY
        self.last = ""  # what the last run did, in a line
        self.step_runs = 0  # runs during the current step (for its summary)
        self.step_scanned = 0
        self.step_reclaimed = 0
        self.step_muted = 0  # of them, runs whose own events were muted by bulk work


# ---------------------------------------------------------------- scan_control
@dataclass(slots=True)
class ScanControl:
    """struct scan_control: one reclaim pass's goal, limits and running counts."""

    nr_to_reclaim: int
    reclaim_idx: int
    priority: int = DEF_PRIORITY
    may_writepage: bool = True
    may_unmap: bool = True
    may_swap: bool = True
    is_kswapd: bool = False
    nr_scanned: int = 0
    nr_reclaimed: int = 0
    # sc->nr: what shrink_node saw this round
    nr_dirty: int = 0
    nr_unqueued_dirty: int = 0
    nr_taken: int = 0
    nr_file_taken: int = 0
    # for the narration
    swapped_out: int = 0
    file_dropped: int = 0
    written_back: int = 0
    activated: int = 0
    deactivated: int = 0
    look_around: int = 0  # young neighbours lru_gen_look_around promoted
    # the PTE a fault in flight holds
    locked_pte: tuple[int, int] | None = None
    by_lru: list[int] = field(default_factory=lambda: [0, 0, 0, 0, 0])


def _context(m: Machine, sc: ScanControl) -> None:
    sc.locked_pte = kswapd.fault_pte(m)


def _mm_live(m: Machine, mm: MmStruct) -> bool:
    """Whether `mm` is a live task's: a child's is not while dup_mmap is still copying
    into it (the child joins m.tasks at the end of fork). Runtime: O(1), not O(tasks)."""
    t = mm.owner
    return t is not None and t.alive and m.tasks.get(t.pid) is t


def lru_size(node: Node, lru: int, zone_idx: int) -> int:
    """lruvec_lru_size(): pages on the list in zones up to `zone_idx`."""
    lst = node.lru.lists[lru] if node.lru.lrugen is None else node.lru.pfns(lru)
    if all(not z.managed for z in node.zones[zone_idx + 1:]):
        return len(lst)
    zones = {z for z in node.zones[: zone_idx + 1]}
    return sum(1 for pfn in lst if _zone_of_pfn(node, pfn) in zones)


def _zone_of_pfn(node: Node, pfn: int) -> Zone | None:
    for z in node.zones:
        if z.start_pfn <= pfn < z.end_pfn and z.present:
            return z
    return None


# ---------------------------------------------------------------- rmap side
def page_referenced(m: Machine, page: Page, sc: ScanControl | None = None
                    ) -> tuple[int, int]:
    """page_referenced(): test and clear the accessed bit of every PTE mapping the page
    (page_referenced_one, through rmap_walk). Returns (referencing PTEs, their vm_flags).
    With the multi-gen LRU a young PTE runs lru_gen_look_around() on its neighbours."""
    if not page.mapcount:
        return 0, 0
    referenced = 0
    vm_flags = 0
    gen_lru = page.zone.node.lru.lrugen is not None
    for vma, addr, ents, idx, pte in rmap.page_vma_mapped_walk(m, page):
        if vma.vm_flags & VM_LOCKED:
            vm_flags |= VM_LOCKED
            break
        if gen_lru and pte & _PAGE_ACCESSED:
            lru_gen.lru_gen_look_around(m, vma, addr, ents, idx, page, sc)
            referenced += 1
            vm_flags |= vma.vm_flags
            continue
        if pte & _PAGE_ACCESSED:
            ents[idx] = pte & ~_PAGE_ACCESSED  # ptep_clear_flush_young (x86: no flush)
            referenced += 1
            vm_flags |= vma.vm_flags
    return referenced, vm_flags


def page_check_references(m: Machine, page: Page, sc: ScanControl | None = None) -> int:
    """page_check_references(): activate, keep for another round, or reclaim. With the
    multi-gen LRU: reclaim an unreferenced page; a referenced one is kept the first time
    (PG_referenced) and promoted after (lru_gen_set_refs)."""
    referenced_ptes, vm_flags = page_referenced(m, page, sc)
    if page.zone.node.lru.lrugen is not None:
        if vm_flags & VM_LOCKED:
            return PAGEREF_RECLAIM
        if not referenced_ptes:
            return PAGEREF_RECLAIM
        return PAGEREF_ACTIVATE if lru_gen.lru_gen_set_refs(page) else PAGEREF_KEEP
    referenced_page = bool(page.flags & PG_referenced)
    page.flags &= ~PG_referenced
    if vm_flags & VM_LOCKED:
        return PAGEREF_RECLAIM  # try_to_unmap will move it to the unevictable list
    if referenced_ptes:
        if page.flags & PG_swapbacked:
            return PAGEREF_ACTIVATE
        page.flags |= PG_referenced
        if referenced_page or referenced_ptes > 1:
            return PAGEREF_ACTIVATE
        if vm_flags & VM_EXEC:
            return PAGEREF_ACTIVATE
        return PAGEREF_KEEP
    if referenced_page and not page.flags & PG_swapbacked:
        return PAGEREF_RECLAIM_CLEAN
    return PAGEREF_RECLAIM


def set_page_dirty(page: Page) -> None:
    """set_page_dirty(): file pages count in their mapping's dirty pages."""
    if not page.flags & PG_dirty:
        page.flags |= PG_dirty
        if isinstance(page.mapping, File) and not page.flags & PG_anon and \
                not page.mapping.shmem:  # shmem: __set_page_dirty_no_writeback
            page.mapping.nr_dirty += 1


def try_to_unmap(m: Machine, page: Page, sc: ScanControl) -> bool:
    """try_to_unmap() -> try_to_unmap_one() for every mapping: an anon PTE becomes the
    page's swap entry, a file PTE is cleared. False if one mapping must stay."""
    anon = bool(page.flags & PG_anon)
    for vma, addr, ents, idx, pte in rmap.page_vma_mapped_walk(m, page):
        if not page.mapcount:
            break
        mm = vma.vm_mm
        if vma.vm_flags & VM_LOCKED:
            # mlock_vma_page(): the page was mlocked behind reclaim's back
            if not page.flags & PG_mlocked:
                page.flags |= PG_mlocked
                m.count("unevictable_pgs_mlocked")
            return False
        if not _mm_live(m, mm) or (id(mm), addr) == sc.locked_pte:
            return False  # a fault or fork holds this page table: try again later
        if pte & _PAGE_DIRTY:
            set_page_dirty(page)
        if anon:
            if not page.flags & PG_swapbacked:
                # MADV_FREE: a clean lazily-freed page is discarded, a re-dirtied one stays
                if page.flags & PG_dirty:
                    page.flags |= PG_swapbacked
                    return False
                del ents[idx]
                mm.rss_anon -= 1
            else:
                entry = page.private
                m.swap.duplicate(entry)
                ents[idx] = entry
                mm.rss_anon -= 1
                mm.rss_swap += 1
        else:
            del ents[idx]
            if page.flags & PG_swapbacked:
                mm.rss_shmem -= 1
            else:
                mm.rss_file -= 1
        page.mapcount -= 1
        m.touched_mms.add(mm)  # another task's rss may have changed
        tlb.flush_tlb_page(m, mm, addr)
    return page.mapcount == 0


# ---------------------------------------------------------------- shrinking
def isolate_lru_pages(m: Machine, node: Node, nr_to_scan: int, lru: int, sc: ScanControl
                      ) -> tuple[list[Page], int]:
    """isolate_lru_pages(): take up to nr_to_scan pages off the tail of the list; pages of
    zones above reclaim_idx are skipped and spliced back at the head."""
    lst = node.lru.lists[lru]
    pages = m.mem.pages
    taken: list[Page] = []
    skipped: list[int] = []
    total_scan = 0
    reclaim_idx = sc.reclaim_idx
    touched = m.mem.touched
    while len(taken) < nr_to_scan and lst:
        for pfn in list(islice(lst, nr_to_scan - len(taken))):
            total_scan += 1
            page = pages[pfn]
            del lst[pfn]
            if touched is not None:  # check/incremental.py
                touched.add(pfn)
            if page.zone.idx > reclaim_idx:
                skipped.append(pfn)
                m.count("pgskip_" + ZONE_NAMES[page.zone.idx].lower())
                continue
            page.flags &= ~PG_lru
            taken.append(page)
    for pfn in skipped:
        lst[pfn] = None
    return taken, total_scan


def putback_lru_page(m: Machine, page: Page) -> None:
    """putback_inactive_pages() / move_active_pages_to_lru(): back on the list its flags
    choose; a page that is not evictable goes through putback_lru_page() ->
    lru_cache_add(), and the drain culls it to the unevictable list (UNEVICTABLE_PGCULLED)."""
    if not page_evictable(page):
        swap.putback_lru_page(m, page)
        return
    if page.flags & PG_unevictable:
        page.flags &= ~PG_unevictable
    add_page_to_lru(m, page)


def _free_swap_if_unused(m: Machine, page: Page) -> None:
    """try_to_free_swap(): no PTE holds the entry any more: drop it from the swap cache
    (the page must be written again if it is ever reclaimed)."""
    swapfile.try_to_free_swap(m, page)


def shrink_page_list(m: Machine, node: Node, pages: list[Page], sc: ScanControl,
                     keep_out: list[Page] | None = None) -> tuple[int, dict[str, int]]:
    """shrink_page_list(): try to free each isolated page; put back the ones that stay
    (or, with `keep_out`, hand them to the caller: evict_folios puts them back itself)."""
    stat = {"nr_dirty": 0, "nr_unqueued_dirty": 0, "nr_activate_anon": 0,
            "nr_activate_file": 0, "nr_immediate": 0, "swapped": 0, "dropped": 0, "written": 0,
            "ref_keep": 0, "unmap_fail": 0}
    nr_reclaimed = 0
    keep: list[Page] = []
    lru = node.lru
    for page in pages:
        sc.nr_scanned += 1
        if page.refcount > 1:
            keep.append(page)  # trylock_page() fails: a fault holds it for a copy
            continue
        if not page_evictable(page):
            keep.append(page)  # putback culls it to the unevictable list
            continue
        if not sc.may_unmap and page.mapcount:
            keep.append(page)
            continue
        anon_lazyfree = bool(page.flags & PG_anon and not page.flags & PG_swapbacked)
        file = page_is_file_cache(page)
        if file and not anon_lazyfree and page.flags & PG_dirty:
            stat["nr_dirty"] += 1
            stat["nr_unqueued_dirty"] += 1  # nothing sits under async writeback here
        references = page_check_references(m, page, sc)
        activate = False
        if references == PAGEREF_ACTIVATE:
            activate = True
        elif references == PAGEREF_KEEP:
            stat["ref_keep"] += 1
            keep.append(page)
            continue
        if not activate and page.flags & PG_swapbacked and page.flags & PG_anon and \
                not page.flags & PG_swapcache:
            if not swapfile.add_to_swap(m, page):
                activate = True  # no swap space
        if not activate and page.mapcount:
            if not try_to_unmap(m, page, sc):
                stat["unmap_fail"] += 1
                activate = True
        if not activate and page.flags & PG_dirty:
            if file and not anon_lazyfree and (
                    not sc.is_kswapd or not page.flags & PG_reclaim or
                    not lru.flags & PGDAT_DIRTY):
                # only kswapd writes file pages, and only ones seen dirty before: leave
                # the rest to the flusher threads and free them once clean
                node.stat["nr_vmscan_immediate_reclaim"] = \
                    node.stat.get("nr_vmscan_immediate_reclaim", 0) + 1
                stat["nr_immediate"] += 1
                page.flags |= PG_reclaim
                activate = True
            elif references == PAGEREF_RECLAIM_CLEAN or not sc.may_writepage:
                keep.append(page)
                continue
            else:
                # pageout(): ->writepage; the device completes at once
                if page.flags & PG_swapcache:
                    swapfile.swap_writepage(m, page)
                    stat["swapped"] += 1
                elif isinstance(page.mapping, File) and page.mapping.shmem:
                    # shmem_writepage(): into the swap cache and out to swap, or
                    # AOP_WRITEPAGE_ACTIVATE when there is no swap to take it
                    if shmem.shmem_writepage(m, page):
                        stat["swapped"] += 1
                    else:
                        activate = True
                else:
                    page_writeback.writepage(m, page)
                    stat["written"] += 1
                if not activate:
                    node.stat["nr_vmscan_write"] = node.stat.get("nr_vmscan_write", 0) + 1
        if activate:
            # activate_locked:
            if page.flags & PG_swapcache and (m.swap.vm_swap_full() or
                                              page.flags & PG_mlocked):
                _free_swap_if_unused(m, page)
            if not page.flags & PG_mlocked:
                page.flags |= PG_active
                m.count("pgactivate")
                stat["nr_activate_file" if page_is_file_cache(page) else "nr_activate_anon"] += 1
            keep.append(page)
            continue
        # __remove_mapping(): out of the swap cache or the page cache, and free
        if page.flags & PG_swapcache:
            if lru.lrugen is not None:
                workingset.workingset_eviction(m, node, page)  # a shadow in the swap cache
            swapfile.delete_from_swap_cache(m, page)
        elif isinstance(page.mapping, File) and not page.flags & PG_anon:
            f = page.mapping
            if f.pages.get(page.index) is page:
                del f.pages[page.index]
            if f.shmem:
                # a clean shmem page (never written: it reads as zeroes) just leaves the
                # page cache; shmem_recalc_inode() gives back a VM_NORESERVE charge
                if f.noreserve:
                    m.committed_as -= 1
            else:
                workingset.workingset_eviction(m, node, page)
            stat["dropped"] += 1
        elif anon_lazyfree:
            m.count("pglazyfreed")
        page.flags &= ~(PG_reclaim | PG_active)
        page.mapping = None
        page_alloc.free_page(m, page)
        nr_reclaimed += 1
    if keep_out is not None:
        keep_out.extend(keep)
        return nr_reclaimed, stat
    for page in keep:
        putback_lru_page(m, page)
    return nr_reclaimed, stat


def shrink_inactive_list(m: Machine, node: Node, nr_to_scan: int, lru: int, sc: ScanControl
                         ) -> int:
    """shrink_inactive_list(): isolate from the tail, shrink_page_list, put the rest back."""
    file = lru == LRU_INACTIVE_FILE
    swap.lru_add_drain(m)  # this CPU's batched pages join the lists before isolation
    pages, nr_scanned = isolate_lru_pages(m, node, nr_to_scan, lru, sc)
    nr_taken = len(pages)
    lruvec = node.lru
    lruvec.recent_scanned[file] += nr_taken
    m.count("pgscan_kswapd" if sc.is_kswapd else "pgscan_direct", nr_scanned)
    m.count("pgscan_file" if file else "pgscan_anon", nr_scanned)
    sc.by_lru[lru] += nr_scanned
    if not nr_taken:
        return 0
    nr_reclaimed, stat = shrink_page_list(m, node, pages, sc)
    m.count("pgsteal_kswapd" if sc.is_kswapd else "pgsteal_direct", nr_reclaimed)
    m.count("pgsteal_file" if file else "pgsteal_anon", nr_reclaimed)
    lruvec.recent_rotated[0] += stat["nr_activate_anon"]
    lruvec.recent_rotated[1] += stat["nr_activate_file"]
    lru_note_cost(lruvec, file, stat["swapped"] + stat["written"], nr_scanned - nr_reclaimed)
    sc.swapped_out += stat["swapped"]
    sc.file_dropped += stat["dropped"]
    sc.written_back += stat["written"]
    sc.activated += stat["nr_activate_anon"] + stat["nr_activate_file"]
    if stat["nr_unqueued_dirty"] == nr_taken:
        # every page was dirty and not queued: the flushers are not keeping up
        page_writeback.wakeup_flusher_threads(m, "WB_REASON_VMSCAN")
    sc.nr_dirty += stat["nr_dirty"]
    sc.nr_unqueued_dirty += stat["nr_unqueued_dirty"]
    sc.nr_taken += nr_taken
    if file:
        sc.nr_file_taken += nr_taken
    return nr_reclaimed


def shrink_active_list(m: Machine, node: Node, nr_to_scan: int, lru: int, sc: ScanControl
                       ) -> None:
    """shrink_active_list(): move pages from the active tail to the inactive list,
    clearing their accessed bits; referenced executable file pages stay active."""
    file = lru == LRU_ACTIVE_FILE
    swap.lru_add_drain(m)
    pages, nr_scanned = isolate_lru_pages(m, node, nr_to_scan, lru, sc)
    lruvec = node.lru
    lruvec.recent_scanned[file] += len(pages)
    m.count("pgrefill", nr_scanned)
    sc.by_lru[lru] += nr_scanned
    nr_rotated = 0
    nr_deactivate = 0
    keep_active: list[Page] = []
    inactive: list[Page] = []
    for page in pages:
        if not page_evictable(page):
            putback_lru_page(m, page)
            continue
        referenced, vm_flags = page_referenced(m, page)
        if referenced:
            nr_rotated += 1
            if vm_flags & VM_EXEC and page_is_file_cache(page):
                keep_active.append(page)
                continue
        page.flags = (page.flags & ~PG_active) | PG_workingset
        inactive.append(page)
    lruvec.recent_rotated[file] += nr_rotated
    lru_note_cost(lruvec, file, 0, nr_rotated)
    for page in keep_active:
        add_page_to_lru(m, page)
    for page in inactive:
        add_page_to_lru(m, page)
        nr_deactivate += 1
    m.count("pgdeactivate", nr_deactivate)
    sc.deactivated += nr_deactivate


def inactive_list_is_low(m: Machine, node: Node, file: bool, sc: ScanControl) -> bool:
    """inactive_list_is_low(): too few inactive pages for the active ones? The ratio grows
    with the square root of the list sizes in GB; refaults switch file protection off."""
    if not file and not m.swap.total():
        return False  # no swap: deactivating anon pages is pointless
    lruvec = node.lru
    base = LRU_INACTIVE_FILE if file else LRU_INACTIVE_ANON
    inactive = lru_size(node, base, sc.reclaim_idx)
    active = lru_size(node, base + 1, sc.reclaim_idx)
    if file and lruvec.refaults != lruvec.workingset_activate:
        ratio = 0
    else:
        gb = (inactive + active) >> (30 - PAGE_SHIFT)
        ratio = math.isqrt(10 * gb) if gb else 1
    return inactive * ratio < active


def lru_note_cost(lruvec: Lruvec, file: bool, nr_io: int, nr_rotated: int) -> None:
    """lru_note_cost() (mm/swap.c, 5.9+): reclaim cost of a list, IO weighing
    SWAP_CLUSTER_MAX times a rotation; halved once it exceeds a quarter of the lists.
    Only mainline's get_scan_count_cost reads it."""
    cost = nr_io * SWAP_CLUSTER_MAX + nr_rotated
    if not cost:
        return
    if file:
        lruvec.file_cost += cost
    else:
        lruvec.anon_cost += cost
    lrusize = sum(len(lruvec.lists[i]) for i in EVICTABLE_LRUS)
    if lruvec.file_cost + lruvec.anon_cost > lrusize // 4:
        lruvec.file_cost //= 2
        lruvec.anon_cost //= 2


def get_scan_count(m: Machine, node: Node, sc: ScanControl) -> tuple[list[int], str, int, int]:
    """get_scan_count(): the kernel model's (5.4's ratios, or mainline's cost model)."""
    return m.kmodel.get_scan_count(m, node, sc)  # type: ignore[no-any-return]


def get_scan_count_cost(m: Machine, node: Node, sc: ScanControl
                        ) -> tuple[list[int], str, int, int]:
    """get_scan_count() of mainline (5.9+) with prepare_scan_control(): file_is_tiny scans
    anon only, cache_trim_mode (enough inactive page cache, not thrashing) file only; else
    the pressure on each type is inversely proportional to its reclaim cost (anon_cost,
    file_cost from lru_note_cost) times swappiness (0..200: 100 weighs anon and file IO
    alike), every type getting at least a third of it before swappiness."""
    swappiness = m.sysctl["vm.swappiness"]
    lruvec = node.lru
    fraction = [0, 0]
    denominator = 1
    balance = SCAN_FRACT
    file_low = inactive_list_is_low(m, node, True, sc)
    anon_low = inactive_list_is_low(m, node, False, sc)
    if not sc.may_swap or m.swap.nr_swap_pages() <= 0:
        balance = SCAN_FILE
    elif not sc.priority and swappiness:
        balance = SCAN_EQUAL
    else:
        pgdatfree = node.free_pages()
        pgdatfile = len(lruvec.lists[LRU_ACTIVE_FILE]) + len(lruvec.lists[LRU_INACTIVE_FILE])
        total_high = sum(z.high_wmark() for z in node.zones if z.managed)
        if pgdatfile + pgdatfree <= total_high and not anon_low and \
                len(lruvec.lists[LRU_INACTIVE_ANON]) >> sc.priority:
            balance = SCAN_ANON  # sc->file_is_tiny
        elif len(lruvec.lists[LRU_INACTIVE_FILE]) >> sc.priority and not file_low:
            balance = SCAN_FILE  # sc->cache_trim_mode
        else:
            total_cost = lruvec.anon_cost + lruvec.file_cost
            anon_cost = total_cost + lruvec.anon_cost
            file_cost = total_cost + lruvec.file_cost
            total_cost = anon_cost + file_cost
            ap = swappiness * (total_cost + 1) // (anon_cost + 1)
            fp = (200 - swappiness) * (total_cost + 1) // (file_cost + 1)
            fraction = [ap, fp]
            denominator = ap + fp or 1
    nr = [0, 0, 0, 0]
    for lru in EVICTABLE_LRUS:
        is_file = lru >= LRU_INACTIVE_FILE
        scan = lru_size(node, lru, sc.reclaim_idx) >> sc.priority
        if balance == SCAN_FRACT:
            scan = scan * fraction[is_file] // denominator  # div64_u64 (memcg online)
        elif balance in (SCAN_FILE, SCAN_ANON) and (balance == SCAN_FILE) != is_file:
            scan = 0
        nr[lru] = scan
    return nr, balance, fraction[0], fraction[1]


def get_scan_count_54(m: Machine, node: Node, sc: ScanControl
                      ) -> tuple[list[int], str, int, int]:
    """get_scan_count() of 5.4: how many pages of each evictable list to scan at this
    priority.

    anon_prio = swappiness and file_prio = 200 - swappiness, each scaled by how few of the
    recently scanned pages were rotated back; no free swap means file pages only.
    Returns (nr per list, scan balance, anon fraction, file fraction).
    """
    swappiness = m.sysctl["vm.swappiness"]
    lruvec = node.lru
    fraction = [0, 0]
    denominator = 1
    balance = SCAN_FRACT
    if not sc.may_swap or m.swap.nr_swap_pages() <= 0:
        balance = SCAN_FILE
    elif not sc.priority and swappiness:
        balance = SCAN_EQUAL
    else:
        pgdatfree = node.free_pages()
        pgdatfile = len(lruvec.lists[LRU_ACTIVE_FILE]) + len(lruvec.lists[LRU_INACTIVE_FILE])
        total_high = sum(z.high_wmark() for z in node.zones[: sc.reclaim_idx + 1] if z.managed)
        if pgdatfile + pgdatfree <= total_high and \
                not inactive_list_is_low(m, node, False, sc) and \
                lru_size(node, LRU_INACTIVE_ANON, sc.reclaim_idx) >> sc.priority:
            balance = SCAN_ANON  # so little page cache that it would be thrashed
        elif not inactive_list_is_low(m, node, True, sc) and \
                lru_size(node, LRU_INACTIVE_FILE, sc.reclaim_idx) >> sc.priority:
            balance = SCAN_FILE  # enough inactive page cache: leave anon alone
        else:
            anon_prio = swappiness
            file_prio = 200 - anon_prio
            anon = len(lruvec.lists[LRU_ACTIVE_ANON]) + len(lruvec.lists[LRU_INACTIVE_ANON])
            file = len(lruvec.lists[LRU_ACTIVE_FILE]) + len(lruvec.lists[LRU_INACTIVE_FILE])
            rs, rr = lruvec.recent_scanned, lruvec.recent_rotated
            if rs[0] > anon // 4:
                rs[0] //= 2
                rr[0] //= 2
            if rs[1] > file // 4:
                rs[1] //= 2
                rr[1] //= 2
            ap = anon_prio * (rs[0] + 1) // (rr[0] + 1)
            fp = file_prio * (rs[1] + 1) // (rr[1] + 1)
            fraction = [ap, fp]
            denominator = ap + fp + 1
    nr = [0, 0, 0, 0]
    for lru in EVICTABLE_LRUS:
        is_file = lru >= LRU_INACTIVE_FILE
        scan = lru_size(node, lru, sc.reclaim_idx) >> sc.priority
        if balance == SCAN_FRACT:
            scan = -(-scan * fraction[is_file] // denominator)  # DIV64_U64_ROUND_UP
        elif balance in (SCAN_FILE, SCAN_ANON) and (balance == SCAN_FILE) != is_file:
            scan = 0
        nr[lru] = scan
    return nr, balance, fraction[0], fraction[1]


def shrink_list(m: Machine, node: Node, lru: int, nr_to_scan: int, sc: ScanControl) -> int:
    """shrink_list(): an active list is only aged when its inactive list is low."""
    if lru in (LRU_ACTIVE_ANON, LRU_ACTIVE_FILE):
        if inactive_list_is_low(m, node, lru == LRU_ACTIVE_FILE, sc):
            shrink_active_list(m, node, nr_to_scan, lru, sc)
        return 0
    return shrink_inactive_list(m, node, nr_to_scan, lru, sc)


def shrink_node_memcg(m: Machine, node: Node, sc: ScanControl) -> tuple[str, list[int]]:
    """shrink_node_memcg() (mainline: shrink_lruvec()): scan the lists in batches of
    SWAP_CLUSTER_MAX until get_scan_count's targets are met, keeping anon and file in
    proportion once enough has been reclaimed. Returns the scan balance and targets."""
    nr, balance, _ap, _fp = get_scan_count(m, node, sc)
    targets = list(nr)
    nr_to_reclaim = sc.nr_to_reclaim
    nr_reclaimed = 0
    scan_adjusted = not sc.is_kswapd and sc.priority == DEF_PRIORITY
    while nr[LRU_INACTIVE_ANON] or nr[LRU_ACTIVE_FILE] or nr[LRU_INACTIVE_FILE]:
        for lru in EVICTABLE_LRUS:
            if nr[lru]:
                nr_to_scan = min(nr[lru], SWAP_CLUSTER_MAX)
                nr[lru] -= nr_to_scan
                nr_reclaimed += shrink_list(m, node, lru, nr_to_scan, sc)
        if nr_reclaimed < nr_to_reclaim or scan_adjusted:
            continue
        nr_file = nr[LRU_INACTIVE_FILE] + nr[LRU_ACTIVE_FILE]
        nr_anon = nr[LRU_INACTIVE_ANON] + nr[LRU_ACTIVE_ANON]
        if not nr_file or not nr_anon:
            break
        if nr_file > nr_anon:
            scan_target = targets[LRU_INACTIVE_ANON] + targets[LRU_ACTIVE_ANON] + 1
            base = LRU_INACTIVE_ANON
            percentage = nr_anon * 100 // scan_target
        else:
            scan_target = targets[LRU_INACTIVE_FILE] + targets[LRU_ACTIVE_FILE] + 1
            base = LRU_INACTIVE_FILE
            percentage = nr_file * 100 // scan_target
        nr[base] = 0
        nr[base + 1] = 0
        other = LRU_INACTIVE_FILE if base == LRU_INACTIVE_ANON else LRU_INACTIVE_ANON
        for lru in (other, other + 1):
            scanned = targets[lru] - nr[lru]
            nr[lru] = targets[lru] * (100 - percentage) // 100
            nr[lru] -= min(nr[lru], scanned)
        scan_adjusted = True
    sc.nr_reclaimed += nr_reclaimed
    if inactive_list_is_low(m, node, False, sc):
        shrink_active_list(m, node, SWAP_CLUSTER_MAX, LRU_ACTIVE_ANON, sc)
    return balance, targets


def shrink_node(m: Machine, node: Node, sc: ScanControl) -> tuple[bool, str, list[int]]:
    """shrink_node(): one pass over the node's lruvec; a pass that frees something makes
    the node hopeful again for kswapd. With the multi-gen LRU: lru_gen_shrink_node()."""
    nr_reclaimed = sc.nr_reclaimed
    sc.nr_dirty = sc.nr_unqueued_dirty = sc.nr_taken = sc.nr_file_taken = 0
    if node.lru.lrugen is not None:
        lru_gen.lru_gen_shrink_node(m, node, sc)
        return sc.nr_reclaimed > nr_reclaimed, "lru_gen", []
    balance, targets = shrink_node_memcg(m, node, sc)
    reclaimable = sc.nr_reclaimed > nr_reclaimed
    if sc.is_kswapd and sc.nr_unqueued_dirty == sc.nr_file_taken:
        node.lru.flags |= PGDAT_DIRTY  # let kswapd write dirty file pages itself
    if reclaimable:
        node.kswapd.failures = 0
    return reclaimable, balance, targets


def snapshot_refaults(node: Node) -> None:
    """snapshot_refaults(): remember WORKINGSET_ACTIVATE for inactive_list_is_low()."""
    node.lru.refaults = node.lru.workingset_activate


def _rss_text(sc: ScanControl) -> str:
    parts = []
    if sc.swapped_out:
        parts.append(f"{sc.swapped_out} anon swapped out")
    if sc.file_dropped:
        parts.append(f"{sc.file_dropped} file dropped")
    if sc.written_back:
        parts.append(f"{sc.written_back} written back")
    other = sc.nr_reclaimed - sc.swapped_out - sc.file_dropped - sc.written_back
    if other > 0:
        parts.append(f"{other} freed from the swap cache or lazily freed")
    return ", ".join(parts) if parts else "nothing freed"


# ---------------------------------------------------------------- kswapd
def pgdat_balanced(node: Node, order: int, classzone_idx: int) -> bool:
    """pgdat_balanced(): some zone up to classzone_idx is above its high watermark."""
    mark = -1
    for zone in node.zones[: classzone_idx + 1]:
        if not zone.managed:
            continue
        mark = zone.high_wmark()
        if zone.watermark_ok(order, mark, classzone_idx):
            return True
    return mark == -1


def _balanced_text(node: Node, classzone_idx: int) -> str:
    zs = [z for z in node.zones[: classzone_idx + 1] if z.managed]
    return "; ".join(f"{z.name} free {z.nr_free} high {z.high_wmark()}" for z in zs)


def wakeup_kswapd(m: Machine, zone: Zone, order: int = 0,
                  classzone_idx: int = ZONE_MOVABLE) -> None:
    """wakeup_kswapd(): an allocation found the zone below its low watermark; wake the
    kswapd of its node unless it is awake already, hopeless, or the node is balanced."""
    if not zone.managed:
        return
    node = zone.node
    ks: KswapdState = node.kswapd
    ks.classzone_idx = max(ks.classzone_idx, classzone_idx)
    ks.order = max(ks.order, order)
    if ks.pending or ks.state == "running":
        return
    if ks.failures >= MAX_RECLAIM_RETRIES or pgdat_balanced(node, order, classzone_idx):
        return
    ks.pending = True
    ks.wakeups += 1
    m.log.emit("wakeup_kswapd", F, f"zone {node.id}:{zone.name} is below its low watermark "
               f"(free {zone.nr_free}, low {zone.low_wmark()}): wake kswapd{node.id}",
               nid=node.id, zone=zone.name)


def balance_pgdat(m: Machine, node: Node, order: int, classzone_idx: int) -> ScanControl:
    """balance_pgdat(): reclaim at falling priority until the node is balanced (a zone up to
    classzone_idx above its high watermark). Returns its scan_control with what it did."""
    ks: KswapdState = node.kswapd
    log = m.log
    sc = ScanControl(nr_to_reclaim=0, reclaim_idx=classzone_idx, is_kswapd=True)
    _context(m, sc)
    m.count("pageoutrun")
    sc.priority = DEF_PRIORITY
    total_scanned = 0
    while True:
        nr_reclaimed = sc.nr_reclaimed
        raise_priority = True
        sc.reclaim_idx = classzone_idx
        if pgdat_balanced(node, order, classzone_idx):
            break
        ks.priority = sc.priority
        sc.may_writepage = True
        sc.may_swap = True
        before = list(sc.by_lru)
        sc.nr_to_reclaim = sum(max(z.high_wmark(), SWAP_CLUSTER_MAX)
                               for z in node.zones[: sc.reclaim_idx + 1] if z.managed)
        if node.lru.lrugen is not None:
            # kswapd_age_node() -> lru_gen_age_node(): min_ttl_ms's thrashing check
            lru_gen.lru_gen_age_node(m, node, sc)
        elif m.swap.total() and inactive_list_is_low(m, node, False, sc):
            # age_active_anon(): background aging so pages get a chance to be referenced
            shrink_active_list(m, node, SWAP_CLUSTER_MAX, LRU_ACTIVE_ANON, sc)
        sc.nr_scanned = 0
        # kswapd_shrink_node(): reclaim in proportion to the zones' high watermarks
        _reclaimable, balance, targets = shrink_node(m, node, sc)
        if sc.nr_scanned >= sc.nr_to_reclaim:
            raise_priority = False
        total_scanned += sc.nr_scanned
        ks.scanned += sum(sc.by_lru) - sum(before)
        got = sc.nr_reclaimed - nr_reclaimed
        ks.reclaimed += got
        if log.muted == 0 and node.lru.lrugen is not None:
            g = node.lru.lrugen
            log.emit("shrink_node", F, f"[kswapd{node.id}] priority {sc.priority}: "
                     f"lru_gen_shrink_node (swappiness {m.sysctl['vm.swappiness']}) isolated "
                     f"{sc.by_lru[LRU_INACTIVE_ANON] - before[LRU_INACTIVE_ANON]} anon and "
                     f"{sc.by_lru[LRU_INACTIVE_FILE] - before[LRU_INACTIVE_FILE]} file "
                     f"page(s) from the oldest generations, reclaimed {got}; min_seq anon "
                     f"{g.min_seq[0]} file {g.min_seq[1]}, max_seq {g.max_seq}",
                     priority=sc.priority, reclaimed=got, balance=balance,
                     targets=targets)
        elif log.muted == 0:
            scans = ", ".join(f"{LRU_NAMES[i]} {sc.by_lru[i] - before[i]}"
                              for i in EVICTABLE_LRUS if sc.by_lru[i] - before[i])
            log.emit("shrink_node", F, f"[kswapd{node.id}] priority {sc.priority}: "
                     f"get_scan_count {balance} (swappiness {m.sysctl['vm.swappiness']}); "
                     f"scanned {scans or 'nothing'}; reclaimed {got}",
                     priority=sc.priority, reclaimed=got, balance=balance,
                     targets=targets)
        if raise_priority or not got:
            sc.priority -= 1
        if sc.priority < 1:
            break
    if not sc.nr_reclaimed and not pgdat_balanced(node, order, classzone_idx):
        ks.failures += 1
    snapshot_refaults(node)
    ks.step_scanned += sum(sc.by_lru)
    ks.step_reclaimed += sc.nr_reclaimed
    return sc


def kswapd_work(m: Machine, node: Node) -> None:
    """What kswapd() does for one wake-up: balance_pgdat until the node is balanced (or
    hopeless: MAX_RECLAIM_RETRIES runs that freed nothing), then kswapd_try_to_sleep."""
    ks: KswapdState = node.kswapd
    log = m.log
    ks.pending = False
    ks.state = "running"
    ks.runs += 1
    ks.step_runs += 1
    if log.muted:
        ks.step_muted += 1
    classzone = ks.classzone_idx if ks.classzone_idx >= 0 else ZONE_MOVABLE
    order = ks.order
    # kswapd runs on a CPU of its node (the first: the engine must choose one)
    prev_cpu = m.running_cpu
    m.running_cpu = node.cpus[0] if node.cpus else prev_cpu
    log.emit("kswapd", F, f"kswapd{node.id} runs: balance_pgdat reclaims node {node.id} until "
             f"a zone up to {ZONE_NAMES[classzone]} is above its high watermark "
             f"({_balanced_text(node, classzone)})", nid=node.id)
    log.enter()
    total = ScanControl(nr_to_reclaim=0, reclaim_idx=classzone)
    try:
        for _ in range(2 * MAX_RECLAIM_RETRIES):
            sc = balance_pgdat(m, node, order, classzone)
            total.nr_reclaimed += sc.nr_reclaimed
            total.swapped_out += sc.swapped_out
            total.file_dropped += sc.file_dropped
            total.written_back += sc.written_back
            total.by_lru = [a + b for a, b in zip(total.by_lru, sc.by_lru, strict=True)]
            if pgdat_balanced(node, order, classzone) or ks.failures >= MAX_RECLAIM_RETRIES:
                break
    finally:
        log.leave()
        m.running_cpu = prev_cpu
    reclaimed = total.nr_reclaimed
    ks.last = f"scanned {sum(total.by_lru)}, reclaimed {reclaimed} ({_rss_text(total)})"
    balanced = pgdat_balanced(node, order, classzone)
    # kswapd_try_to_sleep()
    ks.classzone_idx = -1
    ks.order = 0
    ks.state = "sleeping"
    if balanced:
        node.lru.flags &= ~PGDAT_DIRTY  # clear_pgdat_congested()
        log.emit("kswapd_try_to_sleep", F, f"kswapd{node.id} {ks.last}; node balanced "
                 f"({_balanced_text(node, classzone)}): kswapd sleeps", nid=node.id,
                 reclaimed=reclaimed)
    else:
        log.emit("kswapd_try_to_sleep", F, f"kswapd{node.id} {ks.last} but the node is not "
                 f"balanced ({_balanced_text(node, classzone)}); "
                 f"{ks.failures} run(s) without progress"
                 + (": node unreclaimable, kswapd stays asleep and allocators reclaim "
                    "directly" if ks.failures >= MAX_RECLAIM_RETRIES else ""),
                 nid=node.id, reclaimed=reclaimed)


def kswapd_handoff(m: Machine, nodes: list[Node] | None = None) -> None:
    """The deterministic hand-off: every woken kswapd (of `nodes`, or all) runs to the end
    of its balance_pgdat on its own thread while the caller waits."""
    for node in nodes if nodes is not None else m.mem.nodes:
        if node.kswapd.pending:
            kswapd.run_kswapd(m, node)


# ---------------------------------------------------------------- direct reclaim
def try_to_free_pages(m: Machine, zonelist: list[Zone], task: Task | None = None,
                      highest_zone: int = ZONE_MOVABLE) -> int:
    """try_to_free_pages() -> do_try_to_free_pages(): the allocating task reclaims
    SWAP_CLUSTER_MAX pages itself, priority DEF_PRIORITY down to 0 (ALLOCSTALL)."""
    sc = ScanControl(nr_to_reclaim=SWAP_CLUSTER_MAX, reclaim_idx=highest_zone)
    _context(m, sc)
    m.count("allocstall_" + ZONE_NAMES[highest_zone].lower())
    log = m.log
    who = f"task {task.pid}" if task is not None else "the kernel"
    nodes: list[Node] = []
    for zone in zonelist:
        if zone.idx <= highest_zone and zone.node not in nodes:
            nodes.append(zone.node)
    sc.priority = DEF_PRIORITY
    while True:
        sc.nr_scanned = 0
        # shrink_zones(): each node of the zonelist once
        for node in nodes:
            shrink_node(m, node, sc)
        if sc.nr_reclaimed >= sc.nr_to_reclaim:
            break
        sc.priority -= 1
        if sc.priority < 0:
            break
    for node in nodes:
        snapshot_refaults(node)
    if log.muted:
        acc = kswapd.driver(m).step_direct
        acc[0] += 1
        acc[1] += sum(sc.by_lru)
        acc[2] += sc.nr_reclaimed
    log.emit("try_to_free_pages", F, f"direct reclaim: {who} found no zone above its min "
             f"watermark and reclaims itself on node(s) "
             f"{','.join(str(n.id) for n in nodes)}: scanned {sum(sc.by_lru)}, reclaimed "
             f"{sc.nr_reclaimed} ({_rss_text(sc)}) down to priority {max(sc.priority, 0)}",
             reclaimed=sc.nr_reclaimed)
    return sc.nr_reclaimed


def zone_reclaimable_pages(m: Machine, zone: Zone) -> int:
    """zone_reclaimable_pages(): file LRU pages, plus anon ones while swap has room."""
    lists = [LRU_INACTIVE_FILE, LRU_ACTIVE_FILE]
    if m.swap.nr_swap_pages() > 0:
        lists += [LRU_INACTIVE_ANON, LRU_ACTIVE_ANON]
    lru = zone.node.lru
    lo, hi = zone.start_pfn, zone.end_pfn
    if lru.lrugen is not None:
        g = lru.lrugen
        return sum(1 for gen in range(lru_gen.MAX_NR_GENS) for type_ in (0, 1)
                   if type_ or m.swap.nr_swap_pages() > 0
                   for pfn in g.folios[gen][type_] if lo <= pfn < hi)
    return sum(1 for i in lists for pfn in lru.lists[i] if lo <= pfn < hi)


def out_of_memory(m: Machine, zonelist: list[Zone], task: Task | None,
                  nodemask: list[int] | None = None, highest_zone: int = ZONE_MOVABLE
                  ) -> Task | None:
    """out_of_memory(): reclaim cannot help; the OOM killer picks a victim (mm/oom_kill.py)."""
    return oom_kill.out_of_memory(m, zonelist, task, nodemask, highest_zone)


# ---------------------------------------------------------------- between steps
def after_step(m: Machine) -> None:
    """The deterministic hand-off point after every command: each woken kswapd runs to
    the end of balance_pgdat before the next step; a pending OOM kill is delivered."""
    kswapd.clear_fault_pte(m)
    kswapd_handoff(m)
    for node in m.mem.nodes:
        ks: KswapdState = node.kswapd
        if ks.step_muted:
            m.log.emit("kswapd", F, f"while the step ran, kswapd{node.id} was woken and ran "
                       f"{ks.step_runs} time(s): scanned {ks.step_scanned}, reclaimed "
                       f"{ks.step_reclaimed} page(s) (pswpout now {m.vmstat['pswpout']}, "
                       f"pgsteal_kswapd {m.vmstat['pgsteal_kswapd']})", nid=node.id,
                       runs=ks.step_runs, scanned=ks.step_scanned,
                       reclaimed=ks.step_reclaimed)
        ks.step_runs = ks.step_scanned = ks.step_reclaimed = ks.step_muted = 0
    drv = m.reclaim_hook
    if isinstance(drv, kswapd.ReclaimDriver) and drv.step_direct[0]:
        stalls, scanned, reclaimed = drv.step_direct
        m.log.emit("try_to_free_pages", F, f"while the step ran, {stalls} allocation(s) found "
                   "no zone above its min watermark after kswapd's turn and reclaimed "
                   f"directly (allocstall): scanned {scanned}, reclaimed {reclaimed} page(s)",
                   stalls=stalls, scanned=scanned, reclaimed=reclaimed)
        drv.step_direct = [0, 0, 0]
    oom_kill.deliver_pending(m)


def tick(m: Machine, n: int) -> None:
    """Let time pass: every CPU's LRU batches are drained (lru_add_drain_all), the flusher
    threads write back dirty page cache (dirty_expire has passed) and woken kswapds get
    their turn."""
    m.ticks += n
    page_writeback.wb_workfn(m)
    moved = swap.lru_add_drain_all(m)
    if moved:
        m.log.emit("lru_add_drain_all", "mm/swap.c", f"time passes: every CPU drains its LRU "
                   f"batches ({moved} page(s) reach their lists)", pages=moved)
    kswapd_handoff(m)


def drop_pagecache(m: Machine) -> int:
    """drop_pagecache_sb() -> invalidate_mapping_pages() (echo 1 > drop_caches): every
    clean, unmapped page-cache page is freed; one an LRU batch still holds is not
    (__remove_mapping's page_ref_freeze fails), and the pages left are queued for the
    inactive list (deactivate_file_page). The pages are looked up PAGEVEC_SIZE at a time,
    and the first pagevec_release() drains this CPU's batches. Returns how many."""
    n = 0
    for f in list(m.files.values()):
        if f.shmem:
            continue
        indexes = sorted(f.pages)
        for i, index in enumerate(indexes):
            if i == swap.PAGEVEC_SIZE:
                swap.lru_add_drain(m)  # __pagevec_release() of the first batch
            page = f.pages[index]
            if page.mapcount or page.flags & (PG_dirty | PG_mlocked) or \
                    page.flags & PG_swapcache or page.refcount > 1:
                swap.deactivate_file_page(m, page)
                continue
            del f.pages[index]
            page.mapping = None
            page_alloc.free_page(m, page)
            n += 1
        if indexes and len(indexes) <= swap.PAGEVEC_SIZE:
            swap.lru_add_drain(m)
    m.count("drop_pagecache")
    m.log.emit("drop_pagecache_sb", "fs/drop_caches.c", f"freed {n} clean, unmapped page-cache "
               "page(s); dirty, mapped and locked pages stay", pages=n)
    return n


def try_to_unuse(m: Machine) -> None:
    """try_to_unuse() (swapoff): every swapped page is read back (mm/swapfile.py)."""
    swapfile.try_to_unuse(m)


__all__ = ["Lruvec", "KswapdState", "page_lru", "add_page_to_lru", "del_page_from_lru",
           "lru_cache_add_active_or_unevictable", "lru_cache_add_file", "activate_page",
           "wakeup_kswapd", "try_to_free_pages", "out_of_memory", "after_step", "tick",
           "drop_pagecache", "try_to_unuse", "balance_pgdat", "shrink_node",
           "shrink_page_list", "get_scan_count", "LRU_NAMES", "PG_reclaim", "PG_swapcache",
           "shrink_lruvec"]

shrink_lruvec = shrink_node_memcg  # the mainline name (5.8+)
