"""Merging and splitting VMAs: vma_merge, split_vma, copy_vma (mm/mmap.c in 5.4; mainline
moved them to mm/vma.c), and the walk over a range whose flags change that mprotect and
mlock share (apply_vma_range, vma_modify_flags: mainline's vma_modify_flags()).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from vmtui.engine.include.errors import KernelError
from vmtui.engine.include.fs import File
from vmtui.engine.include.layout import PAGE_MASK, PAGE_SHIFT, page_align
from vmtui.engine.include.mm_types import VM_SOFTDIRTY, VM_SPECIAL, MmStruct, VmArea
from vmtui.engine.mm import memory, rmap

# 5.4 keeps vma_merge, split_vma and vma_adjust in mm/mmap.c (mainline: mm/vma.c)
MMAP_C = "mm/mmap.c"

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine, Task

AnonRule = Callable[[object, VmArea, "tuple[VmArea | None, ...]"], bool]


# ---------------------------------------------------------------- merge / split
# 5.4's vma_merge() serves both kinds of merge; mainline (6.12) has vma_merge_new_range() for
# a range not mapped yet and vma_merge_existing_range() for one whose flags change
MERGE_NAMES_54 = (("vma_merge", MMAP_C), ("vma_merge", MMAP_C))
MERGE_NAMES_MAINLINE = (("vma_merge_new_range", "mm/vma.c"),
                        ("vma_merge_existing_range", "mm/vma.c"))


def _mergeable_anon(av1: object, av2: object, vma: VmArea | None) -> bool:
    """is_mergeable_anon_vma() of 5.4."""
    # list_is_singular(): exactly one link (an unfaulted VMA, with none, does not qualify;
    # mainline relaxed this in 6.16: is_mergeable_anon_vma_relaxed())
    if (av1 is None or av2 is None) and (vma is None or len(vma.anon_vma_chain) == 1):
        return True
    return av1 is av2


def is_mergeable_anon_vma_54(src_anon: object, tgt: VmArea, srcs: tuple[VmArea | None, ...]
                             ) -> bool:
    """5.4: may a range with anon_vma `src_anon` join `tgt`? An unfaulted target (empty
    anon_vma_chain) takes no faulted range."""
    return _mergeable_anon(src_anon, tgt.anon_vma, tgt)


def vma_is_fork_child(vma: VmArea | None) -> bool:
    """vma_is_fork_child() (mm/vma.c, 6.16; vma_had_uncowed_parents() before 6.17): a
    faulted VMA whose anon_vma_chain holds more than its own anon_vma, as fork leaves it."""
    return vma is not None and vma.anon_vma is not None and len(vma.anon_vma_chain) != 1


def is_mergeable_anon_vma_relaxed(src_anon: object, tgt: VmArea,
                                  srcs: tuple[VmArea | None, ...]) -> bool:
    """is_mergeable_anon_vma() since 6.16 ("mm/vma: fix incorrectly disallowed anonymous VMA
    merges"): a faulted range joins an unfaulted target (dup_anon_vma() gives it the
    anon_vma) unless its source VMA (vmg->middle, or copy_vma()'s vmg->copied_from) is a
    fork child; an unfaulted range joins a faulted target unless the target is one; two
    anon_vmas must be the same one."""
    tgt_anon = tgt.anon_vma
    if tgt_anon is None and src_anon is not None:
        return not any(vma_is_fork_child(v) for v in srcs)
    if tgt_anon is not None and src_anon is None:
        return not vma_is_fork_child(tgt)
    return src_anon is tgt_anon


def _mergeable(vma: VmArea, flags: int, file: File | None) -> bool:
    """is_mergeable_vma(): same flags (but VM_SOFTDIRTY), same file, no special ops."""
    return not ((vma.vm_flags ^ flags) & ~VM_SOFTDIRTY) and vma.vm_file is file and \
        not vma.name


def can_vma_merge_before(vma: VmArea, flags: int, anon_vma: object, file: File | None,
                         pgoff: int, anon_ok: AnonRule = is_mergeable_anon_vma_54,
                         srcs: tuple[VmArea | None, ...] = ()) -> bool:
    """can_vma_merge_before(): may [.., vma->vm_start) join `vma` in front?"""
    return _mergeable(vma, flags, file) and anon_ok(anon_vma, vma, srcs) and \
        vma.vm_pgoff == pgoff


def can_vma_merge_after(vma: VmArea, flags: int, anon_vma: object, file: File | None,
                        pgoff: int, anon_ok: AnonRule = is_mergeable_anon_vma_54,
                        srcs: tuple[VmArea | None, ...] = ()) -> bool:
    """can_vma_merge_after(): may [vma->vm_end, ..) join `vma` behind it?"""
    return _mergeable(vma, flags, file) and anon_ok(anon_vma, vma, srcs) and \
        vma.vm_pgoff + vma.pages() == pgoff


def remove_vma(m: Machine, mm: MmStruct, vma: VmArea) -> None:
    """Take a VMA out of the mm, its file's i_mmap and its anon_vmas."""
    mm.vmas.unlink(vma)
    if vma.vm_file is not None:
        vma.vm_file.i_mmap.pop(vma, None)
    rmap.unlink_anon_vmas(vma)


def fput_vmas(m: Machine, vmas: list[VmArea]) -> None:
    """fput() of each removed VMA's file, once its pages are unmapped: an unlinked tmpfs
    file (shared anonymous memory) whose last mapping went is evicted."""
    done: list[File] = []
    for v in vmas:
        f = v.vm_file
        if f is not None and f.unlinked and not f.i_mmap and all(f is not d for d in done):
            done.append(f)
            memory.shmem_evict_inode(m, f)


def _absorb(keep: VmArea, gone: VmArea) -> None:
    """__vma_adjust() importing an anon_vma from a VMA it swallows."""
    if keep.anon_vma is None and gone.anon_vma is not None:
        rmap.clone_anon_vmas(keep, gone)


def _dup_anon_vma(keep: VmArea, src: VmArea | None) -> None:
    """dup_anon_vma() of copy_vma()'s source into the VMA it merged with: the pages that
    move_page_tables() brings keep their anon_vma, which the target must now be linked to
    (only a relaxed merge gets here with a target that has none)."""
    if src is not None:
        _absorb(keep, src)


def vma_merge(m: Machine, mm: MmStruct, prev: VmArea | None, addr: int, end: int, flags: int,
              anon_vma: object, file: File | None, pgoff: int, policy: object,
              middle: VmArea | None = None, copied_from: VmArea | None = None
              ) -> VmArea | None:
    """vma_merge(): join [addr, end) with prev and/or next when every rule allows (cases 1-8).

    `middle` is the VMA whose range [addr, end) changes (mprotect, mlock: mainline's
    vma_merge_existing_range()), None for a new range (mmap, brk, copy_vma():
    vma_merge_new_range()); `copied_from` the VMA copy_vma() copies. The anon_vma rule and
    the names cited come from the machine's kernel model."""
    if flags & VM_SPECIAL:
        return None
    km = m.kmodel
    anon_ok: AnonRule = km.is_mergeable_anon_vma if km is not None else \
        is_mergeable_anon_vma_54
    fn, fname = (km.vma_merge_names if km is not None else MERGE_NAMES_54)[middle is not None]
    srcs = (middle, copied_from)
    pglen = (end - addr) >> PAGE_SHIFT
    nxt = mm.vmas.next(prev) if prev is not None else mm.vmas.first()
    area = nxt
    if area is not None and area.vm_end == end:
        nxt = mm.vmas.next(area)
    vmas = mm.vmas
    if prev is not None and prev.vm_end == addr and prev.vm_policy == policy and \
            can_vma_merge_after(prev, flags, anon_vma, file, pgoff, anon_ok, srcs):
        if nxt is not None and end == nxt.vm_start and policy == nxt.vm_policy and \
                can_vma_merge_before(nxt, flags, anon_vma, file, pgoff + pglen, anon_ok,
                                     srcs) and \
                _mergeable_anon(prev.anon_vma, nxt.anon_vma, None):
            # cases 1, 6: prev, the range and next become one
            new_end = nxt.vm_end
            if area is not None and area is not nxt:
                _absorb(prev, area)
                remove_vma(m, mm, area)
            _absorb(prev, nxt)
            remove_vma(m, mm, nxt)
            case = "prev + new + next"
        else:
            # cases 2, 5, 7: prev grows over the range
            new_end = end
            if area is not None and area.vm_start < end:
                _absorb(prev, area)  # __vma_adjust(): the importer takes the exporter's anon_vma
                if area.vm_end == end:
                    remove_vma(m, mm, area)
                else:
                    vmas.adjust(area, end, area.vm_end,
                                area.vm_pgoff + ((end - area.vm_start) >> PAGE_SHIFT))
            case = "prev + new"
        _dup_anon_vma(prev, copied_from)
        vmas.adjust(prev, prev.vm_start, new_end, prev.vm_pgoff)
        m.log.emit(fn, fname, f"merged with the VMA before ({case}): now "
                   f"{prev.vm_start:#x}-{prev.vm_end:#x}", merged=hex(prev.vm_start))
        return prev
    if nxt is not None and end == nxt.vm_start and policy == nxt.vm_policy and \
            can_vma_merge_before(nxt, flags, anon_vma, file, pgoff + pglen, anon_ok, srcs):
        if prev is not None and addr < prev.vm_end:
            # case 4: the range was the tail of prev, which shrinks; next imports its anon_vma
            _absorb(nxt, prev)
            vmas.adjust(prev, prev.vm_start, addr, prev.vm_pgoff)
        elif area is not None and area is not nxt and area.vm_start < end:
            # case 8: the range was all of area, which goes
            _absorb(nxt, area)
            remove_vma(m, mm, area)
        _dup_anon_vma(nxt, copied_from)
        vmas.adjust(nxt, addr, nxt.vm_end, nxt.vm_pgoff - pglen)
        m.log.emit(fn, fname, f"merged with the VMA after (new + next): now "
                   f"{nxt.vm_start:#x}-{nxt.vm_end:#x}", merged=hex(nxt.vm_start))
        return nxt
    return None


def split_vma(m: Machine, mm: MmStruct, vma: VmArea, addr: int, new_below: bool,
              check_count: bool = True) -> VmArea:
    """split_vma(): cut `vma` at `addr`; the new VMA is the lower part if `new_below`.

    With `check_count` False this is __split_vma(), which __do_munmap() calls: it may take
    map_count one over vm.max_map_count for a moment, as the unmap brings it back down."""
    if check_count and mm.map_count >= m.sysctl["vm.max_map_count"]:
        raise KernelError("ENOMEM", f"vm.max_map_count ({m.sysctl['vm.max_map_count']}) reached")
    new = VmArea(mm, vma.vm_start, vma.vm_end, vma.vm_flags, vma.vm_pgoff, vma.vm_file,
                 vma.name)
    new.vm_ops = vma.vm_ops
    new.vm_policy = vma.vm_policy
    new.vm_page_prot = vma.vm_page_prot
    delta = (addr - vma.vm_start) >> PAGE_SHIFT
    if new_below:
        new.vm_end = addr
        mm.vmas.adjust(vma, addr, vma.vm_end, vma.vm_pgoff + delta)
    else:
        new.vm_start = addr
        new.vm_pgoff = vma.vm_pgoff + delta
        mm.vmas.adjust(vma, vma.vm_start, addr, vma.vm_pgoff)
    rmap.clone_anon_vmas(new, vma)
    if new.vm_file is not None:
        new.vm_file.i_mmap[new] = None
    mm.vmas.link(new)
    where = m.kmodel.vma_c if m.kmodel is not None else MMAP_C
    m.log.emit("split_vma", where, f"split {min(vma.vm_start, new.vm_start):#x}-"
               f"{max(vma.vm_end, new.vm_end):#x} at {addr:#x}")
    return new


def copy_vma(m: Machine, mm: MmStruct, vma: VmArea, addr: int, length: int, pgoff: int
             ) -> VmArea:
    """copy_vma(): the VMA at the new place, merged with its new neighbours if they allow."""
    if vma.is_anonymous() and vma.anon_vma is None:
        # nothing faulted yet: take the pgoff of the new place, to merge there more often
        pgoff = addr >> PAGE_SHIFT
    _, prev = mm.vmas.find_vma_prev(addr)
    new = vma_merge(m, mm, prev, addr, addr + length, vma.vm_flags, vma.anon_vma, vma.vm_file,
                    pgoff, vma.vm_policy, copied_from=vma)
    if new is None:
        new = VmArea(mm, addr, addr + length, vma.vm_flags, pgoff, vma.vm_file, vma.name)
        new.vm_page_prot = vma.vm_page_prot
        new.vm_ops = vma.vm_ops
        new.vm_policy = vma.vm_policy
        rmap.clone_anon_vmas(new, vma)
        if new.vm_file is not None:
            new.vm_file.i_mmap[new] = None
        mm.vmas.link(new)
    return new


def vma_merge_extend(m: Machine, mm: MmStruct, vma: VmArea, delta: int) -> VmArea | None:
    """vma_merge_extend() (mm/vma.c, 6.1; mremap growing in place): [vm_end, vm_end + delta)
    as a new range merged with `vma` itself and, when the rules allow, with the VMA right
    after it (vmg->middle is NULL: no fork check of `vma`). None if `vma` cannot merge (the
    caller then grows it as 5.4 does)."""
    end = vma.vm_end
    return vma_merge(m, mm, vma, end, end + delta, vma.vm_flags, vma.anon_vma, vma.vm_file,
                     vma.vm_pgoff + vma.pages(), vma.vm_policy)


# ---------------------------------------------------------------- mprotect / mlock
Fixup = Callable[["Machine", "Task", VmArea, "VmArea | None", int, int, int], VmArea]


def apply_vma_range(m: Machine, task: Task, start: int, end: int,
                    newflags_of: Callable[[VmArea], int], fixup: Fixup, what: str) -> None:
    """The walk shared by do_mprotect_pkey() and apply_vma_lock_flags()."""
    mm = task.mm
    vma = m.kmodel.find_vma(mm, start)
    if vma is None or vma.vm_start > start:
        raise KernelError("ENOMEM", f"{what}: {start:#x} is not mapped")
    prev = mm.vmas.prev(vma)
    if start > vma.vm_start:
        prev = vma
    nstart = start
    while True:
        newflags = newflags_of(vma)
        tmp = min(vma.vm_end, end)
        done = fixup(m, task, vma, prev, nstart, tmp, newflags)
        nstart = tmp
        if nstart < done.vm_end:
            nstart = done.vm_end
        if nstart >= end:
            return
        prev = done
        nxt = mm.vmas.next(done)
        if nxt is None or nxt.vm_start != nstart:
            raise KernelError("ENOMEM", f"{what}: [{start:#x}, {end:#x}) has an unmapped hole")
        vma = nxt


def check_range(start: int, length: int, what: str) -> int:
    if start & ~PAGE_MASK:
        raise KernelError("EINVAL", f"{what}: {start:#x} is not page-aligned")
    length = page_align(length)
    end = start + length
    if end < start:
        raise KernelError("ENOMEM", f"{what}: range wraps")
    return end


def vma_modify_flags(m: Machine, task: Task, vma: VmArea, prev: VmArea | None, start: int,
                     end: int, newflags: int, fn: str, fname: str) -> tuple[VmArea, bool]:
    """vma_merge, else split_vma at the ends, as mprotect_fixup and mlock_fixup both do."""
    mm = task.mm
    if newflags == vma.vm_flags:
        return vma, False
    pgoff = vma.vm_pgoff + ((start - vma.vm_start) >> PAGE_SHIFT)
    merged = vma_merge(m, mm, prev, start, end, newflags, vma.anon_vma, vma.vm_file, pgoff,
                       vma.vm_policy, middle=vma)
    mm.vmas.seq += 1
    if merged is not None:
        merged.vm_flags = newflags
        return merged, True
    if start != vma.vm_start:
        split_vma(m, mm, vma, start, True)
    if end != vma.vm_end:
        split_vma(m, mm, vma, end, False)
    vma.vm_flags = newflags
    m.log.emit(fn, fname, f"{vma.vm_start:#x}-{vma.vm_end:#x} now {vma.perms()}")
    return vma, True
