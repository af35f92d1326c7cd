"""Swap areas, swap entries and the swap cache (mm/swapfile.c, mm/swap_state.c, mm/page_io.c).

A swap area is an array of slots with a use count each (swap_map). Slot 0
holds the swap header, as on a real swap partition. `slots` keeps what was
written to each slot, so a page swapped out and in again reads back its value.

Reclaim puts an anonymous page in the swap cache (add_to_swap), points every
PTE at the slot (try_to_unmap), writes it (swap_writepage) and frees it; a
fault on a swap PTE reads it back (a major fault) unless the page is still in
the swap cache, with readahead (swapin_readahead): the block of slots around it
(swap_cluster_readahead, a rotational swap disk) or the swapped PTEs around the
address (swap_vma_readahead, an SSD), its size set by vm.page-cluster and the
hits of earlier readahead. swapoff reads everything back (try_to_unuse).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vmtui.engine.arch.x86 import tlb
from vmtui.engine.include.errors import KernelError
from vmtui.engine.include.layout import PAGE_MASK, PAGE_SHIFT, PAGE_SIZE, PMD_SIZE
from vmtui.engine.include.mm_types import VM_LOCKED
from vmtui.engine.include.mmzone import (
    ZONE_MOVABLE,
    PG_anon,
    PG_dirty,
    PG_lru,
    PG_mlocked,
    PG_readahead,
    PG_swapbacked,
    PG_swapcache,
    PG_unevictable,
    PG_uptodate,
)
from vmtui.engine.include.pgtable import (
    _PAGE_ACCESSED,
    is_swap_pte,
    mk_pte,
    swp_entry,
    swp_offset,
    swp_type,
)
from vmtui.engine.include.swap_info import SWAP_HAS_CACHE, SWAP_RA_HITS_MAX, SWAP_RA_ORDER_CEILING
from vmtui.engine.mm import mempolicy, page_alloc, rmap, shmem, swap, vmscan

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine, Task
    from vmtui.engine.include.mm_types import AnonVma, VmArea
    from vmtui.engine.include.mmzone import Page


# ---------------------------------------------------------------- the machine side
def add_to_swap(m: Machine, page: Page) -> bool:
    """add_to_swap(): a slot for an anonymous page and a place in the swap cache; the
    page is dirty until it has been written there. False if swap is full or off."""
    entry = m.swap.get_swap_page()
    if entry is None:
        return False
    m.swap.cache[entry] = page
    page.flags |= PG_swapcache | PG_dirty
    page.private = entry
    return True


def swap_writepage(m: Machine, page: Page) -> None:
    """swap_writepage() -> __swap_writepage(): the contents go to the slot (PSWPOUT)."""
    m.swap.write(page.private, page.value)
    page.flags &= ~PG_dirty
    m.count("pswpout")
    m.count("pgpgout", 4)


def swap_use_vma_readahead(m: Machine) -> bool:
    """swap_use_vma_readahead(): enable_vma_readahead (true) and nr_rotate_swap == 0 - no
    swap area in use sits on a rotational disk."""
    return not (m.swap.enabled and any(not si.solidstate for si in m.swap.areas))


def lookup_swap_cache(m: Machine, entry: int, vma: VmArea | None, addr: int) -> Page | None:
    """lookup_swap_cache(): the swap cache's page for `entry`, or None. A page that swap
    readahead brought in (PG_readahead, cleared here: TestClearPageReadahead) is a hit:
    SWAP_RA_HIT, and one more hit for the next window: the VMA's own count under VMA
    readahead, else swapin_readahead_hits. Under VMA readahead any lookup with a VMA
    records `addr` as the VMA's last fault address."""
    page = m.swap.cache.get(entry)
    if page is None:
        return None
    readahead = bool(page.flags & PG_readahead)
    page.flags &= ~PG_readahead
    vma_ra = swap_use_vma_readahead(m)
    if vma is not None and vma_ra:
        _prev, win, hits = vma.swap_readahead_info
        if readahead:
            hits = min(hits + 1, SWAP_RA_HITS_MAX)
        vma.swap_readahead_info = (addr & PAGE_MASK, win, hits)
    if readahead:
        m.count("swap_ra_hit")
        if vma is None or not vma_ra:
            m.swap.swapin_readahead_hits += 1
    return page


def swapin_nr_pages(m: Machine, offset: int) -> int:
    """swapin_nr_pages(): the readahead window for a read of slot `offset`, at most
    1 << vm.page-cluster pages (1: no readahead)."""
    st = m.swap
    # `1 << page_cluster` on an int: x86's shl takes the count modulo 32
    max_pages = 1 << (m.sysctl["vm.page-cluster"] & 31)
    if max_pages <= 1:
        return 1
    hits = st.swapin_readahead_hits
    st.swapin_readahead_hits = 0
    pages = __swapin_nr_pages(st.ra_prev_offset, offset, hits, max_pages,
                              st.last_readahead_pages)
    if not hits:
        st.ra_prev_offset = offset
    st.last_readahead_pages = pages
    return pages


def __swapin_nr_pages(prev_offset: int, offset: int, hits: int, max_pages: int,
                      prev_win: int) -> int:
    """__swapin_nr_pages(): hits + 2 pages rounded up to a power of two (at least 4); with
    no hits, 2 if this read is next to the previous one, else 1; never above max_pages nor
    below half the previous window."""
    pages = hits + 2
    if pages == 2:
        if offset != prev_offset + 1 and offset != prev_offset - 1:
            pages = 1
    else:
        roundup = 4
        while roundup < pages:
            roundup <<= 1
        pages = roundup
    pages = min(pages, max_pages)
    return max(pages, prev_win // 2)


def swap_readpage(m: Machine, page: Page, entry: int) -> None:
    """swap_readpage(): the slot's contents into the page (PSWPIN; the device completes
    the read at once)."""
    page.value = m.swap.read(entry)
    page.flags |= PG_uptodate
    m.count("pswpin")
    m.count("pgpgin", 4)


def __read_swap_cache_async(m: Machine, entry: int, task: Task, vma: VmArea | None,
                            addr: int, may_oom: bool) -> tuple[Page | None, bool]:
    """__read_swap_cache_async(): (page, allocated). The swap cache's page if there is one;
    None if no one holds the slot; else a new page put in the swap cache for it (the caller
    reads it). The page goes on the LRU when the caller drains its batch."""
    page = m.swap.cache.get(entry)
    if page is not None:
        return page, False
    if not m.swap.count(entry):
        return None, False  # a free slot: nothing to read
    nid, nodemask, interleave = mempolicy.policy_node(m, task, vma, addr)
    page = page_alloc.alloc_page(m, nid, ZONE_MOVABLE, nodemask, task, interleave,
                                      may_oom)
    # the allocation may have reclaimed or killed: look again (swapcache_prepare)
    cached = m.swap.cache.get(entry)
    if cached is not None or not m.swap.count(entry):
        page_alloc.free_page(m, page)
        return cached, False
    page.flags |= PG_swapbacked | PG_swapcache
    page.private = entry
    m.swap.cache[entry] = page
    m.swap.area(entry).swap_map[swp_offset(entry)] |= SWAP_HAS_CACHE
    return page, True


def _readahead_to_lru(m: Machine, batch: list[Page]) -> None:
    """The end of both read-aheads: each page read went to lru_cache_add_anon(), then
    lru_add_drain(), so the read-ahead pages reach the inactive anon list before the
    faulting one."""
    for page in batch:
        if page.flags & PG_swapcache and not page.flags & PG_lru:
            swap.lru_cache_add_anon(m, page)
    swap.lru_add_drain(m)


def swap_cluster_readahead(m: Machine, entry: int, task: Task | None, vma: VmArea | None,
                           addr: int, may_oom: bool = True) -> Page | None:
    """swap_cluster_readahead(): read the aligned block of swapin_nr_pages() slots around
    `entry` into the swap cache (each page other than the one asked for gets PG_readahead
    and counts SWAP_RA), then the page of `entry` (read_swap_cache_async). The new pages
    join the inactive anon list (lru_cache_add_anon, then lru_add_drain). None if the slot
    was freed meanwhile."""
    task = task if task is not None else _some_task(m)
    si = m.swap.area(entry)
    typ = swp_type(entry)
    entry_offset = swp_offset(entry)
    mask = swapin_nr_pages(m, entry_offset) - 1
    if mask:
        start = entry_offset & ~mask
        end = entry_offset | mask
        if not start:
            start = 1  # the first page is the swap header
        end = min(end, si.pages - 1)
        batch: list[Page] = []
        ra = 0
        try:
            for off in range(start, end + 1):
                e = swp_entry(typ, off)
                try:
                    page, allocated = __read_swap_cache_async(m, e, task, vma, addr,
                                                              may_oom=False)
                except KernelError:
                    continue  # no memory for this one: readahead skips it
                if page is None or not allocated:
                    continue
                swap_readpage(m, page, e)
                if off != entry_offset:
                    page.flags |= PG_readahead
                    m.count("swap_ra")
                    ra += 1
                batch.append(page)
        finally:
            _readahead_to_lru(m, batch)
        m.log.emit("swap_cluster_readahead", "mm/swap_state.c",
                   f"read slots {start}-{end} around slot {entry_offset} (window "
                   f"{mask + 1}, vm.page-cluster {m.sysctl['vm.page-cluster']}): "
                   f"{ra} page(s) read ahead into the swap cache", window=mask + 1, ra=ra)
    return read_swap_cache_async(m, entry, task, vma, addr, may_oom)


def read_swap_cache_async(m: Machine, entry: int, task: Task, vma: VmArea | None, addr: int,
                          may_oom: bool = True) -> Page | None:
    """read_swap_cache_async(): the page of `entry` in the swap cache, read if it was not
    there (inactive anon list, as lru_cache_add_anon puts it)."""
    page, allocated = __read_swap_cache_async(m, entry, task, vma, addr, may_oom)
    if allocated:
        assert page is not None
        swap_readpage(m, page, entry)
        swap.lru_cache_add_anon(m, page)
    return page


def _some_task(m: Machine) -> Task:
    """The task a kernel-side read (shmem_unuse in swapoff) allocates for: current."""
    task = m.tasks.get(m.current_pid)
    if task is not None and task.alive:
        return task
    return next(t for t in m.tasks.values() if t.alive)


def try_to_free_swap(m: Machine, page: Page) -> bool:
    """try_to_free_swap(): no PTE holds the page's swap entry any more: leave the swap
    cache and free the slot; the page must be written again if it is ever reclaimed."""
    if not page.flags & PG_swapcache or m.swap.count(page.private):
        return False
    delete_from_swap_cache(m, page)
    page.flags |= PG_dirty
    return True


def _anon_vma_for(m: Machine, vma: VmArea, entry: int) -> AnonVma:
    """__page_set_anon_rmap(): an entry only this PTE holds gets the VMA's anon_vma;
    a shared one (after fork) the root, which every VMA of the family is linked to."""
    av = rmap.anon_vma_prepare(m, vma)
    if m.swap.count(entry) > 1:
        while av.parent is not None and av.parent in vma.anon_vma_chain:
            av = av.parent
    return av


def swapin_readahead(m: Machine, entry: int, task: Task, vma: VmArea, addr: int,
                     may_oom: bool = True) -> Page | None:
    """swapin_readahead(): swap_vma_readahead() if swap_use_vma_readahead(), else
    swap_cluster_readahead(). swap_use_vma_readahead() needs every swap area on a
    non-rotational device (nr_rotate_swap == 0); the machine's area is /dev/vda2, a virtio
    disk, which 5.4's virtio_blk leaves rotational (it never sets QUEUE_FLAG_NONROT), so
    sys_swapon() counted it in nr_rotate_swap: the cluster readahead, unless the machine
    says `swap_rotational = false`."""
    if swap_use_vma_readahead(m):
        return swap_vma_readahead(m, entry, task, vma, addr, may_oom)
    return swap_cluster_readahead(m, entry, task, vma, addr, may_oom)


def swap_ra_info(m: Machine, vma: VmArea, addr: int) -> tuple[int, int, int]:
    """swap_ra_info(): (window, first address, last address + PAGE_SIZE) of the PTEs to read
    around the fault at `addr`. The window comes from __swapin_nr_pages() with the VMA's
    own hits and last fault address, at most 1 << min(page-cluster, SWAP_RA_ORDER_CEILING);
    it goes forward from a fault one page after the last one, backward from one a page
    before it, else around it; it stays inside the VMA and the PMD of `addr`."""
    max_win = 1 << min(m.sysctl["vm.page-cluster"], SWAP_RA_ORDER_CEILING)
    faddr = addr & PAGE_MASK
    if max_win == 1:
        return 1, faddr, faddr + PAGE_SIZE
    fpfn = faddr >> PAGE_SHIFT
    prev_addr, prev_win, hits = vma.swap_readahead_info
    pfn = prev_addr >> PAGE_SHIFT
    win = __swapin_nr_pages(pfn, fpfn, hits, max_win, prev_win)
    vma.swap_readahead_info = (faddr, win, 0)
    if win == 1:
        return 1, faddr, faddr + PAGE_SIZE
    if fpfn == pfn + 1:
        lpfn, rpfn = fpfn, fpfn + win
    elif pfn == fpfn + 1:
        lpfn, rpfn = fpfn - win + 1, fpfn + 1
    else:
        left = (win - 1) // 2
        lpfn, rpfn = fpfn - left, fpfn + win - left
    # swap_ra_clamp_pfn()
    pmd = faddr & ~(PMD_SIZE - 1)
    start = max(lpfn, vma.vm_start >> PAGE_SHIFT, pmd >> PAGE_SHIFT)
    end = min(rpfn, vma.vm_end >> PAGE_SHIFT, (pmd + PMD_SIZE) >> PAGE_SHIFT)
    return win, start << PAGE_SHIFT, end << PAGE_SHIFT


def swap_vma_readahead(m: Machine, entry: int, task: Task, vma: VmArea, addr: int,
                       may_oom: bool = True) -> Page | None:
    """swap_vma_readahead(): read the swap entries of the PTEs around the fault (the window
    of swap_ra_info()) into the swap cache - pages of this VMA, wherever their slots are;
    each one other than the faulting page gets PG_readahead and counts SWAP_RA. Then the
    page of `entry` (read_swap_cache_async)."""
    win, start, end = swap_ra_info(m, vma, addr)
    if win > 1:
        pgd = vma.vm_mm.pgd
        assert pgd is not None
        ptes = [(va, m.pt.leaf(pgd, va)) for va in range(start, end, PAGE_SIZE)]  # copied
        batch: list[Page] = []
        ra = 0
        try:
            for va, pte in ptes:
                if not is_swap_pte(pte):
                    continue  # none or present
                try:
                    page, allocated = __read_swap_cache_async(m, pte, task, vma, addr,
                                                              may_oom=False)
                except KernelError:
                    continue
                if page is None or not allocated:
                    continue
                swap_readpage(m, page, pte)
                if va != addr & PAGE_MASK:
                    page.flags |= PG_readahead
                    m.count("swap_ra")
                    ra += 1
                batch.append(page)
        finally:
            _readahead_to_lru(m, batch)
        m.log.emit("swap_vma_readahead", "mm/swap_state.c",
                   f"read the swapped PTEs of {start:#x}-{end:#x} around {addr:#x} (window "
                   f"{win}, vm.page-cluster {m.sysctl['vm.page-cluster']}): {ra} page(s) read "
                   "ahead into the swap cache", window=win, ra=ra)
    return read_swap_cache_async(m, entry, task, vma, addr, may_oom)


def swapin_page(m: Machine, task: Task, vma: VmArea, addr: int, entry: int,
                may_oom: bool = True, readahead: bool = False) -> Page | None:
    """The page of anonymous swap entry `entry`, not in the swap cache yet, read for
    (vma, addr): swapin_readahead() (a fault, swapoff) or read_swap_cache_async() alone
    (MADV_WILLNEED). The page read for `entry` gets its anon_vma now (do_swap_page maps
    it next) and goes to the active list (do_swap_page's activate_page), or the
    unevictable one in a locked VMA. None if the slot was freed meanwhile."""
    if readahead:
        page = swapin_readahead(m, entry, task, vma, addr, may_oom)
    else:
        page = read_swap_cache_async(m, entry, task, vma, addr, may_oom)
    if page is None or page.mapping is not None or page.mapcount:
        return page
    # a page read ahead earlier is on the inactive list; one read just now waits in this
    # CPU's lru_add_pvec (__read_swap_cache_async's lru_cache_add_anon)
    on_lru = bool(page.flags & PG_lru)
    if on_lru:
        vmscan.del_page_from_lru(m, page)
    page.flags |= PG_anon
    page.mapping = _anon_vma_for(m, vma, entry)
    page.index = vma.linear_page_index(addr)
    page.flags &= ~PG_unevictable
    if vma.vm_flags & VM_LOCKED:
        page.flags |= PG_mlocked
        m.count("unevictable_pgs_mlocked")
        if on_lru:
            page.flags |= PG_unevictable
    if on_lru:
        vmscan.add_page_to_lru(m, page)
        # do_swap_page()'s activate_page(): queued in activate_page_pvecs; a page still
        # in lru_add_pvec is on no list, so activate_page() leaves it (it joins inactive)
        swap.activate_page(m, page)
    return page


def try_to_unuse(m: Machine) -> None:
    """try_to_unuse(): read every page of the swap areas back and point their PTEs at
    it (unuse_pte; not counted as faults). KernelError ENOMEM, with swap left on, if
    memory cannot hold them."""
    areas = [si for si in m.swap.areas if si.writeok]
    types = {si.type for si in areas}
    for si in areas:
        si.writeok = False  # no new pages go there while we empty it
    read = hits = 0
    log = m.log
    try:
        for _ in range(8):
            left = 0
            progress = False
            # shmem_unuse() first: swapped tmpfs/shmem pages back into their page caches

            sread, shits = shmem.shmem_unuse(m, types)
            read += sread
            hits += shits
            progress = bool(sread or shits)
            for task in list(m.tasks.values()):
                if not task.alive:
                    continue
                mm = task.mm
                assert mm.pgd is not None
                for vma in list(mm.vmas):
                    for table, idx, va in m.pt.iter_ptes(mm.pgd, vma.vm_start, vma.vm_end):
                        pte = table.entries.get(idx, 0)
                        if not is_swap_pte(pte) or swp_type(pte) not in types:
                            continue
                        # unuse_pte_range(): lookup_swap_cache(), else swapin_readahead()
                        page = lookup_swap_cache(m, pte, vma, va)
                        if page is None:
                            before = m.vmstat["pswpin"]
                            page = swapin_page(m, task, vma, va, pte, may_oom=False,
                                               readahead=True)
                            read += m.vmstat["pswpin"] - before
                            if page is None:
                                left += 1
                                continue
                        else:
                            hits += 1
                        if page.mapping is None:
                            page.flags |= PG_anon  # read ahead: page_add_anon_rmap's setup
                            page.mapping = _anon_vma_for(m, vma, pte)
                            page.index = vma.linear_page_index(va)
                        if table.entries.get(idx) != pte:
                            left += 1  # reclaim changed it meanwhile: next pass
                            continue
                        # unuse_pte(): mapped old and, if private, read-only (COW)
                        mm.rss_swap -= 1
                        mm.rss_anon += 1
                        m.touched_mms.add(mm)
                        m.swap.free(pte)
                        page.mapcount += 1
                        table.entries[idx] = mk_pte(page.pfn, vma.vm_page_prot & ~_PAGE_ACCESSED)
                        tlb.flush_tlb_page(m, mm, va)
                        vmscan.activate_page(m, page)
                        try_to_free_swap(m, page)
                        progress = True
            for entry, page in list(m.swap.cache.items()):
                if swp_type(entry) in types and not m.swap.count(entry):
                    delete_from_swap_cache(m, page)
                    if page.mapcount:
                        page.flags |= PG_dirty
                    else:
                        page_alloc.free_page(m, page)
            if not left and not any(si.inuse_pages for si in areas):
                break
            if not progress:
                raise KernelError("ENOMEM", "swapoff: the swapped pages do not fit in memory")
        else:
            raise KernelError("ENOMEM", "swapoff: pages keep going back to swap")
    except KernelError:
        for si in areas:
            si.writeok = True
        log.emit("try_to_unuse", "mm/swapfile.c", f"swapoff failed: read back {read} page(s) "
                 f"before memory ran out; {sum(si.inuse_pages for si in areas)} page(s) stay "
                 "in swap, which stays on")
        raise
    log.emit("try_to_unuse", "mm/swapfile.c", f"swapoff: read {read} page(s) back from swap "
             f"(pswpin) and took {hits} from the swap cache; every PTE that held a swap entry "
             "maps a page again", read=read, hits=hits)


def free_swap_and_cache(m: Machine, entry: int) -> None:
    """free_swap_and_cache(): drop a PTE's swap reference; free the cached page if unused."""
    m.swap.free(entry)
    page = m.swap.cache.get(entry)
    if page is not None and m.swap.count(entry) == 0 and page.mapcount == 0:
        delete_from_swap_cache(m, page)
        page_alloc.free_page(m, page)


def delete_from_swap_cache(m: Machine, page: Page) -> None:
    """delete_from_swap_cache(): the page leaves the swap cache and its slot is released."""
    entry = page.private
    del m.swap.cache[entry]
    page.flags &= ~PG_swapcache
    page.private = 0
    m.swap.drop_cache_ref(entry)


def swapon(m: Machine) -> None:
    """sys_swapon(): the swap area takes pages again."""
    if not m.swap.areas:
        raise KernelError("EINVAL", "this machine has no swap area (set swap in [machine])")
    if m.swap.enabled:
        raise KernelError("EBUSY", "swap is already on")
    m.swap.enabled = True
    for si in m.swap.areas:
        si.writeok = True
    for node in m.mem.nodes:
        node.kswapd.failures = 0  # anon pages are reclaimable again
    m.log.emit("sys_swapon", "mm/swapfile.c", f"swap on: {m.swap.total()} pages")


def swapoff(m: Machine) -> None:
    """sys_swapoff() -> try_to_unuse(): every swapped page is read back first."""
    if not m.swap.enabled:
        raise KernelError("EINVAL", "swap is already off")
    vmscan.try_to_unuse(m)
    m.swap.enabled = False


