"""The multi-gen LRU (mm/vmscan.c CONFIG_LRU_GEN, include/linux/mm_inline.h; Linux 6.18).

Kernel 6.18 boots with CONFIG_LRU_GEN_ENABLED: each lruvec keeps its evictable pages
in generations instead of the active/inactive lists. `max_seq` (shared by anon and
file) numbers the youngest generation, `min_seq[type]` the oldest of each type; the
window between them holds MIN_NR_GENS (2) to MAX_NR_GENS (4) generations, and
`gen = seq % MAX_NR_GENS` indexes the list (`lrugen.folios[gen][type]`, newest at the
end as the kernel's list head, oldest at the front where eviction takes them).

A page's generation lives in its flags (LRU_GEN_MASK holds gen+1 while it is on a
list), as do its accesses through file descriptors (PG_referenced, LRU_REFS_MASK, then
PG_workingset: the tier, include/mmzone.py). Moving a page between generations by the
aging only rewrites its flags (folio_update_gen) and the counters `nr_pages[gen][type]`;
the eviction finds such promoted pages on the old list and sorts them to their own
(sort_folio). So a list may hold pages of younger generations, never of older ones, and
`nr_pages` counts pages by the generation in their flags.

The two halves, as in the kernel:

    aging      try_to_inc_max_seq -> walk_mm (every mm's page tables: a young PTE
               promotes its page to max_seq, folio_update_gen) -> inc_max_seq (a new
               youngest generation; inc_min_seq first if the window is full)
    eviction   lru_gen_shrink_node -> shrink_one -> try_to_shrink_lruvec ->
               get_nr_to_scan (should_run_aging) -> evict_folios -> isolate_folios
               (get_type_to_scan, get_tier_idx: the PID controller) -> scan_folios ->
               sort_folio / isolate_folio -> shrink_page_list (mm/vmscan.py; a young PTE
               found by the rmap walk runs lru_gen_look_around) -> try_to_inc_min_seq

kswapd calls lru_gen_age_node before reclaiming: if every generation is younger than
/sys/kernel/mm/lru_gen/min_ttl_ms the working set would thrash, and the OOM killer runs.
The refault feedback (workingset.py's lru_gen_eviction / lru_gen_refault) fills
`refaulted` and `evicted` per tier; `protected` counts pages sort_folio kept back.

Not modelled: memcgs (one lruvec per node, memcg 0 as with cgroup_disable=memory),
the Bloom filters and the mm_struct list's iterator state (every mm is walked each
aging, as with force_scan), NR_HIST_GENS > 1 (CONFIG_LRU_GEN_STATS off), huge pages.
Time is `m.ticks` (the `tick` command) at HZ=1000: a tick is a millisecond.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vmtui.engine.include.errors import KernelError
from vmtui.engine.include.fs import File
from vmtui.engine.include.mm_types import VM_EXEC, VM_LOCKED, VM_READ, VM_WRITE
from vmtui.engine.include.mmzone import (
    LRU_GEN_MASK,
    LRU_GEN_PGOFF,
    LRU_REFS_FLAGS,
    LRU_REFS_MASK,
    LRU_REFS_PGOFF,
    LRU_REFS_WIDTH,
    MAX_NR_GENS,
    MAX_NR_TIERS,
    MIN_NR_GENS,
    LruLinks,
    LruList,
    PG_active,
    PG_anon,
    PG_dirty,
    PG_lru,
    PG_referenced,
    PG_swapbacked,
    PG_swapcache,
    PG_unevictable,
    PG_workingset,
    PG_writeback,
    PG_zero,
)
from vmtui.engine.include.pgtable import (
    _PAGE_ACCESSED,
    _PAGE_DIRTY,
    _PAGE_PRESENT,
    is_swap_pte,
    pte_pfn,
)
from vmtui.engine.mm import oom_kill, page_writeback, swap, vmscan

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine
    from vmtui.engine.include.mm_types import MmStruct, VmArea
    from vmtui.engine.include.mmzone import Node, Page

F = "mm/vmscan.c"
LRU_GEN_ANON, LRU_GEN_FILE = 0, 1
TYPE_NAMES = ("anon", "file")
NR_HIST_GENS = 1  # CONFIG_LRU_GEN_STATS off
MIN_SWAPPINESS = 0
MAX_SWAPPINESS = 200
SWAPPINESS_ANON_ONLY = MAX_SWAPPINESS + 1  # the debugfs interface's "anon only"
MIN_LRU_BATCH = 64  # BITS_PER_LONG
MAX_LRU_BATCH = MIN_LRU_BATCH * 64
HZ = 1000  # a tick of m.ticks is a jiffy
VM_SPECIAL = 0x00004000 | 0x00040000 | 0x00000400 | 0x10000000  # VM_IO|DONTEXPAND|PFNMAP|MIXEDMAP
MM_LEAF_TOTAL, MM_LEAF_YOUNG, MM_NONLEAF_FOUND, MM_NONLEAF_ADDED = range(4)


class LruGenFolio:
    """struct lru_gen_folio: the generations of one lruvec and the PID controller's
    history. `folios[gen][type]` is an ordered set of pfns, oldest first."""

    __slots__ = ("max_seq", "min_seq", "timestamps", "folios", "nr_pages", "avg_refaulted",
                 "avg_total", "protected", "evicted", "refaulted", "enabled", "mm_seq",
                 "mm_stats")

    def __init__(self, jiffies: int, links: LruLinks) -> None:
        # lru_gen_init_lruvec(): max_seq = MIN_NR_GENS + 1, min_seq 0, births now
        self.max_seq = MIN_NR_GENS + 1
        self.min_seq = [0, 0]
        self.timestamps = [jiffies] * MAX_NR_GENS
        # through page->lru, as the two-list LRU's lists: the frame table's link arrays
        self.folios: list[list[LruList]] = [
            [links.new_list(), links.new_list()] for _ in range(MAX_NR_GENS)]
        self.nr_pages = [[0, 0] for _ in range(MAX_NR_GENS)]
        self.avg_refaulted = [[0] * MAX_NR_TIERS for _ in range(2)]
        self.avg_total = [[0] * MAX_NR_TIERS for _ in range(2)]
        self.protected = [[[0] * MAX_NR_TIERS for _ in range(2)] for _ in range(NR_HIST_GENS)]
        self.evicted = [[[0] * MAX_NR_TIERS for _ in range(2)] for _ in range(NR_HIST_GENS)]
        self.refaulted = [[[0] * MAX_NR_TIERS for _ in range(2)] for _ in range(NR_HIST_GENS)]
        self.enabled = True
        self.mm_seq = MIN_NR_GENS  # lru_gen_mm_state.seq
        self.mm_stats = [0, 0, 0, 0]  # the last walk's MM_LEAF_TOTAL, ..._YOUNG, ...

    def sizes(self) -> list[list[int]]:
        """Pages per (seq, type) from min(min_seq) to max_seq: [[seq, anon, file], ...]."""
        lo = min(self.min_seq)
        return [[seq, max(self.nr_pages[seq % MAX_NR_GENS][0], 0),
                 max(self.nr_pages[seq % MAX_NR_GENS][1], 0)]
                for seq in range(lo, self.max_seq + 1)]


def lru_gen_init_lruvec(m: Machine, lruvec: vmscan.Lruvec) -> None:
    """lru_gen_init_lruvec(): the lruvec keeps its evictable pages in generations."""
    lruvec.lrugen = LruGenFolio(m.ticks, lruvec.lists[0].links)


# ---------------------------------------------------------------- shorthand (mm_inline.h)
def lru_gen_from_seq(seq: int) -> int:
    return seq % MAX_NR_GENS


def lru_hist_from_seq(seq: int) -> int:
    return seq % NR_HIST_GENS


def folio_is_file_lru(page: Page) -> int:
    return 0 if page.flags & PG_swapbacked else 1


def folio_lru_gen(page: Page) -> int:
    """folio_lru_gen(): the generation in the flags, -1 if on no generation list."""
    return ((page.flags & LRU_GEN_MASK) >> LRU_GEN_PGOFF) - 1


def folio_lru_refs(page: Page) -> int:
    """folio_lru_refs(): accesses through file descriptors, PG_referenced included."""
    f = page.flags
    if not f & PG_referenced:
        return 0
    return ((f & LRU_REFS_MASK) >> LRU_REFS_PGOFF) + 1


def lru_tier_from_refs(refs: int, workingset: bool) -> int:
    """lru_tier_from_refs(): tier order_base_2(refs); PG_workingset is the last tier."""
    if workingset:
        return MAX_NR_TIERS - 1
    return (refs - 1).bit_length() if refs > 1 else 0


def lru_gen_is_active(lrugen: LruGenFolio, gen: int) -> bool:
    """lru_gen_is_active(): the two youngest generations count as active (/proc/vmstat)."""
    return gen in (lru_gen_from_seq(lrugen.max_seq), lru_gen_from_seq(lrugen.max_seq - 1))


def get_nr_gens(lrugen: LruGenFolio, type_: int) -> int:
    return lrugen.max_seq - lrugen.min_seq[type_] + 1


def evictable_min_seq(min_seq: list[int], swappiness: int) -> int:
    """evictable_min_seq(): the oldest generation of the types swappiness lets evict."""
    return min(min_seq[0 if swappiness else 1],
               min_seq[1 if swappiness <= MAX_SWAPPINESS else 0])


def evictable_types(swappiness: int) -> range:
    """for_each_evictable_type(): anon unless swappiness is 0, file unless anon-only."""
    return range(0 if swappiness else 1, 2 if swappiness <= MAX_SWAPPINESS else 1)


def _lrugen(page: Page) -> LruGenFolio:
    return page.zone.node.lru.lrugen  # type: ignore[no-any-return]


def lru_gen_update_size(lrugen: LruGenFolio, page: Page, old_gen: int, new_gen: int) -> None:
    """lru_gen_update_size(): move the page's count between generations."""
    type_ = folio_is_file_lru(page)
    if old_gen >= 0:
        lrugen.nr_pages[old_gen][type_] -= 1
    if new_gen >= 0:
        lrugen.nr_pages[new_gen][type_] += 1


def lru_gen_distance(page: Page, reclaiming: bool) -> int:
    """lru_gen_distance(): how far from eviction a page joins (3 youngest .. 0 oldest):
    PG_active (+PG_workingset) for pages accessed through page tables, PG_workingset for
    the last tier of file-descriptor accesses, anon not in the swap cache and dirty pages
    under writeback one generation up, the rest (clean, cold) at the oldest."""
    return _distance(page.flags, reclaiming)


def _distance(f: int, reclaiming: bool) -> int:
    if reclaiming:
        return 0
    if f & PG_active:
        return MIN_NR_GENS + bool(f & PG_workingset)
    if f & PG_workingset:
        return MIN_NR_GENS - 1
    if f & PG_swapbacked and not f & PG_swapcache:
        return MIN_NR_GENS - 1
    if f & vmscan.PG_reclaim and f & (PG_dirty | PG_writeback):
        return MIN_NR_GENS - 1
    return 0


def lru_gen_add_folio(lruvec: vmscan.Lruvec, page: Page, reclaiming: bool) -> bool:
    """lru_gen_add_folio(): onto the generation lru_gen_distance() picks; PG_active is
    cleared while the page is on a generation list. `reclaiming` (a rotation) adds it at
    the tail, first to be evicted."""
    lrugen: LruGenFolio = lruvec.lrugen
    if page.flags & PG_unevictable or not lrugen.enabled:
        return False
    type_ = folio_is_file_lru(page)
    gen = _add_gen(lrugen, page.flags, type_, reclaiming)
    page.flags = (page.flags & ~(LRU_GEN_MASK | PG_active)) | ((gen + 1) << LRU_GEN_PGOFF)
    lru_gen_update_size(lrugen, page, -1, gen)
    lst = lrugen.folios[gen][type_]
    lst[page.pfn] = None
    if reclaiming:
        lst.move_to_end(page.pfn, last=False)
    return True


def _add_gen(lrugen: LruGenFolio, flags: int, type_: int, reclaiming: bool) -> int:
    """The generation lru_gen_add_folio() puts a page with `flags` on."""
    dist = _distance(flags, reclaiming)
    if dist < MIN_NR_GENS:
        seq = lrugen.min_seq[type_] + dist
    else:
        seq = lrugen.max_seq + dist - MIN_NR_GENS - 1
    return lru_gen_from_seq(seq)


def lru_gen_add_run(lruvec: vmscan.Lruvec, pfn: int, n: int, flags: int) -> int | None:
    """lru_gen_add_folio() of n new frames from `pfn` that all have `flags` and no struct
    page yet (the bulk fault path), one after the other at the young end of their
    generation: returns the flags they get (their generation in them), or None when the
    multi-gen LRU takes none of them."""
    lrugen: LruGenFolio = lruvec.lrugen
    if flags & PG_unevictable or not lrugen.enabled:
        return None
    type_ = 0 if flags & PG_swapbacked else 1  # folio_is_file_lru()
    gen = _add_gen(lrugen, flags, type_, False)
    lrugen.nr_pages[gen][type_] += n
    lrugen.folios[gen][type_].add_run(pfn, n)
    return (flags & ~(LRU_GEN_MASK | PG_active)) | ((gen + 1) << LRU_GEN_PGOFF)


def lru_gen_del_folio(lruvec: vmscan.Lruvec, page: Page, reclaiming: bool) -> bool:
    """lru_gen_del_folio(): off its list; a page taken off for another purpose than
    reclaim keeps PG_active if its generation was active (for the next add)."""
    gen = folio_lru_gen(page)
    if gen < 0:
        return False
    lrugen: LruGenFolio = lruvec.lrugen
    active = not reclaiming and lru_gen_is_active(lrugen, gen)
    page.flags = (page.flags & ~LRU_GEN_MASK) | (PG_active if active else 0)
    lru_gen_update_size(lrugen, page, gen, -1)
    pfn = page.pfn
    for per_gen in lrugen.folios:  # a promoted page may sit on an older list
        lst = per_gen[folio_is_file_lru(page)]
        if pfn in lst:
            del lst[pfn]
            break
    return True


# ---------------------------------------------------------------- refs (mm/swap.c)
def lru_gen_inc_refs(page: Page) -> None:
    """lru_gen_inc_refs() (folio_mark_accessed): one more access through a file
    descriptor: PG_referenced, then LRU_REFS_MASK up to full, then PG_workingset."""
    f = page.flags
    if not f & PG_lru or f & PG_unevictable:
        return
    if not f & PG_referenced:
        page.flags = (f & ~LRU_REFS_MASK) | PG_referenced
        return
    if f & LRU_REFS_MASK == LRU_REFS_MASK:
        page.flags = f | PG_workingset
        return
    page.flags = f + (1 << LRU_REFS_PGOFF)


def lru_gen_set_refs(page: Page) -> bool:
    """lru_gen_set_refs(): an rmap walk found the PTE young. The first time sets
    PG_referenced (False); after that PG_workingset, and the page is promoted (True)."""
    f = page.flags
    if not f & PG_referenced and not f & PG_workingset:
        page.flags = (f & ~LRU_REFS_MASK) | PG_referenced
        return False
    page.flags = (f & ~LRU_REFS_FLAGS) | PG_workingset
    return True


# ---------------------------------------------------------------- the aging
def folio_update_gen(page: Page, gen: int) -> int:
    """folio_update_gen(): a page table walk found the page young: the first time only
    PG_referenced; then it moves to generation `gen` (the youngest) with PG_workingset.
    Returns the old generation, or -1 if it did not move."""
    f = page.flags
    if not f & PG_referenced and not f & PG_workingset:
        page.flags = (f & ~LRU_REFS_MASK) | PG_referenced
        return -1
    if not f & LRU_GEN_MASK:
        return -1
    page.flags = (f & ~(LRU_GEN_MASK | LRU_REFS_FLAGS)) | ((gen + 1) << LRU_GEN_PGOFF) | \
        PG_workingset
    return ((f & LRU_GEN_MASK) >> LRU_GEN_PGOFF) - 1


def folio_inc_gen(lrugen: LruGenFolio, page: Page, reclaiming: bool) -> int:
    """folio_inc_gen(): a page on the oldest list moves one generation up (unless the
    aging already promoted it); refs start over. Returns its new generation."""
    type_ = folio_is_file_lru(page)
    old_gen = lru_gen_from_seq(lrugen.min_seq[type_])
    f = page.flags
    new_gen = ((f & LRU_GEN_MASK) >> LRU_GEN_PGOFF) - 1
    if new_gen >= 0 and new_gen != old_gen:
        return new_gen
    new_gen = (old_gen + 1) % MAX_NR_GENS
    f = (f & ~(LRU_GEN_MASK | LRU_REFS_FLAGS)) | ((new_gen + 1) << LRU_GEN_PGOFF)
    if reclaiming:
        f |= vmscan.PG_reclaim
    page.flags = f
    lru_gen_update_size(lrugen, page, old_gen, new_gen)
    return new_gen


def _list_move(lrugen: LruGenFolio, page: Page, gen: int, tail: bool) -> None:
    """list_move() (head: the young end) or list_move_tail() onto folios[gen][type]."""
    type_ = folio_is_file_lru(page)
    pfn = page.pfn
    for per_gen in lrugen.folios:
        per_gen[type_].pop(pfn, None)
    lst = lrugen.folios[gen][type_]
    lst[pfn] = None
    if tail:
        lst.move_to_end(pfn, last=False)


class MmWalk:
    """struct lru_gen_mm_walk: what one aging pass found."""

    __slots__ = ("seq", "swappiness", "force_scan", "stats", "promoted", "mms")

    def __init__(self, seq: int, swappiness: int, force_scan: bool) -> None:
        self.seq = seq
        self.swappiness = swappiness
        self.force_scan = force_scan
        self.stats = [0, 0, 0, 0]
        self.promoted = 0
        self.mms = 0


def should_skip_vma(vma: VmArea, walk: MmWalk) -> bool:
    """should_skip_vma(): VMAs the aging does not walk."""
    fl = vma.vm_flags
    if not fl & (VM_READ | VM_WRITE | VM_EXEC):  # vma_is_accessible()
        return True
    if fl & (VM_LOCKED | VM_SPECIAL):
        return True
    f = vma.vm_file
    if not isinstance(f, File):
        return not walk.swappiness
    if f.shmem:
        return not walk.swappiness
    return walk.swappiness > MAX_SWAPPINESS


def walk_update_folio(m: Machine, walk: MmWalk | None, page: Page | None, new_gen: int,
                      dirty: bool) -> None:
    """walk_update_folio(): carry the PTE's dirty bit over, then promote the page (through
    the walk's batch, or with an rmap walk's folio_activate())."""
    if page is None:
        return
    if dirty and not page.flags & PG_dirty and not (
            page.flags & PG_anon and page.flags & PG_swapbacked and
            not page.flags & PG_swapcache):
        vmscan.set_page_dirty(page)
    lrugen = _lrugen(page)
    if walk is not None:
        old_gen = folio_update_gen(page, new_gen)
        if old_gen >= 0 and old_gen != new_gen:
            lru_gen_update_size(lrugen, page, old_gen, new_gen)
            walk.promoted += 1
    elif lru_gen_set_refs(page):
        old_gen = folio_lru_gen(page)
        if old_gen >= 0 and old_gen != new_gen:
            swap.activate_page(m, page)  # folio_activate()


def walk_mm(m: Machine, node: Node, mm: MmStruct, walk: MmWalk) -> None:
    """walk_mm() -> walk_page_range() -> walk_pte_range(): every young PTE of the mm that
    maps a page of this node on a generation list has its accessed bit cleared and its
    page promoted to max_seq (folio_update_gen)."""
    lrugen: LruGenFolio = node.lru.lrugen
    gen = lru_gen_from_seq(lrugen.max_seq)
    pages = m.mem.pages
    assert mm.pgd is not None
    for vma in list(mm.vmas):
        if should_skip_vma(vma, walk):
            continue
        last: Page | None = None
        dirty = False
        tables = m.pt.iter_ptes(mm.pgd, vma.vm_start, vma.vm_end)
        walk.stats[MM_NONLEAF_FOUND] += len({id(t) for t, _i, _va in tables})
        for table, idx, _va in tables:
            pte = table.entries[idx]
            walk.stats[MM_LEAF_TOTAL] += 1
            if not isinstance(pte, int) or is_swap_pte(pte) or not pte & _PAGE_PRESENT:
                continue
            if not pte & _PAGE_ACCESSED:  # get_pte_pfn(): !pte_young
                continue
            page = pages.get(pte_pfn(pte))
            if page is None or page.flags & PG_zero or folio_lru_gen(page) < 0 or \
                    page.zone.node is not node:  # get_pfn_folio()
                continue
            table.entries[idx] = pte & ~_PAGE_ACCESSED  # ptep_clear_young_notify
            if last is not page:
                walk_update_folio(m, walk, last, gen, dirty)
                last = page
                dirty = False
            if pte & _PAGE_DIRTY:
                dirty = True
            walk.stats[MM_LEAF_YOUNG] += 1
        walk_update_folio(m, walk, last, gen, dirty)


def inc_min_seq(lrugen: LruGenFolio, type_: int, swappiness: int, pages: dict[int, Page]
                ) -> bool:
    """inc_min_seq(): the oldest generation of `type_` is retired: its pages move one
    generation up (protected: they had no chance to be evicted), min_seq[type] + 1."""
    hist = lru_hist_from_seq(lrugen.min_seq[type_])
    old_gen = lru_gen_from_seq(lrugen.min_seq[type_])
    if not (swappiness > MAX_SWAPPINESS if type_ else not swappiness):
        head = lrugen.folios[old_gen][type_]
        while head:
            page = pages[head.first]
            refs = folio_lru_refs(page)
            workingset = bool(page.flags & PG_workingset)
            new_gen = folio_inc_gen(lrugen, page, False)
            _list_move(lrugen, page, new_gen, tail=True)
            if refs + workingset != (1 << LRU_REFS_WIDTH) + 1:
                lrugen.protected[hist][type_][lru_tier_from_refs(refs, workingset)] += 1
    reset_ctrl_pos(lrugen, type_, True)
    lrugen.min_seq[type_] += 1
    return True


def try_to_inc_min_seq(lrugen: LruGenFolio, swappiness: int) -> bool:
    """try_to_inc_min_seq(): skip empty oldest generations (keeping anon and file within
    one generation of each other while both are evictable)."""
    min_seq = list(lrugen.min_seq)
    for type_ in evictable_types(swappiness):
        while min_seq[type_] + MIN_NR_GENS <= lrugen.max_seq:
            if lrugen.folios[lru_gen_from_seq(min_seq[type_])][type_]:
                break
            min_seq[type_] += 1
    if swappiness and swappiness <= MAX_SWAPPINESS:
        seq = lrugen.max_seq - MIN_NR_GENS
        if min_seq[LRU_GEN_ANON] > seq and min_seq[LRU_GEN_FILE] < seq:
            min_seq[LRU_GEN_ANON] = seq
        elif min_seq[LRU_GEN_FILE] > seq and min_seq[LRU_GEN_ANON] < seq:
            min_seq[LRU_GEN_FILE] = seq
    success = False
    for type_ in evictable_types(swappiness):
        if min_seq[type_] <= lrugen.min_seq[type_]:
            continue
        reset_ctrl_pos(lrugen, type_, True)
        lrugen.min_seq[type_] = min_seq[type_]
        success = True
    return success


def inc_max_seq(m: Machine, lrugen: LruGenFolio, seq: int, swappiness: int) -> bool:
    """inc_max_seq(): open a new youngest generation; a full window first retires its
    oldest generation (inc_min_seq)."""
    if seq != lrugen.max_seq:
        return False
    for type_ in (0, 1):
        if get_nr_gens(lrugen, type_) == MAX_NR_GENS:
            inc_min_seq(lrugen, type_, swappiness, m.mem.pages)
    for type_ in (0, 1):
        reset_ctrl_pos(lrugen, type_, False)
    nxt = lru_gen_from_seq(lrugen.max_seq + 1)
    lrugen.timestamps[nxt] = m.ticks
    lrugen.max_seq += 1
    return True


def _live_mms(m: Machine) -> list[MmStruct]:
    """The mm_struct list (lru_gen_add_mm at fork/exec, lru_gen_del_mm at exit)."""
    out: list[MmStruct] = []
    seen: set[int] = set()
    for pid in sorted(m.tasks):
        t = m.tasks[pid]
        mm = t.mm
        if not t.alive or mm is None or mm.pgd is None or id(mm) in seen:
            continue
        seen.add(id(mm))
        out.append(mm)
    return out


def try_to_inc_max_seq(m: Machine, node: Node, seq: int, swappiness: int, force_scan: bool,
                       why: str = "low on cold pages") -> bool:
    """try_to_inc_max_seq(): the aging. Walk the page tables of every mm (iterate_mm_list,
    walk_mm), then inc_max_seq(). False if another aging already made generation seq+1."""
    lrugen: LruGenFolio = node.lru.lrugen
    if seq <= lrugen.mm_seq:  # iterate_mm_list(): this aging has been done
        return False
    walk = MmWalk(seq, swappiness, force_scan)
    for mm in _live_mms(m):
        walk.mms += 1
        walk_mm(m, node, mm, walk)
    lrugen.mm_seq = seq
    lrugen.mm_stats = walk.stats
    before = list(lrugen.min_seq)
    ok = inc_max_seq(m, lrugen, seq, swappiness)
    if ok and m.log.muted == 0:
        m.log.emit("try_to_inc_max_seq", F,
                   f"aging on node {node.id} ({why}): walk_mm walked {walk.mms} mm(s) and "
                   f"{walk.stats[MM_LEAF_TOTAL]} PTEs, cleared the accessed bit of "
                   f"{walk.stats[MM_LEAF_YOUNG]}; folio_update_gen promoted {walk.promoted} "
                   f"page(s) to generation {seq}; inc_max_seq: max_seq {seq} -> "
                   f"{lrugen.max_seq}, min_seq anon {before[0]} -> {lrugen.min_seq[0]}, file "
                   f"{before[1]} -> {lrugen.min_seq[1]}",
                   nid=node.id, max_seq=lrugen.max_seq, young=walk.stats[MM_LEAF_YOUNG],
                   promoted=walk.promoted)
    return ok


# ---------------------------------------------------------------- the PID controller
def read_ctrl_pos(lrugen: LruGenFolio, type_: int, tier: int, gain: int
                  ) -> tuple[int, int, int]:
    """read_ctrl_pos(): (refaulted, total, gain) of tiers `tier % MAX_NR_TIERS`..tier."""
    hist = lru_hist_from_seq(lrugen.min_seq[type_])
    refaulted = total = 0
    for i in range(tier % MAX_NR_TIERS, min(tier, MAX_NR_TIERS - 1) + 1):
        refaulted += lrugen.avg_refaulted[type_][i] + lrugen.refaulted[hist][type_][i]
        total += lrugen.avg_total[type_][i] + lrugen.protected[hist][type_][i] + \
            lrugen.evicted[hist][type_][i]
    return refaulted, total, gain


def reset_ctrl_pos(lrugen: LruGenFolio, type_: int, carryover: bool) -> None:
    """reset_ctrl_pos(): fold the evicted generation's counts into the moving averages
    (smoothing factor 1/2)."""
    clear = NR_HIST_GENS == 1 if carryover else NR_HIST_GENS > 1
    if not carryover and not clear:
        return
    seq = lrugen.min_seq[type_] if carryover else lrugen.max_seq + 1
    hist = lru_hist_from_seq(seq)
    for tier in range(MAX_NR_TIERS):
        if carryover:
            lrugen.avg_refaulted[type_][tier] = (lrugen.avg_refaulted[type_][tier] +
                                                 lrugen.refaulted[hist][type_][tier]) // 2
            lrugen.avg_total[type_][tier] = (lrugen.avg_total[type_][tier] +
                                             lrugen.protected[hist][type_][tier] +
                                             lrugen.evicted[hist][type_][tier]) // 2
        if clear:
            lrugen.refaulted[hist][type_][tier] = 0
            lrugen.evicted[hist][type_][tier] = 0
            lrugen.protected[hist][type_][tier] = 0


def positive_ctrl_err(sp: tuple[int, int, int], pv: tuple[int, int, int]) -> bool:
    """positive_ctrl_err(): the PV has few refaults, or a lower refaulted/total than SP."""
    return pv[0] < MIN_LRU_BATCH or \
        pv[0] * (sp[1] + MIN_LRU_BATCH) * sp[2] <= (sp[0] + 1) * pv[1] * pv[2]


def get_tier_idx(lrugen: LruGenFolio, type_: int) -> int:
    """get_tier_idx(): tiers refaulting no more than tier 0 (gain 2:3) are evicted; higher
    ones are protected."""
    sp = read_ctrl_pos(lrugen, type_, 0, 2)
    tier = 1
    while tier < MAX_NR_TIERS:
        if not positive_ctrl_err(sp, read_ctrl_pos(lrugen, type_, tier, 3)):
            break
        tier += 1
    return tier - 1


def get_type_to_scan(lrugen: LruGenFolio, swappiness: int) -> int:
    """get_type_to_scan(): anon against file, each weighed by swappiness."""
    if swappiness <= MIN_SWAPPINESS + 1:
        return LRU_GEN_FILE
    if swappiness >= MAX_SWAPPINESS:
        return LRU_GEN_ANON
    sp = read_ctrl_pos(lrugen, LRU_GEN_ANON, MAX_NR_TIERS, swappiness)
    pv = read_ctrl_pos(lrugen, LRU_GEN_FILE, MAX_NR_TIERS, MAX_SWAPPINESS - swappiness)
    return int(positive_ctrl_err(sp, pv))


# ---------------------------------------------------------------- the eviction
def sort_folio(m: Machine, lruvec: vmscan.Lruvec, page: Page, sc: vmscan.ScanControl,
               tier_idx: int) -> bool:
    """sort_folio(): pages that must not be evicted now go to their generation: the
    unevictable, the promoted, the protected (a tier above tier_idx), the ineligible
    (a zone above reclaim_idx) and dirty file pages (waiting for writeback)."""
    lrugen: LruGenFolio = lruvec.lrugen
    gen = folio_lru_gen(page)
    type_ = folio_is_file_lru(page)
    refs = folio_lru_refs(page)
    workingset = bool(page.flags & PG_workingset)
    tier = lru_tier_from_refs(refs, workingset)
    if not vmscan.page_evictable(page):
        lru_gen_del_folio(lruvec, page, True)
        page.flags |= PG_unevictable
        lruvec.lists[vmscan.LRU_UNEVICTABLE][page.pfn] = None  # lruvec_add_folio
        m.count("unevictable_pgs_culled")
        return True
    if gen != lru_gen_from_seq(lrugen.min_seq[type_]):
        _list_move(lrugen, page, gen, tail=False)  # promoted
        return True
    if tier > tier_idx or refs + workingset == (1 << LRU_REFS_WIDTH) + 1:
        gen = folio_inc_gen(lrugen, page, False)
        _list_move(lrugen, page, gen, tail=False)
        if refs + workingset != (1 << LRU_REFS_WIDTH) + 1:
            lrugen.protected[lru_hist_from_seq(lrugen.min_seq[type_])][type_][tier] += 1
        return True
    if not page.flags & PG_lru or page.zone.idx > sc.reclaim_idx:
        gen = folio_inc_gen(lrugen, page, False)
        _list_move(lrugen, page, gen, tail=True)
        return True
    dirty = bool(page.flags & PG_dirty)
    writeback = bool(page.flags & PG_writeback)
    if type_ == LRU_GEN_FILE and dirty:
        sc.nr_file_taken += 1
        if not writeback:
            sc.nr_unqueued_dirty += 1
    if writeback or (type_ == LRU_GEN_FILE and dirty):
        gen = folio_inc_gen(lrugen, page, True)
        _list_move(lrugen, page, gen, tail=False)
        return True
    return False


def isolate_folio(lruvec: vmscan.Lruvec, page: Page) -> bool:
    """isolate_folio(): off its list for shrink_page_list (refs kept only with
    PG_referenced; PG_reclaim cleared)."""
    if not page.flags & PG_lru:
        return False
    page.flags &= ~PG_lru
    if not page.flags & PG_referenced:
        page.flags &= ~LRU_REFS_MASK
    page.flags &= ~vmscan.PG_reclaim
    lru_gen_del_folio(lruvec, page, True)
    return True


def scan_folios(m: Machine, node: Node, sc: vmscan.ScanControl, type_: int, tier: int,
                out: list[Page], acc: dict[str, int]) -> int:
    """scan_folios(): from the tail of the oldest generation of `type_`, sort or isolate
    until MIN_LRU_BATCH pages are isolated."""
    lruvec = node.lru
    lrugen: LruGenFolio = lruvec.lrugen
    if get_nr_gens(lrugen, type_) == MIN_NR_GENS:
        return 0
    gen = lru_gen_from_seq(lrugen.min_seq[type_])
    head = lrugen.folios[gen][type_]
    pages = m.mem.pages
    scanned = sorted_ = isolated = 0
    remaining = MAX_LRU_BATCH
    skipped: list[Page] = []
    while head:
        page = pages[head.first]
        scanned += 1
        if sort_folio(m, lruvec, page, sc, tier):
            sorted_ += 1
        elif isolate_folio(lruvec, page):
            out.append(page)
            isolated += 1
        else:
            head.move_to_end(page.pfn)  # list_move(&moved): spliced back at the head
            skipped.append(page)
        remaining -= 1
        if not remaining or max(isolated, len(skipped)) >= MIN_LRU_BATCH:
            break
    m.count("pgscan_kswapd" if sc.is_kswapd else "pgscan_direct", isolated)
    m.count("pgrefill", sorted_)
    m.count("pgscan_anon" if type_ == LRU_GEN_ANON else "pgscan_file", isolated)
    sc.by_lru[vmscan.LRU_INACTIVE_FILE if type_ else vmscan.LRU_INACTIVE_ANON] += isolated
    acc["sorted"] += sorted_
    if type_ == LRU_GEN_FILE:
        sc.nr_file_taken += isolated
    return scanned if isolated or not remaining else 0


def isolate_folios(m: Machine, node: Node, sc: vmscan.ScanControl, swappiness: int,
                   out: list[Page], acc: dict[str, int]) -> tuple[int, int]:
    """isolate_folios(): the type get_type_to_scan() picks first, else the other.
    Returns (scanned, type)."""
    lrugen: LruGenFolio = node.lru.lrugen
    type_ = get_type_to_scan(lrugen, swappiness)
    for _ in evictable_types(swappiness):
        tier = get_tier_idx(lrugen, type_)
        acc["tier"] = tier
        scanned = scan_folios(m, node, sc, type_, tier, out, acc)
        if scanned:
            return scanned, type_
        type_ = 1 - type_
    return 0, type_


def evict_folios(m: Machine, node: Node, sc: vmscan.ScanControl, swappiness: int,
                 acc: dict[str, int]) -> int:
    """evict_folios(): isolate a batch from the oldest generation, free what
    shrink_page_list can, put the rest back (one retry for clean pages that may have
    missed folio_rotate_reclaimable); then try_to_inc_min_seq(). Returns pages scanned."""
    lruvec = node.lru
    lrugen: LruGenFolio = lruvec.lrugen
    batch: list[Page] = []
    scanned, type_ = isolate_folios(m, node, sc, swappiness, batch, acc)
    before = list(lrugen.min_seq)
    scanned += try_to_inc_min_seq(lrugen, swappiness)
    if lrugen.min_seq != before:
        acc["min_seq_moves"] += 1
    if evictable_min_seq(lrugen.min_seq, swappiness) + MIN_NR_GENS > lrugen.max_seq:
        scanned = 0
    if not batch:
        return scanned
    skip_retry = False
    total_reclaimed = 0
    while batch:
        kept: list[Page] = []
        reclaimed, stat = vmscan.shrink_page_list(m, node, batch, sc, keep_out=kept)
        sc.nr_reclaimed += reclaimed
        total_reclaimed += reclaimed
        sc.swapped_out += stat["swapped"]
        sc.file_dropped += stat["dropped"]
        sc.written_back += stat["written"]
        sc.activated += stat["nr_activate_anon"] + stat["nr_activate_file"]
        sc.nr_unqueued_dirty += stat["nr_unqueued_dirty"]
        clean: list[Page] = []
        back: list[Page] = []
        for page in kept:
            if not vmscan.page_evictable(page):
                vmscan.putback_lru_page(m, page)
                continue
            if not skip_retry and not page.flags & (PG_active | PG_dirty | PG_writeback) \
                    and not page.mapcount and page.refcount <= 1:
                clean.append(page)
                continue
            if not lru_gen_distance(page, False):
                page.flags = (page.flags & ~LRU_REFS_FLAGS) | PG_active
            back.append(page)
        for page in back:  # move_folios_to_lru()
            page.flags |= PG_lru
            lru_gen_add_folio(lruvec, page, False)
        batch = clean
        skip_retry = True
    m.count("pgsteal_kswapd" if sc.is_kswapd else "pgsteal_direct", total_reclaimed)
    m.count("pgsteal_anon" if type_ == LRU_GEN_ANON else "pgsteal_file", total_reclaimed)
    acc["evicted"] += total_reclaimed
    acc["calls"] += 1
    acc["type_" + TYPE_NAMES[type_]] += 1
    return scanned


def should_run_aging(lrugen: LruGenFolio, swappiness: int) -> tuple[bool, int]:
    """should_run_aging(): (run the aging?, pages in the evictable generations)."""
    min_seq = lrugen.min_seq
    max_seq = lrugen.max_seq
    if evictable_min_seq(min_seq, swappiness) + MIN_NR_GENS > max_seq:
        return True, 0
    size = 0
    for type_ in evictable_types(swappiness):
        for seq in range(min_seq[type_], max_seq + 1):
            size += max(lrugen.nr_pages[lru_gen_from_seq(seq)][type_], 0)
    return evictable_min_seq(min_seq, swappiness) + MIN_NR_GENS == max_seq, size


def get_nr_to_scan(m: Machine, node: Node, sc: vmscan.ScanControl, swappiness: int) -> int:
    """get_nr_to_scan(): how much to scan at this priority; when only MIN_NR_GENS
    generations are left below DEF_PRIORITY, age instead (and stop: -1)."""
    lrugen: LruGenFolio = node.lru.lrugen
    success, nr_to_scan = should_run_aging(lrugen, swappiness)
    if not success or sc.priority == vmscan.DEF_PRIORITY:
        return nr_to_scan >> sc.priority
    return -1 if try_to_inc_max_seq(m, node, lrugen.max_seq, swappiness, False,
                                    "low on cold pages") else 0


def should_abort_scan(node: Node, sc: vmscan.ScanControl) -> bool:
    """should_abort_scan(): enough reclaimed, or (kswapd) every eligible zone is safely
    above its high watermark."""
    if sc.nr_reclaimed >= sc.nr_to_reclaim:
        return True
    if not sc.is_kswapd:
        return False
    for zone in node.zones[: sc.reclaim_idx + 1]:
        if zone.managed and not zone.watermark_ok(0, zone.high_wmark() + MIN_LRU_BATCH,
                                                  sc.reclaim_idx):
            return False
    return True


def get_swappiness(m: Machine, sc: vmscan.ScanControl) -> int:
    """get_swappiness(): 0 when anon cannot be reclaimed (no swap room)."""
    if not sc.may_swap:
        return 0
    if m.swap.nr_swap_pages() < MIN_LRU_BATCH:
        return 0
    return m.sysctl["vm.swappiness"]  # type: ignore[no-any-return]


def try_to_shrink_lruvec(m: Machine, node: Node, sc: vmscan.ScanControl) -> bool:
    """try_to_shrink_lruvec(): evict_folios until get_nr_to_scan's count is scanned or
    the goal is met. True if the lruvec asked for aging (rotate it)."""
    swappiness = get_swappiness(m, sc)
    scanned = 0
    acc = {"evicted": 0, "calls": 0, "sorted": 0, "tier": 0, "min_seq_moves": 0,
           "type_anon": 0, "type_file": 0}
    nr_to_scan = 0
    reclaimed = sc.nr_reclaimed
    while True:
        nr_to_scan = get_nr_to_scan(m, node, sc, swappiness)
        if nr_to_scan <= 0:
            break
        delta = evict_folios(m, node, sc, swappiness, acc)
        if not delta:
            break
        scanned += delta
        if scanned >= nr_to_scan:
            break
        if should_abort_scan(node, sc):
            break
    if sc.nr_unqueued_dirty and sc.nr_unqueued_dirty == sc.nr_file_taken:
        page_writeback.wakeup_flusher_threads(m, "WB_REASON_VMSCAN")
    lrugen: LruGenFolio = node.lru.lrugen
    if acc["calls"] and m.log.muted == 0:
        first = TYPE_NAMES[get_type_to_scan(lrugen, swappiness)] if swappiness else "file"
        m.log.emit("evict_folios", F,
                   f"evict_folios x{acc['calls']} on node {node.id} (swappiness {swappiness}, "
                   f"{first} first, tiers above {acc['tier']} protected): sort_folio kept "
                   f"{acc['sorted']} back, shrink_page_list reclaimed "
                   f"{sc.nr_reclaimed - reclaimed}; min_seq anon {lrugen.min_seq[0]} file "
                   f"{lrugen.min_seq[1]}, max_seq {lrugen.max_seq}",
                   nid=node.id, reclaimed=sc.nr_reclaimed - reclaimed,
                   min_seq=list(lrugen.min_seq), max_seq=lrugen.max_seq)
    return nr_to_scan < 0


def set_initial_priority(node: Node, sc: vmscan.ScanControl, m: Machine) -> None:
    """set_initial_priority(): start where (reclaimable >> priority) meets the goal."""
    if sc.priority != vmscan.DEF_PRIORITY or sc.nr_to_reclaim < MIN_LRU_BATCH:
        return
    sizes = node.lru.sizes()
    reclaimable = sizes["inactive_file"]
    if m.swap.nr_swap_pages() > 0:
        reclaimable += sizes["inactive_anon"]
    priority = reclaimable.bit_length() - 1 - (sc.nr_to_reclaim - 1).bit_length()
    sc.priority = max(vmscan.DEF_PRIORITY // 2, min(priority, vmscan.DEF_PRIORITY))


def lru_gen_shrink_node(m: Machine, node: Node, sc: vmscan.ScanControl) -> None:
    """lru_gen_shrink_node(): shrink_node() with the multi-gen LRU (one memcg:
    shrink_one -> try_to_shrink_lruvec)."""
    reclaimed = sc.nr_reclaimed
    if not sc.may_writepage or not sc.may_unmap:
        return
    swap.lru_add_drain(m)
    set_initial_priority(node, sc, m)
    if sc.is_kswapd:
        sc.nr_reclaimed = 0
    try_to_shrink_lruvec(m, node, sc)
    if sc.is_kswapd:
        sc.nr_reclaimed += reclaimed
    if sc.nr_reclaimed > reclaimed:
        node.kswapd.failures = 0


def lruvec_is_sizable(m: Machine, node: Node, sc: vmscan.ScanControl) -> bool:
    lrugen: LruGenFolio = node.lru.lrugen
    swappiness = get_swappiness(m, sc)
    total = 0
    for type_ in evictable_types(swappiness):
        for seq in range(lrugen.min_seq[type_], lrugen.max_seq + 1):
            total += max(lrugen.nr_pages[lru_gen_from_seq(seq)][type_], 0)
    return total > 0  # the root memcg: any size helps


def lruvec_is_reclaimable(m: Machine, node: Node, sc: vmscan.ScanControl, min_ttl: int
                          ) -> bool:
    """lruvec_is_reclaimable(): the oldest evictable generation is older than min_ttl."""
    if not lruvec_is_sizable(m, node, sc):
        return False
    lrugen: LruGenFolio = node.lru.lrugen
    gen = lru_gen_from_seq(evictable_min_seq(lrugen.min_seq, get_swappiness(m, sc)))
    return lrugen.timestamps[gen] + min_ttl < m.ticks  # time_is_before_jiffies


def lru_gen_age_node(m: Machine, node: Node, sc: vmscan.ScanControl) -> None:
    """lru_gen_age_node() (kswapd_age_node): with min_ttl_ms set, if every generation is
    younger than it, evicting would thrash the working set: the OOM killer runs."""
    min_ttl = m.lru_gen_min_ttl * HZ // 1000  # msecs_to_jiffies
    set_initial_priority(node, sc, m)
    if not min_ttl:
        return
    if lruvec_is_reclaimable(m, node, sc, min_ttl):
        return
    lrugen: LruGenFolio = node.lru.lrugen
    oldest = evictable_min_seq(lrugen.min_seq, get_swappiness(m, sc))
    age = m.ticks - lrugen.timestamps[lru_gen_from_seq(oldest)]
    m.log.emit("lru_gen_age_node", F,
               f"kswapd{node.id}: the oldest generation ({oldest}) is {age * 1000 // HZ} ms "
               f"old, younger than min_ttl_ms {m.lru_gen_min_ttl}: evicting it would thrash "
               "the working set, so out_of_memory() kills instead", nid=node.id, age=age)
    zonelist = [z for z in node.zones if z.managed]
    oom_kill.out_of_memory(m, zonelist, None, None, sc.reclaim_idx)


# ---------------------------------------------------------------- rmap feedback
def lru_gen_look_around(m: Machine, vma: VmArea, addr: int, ents: dict[int, object],
                        idx: int, page: Page, sc: vmscan.ScanControl | None) -> bool:
    """lru_gen_look_around(): the rmap walk found this PTE young; clear it, then scan up
    to MIN_LRU_BATCH neighbouring PTEs of the same table and promote their young pages
    too (spatial locality: the eviction feeds the aging). True if the PTE was young."""
    pte = ents.get(idx)
    if not isinstance(pte, int) or not pte & _PAGE_ACCESSED:
        return False
    ents[idx] = pte & ~_PAGE_ACCESSED
    if vma.vm_flags & VM_SPECIAL:
        return True
    node = page.zone.node
    lrugen: LruGenFolio = node.lru.lrugen
    gen = lru_gen_from_seq(lrugen.max_seq)
    pmd_span = (1 << 21) - 1  # ~PMD_MASK
    start = max(addr & ~pmd_span, vma.vm_start)
    end = min(addr | pmd_span, vma.vm_end - 1) + 1
    if end - start == 4096:
        return True
    span = MIN_LRU_BATCH * 4096
    if end - start > span:
        if addr - start < span // 2:
            end = start + span
        elif end - addr < span // 2:
            start = end - span
        else:
            start = addr - span // 2
            end = addr + span // 2
    pages = m.mem.pages
    base = idx - ((addr - start) >> 12)
    young = 0
    for i in range(base, base + ((end - start) >> 12)):
        p = ents.get(i)
        if not isinstance(p, int) or is_swap_pte(p) or not p & _PAGE_PRESENT or \
                not p & _PAGE_ACCESSED:
            continue
        other = pages.get(pte_pfn(p))
        if other is None or other.flags & PG_zero or folio_lru_gen(other) < 0 or \
                other.zone.node is not node:
            continue
        ents[i] = p & ~_PAGE_ACCESSED
        # no mm_walk outside the aging: lru_gen_set_refs(), then folio_activate()
        walk_update_folio(m, None, other, gen, bool(p & _PAGE_DIRTY))
        young += 1
    if sc is not None:
        sc.look_around += young
    return True


# ---------------------------------------------------------------- debugfs
def lru_gen_seq_show(m: Machine) -> str:
    """lru_gen_seq_show() for /sys/kernel/debug/lru_gen (the writable file, so not
    `full`): per memcg (0: memory cgroups disabled) and node, each generation from the
    oldest evictable as `seq age_ms anon file`."""
    out = []
    for node in m.mem.nodes:
        lrugen: LruGenFolio | None = node.lru.lrugen if node.lru is not None else None
        if lrugen is None:
            continue
        if node.id == m.mem.nodes[0].id:
            out.append(f"memcg {0:5d} \n")
        out.append(f" node {node.id:5d}\n")
        seq = evictable_min_seq(lrugen.min_seq, MAX_SWAPPINESS // 2)
        while seq <= lrugen.max_seq:
            gen = lru_gen_from_seq(seq)
            birth = lrugen.timestamps[gen]
            line = f" {seq:10d} {(m.ticks - birth) * 1000 // HZ:10d}"
            for type_ in (0, 1):
                line += f" {max(lrugen.nr_pages[gen][type_], 0):10d} "
            out.append(line + "\n")
            seq += 1
    return "".join(out)


def run_aging(m: Machine, node: Node, seq: int, swappiness: int, force_scan: bool) -> None:
    """run_aging(): `+`: a generation above max_seq is EINVAL; otherwise max_seq is aged
    (try_to_inc_max_seq(max_seq), whatever older seq was given), EEXIST if that aging
    had already been done."""
    lrugen: LruGenFolio = node.lru.lrugen
    if seq > lrugen.max_seq:
        raise KernelError("EINVAL", f"generation {seq} is beyond max_seq {lrugen.max_seq}")
    if not try_to_inc_max_seq(m, node, lrugen.max_seq, swappiness, force_scan, "by hand"):
        raise KernelError("EEXIST", f"generation {lrugen.max_seq} has been aged already")


def run_eviction(m: Machine, node: Node, seq: int, swappiness: int, nr_to_reclaim: int,
                 sc: vmscan.ScanControl) -> None:
    """run_eviction(): `-`: evict generations up to seq, which must leave MIN_NR_GENS."""
    lrugen: LruGenFolio = node.lru.lrugen
    if seq + MIN_NR_GENS > lrugen.max_seq:
        raise KernelError("EINVAL", f"generation {seq} + MIN_NR_GENS ({MIN_NR_GENS}) is beyond "
                          f"max_seq {lrugen.max_seq}")
    sc.nr_reclaimed = 0
    acc = {"evicted": 0, "calls": 0, "sorted": 0, "tier": 0, "min_seq_moves": 0,
           "type_anon": 0, "type_file": 0}
    while True:
        if seq < evictable_min_seq(lrugen.min_seq, swappiness):
            break
        if sc.nr_reclaimed >= nr_to_reclaim:
            break
        if not evict_folios(m, node, sc, swappiness, acc):
            break
    m.log.emit("evict_folios", F,
               f"evict_folios x{acc['calls']} on node {node.id} (by hand, up to generation "
               f"{seq}, swappiness {swappiness}): sort_folio kept {acc['sorted']} back, "
               f"shrink_page_list reclaimed {sc.nr_reclaimed}; min_seq anon "
               f"{lrugen.min_seq[0]} file {lrugen.min_seq[1]}, max_seq {lrugen.max_seq}",
               nid=node.id, reclaimed=sc.nr_reclaimed, min_seq=list(lrugen.min_seq),
               max_seq=lrugen.max_seq)


def run_cmd(m: Machine, cmd: str, memcg_id: int, nid: int, seq: int,
            swappiness: int | None, opt: int | None) -> int:
    """run_cmd() of lru_gen_seq_write(): `+ memcg node max_gen [can_swap [force_scan]]`
    ages, `- memcg node min_gen [swappiness [nr_to_reclaim]]` evicts. Returns pages
    reclaimed (0 for the aging)."""
    nodes = [n for n in m.mem.nodes if n.lru is not None and n.lru.lrugen is not None]
    if not nodes:
        raise KernelError("EINVAL", "this kernel has no multi-gen LRU")
    node = next((n for n in nodes if n.id == nid), None)
    if node is None:
        raise KernelError("EINVAL", f"no memory node {nid}")
    if memcg_id != 0:
        raise KernelError("EINVAL", f"no memcg {memcg_id}: memory cgroups are disabled, the "
                          "only memcg id is 0")
    sc = vmscan.ScanControl(nr_to_reclaim=0, reclaim_idx=len(node.zones) - 1)
    vmscan._context(m, sc)
    if swappiness is None or swappiness < MIN_SWAPPINESS:
        swappiness = get_swappiness(m, sc)
    elif swappiness > MAX_SWAPPINESS + 1:
        raise KernelError("EINVAL", f"swappiness {swappiness} is above {MAX_SWAPPINESS + 1}")
    if cmd == "+":
        run_aging(m, node, seq, swappiness, bool(opt) if opt is not None else False)
        return 0
    if cmd == "-":
        limit = opt if opt is not None else (1 << 64) - 1
        run_eviction(m, node, seq, swappiness, limit, sc)
        return sc.nr_reclaimed
    raise KernelError("EINVAL", f"unknown lru_gen command {cmd!r}: expected + or -")


def _no_lru_gen(m: Machine) -> None:
    if not m.kmodel.lru_gen:
        raise KernelError("ENOENT", f"Linux {m.kmodel.name} has no multi-gen LRU (it came in "
                          "6.1): there is no /sys/kernel/debug/lru_gen; its reclaim is the "
                          'active/inactive lists (set kernel = "6.18" to have lru_gen)')


def lru_gen_seq_read(m: Machine) -> str:
    """cat /sys/kernel/debug/lru_gen (a 5.4 kernel has no such file)."""
    _no_lru_gen(m)
    return lru_gen_seq_show(m)


def lru_gen_write(m: Machine, op: str, memcg_id: int, nid: int, seq: int,
                  arg4: int | None, arg5: int | None) -> int:
    """echo 'OP MEMCG NODE GEN [..]' > /sys/kernel/debug/lru_gen (lru_gen_seq_write)."""
    _no_lru_gen(m)
    if all(n.lru.lrugen is None for n in m.mem.nodes):
        raise KernelError("EINVAL", "the multi-gen LRU is switched off (lru_gen = false): "
                          "its generations are empty")
    return run_cmd(m, op, memcg_id, nid, seq, arg4, arg5)


__all__ = ["LruGenFolio", "lru_gen_init_lruvec", "lru_gen_add_folio", "lru_gen_del_folio",
           "lru_gen_inc_refs", "try_to_inc_max_seq", "evict_folios", "lru_gen_shrink_node",
           "lru_gen_age_node", "lru_gen_look_around", "lru_gen_seq_show", "run_cmd",
           "MIN_NR_GENS", "MAX_NR_GENS"]
