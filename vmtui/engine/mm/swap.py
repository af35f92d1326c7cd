"""Per-CPU LRU batches: the pagevecs of mm/swap.c (Linux 5.4).

A page does not reach its LRU list when it is made: lru_cache_add() puts it in
the CPU's `lru_add_pvec` (PAGEVEC_SIZE, 15 pages; include/linux/pagevec.h), and
only when that batch fills, or someone drains it (lru_add_drain), does
__pagevec_lru_add() move all of its pages to their lists under one lock. Until
then the page has no PG_lru: reclaim cannot isolate it, and /proc/meminfo's
Active/Inactive lines and vmstat's nr_*_anon/file do not count it yet. The same
holds for moves between lists: activate_page(), mark_page_lazyfree() (MADV_FREE),
rotate_reclaimable_page(), deactivate_file_page() queue the page in a batch of
their own, and the move (a MADV_FREE'd page losing PG_swapbacked, which is what
makes smaps count it as LazyFree) happens when that batch is drained.

Each queued page holds a reference (get_page), dropped by release_pages() after
the move: a page freed while a batch holds it stays allocated until the drain.

Which CPU: the current task's (Task.cpu); kswapd runs on the first CPU of its
node (the scheduler may pick any of them; the engine picks one so runs repeat).

Not modelled: update_page_reclaim_stat(), which 5.4's move functions call so that every
insertion and activation counts in the recent_scanned/recent_rotated ratios get_scan_count
weighs; the engine counts only what reclaim itself scans and rotates, as it did before
the batches.

Linux 6.18 keeps the same scheme with folio batches (struct cpu_fbatches) of
PAGEVEC_SIZE 31 (tests/kernel_probes/lru_batches.c shows the steps of 31).

With the multi-gen LRU (6.18's lrugen) the moves end in lru_gen_add_folio(): a rotated
page goes to the oldest generation, an activated one to the youngest two, and
mark_page_accessed() (folio_mark_accessed) only counts the access in the page's flags
(lru_gen_inc_refs: its tier), moving nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from vmtui.engine.include.fs import File
from vmtui.engine.include.mmzone import (
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
    PG_writeback,
)
from vmtui.engine.mm import lru_gen, page_alloc, vmscan, workingset

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine
    from vmtui.engine.include.mmzone import PhysMem, Zone

F = "mm/swap.c"
PAGEVEC_SIZE = 15

# the per-CPU batches of 5.4's mm/swap.c, in the order lru_add_drain_cpu() drains them
LRU_ADD, LRU_ROTATE, LRU_DEACTIVATE_FILE, LRU_DEACTIVATE, LRU_LAZYFREE, ACTIVATE = range(6)
PVEC_NAMES = ("lru_add_pvec", "lru_rotate_pvecs", "lru_deactivate_file_pvecs",
              "lru_deactivate_pvecs", "lru_lazyfree_pvecs", "activate_page_pvecs")


class LruPvecs:
    """One CPU's pagevecs (DEFINE_PER_CPU in mm/swap.c): six lists of pages, oldest first."""

    __slots__ = ("cpu", "pvecs")

    def __init__(self, cpu: int) -> None:
        self.cpu = cpu
        self.pvecs: list[list[Page]] = [[] for _ in PVEC_NAMES]

    def counts(self) -> dict[str, int]:
        return {name: len(p) for name, p in zip(PVEC_NAMES, self.pvecs, strict=True)}

    def total(self) -> int:
        return sum(len(p) for p in self.pvecs)


def alloc_pvecs(mem: PhysMem) -> dict[int, LruPvecs]:
    """The per-CPU areas: one set of batches for every CPU of every node."""
    return {cpu: LruPvecs(cpu) for node in mem.nodes for cpu in node.cpus}


def smp_processor_id(m: Machine) -> int:
    """The CPU the code runs on: kswapd's while it works, else the current task's."""
    if m.running_cpu is not None:
        return m.running_cpu
    t = m.tasks.get(m.current_pid)
    return t.cpu if t is not None else 0


def this_cpu_pvecs(m: Machine) -> LruPvecs:
    cpu = smp_processor_id(m)
    pv = m.lru_pvecs.get(cpu)
    if pv is None:  # a CPU the nodes do not list (cannot happen from the language)
        pv = m.lru_pvecs[cpu] = LruPvecs(cpu)
    return pv


def _pagevec_add(pvec: list[Page], page: Page) -> int:
    """pagevec_add() with the caller's get_page(): the space left after adding."""
    page.refcount += 1
    pvec.append(page)
    return PAGEVEC_SIZE - len(pvec)


def in_pagevec(m: Machine, page: Page, which: int | None = None) -> bool:
    """Whether some CPU's batch (or batch `which`) holds the page."""
    for pv in m.lru_pvecs.values():
        for i, pvec in enumerate(pv.pvecs):
            if (which is None or i == which) and any(p is page for p in pvec):
                return True
    return False


def pagevec_held(m: Machine, page: Page) -> bool:
    """put_page() of the last user: a batch still holds the page, so it is not freed now
    but by release_pages() when the batch drains. Records it as released."""
    if page.refcount <= 1 or not in_pagevec(m, page):
        return False
    page.refcount -= 1
    m.lru_released.add(page.pfn)
    return True


def release_pages(m: Machine, pages: list[Page], already_put: bool = False) -> None:
    """release_pages(): drop the batch's reference of each page; a page whose other users
    are all gone is taken off its LRU list and freed."""
    for page in pages:
        if not already_put:
            page.refcount -= 1
        if page.refcount <= 0 and page.pfn in m.lru_released:
            m.lru_released.discard(page.pfn)
            page.refcount = 1
            page_alloc.free_page(m, page)  # off its list (__page_cache_release), back to the buddy


def pagevec_lru_move_fn(m: Machine, pvec: list[Page],
                        move_fn: Callable[[Machine, Page], object]) -> None:
    """pagevec_lru_move_fn(): apply move_fn to every page of the batch, then release it."""
    pages = list(pvec)
    pvec.clear()
    for page in pages:
        move_fn(m, page)
    release_pages(m, pages)


# ---------------------------------------------------------------- lru_add_pvec
def __pagevec_lru_add_fn(m: Machine, page: Page) -> None:
    """__pagevec_lru_add_fn(): PG_lru, and the list page_evictable() and the flags choose;
    an mlocked page goes to the unevictable list (UNEVICTABLE_PGCULLED)."""
    was_unevictable = bool(page.flags & PG_unevictable)
    page.flags &= ~PG_unevictable
    if vmscan.page_evictable(page):
        if was_unevictable:
            m.count("unevictable_pgs_rescued")
    else:
        page.flags = (page.flags & ~PG_active) | PG_unevictable
        if not was_unevictable:
            m.count("unevictable_pgs_culled")
    vmscan.add_page_to_lru(m, page)


def _lru_add_pages(m: Machine, pages: list[Page], held: bool) -> None:
    """__pagevec_lru_add_fn for every page, then (`held`: the batch took a reference of
    each) release_pages(). Written out for the common case (an evictable page: no mlock,
    no unevictable) because bulk work adds millions of pages this way."""
    released = m.lru_released
    slow = PG_unevictable | PG_mlocked
    gen_lru = any(node.lru.lrugen is not None for node in m.mem.nodes)
    if m.mem.touched is not None:  # check/incremental.py
        m.mem.touched.update(p.pfn for p in pages)
    for page in pages:
        f = page.flags
        if f & slow or gen_lru:
            __pagevec_lru_add_fn(m, page)
        else:
            page.flags = f | PG_lru
            page.zone.node.lru.lists[vmscan.lru_of_flags(f)][page.pfn] = None
        if held:
            page.refcount -= 1
            if released and page.refcount <= 0 and page.pfn in released:
                release_pages(m, [page], already_put=True)


def __pagevec_lru_add(m: Machine, pvec: list[Page]) -> None:
    """__pagevec_lru_add(): every page of the batch to its list, the batch emptied."""
    pages = list(pvec)
    pvec.clear()
    _lru_add_pages(m, pages, True)


def lru_cache_add_many(m: Machine, pages: list[Page]) -> None:
    """lru_cache_add() of each page in turn (bulk faults): the same batches fill and move
    as page by page; the new pages a full batch moves at once need no reference taken."""
    pvec = this_cpu_pvecs(m).pvecs[LRU_ADD]
    total = len(pvec) + len(pages)
    if total >= PAGEVEC_SIZE:
        moved_new = total - total % PAGEVEC_SIZE - len(pvec)
        __pagevec_lru_add(m, pvec)
        _lru_add_pages(m, pages[:moved_new], False)
        pages = pages[moved_new:]
    for page in pages:
        page.refcount += 1
    pvec.extend(pages)


def lru_cache_add_new(m: Machine, runs: list[tuple[Zone, int, int]], flags: int) -> None:
    """lru_cache_add_many() of new frames that only the frame table's arrays hold, all with
    `flags`, given as runs (zone, first pfn, frames): those a full batch moves at once go
    onto their list by pfn (PG_lru set in the arrays) with no struct page made; the few
    left in this CPU's batch get their Page, as a pagevec holds pages."""
    frames = m.mem.pages
    count = 0
    for _zone, _pfn, cnt in runs:
        count += cnt
    pvec = this_cpu_pvecs(m).pvecs[LRU_ADD]
    total = len(pvec) + count
    direct = 0
    if total >= PAGEVEC_SIZE:
        direct = total - total % PAGEVEC_SIZE - len(pvec)
        __pagevec_lru_add(m, pvec)
    fast = not flags & (PG_unevictable | PG_mlocked)
    rest: list[int] = []
    for zone, pfn, cnt in runs:
        k = min(cnt, direct)
        if k:
            if fast:
                vmscan.add_run_to_lru(m, zone, pfn, k, flags | PG_lru)
            else:
                _lru_add_pages(m, [frames[p] for p in range(pfn, pfn + k)], False)
            direct -= k
        rest.extend(range(pfn + k, pfn + cnt))
    for p in rest:
        page = frames[p]
        page.refcount += 1
        pvec.append(page)


def __lru_cache_add(m: Machine, page: Page) -> None:
    """__lru_cache_add(): into this CPU's lru_add_pvec; a full batch goes to the LRU."""
    pvec = this_cpu_pvecs(m).pvecs[LRU_ADD]
    if not _pagevec_add(pvec, page):
        __pagevec_lru_add(m, pvec)


def lru_cache_add(m: Machine, page: Page) -> None:
    """lru_cache_add(): the list is chosen when the batch drains."""
    assert not page.flags & PG_lru, f"lru_cache_add of frame {page.pfn:#x}, already on a list"
    __lru_cache_add(m, page)


def lru_cache_add_anon(m: Machine, page: Page) -> None:
    """lru_cache_add_anon(): an anonymous page (a swap-in) starts inactive. With the
    multi-gen LRU its shadow in the swap cache is looked up (workingset_refault)."""
    page.flags &= ~PG_active
    if page.zone.node.lru.lrugen is not None and page.flags & PG_swapcache:
        workingset.lru_gen_refault(m, page, (workingset.SWAP_INO, page.private))
    __lru_cache_add(m, page)


def lru_cache_add_active_or_unevictable(m: Machine, page: Page, locked: bool) -> None:
    """lru_cache_add_active_or_unevictable(): a new anonymous page will go to the active
    list; in a VM_LOCKED VMA it is mlocked now (NR_MLOCK, UNEVICTABLE_PGMLOCKED) and the
    drain puts it on the unevictable list."""
    if not locked:
        page.flags |= PG_active
    elif not page.flags & PG_mlocked:
        page.flags |= PG_mlocked
        m.count("unevictable_pgs_mlocked")
    lru_cache_add(m, page)


def putback_lru_page(m: Machine, page: Page) -> None:
    """putback_lru_page() (mm/vmscan.c): an isolated page goes back through lru_cache_add."""
    lru_cache_add(m, page)


def isolate_lru_page(m: Machine, page: Page) -> bool:
    """isolate_lru_page(): off its list if it is on one (True), else False."""
    if not page.flags & PG_lru:
        return False
    vmscan.del_page_from_lru(m, page)
    return True


# ---------------------------------------------------------------- activate_page_pvecs
def __activate_page(m: Machine, page: Page) -> None:
    """__activate_page(): an inactive evictable page moves to the active list (PGACTIVATE)."""
    if page.flags & PG_lru and not page.flags & (PG_active | PG_unevictable):
        vmscan.del_page_from_lru(m, page)
        page.flags |= PG_active
        vmscan.add_page_to_lru(m, page)
        m.count("pgactivate")


def activate_page(m: Machine, page: Page) -> None:
    """activate_page(): queue an inactive page on the LRU for activation."""
    if page.flags & PG_lru and not page.flags & (PG_active | PG_unevictable):
        pvec = this_cpu_pvecs(m).pvecs[ACTIVATE]
        if not _pagevec_add(pvec, page):
            pagevec_lru_move_fn(m, pvec, __activate_page)


def __lru_cache_activate_page(m: Machine, page: Page) -> None:
    """__lru_cache_activate_page(): a page still in this CPU's lru_add_pvec is marked
    active, so the drain puts it on the active list (other CPUs' batches are not looked at)."""
    for p in reversed(this_cpu_pvecs(m).pvecs[LRU_ADD]):
        if p is page:
            page.flags |= PG_active
            break


def mark_page_accessed(m: Machine, page: Page) -> None:
    """mark_page_accessed(): a use through read()/write() or a page-cache lookup. The first
    one sets PG_referenced; a second one while the page is inactive activates it (through
    activate_page_pvecs, or in place if it still waits in lru_add_pvec) and counts a
    workingset activation. Accesses through a PTE only set _PAGE_ACCESSED."""
    f = page.flags
    if page.zone.node.lru.lrugen is not None:
        lru_gen.lru_gen_inc_refs(page)  # folio_mark_accessed() with lru_gen_enabled()
        return
    if not f & (PG_active | PG_unevictable) and f & PG_referenced:
        if f & PG_lru:
            activate_page(m, page)
        else:
            __lru_cache_activate_page(m, page)
        page.flags &= ~PG_referenced
        if isinstance(page.mapping, File) and not f & PG_anon:
            m.mem.nodes[page.zone.node.id].lru.inactive_age += 1  # workingset_activation
    elif not f & PG_referenced:
        page.flags |= PG_referenced


# ---------------------------------------------------------------- lru_rotate_pvecs
def pagevec_move_tail_fn(m: Machine, page: Page) -> bool:
    if page.flags & PG_lru and not page.flags & PG_unevictable:
        vmscan.del_page_from_lru(m, page)
        page.flags &= ~PG_active
        vmscan.add_page_to_lru_tail(m, page)
        return True
    return False


def pagevec_move_tail(m: Machine, pvec: list[Page]) -> None:
    """pagevec_move_tail(): every page to the tail of its inactive list (PGROTATED)."""
    moved = [0]

    def fn(m: Machine, page: Page) -> None:
        moved[0] += pagevec_move_tail_fn(m, page)

    pagevec_lru_move_fn(m, pvec, fn)
    m.count("pgrotated", moved[0])


def rotate_reclaimable_page(m: Machine, page: Page) -> None:
    """rotate_reclaimable_page(): writeback ended on a page reclaim wanted: queue it for
    the tail of its inactive list, where the next scan frees it."""
    if not page.flags & (PG_dirty | PG_unevictable) and page.flags & PG_lru:
        pvec = this_cpu_pvecs(m).pvecs[LRU_ROTATE]
        if not _pagevec_add(pvec, page):
            pagevec_move_tail(m, pvec)


# ---------------------------------------------------------------- lru_deactivate_file_pvecs
def lru_deactivate_file_fn(m: Machine, page: Page) -> None:
    """lru_deactivate_file_fn(): a page invalidation could not drop goes inactive: at the
    head with PG_reclaim if dirty, at the tail (PGROTATED) if clean; mapped pages stay."""
    if not page.flags & PG_lru or page.flags & PG_unevictable or page.mapcount:
        return
    active = bool(page.flags & PG_active)
    vmscan.del_page_from_lru(m, page)
    page.flags &= ~(PG_active | PG_referenced)
    if page.flags & (PG_writeback | PG_dirty):
        vmscan.add_page_to_lru(m, page)
        page.flags |= vmscan.PG_reclaim
    else:
        vmscan.add_page_to_lru_tail(m, page)
        m.count("pgrotated")
    if active:
        m.count("pgdeactivate")


def deactivate_file_page(m: Machine, page: Page) -> None:
    """deactivate_file_page(): queue a page invalidate_mapping_pages() could not drop."""
    if page.flags & PG_unevictable:
        return
    pvec = this_cpu_pvecs(m).pvecs[LRU_DEACTIVATE_FILE]
    if not _pagevec_add(pvec, page):
        pagevec_lru_move_fn(m, pvec, lru_deactivate_file_fn)


def lru_deactivate_fn(m: Machine, page: Page) -> None:
    """lru_deactivate_fn(): an active page to the inactive list (PGDEACTIVATE)."""
    if page.flags & PG_lru and page.flags & PG_active and not page.flags & PG_unevictable:
        vmscan.del_page_from_lru(m, page)
        page.flags &= ~(PG_active | PG_referenced)
        vmscan.add_page_to_lru(m, page)
        m.count("pgdeactivate")


# ---------------------------------------------------------------- lru_lazyfree_pvecs
def _lazyfree_ok(page: Page) -> bool:
    f = page.flags
    return bool(f & PG_lru and f & PG_anon and f & PG_swapbacked and
                not f & (PG_swapcache | PG_unevictable))


def lru_lazyfree_fn(m: Machine, page: Page) -> None:
    """lru_lazyfree_fn(): the MADV_FREE'd page leaves the anon lists for the inactive file
    list and loses PG_swapbacked (from now on smaps counts it as LazyFree; PGLAZYFREE)."""
    if _lazyfree_ok(page):
        vmscan.del_page_from_lru(m, page)
        page.flags &= ~(PG_active | PG_referenced | PG_swapbacked)
        vmscan.add_page_to_lru(m, page)
        m.count("pglazyfree")


def mark_page_lazyfree(m: Machine, page: Page) -> None:
    """mark_page_lazyfree(): queue a clean anonymous page on the LRU in lru_lazyfree_pvecs."""
    if _lazyfree_ok(page):
        pvec = this_cpu_pvecs(m).pvecs[LRU_LAZYFREE]
        if not _pagevec_add(pvec, page):
            pagevec_lru_move_fn(m, pvec, lru_lazyfree_fn)


# ---------------------------------------------------------------- draining
def lru_add_drain_cpu(m: Machine, cpu: int) -> int:
    """lru_add_drain_cpu(): empty every batch of `cpu`, in the kernel's order. Returns how
    many pages were moved."""
    pv = m.lru_pvecs.get(cpu)
    if pv is None:
        return 0
    p = pv.pvecs
    n = pv.total()
    if p[LRU_ADD]:
        __pagevec_lru_add(m, p[LRU_ADD])
    if p[LRU_ROTATE]:
        pagevec_move_tail(m, p[LRU_ROTATE])
    if p[LRU_DEACTIVATE_FILE]:
        pagevec_lru_move_fn(m, p[LRU_DEACTIVATE_FILE], lru_deactivate_file_fn)
    if p[LRU_DEACTIVATE]:
        pagevec_lru_move_fn(m, p[LRU_DEACTIVATE], lru_deactivate_fn)
    if p[LRU_LAZYFREE]:
        pagevec_lru_move_fn(m, p[LRU_LAZYFREE], lru_lazyfree_fn)
    if p[ACTIVATE]:
        pagevec_lru_move_fn(m, p[ACTIVATE], __activate_page)  # activate_page_drain
    return n


def lru_add_drain(m: Machine) -> int:
    """lru_add_drain(): this CPU's batches."""
    return lru_add_drain_cpu(m, smp_processor_id(m))


def lru_add_drain_all(m: Machine) -> int:
    """lru_add_drain_all(): every CPU with something batched drains (lru_add_drain_per_cpu
    work on each). Returns how many pages were moved."""
    return sum(lru_add_drain_cpu(m, cpu) for cpu in sorted(m.lru_pvecs))


def pagevec_text(m: Machine) -> str:
    """The batches of every CPU that holds something, in a line."""
    parts = []
    for cpu in sorted(m.lru_pvecs):
        counts = [f"{name} {n}" for name, n in m.lru_pvecs[cpu].counts().items() if n]
        if counts:
            parts.append(f"cpu{cpu}: " + ", ".join(counts))
    return "; ".join(parts) if parts else "every CPU's batches are empty"


__all__ = ["PAGEVEC_SIZE", "PVEC_NAMES", "LruPvecs", "alloc_pvecs", "smp_processor_id",
           "lru_cache_add", "lru_cache_add_many", "lru_cache_add_anon",
           "lru_cache_add_active_or_unevictable",
           "putback_lru_page", "isolate_lru_page", "activate_page", "mark_page_accessed",
           "rotate_reclaimable_page", "deactivate_file_page", "mark_page_lazyfree",
           "lru_add_drain_cpu", "lru_add_drain", "lru_add_drain_all", "pagevec_held",
           "release_pages", "in_pagevec", "pagevec_text"]
