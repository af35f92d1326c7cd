"""madvise(2) (mm/madvise.c): MADV_DONTNEED zaps the range, MADV_WILLNEED reads ahead file
pages or swapped pages, MADV_FREE marks anonymous pages lazily free.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vmtui.engine.include.errors import KernelError
from vmtui.engine.include.fs import BDI_IO_PAGES, READAHEAD_PAGES
from vmtui.engine.include.layout import PAGE_MASK, PAGE_SHIFT, PAGE_SIZE, page_align
from vmtui.engine.include.mm_types import VM_LOCKED, VM_PFNMAP, VmArea
from vmtui.engine.include.mmzone import PG_dirty, PG_unevictable
from vmtui.engine.include.pgtable import _PAGE_DIRTY, _PAGE_PRESENT, is_swap_pte, pte_pfn
from vmtui.engine.mm import memory, mmap, swap, swapfile

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine, Task


def madvise_willneed(m: Machine, task: Task, vma: VmArea, start: int, end: int) -> None:
    """madvise_willneed(): file pages are read ahead into the page cache; swap is read in."""
    n = 0
    if vma.vm_file is not None and vma.vm_file.shmem:
        # force_shm_swapin_readahead(): only swapped-out tmpfs pages are read, into the
        # swap cache (read_swap_cache_async); holes stay holes

        f = vma.vm_file
        for addr in range(start, end, PAGE_SIZE):
            entry = f.swapped.get(vma.linear_page_index(addr))
            if entry is not None and entry not in m.swap.cache:
                swapfile.read_swap_cache_async(m, entry, task, vma, addr)
                n += 1
        m.log.emit("madvise_willneed", "mm/madvise.c", f"tmpfs/shmem mapping: read "
                   f"{n} swapped-out page(s) into the swap cache; holes stay holes")
        return
    if vma.vm_file is not None:
        # vfs_fadvise(POSIX_FADV_WILLNEED) -> force_page_cache_readahead(), which reads
        # at most max(bdi->io_pages, ra_pages) pages of the request, none past EOF

        f = vma.vm_file
        want = (end - start) >> PAGE_SHIFT
        cap = max(BDI_IO_PAGES, READAHEAD_PAGES)
        first = vma.linear_page_index(start)
        for idx in range(first, min(first + min(want, cap), f.npages)):
            if idx not in f.pages:
                memory.add_to_page_cache(m, task, f, idx)
                n += 1
        m.log.emit("madvise_willneed", "mm/madvise.c", f"read ahead {n} file page(s) "
                   "into the page cache; they map on the next fault without I/O" +
                   (f" (force_page_cache_readahead reads at most {cap} of the "
                    f"{want} asked for)" if want > cap else ""))
        return
    assert task.mm.pgd is not None
    for table, idx, va in m.pt.iter_ptes(task.mm.pgd, start, end):
        pte = table.entries.get(idx, 0)  # a swap-in before may have reclaimed it
        if is_swap_pte(pte) and pte not in m.swap.cache:
            swapfile.swapin_page(m, task, vma, va, pte)
            n += 1
    swap.lru_add_drain(m)  # "Push any new pages onto the LRU now"
    m.log.emit("madvise_willneed", "mm/madvise.c", f"started reading {n} swapped page(s) "
               "into the swap cache")


def madvise_free(m: Machine, task: Task, vma: VmArea, start: int, end: int) -> None:
    """madvise_free_single_vma(): this CPU's batches are drained first (lru_add_drain);
    each page's PTE is made clean and old and the page clean now, and the page is queued
    in lru_lazyfree_pvecs (mark_page_lazyfree): it loses PG_swapbacked, and counts as
    LazyFree, when that batch fills or drains."""
    assert task.mm.pgd is not None
    swap.lru_add_drain(m)
    n = 0
    for table, idx, _va in m.pt.iter_ptes(task.mm.pgd, start, end):
        pte = table.entries[idx]
        if is_swap_pte(pte) or not pte & _PAGE_PRESENT or pte_pfn(pte) == m.zero_page.pfn:
            continue
        page = m.mem.pages[pte_pfn(pte)]
        if page.mapcount != 1 or page.flags & PG_unevictable:
            continue
        table.entries[idx] = pte & ~_PAGE_DIRTY
        page.flags &= ~PG_dirty
        swap.mark_page_lazyfree(m, page)
        n += 1
    pending = len(swap.this_cpu_pvecs(m).pvecs[swap.LRU_LAZYFREE])
    m.log.emit("madvise_free_single_vma", "mm/madvise.c", f"{n} page(s) marked lazily "
               "free: reclaim may drop them without swap unless written again"
               + (f"; {pending} wait in CPU {swap.smp_processor_id(m)}'s "
                  "lru_lazyfree_pvecs until it fills or drains" if pending else ""))


# ---------------------------------------------------------------- madvise
def do_madvise(m: Machine, task: Task, start: int, length: int, advice: str) -> None:
    """madvise(): dontneed drops pages, willneed reads ahead, free marks them lazily freeable.

    As sys_madvise() does, holes in the range are skipped and reported as ENOMEM at the end,
    after the advice was applied to every VMA in the range."""
    if advice not in ("dontneed", "willneed", "free"):
        raise KernelError("EINVAL", f"unknown advice {advice!r}")
    if start & ~PAGE_MASK:
        raise KernelError("EINVAL", f"madvise: {start:#x} is not page-aligned")
    end = start + page_align(length)
    if end == start:
        return
    mm = task.mm
    unmapped = False
    addr = start
    vma = m.kmodel.find_vma(mm, addr)
    while True:
        if vma is None:
            unmapped = True
            break
        if addr < vma.vm_start:
            unmapped = True
            addr = vma.vm_start
            if addr >= end:
                break
        s, e = addr, min(end, vma.vm_end)
        if advice == "dontneed":
            if vma.vm_flags & (VM_LOCKED | VM_PFNMAP):
                raise KernelError("EINVAL", "MADV_DONTNEED on a locked mapping")
            swap.lru_add_drain(m)  # zap_page_range() drains this CPU's batches first
            n = mmap.zap_page_range(m, vma, s, e)
            m.log.emit("madvise_dontneed_single_vma", "mm/madvise.c", f"zapped {n} PTE(s) in "
                       f"[{s:#x}, {e:#x}): anonymous pages read back as zero, file pages "
                       "come back from the page cache")
        elif advice == "willneed":
            madvise_willneed(m, task, vma, s, e)
        else:
            if vma.vm_flags & (VM_LOCKED | VM_PFNMAP):
                raise KernelError("EINVAL", "MADV_FREE on a locked mapping")
            if not vma.is_anonymous():
                raise KernelError("EINVAL", "MADV_FREE works on private anonymous memory only")
            madvise_free(m, task, vma, s, e)
        addr = e
        if addr >= end:
            break
        vma = mm.vmas.next(vma)
    if unmapped:
        m.log.emit("madvise", "mm/madvise.c", f"part of [{start:#x}, {end:#x}) is not mapped: "
                   "the mapped parts were advised, the call returns ENOMEM")
        raise KernelError("ENOMEM", f"madvise: [{start:#x}, {end:#x}) has unmapped parts")
