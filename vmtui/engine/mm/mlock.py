"""mlock(2), mlock2(2), mlockall(2) (mm/mlock.c): VM_LOCKED over a range, its pages made
unevictable and faulted in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vmtui.engine.include.errors import KernelError
from vmtui.engine.include.layout import PAGE_MASK, PAGE_SHIFT, page_align
from vmtui.engine.include.mm_types import (
    VM_LOCKED,
    VM_LOCKED_MASK,
    VM_LOCKONFAULT,
    VM_SPECIAL,
    VmArea,
)
from vmtui.engine.include.mmzone import Page, PG_mlocked, PG_unevictable
from vmtui.engine.include.pgtable import is_swap_pte, pte_pfn
from vmtui.engine.mm import mmap, rmap, swap, vmscan
from vmtui.engine.mm import vma as vma_ops

MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT = 1, 2, 4  # mlockall(2) flags

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine, Task


def do_mlock(m: Machine, task: Task, start: int, length: int, on: bool,
             onfault: bool = False) -> None:
    """do_mlock() / munlock (mlock2(MLOCK_ONFAULT) with onfault): apply_vma_lock_flags()
    then __mm_populate()."""
    start_al = start & PAGE_MASK
    length = page_align(length + (start - start_al))
    end = start_al + length
    if end == start_al:
        return
    what = ("mlock2(MLOCK_ONFAULT)" if onfault else "mlock") if on else "munlock"
    m.log.emit("do_mlock" if on else "sys_munlock", "mm/mlock.c",
               f"{what}({start_al:#x}, {length})")
    add = (VM_LOCKED | (VM_LOCKONFAULT if onfault else 0)) if on else 0

    def newflags_of(vma: VmArea) -> int:
        return (vma.vm_flags & ~VM_LOCKED_MASK) | add

    m.log.enter()
    try:
        vma_ops.apply_vma_range(m, task, start_al, end, newflags_of, mlock_fixup, "mlock")
        if on:
            if task.mm.locked_vm > task.rlimit_memlock >> PAGE_SHIFT and not task.root:
                raise KernelError("ENOMEM", "over RLIMIT_MEMLOCK")
            mmap.mm_populate(m, task, start_al, length, ignore_errors=False)
    finally:
        m.log.leave()


def mlock_fixup(m: Machine, task: Task, vma: VmArea, prev: VmArea | None, start: int, end: int,
                newflags: int) -> VmArea:
    """mlock_fixup(): VM_LOCKED on or off for [start, end); unlocking puts pages back on the LRU."""
    if vma.vm_flags & VM_SPECIAL or vma.name in ("[vdso]", "[vvar]"):
        return vma
    pages = (end - start) >> PAGE_SHIFT
    was = vma.vm_flags & VM_LOCKED
    vma, changed = m.kmodel.vma_modify_flags(m, task, vma, prev, start, end, newflags,
                                             "mlock_fixup", "mm/mlock.c")
    if changed:
        if newflags & VM_LOCKED and not was:
            task.mm.locked_vm += pages
        elif was and not newflags & VM_LOCKED:
            task.mm.locked_vm -= pages
            munlock_vma_pages_range(m, vma, start, end)
    return vma


def munlock_vma_pages_range(m: Machine, vma: VmArea, start: int, end: int) -> None:
    """munlock_vma_pages_range(): pages leave the unevictable list unless locked elsewhere."""
    mm = vma.vm_mm
    assert mm.pgd is not None
    n = 0
    for table, idx, _va in m.pt.iter_ptes(mm.pgd, start, end):
        pte = table.entries[idx]
        if is_swap_pte(pte) or pte_pfn(pte) == m.zero_page.pfn:
            continue
        page = m.mem.pages[pte_pfn(pte)]
        if page.flags & PG_mlocked and not rmap.page_mlocked_elsewhere(m, page, vma):
            # __munlock_pagevec(): isolated, then __putback_lru_fast() puts the page on
            # its evictable list at once (a local pagevec, not the per-CPU batch); a page
            # still waiting in an lru_add_pvec cannot be isolated and is left to its drain
            page.flags &= ~PG_mlocked
            if swap.isolate_lru_page(m, page):
                page.flags &= ~PG_unevictable
                vmscan.add_page_to_lru(m, page)
                m.count("unevictable_pgs_rescued")
            m.count("unevictable_pgs_munlocked")
            n += 1
    if n:
        m.log.emit("munlock_vma_page", "mm/mlock.c", f"{n} page(s) back on the evictable LRU")


def mlock_page(m: Machine, page: object) -> None:
    """follow_page_pte() with FOLL_MLOCK: lru_add_drain() ("push cached pages to LRU"),
    then mlock_vma_page(): PG_mlocked, and a page on an LRU list is isolated and put back
    through lru_cache_add(), so it reaches the unevictable list when this CPU's batch
    drains (the last page mlocked waits there)."""
    assert isinstance(page, Page)
    if page.mapping is not None:
        swap.lru_add_drain(m)
    if not page.flags & PG_mlocked:
        page.flags |= PG_mlocked
        m.count("unevictable_pgs_mlocked")
        if swap.isolate_lru_page(m, page):
            swap.putback_lru_page(m, page)


def mlock_present_pages(m: Machine, vma: VmArea, start: int, end: int) -> None:
    """follow_page_mask(FOLL_MLOCK) without FOLL_POPULATE: present pages go to the
    unevictable list, absent ones stay absent (VM_LOCKONFAULT)."""
    mm = vma.vm_mm
    if mm.pgd is None:
        return
    n = 0
    for table, idx, _va in m.pt.iter_ptes(mm.pgd, start, end):
        pte = table.entries[idx]
        if not pte or is_swap_pte(pte) or pte_pfn(pte) == m.zero_page.pfn:
            continue
        page = m.mem.pages.get(pte_pfn(pte))
        if page is not None and not page.flags & PG_mlocked:
            mlock_page(m, page)
            n += 1
    m.log.emit("populate_vma_page_range", "mm/gup.c", f"VM_LOCKONFAULT: {n} present page(s) "
               "mlocked now; the others are locked when they fault in")


def sys_mlockall(m: Machine, task: Task, flags: int) -> None:
    """mlockall(2) (mm/mlock.c, 5.4): MCL_FUTURE sets mm->def_flags, so every later mapping
    (mmap, brk, stack growth) is VM_LOCKED and populated; MCL_CURRENT runs mlock_fixup() on
    every VMA now and then mm_populate(); MCL_ONFAULT adds VM_LOCKONFAULT to both."""
    mm = task.mm
    if not flags or flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) or flags == MCL_ONFAULT:
        raise KernelError("EINVAL", "mlockall needs MCL_CURRENT and/or MCL_FUTURE")
    if not task.rlimit_memlock and not task.root:
        raise KernelError("EPERM", "RLIMIT_MEMLOCK is 0 (can_do_mlock)")
    if flags & MCL_CURRENT and not task.root and \
            mm.total_vm > task.rlimit_memlock >> PAGE_SHIFT:
        raise KernelError("ENOMEM", "the address space is larger than RLIMIT_MEMLOCK")
    onfault = VM_LOCKONFAULT if flags & MCL_ONFAULT else 0
    names = [n for n, b in (("MCL_CURRENT", MCL_CURRENT), ("MCL_FUTURE", MCL_FUTURE),
                            ("MCL_ONFAULT", MCL_ONFAULT)) if flags & b]
    mm.def_flags &= ~VM_LOCKED_MASK
    if flags & MCL_FUTURE:
        mm.def_flags |= VM_LOCKED | onfault
    m.log.emit("apply_mlockall_flags", "mm/mlock.c", f"mlockall({'|'.join(names)}): " + "; ".join(
        part for part in (
            "every VMA gets VM_LOCKED now" if flags & MCL_CURRENT else "",
            "mm->def_flags |= VM_LOCKED: every later mapping is locked too"
            if flags & MCL_FUTURE else "",
            "VM_LOCKONFAULT: pages lock as they fault in, nothing is faulted in now"
            if onfault else "") if part))
    if not flags & MCL_CURRENT:
        return
    _lock_every_vma(m, task, VM_LOCKED | onfault)
    mmap.mm_populate(m, task, 0, mm.task_size)


def _lock_every_vma(m: Machine, task: Task, to_add: int) -> None:
    vmas = task.mm.vmas
    vma = vmas.first()
    prev = None
    while vma is not None:
        nxt = vmas.next(vma)
        newflags = (vma.vm_flags & ~VM_LOCKED_MASK) | to_add
        vma = mlock_fixup(m, task, vma, prev, vma.vm_start, vma.vm_end, newflags)
        prev = vma
        vma = nxt


def do_mlockall(m: Machine, task: Task, on: bool) -> None:
    """mlockall(MCL_CURRENT|MCL_FUTURE) / munlockall(): every VMA, and the mm's def_flags."""
    if on:
        sys_mlockall(m, task, MCL_CURRENT | MCL_FUTURE)
        return
    task.mm.def_flags &= ~VM_LOCKED_MASK
    m.log.emit("apply_mlockall_flags", "mm/mlock.c", "munlockall: unlock every VMA; "
               "mm->def_flags loses VM_LOCKED")
    _lock_every_vma(m, task, 0)
