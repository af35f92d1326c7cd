"""mremap(2) (mm/mremap.c): shrink in place, grow in place (vma_adjust), or move
(move_vma: copy_vma, then move_page_tables() carries the PTEs to the new address).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vmtui.engine.arch.x86 import tlb
from vmtui.engine.include.errors import KernelError
from vmtui.engine.include.layout import PAGE_MASK, PAGE_SHIFT, PAGE_SIZE, page_align
from vmtui.engine.include.mm_types import (
    VM_ACCOUNT,
    VM_DONTEXPAND,
    VM_LOCKED,
    VM_MAYSHARE,
    VM_PFNMAP,
    VM_SHARED,
    MmStruct,
    VmArea,
)
from vmtui.engine.mm import mmap
from vmtui.engine.mm import vma as vma_ops

# 5.4 keeps vma_merge, split_vma and vma_adjust in mm/mmap.c (mainline: mm/vma.c)
MMAP_C = "mm/mmap.c"

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine, Task


def move_page_tables(m: Machine, mm: MmStruct, old: int, new: int, length: int) -> int:
    """move_page_tables(): carry every PTE of [old, old+length) to [new, ...)."""
    assert mm.pgd is not None
    moved = 0
    last = m.layout.levels - 1
    entries = [(t, i, va) for t, i, va in m.pt.iter_ptes(mm.pgd, old, old + length)]
    vals = [(va, t.entries.pop(i)) for t, i, va in entries]
    for va, pte in vals:
        nva = new + (va - old)
        table = m.pt.pte_table(mm.pgd, nva, True, lambda _l, _t: pgt_acct(m, mm))
        assert table is not None
        table.entries[m.pt.index(last, nva)] = pte
        moved += 1
    tlb.flush_tlb_range(m, mm, old, old + length)
    return moved


def pgt_acct(m: Machine, mm: MmStruct) -> None:
    mm.pgtables_bytes += PAGE_SIZE

MREMAP_MAYMOVE = 1

MREMAP_FIXED = 2


# ---------------------------------------------------------------- mremap
def do_mremap(m: Machine, task: Task, addr: int, old_len: int, new_len: int, flags: int,
              new_addr: int = 0) -> int:
    """mremap(): shrink, grow in place (vma_adjust), or move (move_vma) with MREMAP_MAYMOVE;
    with MREMAP_FIXED, mremap_to() moves it to exactly new_addr."""
    log = m.log
    mm = task.mm
    names = [n for bit, n in ((MREMAP_MAYMOVE, "MREMAP_MAYMOVE"), (MREMAP_FIXED, "MREMAP_FIXED"))
             if flags & bit]
    log.emit("mremap", "mm/mremap.c", f"mremap({addr:#x}, {old_len}, {new_len}"
             + "".join(f", {n}" for n in ["|".join(names)] if n)
             + (f", {new_addr:#x}" if flags & MREMAP_FIXED else "") + ")")
    if flags & ~(MREMAP_FIXED | MREMAP_MAYMOVE) or (flags & MREMAP_FIXED and
                                                    not flags & MREMAP_MAYMOVE):
        raise KernelError("EINVAL", "bad mremap flags")
    if addr & ~PAGE_MASK:
        raise KernelError("EINVAL", f"{addr:#x} is not page-aligned")
    old_len = page_align(old_len)
    new_len = page_align(new_len)
    if not new_len:
        raise KernelError("EINVAL", "new length 0")
    log.enter()
    try:
        if m.kmodel.mremap_vma_lookup_first:
            vma = m.kmodel.find_vma(mm, addr)
            if vma is None or vma.vm_start > addr:
                log.emit("mremap", "mm/mremap.c", f"vma_lookup({addr:#x}): nothing is mapped "
                         "there: EFAULT before any shrink or move")
                raise KernelError("EFAULT", f"{addr:#x} is not mapped")
        if flags & MREMAP_FIXED:
            return mremap_to(m, task, addr, old_len, new_addr, new_len)
        if old_len >= new_len:
            if old_len > new_len:
                mmap.do_munmap(m, mm, addr + new_len, old_len - new_len)
            log.emit("mremap", "mm/mremap.c", f"shrunk in place to {new_len >> 10}K")
            return addr
        vma, charged = vma_to_resize(m, task, addr, old_len, new_len)
        try:
            return _mremap_grow(m, task, vma, addr, old_len, new_len, flags)
        except KernelError:
            m.committed_as -= charged  # vm_unacct_memory(charged)
            raise
    finally:
        log.leave()


def mremap_to(m: Machine, task: Task, addr: int, old_len: int, new_addr: int, new_len: int
              ) -> int:
    """mremap_to() (5.4 mm/mremap.c): MREMAP_FIXED. new_addr must be page-aligned, inside
    TASK_SIZE and not overlap the old range (EINVAL); whatever is mapped at the new range is
    unmapped first, a shrink unmaps the old tail, then move_vma() to exactly new_addr."""
    mm = task.mm
    log = m.log
    if new_addr & ~PAGE_MASK:
        raise KernelError("EINVAL", f"MREMAP_FIXED address {new_addr:#x} is not page-aligned")
    if new_len > mm.task_size or new_addr > mm.task_size - new_len:
        raise KernelError("EINVAL", "MREMAP_FIXED range beyond TASK_SIZE")
    if addr + old_len > new_addr and new_addr + new_len > addr:
        log.emit("mremap_to", "mm/mremap.c", f"[{new_addr:#x}, {new_addr + new_len:#x}) "
                 f"overlaps the old range [{addr:#x}, {addr + old_len:#x}): EINVAL")
        raise KernelError("EINVAL", "old and new ranges overlap")
    mmap.do_munmap(m, mm, new_addr, new_len)
    log.emit("mremap_to", "mm/mremap.c", f"do_munmap cleared [{new_addr:#x}, "
             f"{new_addr + new_len:#x}) for the new place")
    if m.kmodel.remap_move_multiple_vmas and old_len == new_len:
        vma = m.kmodel.find_vma(mm, addr)
        if vma is not None and vma.vm_start <= addr and addr + old_len > vma.vm_end:
            return remap_move(m, task, addr, old_len, new_addr)
    if old_len >= new_len:
        if old_len > new_len:
            mmap.do_munmap(m, mm, addr + new_len, old_len - new_len)
        old_len = new_len
    vma, charged = vma_to_resize(m, task, addr, old_len, new_len)
    try:
        pgoff = vma.vm_pgoff + ((addr - vma.vm_start) >> PAGE_SHIFT)
        map_flags = mmap.MAP_FIXED | (mmap.MAP_SHARED if vma.vm_flags & VM_MAYSHARE else 0)
        target = mmap.get_unmapped_area(m, mm, vma.vm_file, new_addr, new_len, pgoff, map_flags)
        return move_vma(m, task, vma, addr, old_len, new_len, target)
    except KernelError:
        m.committed_as -= charged  # out1: vm_unacct_memory(charged)
        raise


def remap_move(m: Machine, task: Task, addr: int, length: int, new_addr: int) -> int:
    """remap_move() (mm/mremap.c, 6.17 "permit mremap() move of multiple VMAs"): an
    MREMAP_FIXED move that keeps the size may span several VMAs and holes: each VMA's part
    of [addr, addr + length) moves to the same offset from new_addr (move_vma()), and the
    holes stay holes."""
    mm = task.mm
    end = addr + length
    parts = []
    vma = m.kmodel.find_vma(mm, addr)
    while vma is not None and vma.vm_start < end:
        parts.append((max(vma.vm_start, addr), min(vma.vm_end, end)))
        vma = mm.vmas.next(vma)
    m.log.emit("remap_move", "mm/mremap.c", f"[{addr:#x}, {end:#x}) spans {len(parts)} "
               f"VMA(s): each moves to the same offset from {new_addr:#x}; holes stay holes")
    for start, stop in parts:
        vma = m.kmodel.find_vma(mm, start)
        assert vma is not None and vma.vm_start <= start
        if vma.vm_flags & (VM_DONTEXPAND | VM_PFNMAP):
            raise KernelError("EFAULT", "mapping cannot be moved")
        target = new_addr + (start - addr)
        pgoff = vma.vm_pgoff + ((start - vma.vm_start) >> PAGE_SHIFT)
        map_flags = mmap.MAP_FIXED | (mmap.MAP_SHARED if vma.vm_flags & VM_MAYSHARE else 0)
        target = mmap.get_unmapped_area(m, mm, vma.vm_file, target, stop - start, pgoff,
                                        map_flags)
        move_vma(m, task, vma, start, stop - start, stop - start, target)
    return new_addr


def vma_to_resize(m: Machine, task: Task, addr: int, old_len: int, new_len: int
                  ) -> tuple[VmArea, int]:
    """vma_to_resize(): the VMA to grow, and the pages charged to Committed_AS for the growth."""
    mm = task.mm
    vma = m.kmodel.find_vma(mm, addr)
    if vma is None or vma.vm_start > addr:
        raise KernelError("EFAULT", f"{addr:#x} is not mapped")
    if not old_len and not vma.vm_flags & (VM_SHARED | VM_MAYSHARE):
        m.log.emit("vma_to_resize", "mm/mremap.c", "old_len 0 asks to duplicate a private "
                   "mapping, which mremap does not do: EINVAL")
        raise KernelError("EINVAL", "old_len 0 on a private mapping")
    if old_len > vma.vm_end - addr:
        raise KernelError("EFAULT", "old range is not one mapping")
    if vma.vm_flags & (VM_DONTEXPAND | VM_PFNMAP):
        raise KernelError("EFAULT", "mapping cannot be expanded")
    delta = (new_len - old_len) >> PAGE_SHIFT
    if vma.vm_flags & VM_LOCKED and not task.root and \
            (mm.locked_vm + delta) << PAGE_SHIFT > task.rlimit_memlock:
        raise KernelError("EAGAIN", "a locked mapping would grow over RLIMIT_MEMLOCK")
    charged = 0
    if vma.vm_flags & VM_ACCOUNT:
        mmap.vm_enough_memory(m, delta)
        m.committed_as += delta
        charged = delta
    return vma, charged


def vma_expandable(mm: MmStruct, vma: VmArea, delta: int) -> bool:
    """vma_expandable(): room for `delta` more bytes right after the VMA (its vm_next's
    vm_start bounds it, not the next VMA's stack guard gap)."""
    end = vma.vm_end + delta
    nxt = mm.vmas.next(vma)
    if nxt is not None and nxt.vm_start < end:
        return False
    return end <= mm.task_size  # get_unmapped_area(MAP_FIXED) checks TASK_SIZE


def _mremap_grow(m: Machine, task: Task, vma: VmArea, addr: int, old_len: int, new_len: int,
                 flags: int) -> int:
    """The growing half of mremap(): in place when old_len reaches the VMA's end and there is
    room, else move_vma() to a new place (only with MREMAP_MAYMOVE)."""
    mm = task.mm
    log = m.log
    delta = new_len - old_len
    if old_len == vma.vm_end - addr and vma_expandable(mm, vma, delta):
        end = vma.vm_end + delta
        merged = vma_ops.vma_merge_extend(m, mm, vma, delta) if m.kmodel.vma_merge_extend \
            else None
        if merged is None:
            mm.vmas.adjust(vma, vma.vm_start, end, vma.vm_pgoff)
            log.emit("vma_adjust", MMAP_C, f"grown in place: {vma.vm_start:#x}-{end:#x}")
        else:
            vma = merged
            log.emit("vma_merge_extend", "mm/vma.c", f"grown in place: {vma.vm_start:#x}-"
                     f"{end:#x}" + (f", and merged with the next VMA up to {vma.vm_end:#x}"
                                    if vma.vm_end > end else ""))
        mmap.vm_stat_account(mm, vma.vm_flags, delta >> PAGE_SHIFT)
        if vma.vm_flags & VM_LOCKED:
            mm.locked_vm += delta >> PAGE_SHIFT
            mmap.mm_populate(m, task, end - delta, delta)
        return addr
    if not flags & MREMAP_MAYMOVE:
        log.emit("mremap", "mm/mremap.c", "no room to grow in place and no MREMAP_MAYMOVE: "
                 "ENOMEM")
        raise KernelError("ENOMEM", "cannot grow in place")
    pgoff = vma.vm_pgoff + ((addr - vma.vm_start) >> PAGE_SHIFT)
    map_flags = mmap.MAP_SHARED if vma.vm_flags & VM_MAYSHARE else 0
    target = mmap.get_unmapped_area(m, mm, vma.vm_file, 0, new_len, pgoff, map_flags)
    return move_vma(m, task, vma, addr, old_len, new_len, target)


def move_vma(m: Machine, task: Task, vma: VmArea, old_addr: int, old_len: int, new_len: int,
             new_addr: int) -> int:
    """move_vma(): copy_vma at the new place, move_page_tables, then unmap the old range.

    The old range's VM_ACCOUNT is hidden while it is unmapped, so its commit charge moves
    with the mapping instead of being given back (vma_to_resize charged only the growth).
    """
    mm = task.mm
    log = m.log
    if mm.map_count >= m.sysctl["vm.max_map_count"] - 3:
        log.emit("move_vma", "mm/mremap.c", "map_count is within 3 of vm.max_map_count: the "
                 "unmap that follows could fail to split: ENOMEM")
        raise KernelError("ENOMEM", "too close to vm.max_map_count to move")
    pgoff = vma.vm_pgoff + ((old_addr - vma.vm_start) >> PAGE_SHIFT)
    vm_flags = vma.vm_flags
    vma_start = vma.vm_start
    new = vma_ops.copy_vma(m, mm, vma, new_addr, new_len, pgoff)
    if new.vm_start <= vma_start < new.vm_end:
        vma = new  # an unfaulted VMA merged with its own new place
    moved = move_page_tables(m, mm, old_addr, new_addr, old_len)
    log.emit("move_vma", "mm/mremap.c", f"moved to {new_addr:#x}-{new_addr + new_len:#x}; "
             f"move_page_tables carried {moved} PTE(s) (no page is copied)")
    excess = 0
    split = False
    if vm_flags & VM_ACCOUNT:
        # conceal VM_ACCOUNT so the old reservation is not undone by do_munmap
        vma.vm_flags &= ~VM_ACCOUNT
        excess = vma.vm_end - vma.vm_start - old_len
        split = vma.vm_start < old_addr and old_addr + old_len < vma.vm_end
    mmap.vm_stat_account(mm, vma.vm_flags, new_len >> PAGE_SHIFT)
    try:
        mmap.do_munmap(m, mm, old_addr, old_len)
    except KernelError:
        # OOM: unable to split the VMA; just get the accounts right
        m.committed_as -= excess >> PAGE_SHIFT
        excess = 0
    locked = vm_flags & VM_LOCKED
    if locked:
        mm.locked_vm += new_len >> PAGE_SHIFT
    if excess:
        # restore VM_ACCOUNT on the one or two pieces left of the old VMA
        vma.vm_flags |= VM_ACCOUNT
        nxt = mm.vmas.next(vma) if split else None
        if nxt is not None:
            nxt.vm_flags |= VM_ACCOUNT
    if locked and new_len > old_len:
        mmap.mm_populate(m, task, new_addr + old_len, new_len - old_len)
    return new_addr
