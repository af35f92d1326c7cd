"""mprotect(2) (mm/mprotect.c): do_mprotect_pkey, mprotect_fixup, change_protection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vmtui.engine.arch.x86 import access, tlb
from vmtui.engine.include.errors import KernelError
from vmtui.engine.include.layout import PAGE_SHIFT
from vmtui.engine.include.mm_types import (
    VM_ACCOUNT,
    VM_EXEC,
    VM_LOCKED,
    VM_NORESERVE,
    VM_READ,
    VM_SHARED,
    VM_WRITE,
    VmArea,
    vm_get_page_prot,
)
from vmtui.engine.include.mmzone import PG_anon_exclusive
from vmtui.engine.include.pgtable import _PAGE_DIRTY, _PAGE_RW, _PAGE_SPECIAL, is_swap_pte, pte_pfn
from vmtui.engine.mm import mmap
from vmtui.engine.mm import vma as vma_ops

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine, Task


def do_mprotect(m: Machine, task: Task, start: int, length: int, prot: int) -> None:
    """do_mprotect_pkey() -> mprotect_fixup() -> vma_merge / split_vma -> change_protection."""
    log = m.log
    end = vma_ops.check_range(start, length, "mprotect")
    log.emit("do_mprotect_pkey", "mm/mprotect.c",
             f"mprotect({start:#x}, {length}, {mmap.prot_text(prot)})")
    if end == start:
        return
    vmflag = mmap.calc_vm_prot_bits(prot)

    def newflags_of(vma: VmArea) -> int:
        newflags = vmflag | (vma.vm_flags & ~(VM_READ | VM_WRITE | VM_EXEC))
        if (newflags & ~(newflags >> 4)) & (VM_READ | VM_WRITE | VM_EXEC):
            raise KernelError("EACCES", "the mapping may not get these rights (VM_MAY*)")
        return newflags

    log.enter()
    try:
        vma_ops.apply_vma_range(m, task, start, end, newflags_of, mprotect_fixup, "mprotect")
    finally:
        log.leave()


def mprotect_fixup(m: Machine, task: Task, vma: VmArea, prev: VmArea | None, start: int,
                   end: int, newflags: int) -> VmArea:
    """mprotect_fixup(): new flags for [start, end) of `vma`, merging or splitting."""
    oldflags = vma.vm_flags
    if newflags == oldflags:
        return vma
    nrpages = (end - start) >> PAGE_SHIFT
    charged = 0
    if newflags & VM_WRITE and not oldflags & (VM_ACCOUNT | VM_WRITE | VM_SHARED | VM_NORESERVE):
        # a private mapping made writable is charged now, and never uncharged by mprotect
        mmap.vm_enough_memory(m, nrpages)
        newflags |= VM_ACCOUNT
        m.committed_as += nrpages
        charged = nrpages
    try:
        vma, _ = m.kmodel.vma_modify_flags(m, task, vma, prev, start, end, newflags,
                                          "mprotect_fixup", "mm/mprotect.c")
    except KernelError:
        m.committed_as -= charged  # vm_unacct_memory(charged)
        raise
    vma.vm_page_prot = vm_get_page_prot(vma.vm_flags)
    if mmap.vma_wants_writenotify(vma):
        vma.vm_page_prot &= ~_PAGE_RW
    change_protection(m, vma, start, end)
    if (oldflags & (VM_WRITE | VM_SHARED | VM_LOCKED)) == VM_LOCKED and newflags & VM_WRITE:
        # a private locked VMA turning writable: break COW now, no fault on a later write
        m.log.emit("mprotect_fixup", "mm/mprotect.c", "private VM_LOCKED mapping made "
                   "writable: populate_vma_page_range() breaks COW now")
        access.populate(m, task, vma, start, end, True)
    mmap.vm_stat_account(task.mm, oldflags, -nrpages)
    mmap.vm_stat_account(task.mm, newflags, nrpages)
    return vma


def change_protection(m: Machine, vma: VmArea, start: int, end: int) -> None:
    """change_protection() -> change_pte_range(): rewrite the present PTEs' rights."""
    mm = vma.vm_mm
    assert mm.pgd is not None
    prot = vma.vm_page_prot
    keep = _PAGE_DIRTY | (1 << 5) | _PAGE_SPECIAL  # pte_modify() keeps _PAGE_CHG_MASK
    # MM_CP_TRY_CHANGE_WRITABLE (mainline): PTEs that a write fault would only make writable
    # again are made writable now, where the model has can_change_pte_writable()
    upgrade = m.kmodel.can_change_pte_writable
    if upgrade is not None and not vma_wants_manual_pte_write_upgrade(vma):
        upgrade = None
    n = kept = 0
    for table, idx, va in m.pt.iter_ptes(mm.pgd, start, end):
        pte = table.entries[idx]
        if is_swap_pte(pte):
            continue
        pfn = pte_pfn(pte)
        new = (pfn << PAGE_SHIFT) | (pte & keep) | (prot & ~_PAGE_RW)
        if prot & _PAGE_RW and pfn != m.zero_page.pfn and vma.vm_flags & VM_SHARED:
            new |= _PAGE_RW
        elif upgrade is not None and upgrade(m, vma, va, new):
            new |= _PAGE_RW
            kept += 1
        table.entries[idx] = new
        n += 1
    if n:
        tlb.flush_tlb_range(m, mm, start, end)
        if upgrade is None:
            m.log.emit("change_protection", "mm/mprotect.c", f"rewrote {n} PTE(s); private "
                       "pages stay read-only in the PTE until a write fault (COW rules)")
        else:
            m.log.emit("change_pte_range", "mm/mprotect.c", f"rewrote {n} PTE(s); "
                       f"can_change_pte_writable() made {kept} writable at once (exclusive "
                       "anonymous pages, dirty shared pages): no write fault for them",
                       writable=kept)


def vma_wants_manual_pte_write_upgrade(vma: VmArea) -> bool:
    """vma_wants_manual_pte_write_upgrade() (mainline include/linux/mm.h): a shared mapping
    with write notification, or a private writable one, may have its PTEs made writable by
    mprotect (MM_CP_TRY_CHANGE_WRITABLE)."""
    if vma.vm_flags & VM_SHARED:
        return mmap.vma_wants_writenotify(vma)
    return bool(vma.vm_flags & VM_WRITE)


def can_change_pte_writable(m: Machine, vma: VmArea, addr: int, pte: int) -> bool:
    """can_change_pte_writable() (mm/mprotect.c since 6.0): may this read-only PTE of a
    writable VMA become writable without a write fault? A private mapping: only for an
    exclusive anonymous page (PageAnonExclusive, PG_anon_exclusive here: a page mapped once
    is not exclusive if fork shared it and no write fault has since made it the process's
    own); a shared one (write notification): only a dirty PTE, whose
    page the file system already knows is dirty. The zero page never."""
    pfn = pte_pfn(pte)
    if pfn == m.zero_page.pfn or pte & _PAGE_SPECIAL:
        return False  # vm_normal_page() is NULL
    if not vma.vm_flags & VM_SHARED:
        return bool(m.page_of(pfn).flags & PG_anon_exclusive)
    return bool(pte & _PAGE_DIRTY)
