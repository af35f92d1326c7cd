"""The generic fault handlers (mm/memory.c, v5.4).

handle_mm_fault -> __handle_mm_fault (allocates the missing tables) ->
handle_pte_fault, which picks do_anonymous_page, do_fault (do_read_fault,
do_cow_fault, do_shared_fault), do_swap_page or do_wp_page. Each returns the
VM_FAULT_* bits the arch code counts (VM_FAULT_MAJOR for I/O).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vmtui.engine.arch.x86 import tlb, vdso
from vmtui.engine.include.errors import KernelError, SignalError
from vmtui.engine.include.fs import FAULT_AROUND_PAGES, MMAP_LOTSAMISS, READAHEAD_PAGES, File
from vmtui.engine.include.layout import PAGE_SHIFT, PAGE_SIZE
from vmtui.engine.include.mm_types import VM_LOCKED, VM_SHARED, VM_WRITE, VmArea
from vmtui.engine.include.mmzone import (
    Page,
    PG_anon,
    PG_dirty,
    PG_mlocked,
    PG_readahead,
    PG_referenced,
    PG_reserved,
    PG_swapbacked,
    PG_swapcache,
    PG_uptodate,
)
from vmtui.engine.include.pgtable import (
    _PAGE_ACCESSED,
    _PAGE_DIRTY,
    _PAGE_PRESENT,
    _PAGE_RW,
    _PAGE_SPECIAL,
    PageTable,
    is_swap_pte,
    mk_pte,
    pte_pfn,
)
from vmtui.engine.mm import mempolicy, mmap, page_alloc, rmap, shmem, swapfile, vmscan

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine, Task

VM_FAULT_MAJOR = 0x4
VM_FAULT_WRITE = 0x8
VM_FAULT_RETRY = 0x400
VM_FAULT_NOPAGE = 0x100
VM_FAULT_OOM = 0x1
VM_FAULT_SIGBUS = 0x2

F = "mm/memory.c"
SPECIAL_MAPPING_OPS = "special_mapping_vmops"  # _install_special_mapping()'s vm_ops


class FaultInfo:
    """struct vm_fault: what is being faulted and where."""

    __slots__ = ("vma", "address", "write", "pte_table", "index", "orig_pte", "kind", "tried")

    def __init__(self, vma: VmArea, address: int, write: bool) -> None:
        self.vma = vma
        self.address = address & ~(PAGE_SIZE - 1)
        self.write = write
        self.pte_table: PageTable | None = None
        self.index = 0
        self.orig_pte = 0
        self.kind = ""  # which handler ran, for the narration and the bulk summary
        self.tried = False  # FAULT_FLAG_TRIED: this is the retry after dropping mmap_sem


def handle_mm_fault(m: Machine, task: Task, vma: VmArea, address: int, write: bool,
                    tried: bool = False) -> tuple[int, str]:
    """handle_mm_fault(): count PGFAULT, then __handle_mm_fault. Returns (VM_FAULT_*, handler)."""
    m.count("pgfault")
    log = m.log
    log.emit("handle_mm_fault", F, f"{'write' if write else 'read'} fault at {address:#x} in "
             f"{vma.vm_start:#x}-{vma.vm_end:#x} {vma.perms()}")
    log.enter()
    vmf = FaultInfo(vma, address, write)
    vmf.tried = tried
    ret = __handle_mm_fault(m, task, vmf)
    log.leave()
    return ret, vmf.kind


def __handle_mm_fault(m: Machine, task: Task, vmf: FaultInfo) -> int:
    """__handle_mm_fault(): walk the tables, allocating the missing levels, then the PTE."""
    mm = task.mm
    assert mm.pgd is not None
    allocated: list[str] = []

    def on_alloc(level: int, table: PageTable) -> None:
        name = m.layout.level_names[level]
        allocated.append(f"{name} table at frame {table.pfn:#x}")
        mm.pgtables_bytes += PAGE_SIZE

    table = m.pt.pte_table(mm.pgd, vmf.address, True, on_alloc)
    assert table is not None
    vmf.pte_table = table
    if allocated:
        m.log.emit("__handle_mm_fault", F, "allocated " + ", ".join(allocated),
                   tables=len(allocated))
    vmf.index = m.pt.index(m.layout.levels - 1, vmf.address)
    vmf.orig_pte = table.entries.get(vmf.index, 0)
    return handle_pte_fault(m, task, vmf)


def handle_pte_fault(m: Machine, task: Task, vmf: FaultInfo) -> int:
    """handle_pte_fault(): pick the handler from the PTE and the VMA."""
    pte = vmf.orig_pte
    vma = vmf.vma
    if pte == 0:
        if vma.is_anonymous():
            return do_anonymous_page(m, task, vmf)
        return do_fault(m, task, vmf)
    if is_swap_pte(pte):
        return do_swap_page(m, task, vmf)
    if not pte & _PAGE_PRESENT:
        # PROT_NONE: the access check in fault.c already refused it
        raise AssertionError("PROT_NONE PTE reached handle_pte_fault")
    if vmf.write and not pte & _PAGE_RW:
        return do_wp_page(m, task, vmf)
    # spurious: the PTE is fine (another thread fixed it); mark young/dirty
    entry = pte | _PAGE_ACCESSED | (_PAGE_DIRTY if vmf.write else 0)
    vmf.pte_table.entries[vmf.index] = entry  # type: ignore[union-attr]
    vmf.kind = "spurious"
    return 0


def _set_pte(m: Machine, vmf: FaultInfo, pte: int) -> None:
    assert vmf.pte_table is not None
    vmf.pte_table.entries[vmf.index] = pte
    tlb.flush_tlb_page(m, vmf.vma.vm_mm, vmf.address)


def do_anonymous_page(m: Machine, task: Task, vmf: FaultInfo) -> int:
    """do_anonymous_page(): a read maps the shared zero page; a write a new zeroed page."""
    vma = vmf.vma
    if not vmf.write:
        zp = m.zero_page
        pte = mk_pte(zp.pfn, (vma.vm_page_prot & ~_PAGE_RW))
        _set_pte(m, vmf, pte)
        vmf.kind = "do_anonymous_page (zero page)"
        m.log.emit("do_anonymous_page", F, f"read of an untouched page: map the shared zero "
                   f"page (frame {zp.pfn:#x}) read-only; a later write will copy it",
                   addr=hex(vmf.address), pfn=zp.pfn)
        return 0
    rmap.anon_vma_prepare(m, vma)
    page = mempolicy.alloc_page_vma(m, task, vma, vmf.address)
    page.value = 0
    page.flags |= PG_uptodate
    rmap.page_add_new_anon_rmap(page, vma, vmf.address, m.kmodel.anon_exclusive)
    vmscan.lru_cache_add_active_or_unevictable(m, page, bool(vma.vm_flags & VM_LOCKED))
    vma.vm_mm.rss_anon += 1
    pte = mk_pte(page.pfn, vma.vm_page_prot | _PAGE_RW | _PAGE_DIRTY)
    _set_pte(m, vmf, pte)
    vmf.kind = "do_anonymous_page"
    if m.kmodel.folios:
        m.log.emit("do_anonymous_page", F, f"write to an untouched page: alloc_anon_folio() "
                   f"gives a zeroed order-0 folio, frame {page.pfn:#x} on node "
                   f"{page.zone.node.id} ({page.zone.name}), mapped writable",
                   addr=hex(vmf.address), pfn=page.pfn)
        cite_new_anon_folio(m, vma, page)
        return VM_FAULT_WRITE
    m.log.emit("do_anonymous_page", F, f"write to an untouched page: new zeroed frame "
               f"{page.pfn:#x} on node {page.zone.node.id} ({page.zone.name}), mapped writable",
               addr=hex(vmf.address), pfn=page.pfn)
    return VM_FAULT_WRITE


def cite_new_anon_folio(m: Machine, vma: VmArea, page: Page) -> None:
    """The calls mainline names for a new anonymous folio (page_add_new_anon_rmap() and
    lru_cache_add_active_or_unevictable() in 5.4, which narrates neither)."""
    av = vma.anon_vma
    m.log.emit("folio_add_new_anon_rmap", "mm/rmap.c", f"frame {page.pfn:#x} joins anon_vma "
               f"{getattr(av, 'id', '?')}, exclusive to this process (RMAP_EXCLUSIVE)")
    m.log.emit("folio_add_lru_vma", "mm/swap.c", "the folio joins this CPU's LRU batch"
               + (" (VM_LOCKED: for the unevictable list)" if vma.vm_flags & VM_LOCKED else ""))


# ---------------------------------------------------------------- file faults
def do_fault(m: Machine, task: Task, vmf: FaultInfo) -> int:
    """do_fault(): a file-backed page: read, private write (COW) or shared write."""
    vma = vmf.vma
    if not vmf.write:
        return do_read_fault(m, task, vmf)
    if not vma.vm_flags & VM_SHARED:
        return do_cow_fault(m, task, vmf)
    return do_shared_fault(m, task, vmf)


def __do_fault(m: Machine, task: Task, vmf: FaultInfo) -> tuple[Page | None, int]:
    """__do_fault(): vma->vm_ops->fault - filemap_fault (shmem_fault for tmpfs), or
    special_mapping_fault for [vdso]/[vvar] (vdso.py)."""
    if vmf.vma.vm_ops == SPECIAL_MAPPING_OPS:
        return vdso.special_mapping_fault(m, task, vmf)
    return filemap_fault(m, task, vmf)


def find_get_page(m: Machine, file: File, index: int) -> Page | None:
    """find_get_page() as filemap_fault uses it: a page-cache hit is mark_page_accessed()."""
    page = file.pages.get(index)
    if page is not None:
        vmscan.mark_page_accessed(m, page)
    return page


def shmem_fault(m: Machine, task: Task, vmf: FaultInfo) -> tuple[Page | None, int]:
    """shmem_fault() -> shmem_getpage_gfp() (mm/shmem.c): the page from the page cache, or a
    new zeroed one; tmpfs has no disk to read, so this is never a major fault."""
    vma = vmf.vma
    file = vma.vm_file
    assert file is not None
    index = vma.linear_page_index(vmf.address)
    if index >= file.npages:
        return None, VM_FAULT_SIGBUS
    page = find_get_page(m, file, index)
    if page is not None:
        m.log.emit("shmem_fault", "mm/shmem.c",
                   f"page {index} of {file.name} is in the page cache (frame {page.pfn:#x})")
        return page, 0
    if index in file.swapped:
        return shmem_swapin_fault(m, task, vmf, file, index)
    if file.noreserve:
        # shmem_acct_block(): a VM_NORESERVE object is charged page by page

        try:
            mmap.vm_enough_memory(m, 1)
        except KernelError:
            m.log.emit("shmem_fault", "mm/shmem.c", "shmem_acct_block() cannot charge one "
                       "more page: -ENOSPC, VM_FAULT_SIGBUS")
            return None, VM_FAULT_SIGBUS
        m.committed_as += 1
    page = add_to_page_cache(m, task, file, index)
    m.log.emit("shmem_fault", "mm/shmem.c",
               f"page {index} of {file.name} does not exist yet: shmem_getpage_gfp() "
               f"allocates a zeroed frame {page.pfn:#x} and adds it to the page cache "
               "(no I/O: a minor fault)")
    return page, 0


def shmem_swapin_fault(m: Machine, task: Task, vmf: FaultInfo, file: File, index: int
                       ) -> tuple[Page | None, int]:
    """shmem_getpage_gfp()'s swap path: the mapping holds a swap entry at `index`:
    shmem_swapin_page() brings the page back (a major fault unless the swap cache had it)."""
    entry = file.swapped[index]
    cached = entry in m.swap.cache
    page, major = shmem.shmem_swapin_page(m, task, file, index, fault=True)
    ret = VM_FAULT_MAJOR if major else 0
    if page is None:
        m.log.emit("shmem_fault", "mm/shmem.c", f"page {index} of {file.name} changed while "
                   "it was read from swap (-EEXIST): the fault is retried")
        return None, ret | VM_FAULT_RETRY
    how = "was still in the swap cache (a minor fault)" if cached else \
        "was read back from swap (a major fault)"
    m.log.emit("shmem_fault", "mm/shmem.c",
               f"page {index} of {file.name} is in swap (entry {entry:#x}): "
               f"shmem_swapin_page() - it {how}; it goes back into the page cache as frame "
               f"{page.pfn:#x}, dirty, and its swap slot is freed")
    return page, ret


def shmem_evict_inode(m: Machine, file: File) -> None:
    """shmem_evict_inode(): the last reference to an unlinked tmpfs file went; its pages are
    freed (shmem_truncate_range) and its commit charge given back (shmem_unacct_size)."""
    n = 0
    for index in list(file.pages):
        page = file.pages.pop(index)
        assert page.mapcount == 0, f"evicting {file.name} with mapped page {page.pfn:#x}"
        page.mapping = None
        page_alloc.free_page(m, page)
        n += 1
    # shmem_undo_range(): the swapped-out pages' entries go too (shmem_free_swap)

    nswapped = len(file.swapped)
    for index in sorted(file.swapped):
        shmem.shmem_free_swap(m, file, index)
    m.swap.shmem_swaplist.pop(file, None)
    # alloced pages (in memory or in swap) were charged one by one for VM_NORESERVE
    m.committed_as -= n + nswapped if file.noreserve else file.npages
    m.log.emit("shmem_evict_inode", "mm/shmem.c", f"last mapping of {file.name} gone: its "
               f"{n} page(s) are freed"
               + (f", its {nswapped} swap slot(s) released" if nswapped else "")
               + " and its Committed_AS charge given back", pages=n, swapped=nswapped)


def filemap_fault(m: Machine, task: Task, vmf: FaultInfo) -> tuple[Page | None, int]:
    """filemap_fault(): the page from the page cache, or read it (a major fault) with readahead.

    A tmpfs/shmem file has shmem_fault() as its ->fault instead."""
    vma = vmf.vma
    file = vma.vm_file
    assert file is not None
    if file.shmem:
        return shmem_fault(m, task, vmf)
    index = vma.linear_page_index(vmf.address)
    if index >= file.npages:
        return None, VM_FAULT_SIGBUS
    page = find_get_page(m, file, index)
    if page is not None:
        if not vmf.tried:
            # do_async_mmap_readahead()
            if file.mmap_miss > 0:
                file.mmap_miss -= 1
            if page.flags & PG_readahead:
                page.flags &= ~PG_readahead
                read = ondemand_readahead(m, task, file, index)
                m.log.emit("filemap_fault", "mm/filemap.c",
                           f"page {index} of {file.name} is cached and carries the readahead "
                           f"marker: do_async_mmap_readahead() reads the next window "
                           f"({read} page(s) from {file.ra_start}); "
                           f"{m.kmodel.mmap_lock} is dropped for the I/O (VM_FAULT_RETRY), "
                           "the fault is retried (not a major one)",
                           pages=read)
                return None, VM_FAULT_RETRY
        m.log.emit("filemap_fault", "mm/filemap.c",
                   f"page {index} of {file.name} is in the page cache (frame {page.pfn:#x})")
        return page, 0
    m.count("pgmajfault")
    # do_sync_mmap_readahead(): read around the page, unless mmap reads of this file
    # keep missing the cache
    if file.mmap_miss < MMAP_LOTSAMISS * 10:
        file.mmap_miss += 1
    if file.mmap_miss > MMAP_LOTSAMISS:
        add_to_page_cache(m, task, file, index)
        read = 1
        how = "(readahead is off: this file's mmap reads miss too often)"
    else:
        file.ra_start = max(0, index - READAHEAD_PAGES // 2)
        file.ra_size = READAHEAD_PAGES
        file.ra_async = READAHEAD_PAGES // 4
        read = do_page_cache_readahead(m, task, file, file.ra_start, file.ra_size,
                                       file.ra_async)
        how = (f"with read-around of pages {file.ra_start}-"
               f"{file.ra_start + file.ra_size - 1} (PG_readahead marks page "
               f"{file.ra_start + file.ra_size - file.ra_async})")
    m.log.emit("filemap_fault", "mm/filemap.c",
               f"page {index} of {file.name} not cached: read {read} page(s) from disk {how} "
               f"-> VM_FAULT_MAJOR; {m.kmodel.mmap_lock} is dropped for the I/O "
               "(VM_FAULT_RETRY) and the fault is retried", pages=read)
    return None, VM_FAULT_MAJOR | VM_FAULT_RETRY


def do_page_cache_readahead(m: Machine, task: Task, file: File, start: int, nr: int,
                            lookahead: int) -> int:
    """__do_page_cache_readahead() (mm/readahead.c): read the pages of [start, start + nr)
    that are not cached, up to the end of the file; the page `lookahead` pages before the
    end of the window gets PG_readahead. Returns the pages read."""
    last = file.npages - 1
    read = 0
    for i in range(nr):
        idx = start + i
        if idx > last:
            break
        if idx in file.pages:
            continue
        page = add_to_page_cache(m, task, file, idx)
        if i == nr - lookahead:
            page.flags |= PG_readahead
        read += 1
    return read


def get_next_ra_size(cur: int, max_pages: int) -> int:
    """get_next_ra_size(): the next readahead window, ramped up to max_pages."""
    if cur < max_pages // 16:
        return 4 * cur
    if cur <= max_pages // 2:
        return 2 * cur
    return max_pages


def ondemand_readahead(m: Machine, task: Task, file: File, offset: int) -> int:
    """ondemand_readahead() for a hit on the readahead marker: push the window forward
    (sequential access) or rebuild it from what is cached after `offset`."""
    max_pages = READAHEAD_PAGES
    if offset == 0:
        # initial_readahead, then readit merges the window that would hit its own marker
        file.ra_start, file.ra_size, file.ra_async = 0, max_pages, max_pages // 2
    elif offset in (file.ra_start + file.ra_size - file.ra_async,
                    file.ra_start + file.ra_size):
        file.ra_start += file.ra_size
        file.ra_size = get_next_ra_size(file.ra_size, max_pages)
        file.ra_async = file.ra_size
    else:
        # a marker without valid state: start after the cached run (page_cache_next_miss)
        start = offset + 1
        while start in file.pages and start - offset <= max_pages:
            start += 1
        if start - offset > max_pages:
            return 0
        file.ra_start = start
        file.ra_size = get_next_ra_size(start - offset + max_pages, max_pages)
        file.ra_async = file.ra_size
    return do_page_cache_readahead(m, task, file, file.ra_start, file.ra_size, file.ra_async)


def add_to_page_cache(m: Machine, task: Task, file: File, index: int) -> Page:
    """add_to_page_cache_lru(): a new page-cache page with the file's contents."""
    page = mempolicy.alloc_page_vma(m, task, None, 0)
    page.mapping = file
    page.index = index
    page.value = file.disk.get(index, 0)
    page.flags |= PG_uptodate
    if file.shmem:
        page.flags |= PG_swapbacked
    file.pages[index] = page
    vmscan.lru_cache_add_file(m, page)
    return page


def do_fault_around(m: Machine, task: Task, vmf: FaultInfo) -> int:
    """do_fault_around() + filemap_map_pages(): map the cached pages of a 64K window."""
    vma = vmf.vma
    file = vma.vm_file
    assert file is not None and vmf.pte_table is not None
    nr = FAULT_AROUND_PAGES
    mask = ~(nr * PAGE_SIZE - 1)
    start = max(vmf.address & mask, vma.vm_start)
    ptrs_per_pte = 1 << m.layout.level_bits[-1]
    table_start = vmf.address & ~((ptrs_per_pte << PAGE_SHIFT) - 1)
    start = max(start, table_start)
    end = min(start + nr * PAGE_SIZE, vma.vm_end, table_start + (ptrs_per_pte << PAGE_SHIFT))
    mapped = 0
    ents = vmf.pte_table.entries
    prot = vma.vm_page_prot  # alloc_set_pte(): read-only but for shared writable shmem
    for addr in range(start, end, PAGE_SIZE):
        idx = m.pt.index(m.layout.levels - 1, addr)
        if ents.get(idx, 0):
            continue
        index = vma.linear_page_index(addr)
        page = file.pages.get(index)
        if page is None or index >= file.npages or page.flags & PG_readahead:
            continue  # filemap_map_pages() leaves the readahead marker to a real fault
        ents[idx] = mk_pte(page.pfn, prot)
        page_add_file_rmap(page, vma)
        if file.mmap_miss > 0:
            file.mmap_miss -= 1
        mapped += 1
    if mapped:
        m.log.emit("do_fault_around", F, f"filemap_map_pages mapped {mapped} cached page(s) "
                   f"around {vmf.address:#x} {'writable' if prot & _PAGE_RW else 'read-only'} "
                   "(fault_around_bytes = 64K)",
                   pages=mapped)
    return mapped


def page_add_file_rmap(page: Page, vma: VmArea) -> None:
    """page_add_file_rmap(): one more PTE maps this page-cache page."""
    page.mapcount += 1
    if page.flags & PG_swapbacked:
        vma.vm_mm.rss_shmem += 1
    else:
        vma.vm_mm.rss_file += 1


def do_read_fault(m: Machine, task: Task, vmf: FaultInfo) -> int:
    """do_read_fault(): fault-around first, else filemap_fault and map read-only."""
    assert vmf.pte_table is not None
    if vmf.vma.vm_ops != SPECIAL_MAPPING_OPS:  # only a file has ->map_pages
        do_fault_around(m, task, vmf)
        if vmf.pte_table.entries.get(vmf.index, 0):
            vmf.kind = "do_read_fault (fault-around)"
            return 0
    page, ret = __do_fault(m, task, vmf)
    if page is None:
        vmf.kind = vmf.kind or "do_read_fault (read from disk)"
        return ret
    vma = vmf.vma
    # alloc_set_pte(): vm_page_prot, which is read-only unless the mapping is shared,
    # writable and needs no write notification (tmpfs/shmem)
    _set_pte(m, vmf, mk_pte(page.pfn, vma.vm_page_prot))
    page_add_file_rmap(page, vma)
    vmf.kind = "do_read_fault"
    m.log.emit("do_read_fault", F, f"mapped page-cache frame {page.pfn:#x} "
               f"{'writable' if vma.vm_page_prot & _PAGE_RW else 'read-only'}")
    return ret


def do_cow_fault(m: Machine, task: Task, vmf: FaultInfo) -> int:
    """do_cow_fault(): a write to a private file mapping: copy the file page to a new anon page."""
    vma = vmf.vma
    page, ret = __do_fault(m, task, vmf)
    if page is None:
        vmf.kind = vmf.kind or "do_cow_fault (read from disk)"
        return ret
    rmap.anon_vma_prepare(m, vma)
    # __do_fault() returns the page locked and referenced: reclaim during the allocation
    # of the copy cannot take it (shrink_page_list skips pinned pages)
    new = alloc_pinned(m, task, vmf, page)
    if new is None:
        vmf.kind = "do_cow_fault (raced)"
        return ret
    new.value = page.value
    new.flags |= PG_uptodate
    rmap.page_add_new_anon_rmap(new, vma, vmf.address, m.kmodel.anon_exclusive)
    vmscan.lru_cache_add_active_or_unevictable(m, new, bool(vma.vm_flags & VM_LOCKED))
    vma.vm_mm.rss_anon += 1
    _set_pte(m, vmf, mk_pte(new.pfn, vma.vm_page_prot | _PAGE_RW | _PAGE_DIRTY))
    vmf.kind = "do_cow_fault"
    m.log.emit("do_cow_fault", F, f"private write: copied file page {page.index} (frame "
               f"{page.pfn:#x}) to a new anonymous frame {new.pfn:#x}; the file is unchanged")
    if m.kmodel.folios:
        cite_new_anon_folio(m, vma, new)
    return ret | VM_FAULT_WRITE


def alloc_pinned(m: Machine, task: Task, vmf: FaultInfo, old: Page | None) -> Page | None:
    """The new page of a copy (do_cow_fault, wp_page_copy), allocated as 5.4 does: the page
    copied from is pinned (get_page) so reclaim cannot free it meanwhile, and the PTE is
    checked again afterwards under the page-table lock (pte_same / pte_none in
    alloc_set_pte): if reclaim changed it, the new page is given back and the fault returns
    to be retried. None in that case."""
    if old is not None:
        old.refcount += 1
    try:
        new = mempolicy.alloc_page_vma(m, task, vmf.vma, vmf.address)
    finally:
        if old is not None:
            old.refcount -= 1
    assert vmf.pte_table is not None
    if vmf.pte_table.entries.get(vmf.index, 0) != vmf.orig_pte:
        page_alloc.free_page(m, new)
        m.log.emit("wp_page_copy", F, f"the PTE of {vmf.address:#x} changed while the copy "
                   "was allocated (reclaim ran): the new page is freed, the fault is retried")
        return None
    return new


def do_shared_fault(m: Machine, task: Task, vmf: FaultInfo) -> int:
    """do_shared_fault(): a write to a shared file mapping dirties the page-cache page."""
    vma = vmf.vma
    page, ret = __do_fault(m, task, vmf)
    if page is None:
        vmf.kind = "do_shared_fault (read from disk)"
        return ret
    set_page_dirty(page)
    _set_pte(m, vmf, mk_pte(page.pfn, vma.vm_page_prot | _PAGE_RW | _PAGE_DIRTY))
    page_add_file_rmap(page, vma)
    vmf.kind = "do_shared_fault"
    m.log.emit("do_shared_fault", F, f"shared write: page-cache frame {page.pfn:#x} mapped "
               "writable and marked dirty; every mapping of the file sees the write")
    return ret | VM_FAULT_WRITE


def set_page_dirty(page: Page) -> None:
    """set_page_dirty(): the page must be written back before it can be dropped. A tmpfs
    or shared anonymous page has shmem's __set_page_dirty_no_writeback(): PG_dirty only,
    no dirty accounting (it is never written back, only swapped)."""
    if not page.flags & PG_dirty:
        page.flags |= PG_dirty
        mapping = page.mapping
        if isinstance(mapping, File) and not mapping.shmem:
            mapping.nr_dirty += 1


# ---------------------------------------------------------------- write-protect
def do_wp_page(m: Machine, task: Task, vmf: FaultInfo) -> int:
    """do_wp_page(): a write to a present read-only PTE: reuse, share or copy the page."""
    vma = vmf.vma
    pte = vmf.orig_pte
    pfn = pte_pfn(pte)
    if pfn == m.zero_page.pfn or pte & _PAGE_SPECIAL:
        return wp_page_copy(m, task, vmf, None)  # vm_normal_page() is NULL
    page = m.page_of(pfn)
    if page.flags & PG_reserved:
        return wp_page_copy(m, task, vmf, page)  # a [vdso] page: never PageAnon, copied
    if page.mapping is not None and isinstance(page.mapping, File):
        if vma.vm_flags & (VM_WRITE | VM_SHARED) == (VM_WRITE | VM_SHARED):
            # wp_page_shared(): page_mkwrite, then the PTE becomes writable
            set_page_dirty(page)
            _set_pte(m, vmf, pte | _PAGE_RW | _PAGE_DIRTY | _PAGE_ACCESSED)
            vmf.kind = "do_wp_page (wp_page_shared)"
            m.log.emit("wp_page_shared", F, f"first write to shared file page (frame {pfn:#x}): "
                       "page_mkwrite lets the filesystem know, the page is now dirty")
            return VM_FAULT_WRITE
        return wp_page_copy(m, task, vmf, page)
    # anonymous: reuse_swap_page() - sole owner may just take write access back
    if page.mapcount == 1 and not (page.flags & PG_swapcache and m.swap.count(page.private)):
        if page.flags & PG_swapcache:
            swapfile.delete_from_swap_cache(m, page)
        _set_pte(m, vmf, pte | _PAGE_RW | _PAGE_DIRTY | _PAGE_ACCESSED)
        # 6.18 wp_can_reuse_anon_folio(): the reused page is exclusive again
        page.flags |= PG_dirty | m.kmodel.anon_exclusive
        vmf.kind = "do_wp_page (wp_page_reuse)"
        m.log.emit("wp_page_reuse", F, f"frame {pfn:#x} is mapped only here: no copy, the PTE "
                   "just becomes writable again")
        return VM_FAULT_WRITE
    return wp_page_copy(m, task, vmf, page)


def wp_page_copy(m: Machine, task: Task, vmf: FaultInfo, old: Page | None) -> int:
    """wp_page_copy(): copy on write - a private copy of the page for this process."""
    vma = vmf.vma
    rmap.anon_vma_prepare(m, vma)
    new = alloc_pinned(m, task, vmf, old)
    if new is None:
        vmf.kind = "do_wp_page (raced)"
        return 0
    new.value = old.value if old is not None else 0
    new.flags |= PG_uptodate
    rmap.page_add_new_anon_rmap(new, vma, vmf.address, m.kmodel.anon_exclusive)
    vmscan.lru_cache_add_active_or_unevictable(m, new, bool(vma.vm_flags & VM_LOCKED))
    mm = vma.vm_mm
    if old is None:
        mm.rss_anon += 1
        what = "the zero page"
    else:
        what = f"frame {old.pfn:#x} (mapped {old.mapcount} times)"
        if isinstance(old.mapping, File) or old.flags & PG_reserved:
            mm.rss_file -= 1
            mm.rss_anon += 1
        rmap.page_remove_rmap(m, old)
    _set_pte(m, vmf, mk_pte(new.pfn, vma.vm_page_prot | _PAGE_RW | _PAGE_DIRTY))
    vmf.kind = "do_wp_page (wp_page_copy)"
    m.log.emit("wp_page_copy", F, f"copy on write: {what} copied to new frame {new.pfn:#x}, "
               "mapped writable for this process only", new_pfn=new.pfn)
    if m.kmodel.folios:
        cite_new_anon_folio(m, vma, new)
    return VM_FAULT_WRITE


# ---------------------------------------------------------------- swap
def do_swap_page(m: Machine, task: Task, vmf: FaultInfo) -> int:
    """do_swap_page(): the PTE holds a swap entry: find the page in the swap cache or read it."""
    vma = vmf.vma
    entry = vmf.orig_pte
    ret = 0
    page = swapfile.lookup_swap_cache(m, entry, vma, vmf.address)
    if page is None:
        page = swapfile.swapin_page(m, task, vma, vmf.address, entry, readahead=True)
        ret = VM_FAULT_MAJOR
        m.count("pgmajfault")
        if page is not None:
            m.log.emit("do_swap_page", F, f"swap entry {entry:#x}: read the page back from "
                       f"swap into frame {page.pfn:#x} (a major fault)")
        # the swap-in may have reclaimed: 5.4 checks that the page is still the swap cache's
        # page for this entry and that the PTE still holds the entry, else retries
        assert vmf.pte_table is not None
        if page is None or not page.flags & PG_swapcache or page.private != entry or \
                vmf.pte_table.entries.get(vmf.index, 0) != entry:
            vmf.kind = "do_swap_page (raced)"
            m.log.emit("do_swap_page", F, "the page left the swap cache (or the PTE changed) "
                       "while it was read: the fault is retried")
            return ret
    else:
        m.log.emit("do_swap_page", F, f"swap entry {entry:#x} is still in the swap cache "
                   f"(frame {page.pfn:#x}): no I/O needed (a minor fault)")
    # map it
    mm = vma.vm_mm
    if page.mapcount == 0 and page.mapping is None:
        # a page swap readahead brought in: do_page_add_anon_rmap() gives it its anon_vma
        # (the root one if the entry is shared after fork: not exclusive)
        page.flags |= PG_anon
        page.mapping = swapfile._anon_vma_for(m, vma, entry)
        page.index = vma.linear_page_index(vmf.address)
    mm.rss_swap -= 1
    mm.rss_anon += 1
    m.swap.free(entry)
    page.mapcount += 1
    page.flags |= PG_referenced
    if ret == 0:
        vmscan.activate_page(m, page)  # a swap-cache hit is in use again
    prot = vma.vm_page_prot
    if page.mapcount == 1 and not m.swap.count(entry):
        # 6.18: nothing else holds the page (folio_ref_count() == 1): RMAP_EXCLUSIVE
        page.flags |= m.kmodel.anon_exclusive
    if vmf.write and page.mapcount == 1 and not m.swap.count(entry):
        # reuse_swap_page(): ours alone, so the swap copy is stale as soon as we write
        swapfile.delete_from_swap_cache(m, page)
        prot |= _PAGE_RW | _PAGE_DIRTY
        page.flags |= PG_dirty
        ret |= VM_FAULT_WRITE
    elif m.swap.vm_swap_full() or vma.vm_flags & VM_LOCKED or page.flags & PG_mlocked:
        swapfile.try_to_free_swap(m, page)
    _set_pte(m, vmf, mk_pte(page.pfn, prot))
    vmf.kind = "do_swap_page"
    if vmf.write and not ret & VM_FAULT_WRITE:
        # the page is not ours alone (another PTE or swap entry still refers to it): break
        # COW now, in this same fault, as do_swap_page() calls do_wp_page() itself
        m.log.emit("do_swap_page", F, "a write to a page others still share: do_wp_page() "
                   "in the same fault")
        vmf.orig_pte = mk_pte(page.pfn, prot)
        ret |= do_wp_page(m, task, vmf)
        vmf.kind = "do_swap_page"
    return ret


def check_sigbus(ret: int, addr: int) -> None:
    if ret & VM_FAULT_SIGBUS:
        raise SignalError("SIGBUS", "BUS_ADRERR", addr, "access beyond the end of the file")


