"""The mmap family (mm/mmap.c, mm/mprotect.c, mm/mremap.c, mm/mlock.c, mm/madvise.c; v5.4).

mmap -> ksys_mmap_pgoff -> vm_mmap_pgoff -> do_mmap -> get_unmapped_area ->
mmap_region -> vma_merge or a new vm_area_struct. munmap splits at the ends
and unmaps the middle; mprotect and mlock change flags over a range with
vma_merge/split_vma exactly where Linux merges and splits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from vmtui.engine.arch.x86 import access, tlb
from vmtui.engine.include.errors import KernelError
from vmtui.engine.include.fs import File
from vmtui.engine.include.layout import PAGE_MASK, PAGE_SHIFT, PAGE_SIZE, page_align
from vmtui.engine.include.mm_types import (
    VM_ACCOUNT,
    VM_DATA_DEFAULT_FLAGS,
    VM_DONTEXPAND,
    VM_EXEC,
    VM_GROWSDOWN,
    VM_LOCKED,
    VM_LOCKED_MASK,
    VM_LOCKONFAULT,
    VM_MAYEXEC,
    VM_MAYREAD,
    VM_MAYSHARE,
    VM_MAYWRITE,
    VM_NORESERVE,
    VM_PFNMAP,
    VM_READ,
    VM_SHARED,
    VM_SOFTDIRTY,
    VM_SPECIAL,
    VM_WRITE,
    MmStruct,
    VmArea,
    vm_get_page_prot,
)
from vmtui.engine.include.mmzone import Page, PG_mlocked, PG_reserved, PG_unevictable
from vmtui.engine.include.pgtable import (
    _PAGE_DIRTY,
    _PAGE_PRESENT,
    _PAGE_RW,
    _PAGE_SPECIAL,
    is_swap_pte,
    pte_pfn,
)
from vmtui.engine.mm import madvise, memory, mremap, page_alloc, rmap, shmem, swap, swapfile, vmscan

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine, Task

F = "mm/mmap.c"

PROT_READ, PROT_WRITE, PROT_EXEC = 0x1, 0x2, 0x4
MAP_SHARED = 0x01
MAP_PRIVATE = 0x02
MAP_FIXED = 0x10
MAP_ANONYMOUS = 0x20
MAP_GROWSDOWN = 0x0100
MAP_LOCKED = 0x2000
MAP_NORESERVE = 0x4000
MAP_POPULATE = 0x8000
MAP_FIXED_NOREPLACE = 0x100000
MAP_SHARED_VALIDATE = MAP_SHARED | MAP_PRIVATE
# the flags mmap(2) has always ignored when unknown (LEGACY_MAP_MASK, of those simulated)
LEGACY_MAP_MASK = MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_GROWSDOWN | \
    MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE
MREMAP_MAYMOVE = 1
MREMAP_FIXED = 2

FLAG_NAMES = {
    "private": MAP_PRIVATE, "shared": MAP_SHARED, "anonymous": MAP_ANONYMOUS,
    "anon": MAP_ANONYMOUS, "fixed": MAP_FIXED, "fixed_noreplace": MAP_FIXED_NOREPLACE,
    "populate": MAP_POPULATE, "growsdown": MAP_GROWSDOWN, "locked": MAP_LOCKED,
    "noreserve": MAP_NORESERVE,
}


def calc_vm_prot_bits(prot: int) -> int:
    """calc_vm_prot_bits(): PROT_* to VM_READ/WRITE/EXEC."""
    return (VM_READ if prot & PROT_READ else 0) | (VM_WRITE if prot & PROT_WRITE else 0) | \
        (VM_EXEC if prot & PROT_EXEC else 0)


def prot_text(prot: int) -> str:
    return "".join(c if prot & b else "-" for c, b in (("r", 1), ("w", 2), ("x", 4)))


# ---------------------------------------------------------------- get_unmapped_area
def get_unmapped_area(m: Machine, mm: MmStruct, file: File | None, addr: int, length: int,
                      pgoff: int, flags: int) -> int:
    """get_unmapped_area() -> arch_get_unmapped_area_topdown() (arch/x86/kernel/sys_x86_64.c)."""
    task_size = mm.task_size
    if length > task_size:
        raise KernelError("ENOMEM", "length larger than the address space")
    log = m.log
    if flags & MAP_FIXED:
        if addr & ~PAGE_MASK:
            raise KernelError("EINVAL", f"MAP_FIXED address {addr:#x} is not page-aligned")
        if addr > task_size - length:
            raise KernelError("ENOMEM", "MAP_FIXED range beyond TASK_SIZE")
        log.emit("get_unmapped_area", F, f"MAP_FIXED: use {addr:#x} as given")
        return addr
    window = m.layout.map_window
    if addr:
        addr &= PAGE_MASK
        vma = mm.vmas.find_vma(addr)
        # mmap_address_hint_valid(): below TASK_SIZE, and not straddling the map window
        if task_size - length >= addr and (addr > window) == (addr + length > window) and \
                (vma is None or addr + length <= vma.start_gap()):
            log.emit("arch_get_unmapped_area_topdown", "arch/x86/kernel/sys_x86_64.c",
                     f"the hint {addr:#x} is free: use it")
            return addr
    high = mm.mmap_base
    if addr > window:
        # a hint above 128 TiB opts in to the whole 5-level user half
        high += task_size - window
    found = mm.vmas.unmapped_area_topdown(length, PAGE_SIZE, high)
    if found is not None:
        log.emit("arch_get_unmapped_area_topdown", "arch/x86/kernel/sys_x86_64.c",
                 f"vm_unmapped_area (top-down below mmap_base {high:#x}): the highest free gap "
                 f"of {length >> 10}K ends at {found + length:#x}, so the mapping starts at "
                 f"{found:#x}", addr=hex(found))
        return found
    # fall back to the legacy bottom-up allocator (arch_get_unmapped_area)
    found = mm.vmas.unmapped_area(length, m.mmap_legacy_base(mm), task_size)
    if found is None:
        log.emit("arch_get_unmapped_area_topdown", "arch/x86/kernel/sys_x86_64.c",
                 f"no gap of {length >> 10}K anywhere: ENOMEM")
        raise KernelError("ENOMEM", f"no free gap of {length} bytes")
    log.emit("arch_get_unmapped_area", "arch/x86/kernel/sys_x86_64.c",
             f"top-down found nothing; bottom-up from TASK_UNMAPPED_BASE gives {found:#x}")
    return found


# ---------------------------------------------------------------- merge / split
def _mergeable_anon(av1: object, av2: object, vma: VmArea | None) -> bool:
    """is_mergeable_anon_vma()."""
    # list_is_singular(): exactly one link (an unfaulted VMA, with none, does not qualify;
    # mainline relaxed this only in 2025)
    if (av1 is None or av2 is None) and (vma is None or len(vma.anon_vma_chain) == 1):
        return True
    return av1 is av2


def _mergeable(vma: VmArea, flags: int, file: File | None) -> bool:
    """is_mergeable_vma(): same flags (but VM_SOFTDIRTY), same file, no special ops."""
    return not ((vma.vm_flags ^ flags) & ~VM_SOFTDIRTY) and vma.vm_file is file and \
        not vma.name


def can_vma_merge_before(vma: VmArea, flags: int, anon_vma: object, file: File | None,
                         pgoff: int) -> bool:
    """can_vma_merge_before(): may [.., vma->vm_start) join `vma` in front?"""
    return _mergeable(vma, flags, file) and _mergeable_anon(anon_vma, vma.anon_vma, vma) and \
        vma.vm_pgoff == pgoff


def can_vma_merge_after(vma: VmArea, flags: int, anon_vma: object, file: File | None,
                        pgoff: int) -> bool:
    """can_vma_merge_after(): may [vma->vm_end, ..) join `vma` behind it?"""
    return _mergeable(vma, flags, file) and _mergeable_anon(anon_vma, vma.anon_vma, vma) and \
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


def vma_merge(m: Machine, mm: MmStruct, prev: VmArea | None, addr: int, end: int, flags: int,
              anon_vma: object, file: File | None, pgoff: int, policy: object) -> VmArea | None:
    """vma_merge(): join [addr, end) with prev and/or next when every rule allows (cases 1-8)."""
    if flags & VM_SPECIAL:
        return None
    pglen = (end - addr) >> PAGE_SHIFT
    nxt = prev.vm_next if prev is not None else mm.vmas.first()
    area = nxt
    if area is not None and area.vm_end == end:
        nxt = nxt.vm_next  # type: ignore[union-attr]
    vmas = mm.vmas
    if prev is not None and prev.vm_end == addr and prev.vm_policy == policy and \
            can_vma_merge_after(prev, flags, anon_vma, file, pgoff):
        if nxt is not None and end == nxt.vm_start and policy == nxt.vm_policy and \
                can_vma_merge_before(nxt, flags, anon_vma, file, pgoff + pglen) and \
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
        vmas.adjust(prev, prev.vm_start, new_end, prev.vm_pgoff)
        m.log.emit("vma_merge", F, f"merged with the VMA before ({case}): now "
                   f"{prev.vm_start:#x}-{prev.vm_end:#x}", merged=hex(prev.vm_start))
        return prev
    if nxt is not None and end == nxt.vm_start and policy == nxt.vm_policy and \
            can_vma_merge_before(nxt, flags, anon_vma, file, pgoff + pglen):
        if prev is not None and addr < prev.vm_end:
            # case 4: the range was the tail of prev, which shrinks; next imports its anon_vma
            _absorb(nxt, prev)
            vmas.adjust(prev, prev.vm_start, addr, prev.vm_pgoff)
        elif area is not None and area is not nxt and area.vm_start < end:
            # case 8: the range was all of area, which goes
            _absorb(nxt, area)
            remove_vma(m, mm, area)
        vmas.adjust(nxt, addr, nxt.vm_end, nxt.vm_pgoff - pglen)
        m.log.emit("vma_merge", F, f"merged with the VMA after (new + next): now "
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
    m.log.emit("split_vma", F, f"split {min(vma.vm_start, new.vm_start):#x}-"
               f"{max(vma.vm_end, new.vm_end):#x} at {addr:#x}")
    return new


# ---------------------------------------------------------------- do_mmap
def vm_enough_memory(m: Machine, pages: int) -> None:
    """__vm_enough_memory() (mm/util.c) for the current task: the overcommit policy.

    vm.overcommit_memory=2 allows the charge only while Committed_AS stays strictly below
    CommitLimit, less vm.admin_reserve_kbytes for a task without CAP_SYS_ADMIN, less
    min(total_vm / 32, vm.user_reserve_kbytes) so one process cannot take it all."""
    mode = m.sysctl["vm.overcommit_memory"]
    if mode == 1:
        return
    total_swap = m.swap.total()
    if mode == 0:
        if pages > m.mem.totalram + total_swap:
            raise KernelError("ENOMEM", f"{pages} pages is more than RAM + swap "
                              "(overcommit heuristic)")
        return
    limit = m.mem.totalram * m.sysctl["vm.overcommit_ratio"] // 100 + total_swap
    allowed = limit
    task = m.tasks.get(m.current_pid)
    if task is not None:
        if not task.root:
            allowed -= m.sysctl["vm.admin_reserve_kbytes"] >> (PAGE_SHIFT - 10)
        allowed -= min(task.mm.total_vm // 32, m.sysctl["vm.user_reserve_kbytes"] >>
                       (PAGE_SHIFT - 10))
    if m.committed_as + pages >= allowed:
        raise KernelError("ENOMEM", f"Committed_AS would reach CommitLimit ({limit * 4} kB, "
                          f"{allowed * 4} kB after the reserves) with "
                          "vm.overcommit_memory=2")


def accountable(flags: int) -> bool:
    """accountable_mapping(): private writable mappings are charged to Committed_AS."""
    return (flags & (VM_NORESERVE | VM_SHARED | VM_WRITE)) == VM_WRITE


def do_mmap(m: Machine, task: Task, addr: int, length: int, prot: int, flags: int,
            file: File | None, offset: int) -> int:
    """ksys_mmap_pgoff() -> vm_mmap_pgoff() -> do_mmap(): check, place, then mmap_region()."""
    log = m.log
    mm = task.mm
    log.emit("ksys_mmap_pgoff", F, f"mmap(addr={addr:#x}, len={length}, prot={prot_text(prot)}, "
             f"flags={flags_text(flags)}{', file=' + file.name if file else ''}, "
             f"offset={offset:#x})")
    log.enter()
    try:
        if offset & ~PAGE_MASK:
            log.emit("ksys_mmap_pgoff", "arch/x86/kernel/sys_x86_64.c",
                     f"offset {offset:#x} is not a multiple of the page size: EINVAL")
            raise KernelError("EINVAL", f"offset {offset:#x} is not page-aligned")
        if flags & MAP_ANONYMOUS:
            file = None  # ksys_mmap_pgoff() does not even look at fd for MAP_ANONYMOUS
        elif file is None:
            raise KernelError("EBADF", "no file given and not anonymous")
        log.emit("vm_mmap_pgoff", "mm/util.c", "takes mmap_sem for writing, calls do_mmap")
        log.enter()
        try:
            return _do_mmap(m, task, mm, addr, length, prot, flags, file, offset >> PAGE_SHIFT)
        finally:
            log.leave()
    finally:
        log.leave()


def flags_text(flags: int) -> str:
    return "|".join(n.upper() for n, b in FLAG_NAMES.items() if flags & b and n != "anon") or "0"


def round_hint_to_min(m: Machine, hint: int) -> int:
    """round_hint_to_min(): a hint is rounded down to a page, and one below mmap_min_addr
    is raised to it."""
    hint &= PAGE_MASK
    if hint and hint < m.mmap_min_addr:
        return page_align(m.mmap_min_addr)
    return hint


def _do_mmap(m: Machine, task: Task, mm: MmStruct, addr: int, length: int, prot: int, flags: int,
             file: File | None, pgoff: int) -> int:
    log = m.log
    if length == 0:
        raise KernelError("EINVAL", "length 0")
    length = page_align(length)
    if length == 0 or length > mm.task_size:
        raise KernelError("ENOMEM", "length too large")
    if flags & MAP_FIXED_NOREPLACE:
        flags |= MAP_FIXED
    if not flags & MAP_FIXED:
        addr = round_hint_to_min(m, addr)
    if mm.map_count > m.sysctl["vm.max_map_count"]:
        raise KernelError("ENOMEM", f"map_count {mm.map_count} > vm.max_map_count")
    log.emit("do_mmap", F, f"len rounded to {length >> 10}K; asks get_unmapped_area for a place")
    log.enter()
    try:
        addr = get_unmapped_area(m, mm, file, addr, length, pgoff, flags)
    finally:
        log.leave()
    if flags & MAP_FIXED_NOREPLACE:
        clash = mm.vmas.find_vma_intersection(addr, addr + length)
        if clash is not None:
            log.emit("do_mmap", F, f"MAP_FIXED_NOREPLACE but {clash.vm_start:#x}-"
                     f"{clash.vm_end:#x} is there: EEXIST")
            raise KernelError("EEXIST", f"{addr:#x} overlaps an existing mapping")
    vm_flags = calc_vm_prot_bits(prot) | mm.def_flags | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC
    if flags & MAP_GROWSDOWN:
        vm_flags |= VM_GROWSDOWN
    if flags & MAP_LOCKED:
        vm_flags |= VM_LOCKED
    if vm_flags & VM_LOCKED and not task.root and \
            mm.locked_vm + (length >> PAGE_SHIFT) > task.rlimit_memlock >> PAGE_SHIFT:
        # mlock_future_check(): MAP_LOCKED, or mlockall(MCL_FUTURE)'s def_flags
        raise KernelError("EAGAIN", "a locked mapping would go over RLIMIT_MEMLOCK")
    map_type = flags & (MAP_SHARED | MAP_PRIVATE)
    if file is not None:
        if map_type == MAP_SHARED_VALIDATE and flags & ~LEGACY_MAP_MASK:
            raise KernelError("EOPNOTSUPP", "MAP_SHARED_VALIDATE with a flag the file does "
                              "not support")
        if map_type in (MAP_SHARED, MAP_SHARED_VALIDATE):
            vm_flags |= VM_SHARED | VM_MAYSHARE
        elif map_type != MAP_PRIVATE:
            raise KernelError("EINVAL", "one of shared or private is needed")
        if vm_flags & VM_GROWSDOWN:
            raise KernelError("EINVAL", "MAP_GROWSDOWN is for anonymous memory only")
    else:
        if map_type == MAP_SHARED:
            if vm_flags & VM_GROWSDOWN:
                raise KernelError("EINVAL", "shared anonymous memory cannot grow down")
            vm_flags |= VM_SHARED | VM_MAYSHARE
            pgoff = 0
        elif map_type == MAP_PRIVATE:
            pgoff = addr >> PAGE_SHIFT
        else:
            raise KernelError("EINVAL", "exactly one of shared or private is needed")
    if flags & MAP_NORESERVE and m.sysctl["vm.overcommit_memory"] != 2:
        vm_flags |= VM_NORESERVE
    addr = mmap_region(m, task, mm, file, addr, length, vm_flags, pgoff,
                       shared_anon=file is None and bool(flags & MAP_SHARED))
    if vm_flags & VM_LOCKED or (flags & MAP_POPULATE):
        mm_populate(m, task, addr, length)
    return addr


def mmap_region(m: Machine, task: Task, mm: MmStruct, file: File | None, addr: int,
                length: int, vm_flags: int, pgoff: int, shared_anon: bool = False) -> int:
    """mmap_region(): clear what was there, then merge or insert a new vm_area_struct."""
    log = m.log
    end = addr + length
    log.emit("mmap_region", F, f"[{addr:#x}, {end:#x}) {vm_flags_perms(vm_flags)}")
    log.enter()
    try:
        if mm.vmas.find_vma_intersection(addr, end) is not None:
            log.emit("mmap_region", F, "MAP_FIXED over existing mappings: unmap them first")
            do_munmap(m, mm, addr, length)
        pages = length >> PAGE_SHIFT
        if accountable(vm_flags):
            vm_enough_memory(m, pages)
            vm_flags |= VM_ACCOUNT
            m.committed_as += pages
        _, prev = mm.vmas.find_vma_prev(addr)
        if prev is not None and prev.vm_end > addr:
            prev = prev.vm_prev
        vma = None
        if file is None and not shared_anon:
            vma = vma_merge(m, mm, prev, addr, end, vm_flags, None, None, pgoff, None)
        elif file is not None:
            vma = vma_merge(m, mm, prev, addr, end, vm_flags, None, file, pgoff, None)
        if vma is None:
            if shared_anon:
                # shmem_zero_setup() -> shmem_kernel_file_setup() -> shmem_acct_size(): the
                # whole size is charged to Committed_AS unless VM_NORESERVE
                if not vm_flags & VM_NORESERVE:
                    vm_enough_memory(m, pages)
                    m.committed_as += pages
                file = shmem.shmem_zero_setup(m, length)
                file.unlinked = True
                file.noreserve = bool(vm_flags & VM_NORESERVE)
            vma = VmArea(mm, addr, end, vm_flags, pgoff, file)
            if file is not None:
                file.i_mmap[vma] = None
                if vma_wants_writenotify(vma):
                    vma.vm_page_prot &= ~_PAGE_RW
            mm.vmas.link(vma)
            log.emit("vma_link", F, f"new vm_area_struct {addr:#x}-{end:#x} "
                     f"{vma.perms()} linked into mm->mmap and mm->mm_rb "
                     f"(map_count {mm.map_count})")
        vm_stat_account(mm, vm_flags, pages)
        if vm_flags & VM_LOCKED:
            mm.locked_vm += pages
        vma.vm_flags |= VM_SOFTDIRTY
        return addr
    finally:
        log.leave()


def vma_wants_writenotify(vma: VmArea) -> bool:
    """vma_wants_writenotify(): shared writable file mappings track dirtying by faulting."""
    return bool(vma.vm_flags & VM_SHARED and vma.vm_flags & VM_WRITE and vma.vm_file is not None
                and not vma.vm_file.shmem)


def vm_flags_perms(flags: int) -> str:
    return "".join(c if flags & b else "-" for c, b in (("r", VM_READ), ("w", VM_WRITE),
                                                        ("x", VM_EXEC))) + \
        ("s" if flags & VM_MAYSHARE else "p")


def vm_stat_account(mm: MmStruct, flags: int, npages: int) -> None:
    """vm_stat_account(): total_vm and the exec/stack/data split of /proc/PID/status
    (is_exec_mapping, is_stack_mapping, is_data_mapping; VM_STACK is VM_GROWSDOWN on x86)."""
    mm.total_vm += npages
    if flags & (VM_EXEC | VM_WRITE | VM_GROWSDOWN) == VM_EXEC:
        mm.exec_vm += npages
    elif flags & VM_GROWSDOWN:
        mm.stack_vm += npages
    elif flags & (VM_WRITE | VM_SHARED | VM_GROWSDOWN) == VM_WRITE:
        mm.data_vm += npages


def mm_populate(m: Machine, task: Task, addr: int, length: int,
                ignore_errors: bool = True) -> None:
    """__mm_populate() -> populate_vma_page_range(): fault every page in now (GUP).

    A PROT_NONE VMA gets no FOLL_FORCE, so __get_user_pages() fails on it with EFAULT:
    mlock() (the only caller that does not ignore errors) reports that as ENOMEM."""
    end = addr + length
    # the range may hold holes (mlockall populates [0, TASK_SIZE)): say what is mapped in it
    mapped, vma = 0, task.mm.find_vma(addr)
    while vma is not None and vma.vm_start < end:
        mapped += (min(end, vma.vm_end) - max(addr, vma.vm_start)) >> PAGE_SHIFT
        vma = vma.vm_next
    where = (f"the {mapped} mapped page(s) of [{addr:#x}, {end:#x})"
             if mapped != length >> PAGE_SHIFT else f"{mapped} page(s)")
    m.log.emit("__mm_populate", "mm/gup.c", f"fault in {where} now "
               "(MAP_POPULATE / mlock); private writable pages are broken out of COW at once")
    vma = task.mm.find_vma(addr)
    while vma is not None and vma.vm_start < end:
        s, e = max(addr, vma.vm_start), min(end, vma.vm_end)
        write = (vma.vm_flags & (VM_WRITE | VM_SHARED)) == VM_WRITE
        if vma.vm_flags & VM_SPECIAL:
            pass  # check_vma_flags(): VM_IO|VM_PFNMAP give EFAULT; [vdso]/[vvar] stay as they are
        elif vma.vm_flags & VM_LOCKONFAULT and vma.vm_flags & VM_LOCKED:
            # populate_vma_page_range(): VM_LOCKONFAULT drops FOLL_POPULATE, so only the
            # pages already present are mlocked; the rest lock when they fault in
            mlock_present_pages(m, vma, s, e)
        elif vma.vm_flags & (VM_READ | VM_WRITE | VM_EXEC):
            err = access.populate(m, task, vma, s, e, write)
            if err is not None and not ignore_errors:
                m.log.emit("__mm_populate", "mm/gup.c", f"{err[0]} at {err[1]:#x}: mlock() "
                           "returns it as ENOMEM (__mlock_posix_error_return); the VMA stays "
                           "VM_LOCKED")
                raise KernelError("ENOMEM", f"mlock: the page at {err[1]:#x} could not be "
                                  f"faulted in ({err[0]})")
            if err is not None:
                m.log.emit("__mm_populate", "mm/gup.c", f"{err[0]} ignored (every caller "
                           "but mlock() ignores errors): on to the next VMA")
        elif not ignore_errors:
            m.log.emit("__get_user_pages", "mm/gup.c", f"{vma.vm_start:#x}-{vma.vm_end:#x} is "
                       "PROT_NONE: check_vma_flags() gives EFAULT, which mlock() returns as "
                       "ENOMEM (__mlock_posix_error_return); the VMA stays VM_LOCKED")
            raise KernelError("ENOMEM", "mlock: part of the range is PROT_NONE")
        vma = vma.vm_next


# ---------------------------------------------------------------- munmap
def do_munmap(m: Machine, mm: MmStruct, start: int, length: int) -> None:
    """__do_munmap(): split at the edges, detach the VMAs, unmap_region, remove_vma_list."""
    log = m.log
    if start & ~PAGE_MASK or start > mm.task_size or length > mm.task_size - start:
        raise KernelError("EINVAL", f"munmap({start:#x}, {length}): unaligned or out of range")
    length = page_align(length)
    if length == 0:
        raise KernelError("EINVAL", "munmap of length 0")
    end = start + length
    vma = mm.find_vma(start)
    log.emit("__do_munmap", F, f"unmap [{start:#x}, {end:#x})")
    if vma is None or vma.vm_start >= end:
        log.emit("__do_munmap", F, "nothing mapped there: nothing to do")
        return
    log.enter()
    try:
        prev = vma.vm_prev
        if start > vma.vm_start:
            if end < vma.vm_end and mm.map_count >= m.sysctl["vm.max_map_count"]:
                raise KernelError("ENOMEM", "splitting would exceed vm.max_map_count")
            split_vma(m, mm, vma, start, False, check_count=False)
            prev = vma
        last = mm.find_vma(end)
        if last is not None and end > last.vm_start:
            split_vma(m, mm, last, end, True, check_count=False)
        vma = prev.vm_next if prev is not None else mm.vmas.first()
        doomed = []
        while vma is not None and vma.vm_start < end:
            doomed.append(vma)
            vma = vma.vm_next
        nxt = vma
        for v in doomed:
            if v.vm_flags & VM_LOCKED:
                mm.locked_vm -= v.pages()
                munlock_vma_pages_range(m, v, v.vm_start, v.vm_end)
        for v in doomed:
            remove_vma(m, mm, v)
        for v in doomed:
            zap_page_range(m, v, v.vm_start, v.vm_end)
        fput_vmas(m, doomed)
        floor = prev.vm_end if prev is not None else 0
        ceiling = nxt.vm_start if nxt is not None else m.layout.user_pgtables_ceiling
        free_pgtables(m, mm, floor, ceiling, start, end)
        for v in doomed:
            # remove_vma_list()
            n = v.pages()
            if v.vm_flags & VM_ACCOUNT:
                m.committed_as -= n
            vm_stat_account(mm, v.vm_flags, -n)
        log.emit("unmap_region", F, f"removed {len(doomed)} VMA(s); their pages and emptied "
                 "page tables are freed", vmas=len(doomed))
    finally:
        log.leave()


def free_pgtables(m: Machine, mm: MmStruct, floor: int, ceiling: int, start: int, end: int
                  ) -> None:
    """free_pgtables() -> free_pgd_range(): tables no remaining VMA can use go back."""
    assert mm.pgd is not None
    freed = []

    def on_free(table: object) -> None:
        freed.append(table)
        mm.pgtables_bytes -= PAGE_SIZE
        page_alloc.free_table_page(m, table.pfn)  # type: ignore[attr-defined]

    m.pt.free_range(mm.pgd, floor, ceiling, start, end, on_free)
    if freed:
        m.log.emit("free_pgd_range", "mm/memory.c", f"freed {len(freed)} page-table page(s)")


def zap_page_range(m: Machine, vma: VmArea, start: int, end: int) -> int:
    """zap_pte_range(): clear every PTE in the range and drop the pages' references.
    The pages gathered are released through free_pages_and_swap_cache(), which drains this
    CPU's LRU batches (lru_add_drain) first: done here at the first page gathered."""
    mm = vma.vm_mm
    assert mm.pgd is not None
    # whole tables of zero-page PTEs (a huge read of untouched memory) go at once
    zapped = m.pt.clear_zero_tables(mm.pgd, start, end, m.zero_page.pfn)
    gathered = False
    for table, idx, _va in m.pt.iter_ptes(mm.pgd, start, end):
        pte = table.entries.pop(idx)
        zapped += 1
        if is_swap_pte(pte):
            mm.rss_swap -= 1
            swapfile.free_swap_and_cache(m, pte)
            continue
        pfn = pte_pfn(pte)
        if pfn == m.zero_page.pfn or pte & _PAGE_SPECIAL:
            continue  # vm_normal_page() is NULL: nothing to count or free
        page = m.mem.pages.get(pfn) or m.page_of(pfn)
        if page.flags & PG_reserved:  # a [vdso] page: counted as a file page, never freed
            mm.rss_file -= 1
            page.mapcount -= 1
            continue
        if isinstance(page.mapping, File):
            if pte & _PAGE_DIRTY and pte & _PAGE_PRESENT:
                # 5.4 zap_pte_range(): `if (!PageAnon(page)) { if (pte_dirty(ptent)) {
                # force_flush = 1; set_page_dirty(page); } ...}`: shmem pages included

                memory.set_page_dirty(page)
            if page.flags & 0x100 and page.mapping.shmem:  # PG_swapbacked
                mm.rss_shmem -= 1
            else:
                mm.rss_file -= 1
        else:
            mm.rss_anon -= 1
        if not gathered:
            gathered = True
            swap.lru_add_drain(m)
        rmap.page_remove_rmap(m, page)
    if zapped:
        tlb.flush_tlb_range(m, mm, start, end)
    return zapped


# ---------------------------------------------------------------- mprotect / mlock
Fixup = Callable[["Machine", "Task", VmArea, "VmArea | None", int, int, int], VmArea]


def _apply_range(m: Machine, task: Task, start: int, end: int,
                 newflags_of: Callable[[VmArea], int], fixup: Fixup, what: str) -> None:
    """The walk shared by do_mprotect_pkey() and apply_vma_lock_flags()."""
    mm = task.mm
    vma = mm.find_vma(start)
    if vma is None or vma.vm_start > start:
        raise KernelError("ENOMEM", f"{what}: {start:#x} is not mapped")
    prev = vma.vm_prev
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
        nxt = done.vm_next
        if nxt is None or nxt.vm_start != nstart:
            raise KernelError("ENOMEM", f"{what}: [{start:#x}, {end:#x}) has an unmapped hole")
        vma = nxt


def _check_range(start: int, length: int, what: str) -> int:
    if start & ~PAGE_MASK:
        raise KernelError("EINVAL", f"{what}: {start:#x} is not page-aligned")
    length = page_align(length)
    end = start + length
    if end < start:
        raise KernelError("ENOMEM", f"{what}: range wraps")
    return end


def do_mprotect(m: Machine, task: Task, start: int, length: int, prot: int) -> None:
    """do_mprotect_pkey() -> mprotect_fixup() -> vma_merge / split_vma -> change_protection."""
    log = m.log
    end = _check_range(start, length, "mprotect")
    log.emit("do_mprotect_pkey", "mm/mprotect.c",
             f"mprotect({start:#x}, {length}, {prot_text(prot)})")
    if end == start:
        return
    vmflag = calc_vm_prot_bits(prot)

    def newflags_of(vma: VmArea) -> int:
        newflags = vmflag | (vma.vm_flags & ~(VM_READ | VM_WRITE | VM_EXEC))
        if (newflags & ~(newflags >> 4)) & (VM_READ | VM_WRITE | VM_EXEC):
            raise KernelError("EACCES", "the mapping may not get these rights (VM_MAY*)")
        return newflags

    log.enter()
    try:
        _apply_range(m, task, start, end, newflags_of, mprotect_fixup, "mprotect")
    finally:
        log.leave()


def _fixup_common(m: Machine, task: Task, vma: VmArea, prev: VmArea | None, start: int,
                  end: int, newflags: int, fn: str, fname: str) -> tuple[VmArea, bool]:
    """vma_merge, else split_vma at the ends, as mprotect_fixup and mlock_fixup both do."""
    mm = task.mm
    if newflags == vma.vm_flags:
        return vma, False
    pgoff = vma.vm_pgoff + ((start - vma.vm_start) >> PAGE_SHIFT)
    merged = vma_merge(m, mm, prev, start, end, newflags, vma.anon_vma, vma.vm_file, pgoff,
                       vma.vm_policy)
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
        vm_enough_memory(m, nrpages)
        newflags |= VM_ACCOUNT
        m.committed_as += nrpages
        charged = nrpages
    try:
        vma, _ = _fixup_common(m, task, vma, prev, start, end, newflags, "mprotect_fixup",
                               "mm/mprotect.c")
    except KernelError:
        m.committed_as -= charged  # vm_unacct_memory(charged)
        raise
    vma.vm_page_prot = vm_get_page_prot(vma.vm_flags)
    if vma_wants_writenotify(vma):
        vma.vm_page_prot &= ~_PAGE_RW
    change_protection(m, vma, start, end)
    if (oldflags & (VM_WRITE | VM_SHARED | VM_LOCKED)) == VM_LOCKED and newflags & VM_WRITE:
        # a private locked VMA turning writable: break COW now, no fault on a later write
        m.log.emit("mprotect_fixup", "mm/mprotect.c", "private VM_LOCKED mapping made "
                   "writable: populate_vma_page_range() breaks COW now")
        access.populate(m, task, vma, start, end, True)
    vm_stat_account(task.mm, oldflags, -nrpages)
    vm_stat_account(task.mm, newflags, nrpages)
    return vma


def change_protection(m: Machine, vma: VmArea, start: int, end: int) -> None:
    """change_protection() -> change_pte_range(): rewrite the present PTEs' rights."""
    mm = vma.vm_mm
    assert mm.pgd is not None
    prot = vma.vm_page_prot
    keep = _PAGE_DIRTY | (1 << 5) | _PAGE_SPECIAL  # pte_modify() keeps _PAGE_CHG_MASK
    n = 0
    for table, idx, _va in m.pt.iter_ptes(mm.pgd, start, end):
        pte = table.entries[idx]
        if is_swap_pte(pte):
            continue
        pfn = pte_pfn(pte)
        new = (pfn << PAGE_SHIFT) | (pte & keep) | (prot & ~_PAGE_RW)
        if prot & _PAGE_RW and pfn != m.zero_page.pfn and vma.vm_flags & VM_SHARED:
            new |= _PAGE_RW
        table.entries[idx] = new
        n += 1
    if n:
        tlb.flush_tlb_range(m, mm, start, end)
        m.log.emit("change_protection", "mm/mprotect.c", f"rewrote {n} PTE(s); private pages "
                   "stay read-only in the PTE until a write fault (COW rules)")


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
        _apply_range(m, task, start_al, end, newflags_of, mlock_fixup, "mlock")
        if on:
            if task.mm.locked_vm > task.rlimit_memlock >> PAGE_SHIFT and not task.root:
                raise KernelError("ENOMEM", "over RLIMIT_MEMLOCK")
            mm_populate(m, task, start_al, length, ignore_errors=False)
    finally:
        m.log.leave()


def mlock_fixup(m: Machine, task: Task, vma: VmArea, prev: VmArea | None, start: int, end: int,
                newflags: int) -> VmArea:
    """mlock_fixup(): VM_LOCKED on or off for [start, end); unlocking puts pages back on the LRU."""
    if vma.vm_flags & VM_SPECIAL or vma.name in ("[vdso]", "[vvar]"):
        return vma
    pages = (end - start) >> PAGE_SHIFT
    was = vma.vm_flags & VM_LOCKED
    vma, changed = _fixup_common(m, task, vma, prev, start, end, newflags, "mlock_fixup",
                                 "mm/mlock.c")
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


MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT = 1, 2, 4


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
    mm_populate(m, task, 0, mm.task_size)


def _lock_every_vma(m: Machine, task: Task, to_add: int) -> None:
    vma = task.mm.vmas.first()
    prev = None
    while vma is not None:
        nxt = vma.vm_next
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
        if flags & MREMAP_FIXED:
            return mremap_to(m, task, addr, old_len, new_addr, new_len)
        if old_len >= new_len:
            if old_len > new_len:
                do_munmap(m, mm, addr + new_len, old_len - new_len)
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
    do_munmap(m, mm, new_addr, new_len)
    log.emit("mremap_to", "mm/mremap.c", f"do_munmap cleared [{new_addr:#x}, "
             f"{new_addr + new_len:#x}) for the new place")
    if old_len >= new_len:
        if old_len > new_len:
            do_munmap(m, mm, addr + new_len, old_len - new_len)
        old_len = new_len
    vma, charged = vma_to_resize(m, task, addr, old_len, new_len)
    try:
        pgoff = vma.vm_pgoff + ((addr - vma.vm_start) >> PAGE_SHIFT)
        map_flags = MAP_FIXED | (MAP_SHARED if vma.vm_flags & VM_MAYSHARE else 0)
        target = get_unmapped_area(m, mm, vma.vm_file, new_addr, new_len, pgoff, map_flags)
        return move_vma(m, task, vma, addr, old_len, new_len, target)
    except KernelError:
        m.committed_as -= charged  # out1: vm_unacct_memory(charged)
        raise


def vma_to_resize(m: Machine, task: Task, addr: int, old_len: int, new_len: int
                  ) -> tuple[VmArea, int]:
    """vma_to_resize(): the VMA to grow, and the pages charged to Committed_AS for the growth."""
    mm = task.mm
    vma = mm.find_vma(addr)
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
        vm_enough_memory(m, delta)
        m.committed_as += delta
        charged = delta
    return vma, charged


def vma_expandable(mm: MmStruct, vma: VmArea, delta: int) -> bool:
    """vma_expandable(): room for `delta` more bytes right after the VMA (its vm_next's
    vm_start bounds it, not the next VMA's stack guard gap)."""
    end = vma.vm_end + delta
    nxt = vma.vm_next
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
        mm.vmas.adjust(vma, vma.vm_start, end, vma.vm_pgoff)
        vm_stat_account(mm, vma.vm_flags, delta >> PAGE_SHIFT)
        log.emit("vma_adjust", F, f"grown in place: {vma.vm_start:#x}-{end:#x}")
        if vma.vm_flags & VM_LOCKED:
            mm.locked_vm += delta >> PAGE_SHIFT
            mm_populate(m, task, end - delta, delta)
        return addr
    if not flags & MREMAP_MAYMOVE:
        log.emit("mremap", "mm/mremap.c", "no room to grow in place and no MREMAP_MAYMOVE: "
                 "ENOMEM")
        raise KernelError("ENOMEM", "cannot grow in place")
    pgoff = vma.vm_pgoff + ((addr - vma.vm_start) >> PAGE_SHIFT)
    map_flags = MAP_SHARED if vma.vm_flags & VM_MAYSHARE else 0
    target = get_unmapped_area(m, mm, vma.vm_file, 0, new_len, pgoff, map_flags)
    return move_vma(m, task, vma, addr, old_len, new_len, target)


def copy_vma(m: Machine, mm: MmStruct, vma: VmArea, addr: int, length: int, pgoff: int
             ) -> VmArea:
    """copy_vma(): the VMA at the new place, merged with its new neighbours if they allow."""
    if vma.is_anonymous() and vma.anon_vma is None:
        # nothing faulted yet: take the pgoff of the new place, to merge there more often
        pgoff = addr >> PAGE_SHIFT
    _, prev = mm.vmas.find_vma_prev(addr)
    new = vma_merge(m, mm, prev, addr, addr + length, vma.vm_flags, vma.anon_vma, vma.vm_file,
                    pgoff, vma.vm_policy)
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
    new = copy_vma(m, mm, vma, new_addr, new_len, pgoff)
    if new.vm_start <= vma_start < new.vm_end:
        vma = new  # an unfaulted VMA merged with its own new place
    moved = mremap.move_page_tables(m, mm, old_addr, new_addr, old_len)
    log.emit("move_vma", "mm/mremap.c", f"moved to {new_addr:#x}-{new_addr + new_len:#x}; "
             f"move_page_tables carried {moved} PTE(s) (no page is copied)")
    excess = 0
    split = False
    if vm_flags & VM_ACCOUNT:
        # conceal VM_ACCOUNT so the old reservation is not undone by do_munmap
        vma.vm_flags &= ~VM_ACCOUNT
        excess = vma.vm_end - vma.vm_start - old_len
        split = vma.vm_start < old_addr and old_addr + old_len < vma.vm_end
    vm_stat_account(mm, vma.vm_flags, new_len >> PAGE_SHIFT)
    try:
        do_munmap(m, mm, old_addr, old_len)
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
        if split and vma.vm_next is not None:
            vma.vm_next.vm_flags |= VM_ACCOUNT
    if locked and new_len > old_len:
        mm_populate(m, task, new_addr + old_len, new_len - old_len)
    return new_addr


# ---------------------------------------------------------------- brk
def do_brk(m: Machine, task: Task, brk: int) -> int:
    """brk(): move the program break; returns the new break, or the old one on failure."""
    mm = task.mm
    log = m.log
    origbrk = mm.brk
    log.emit("brk", F, f"brk({brk:#x}): current break {origbrk:#x}")
    log.enter()
    try:
        if brk < mm.start_brk:
            log.emit("brk", F, "below start_brk: refused, the break stays")
            return origbrk
        if brk - mm.start_brk + (mm.end_data - mm.start_data) > task.rlimit_data:
            log.emit("check_data_rlimit", "include/linux/mm.h", "over RLIMIT_DATA: refused")
            return origbrk
        newbrk = page_align(brk)
        oldbrk = page_align(mm.brk)
        if oldbrk == newbrk:
            mm.brk = brk
            log.emit("brk", F, "same page: only mm->brk moves, no VMA changes")
            return brk
        if brk <= mm.brk:
            mm.brk = brk
            do_munmap(m, mm, newbrk, oldbrk - newbrk)
            log.emit("brk", F, f"shrank: [heap] now ends at {newbrk:#x}")
            return brk
        nxt = mm.find_vma(oldbrk)
        if nxt is not None and newbrk + PAGE_SIZE > nxt.start_gap():
            log.emit("brk", F, f"would run into {nxt.vm_start:#x}: refused")
            return origbrk
        try:
            do_brk_flags(m, task, oldbrk, newbrk - oldbrk)
        except KernelError as e:
            log.emit("brk", F, f"do_brk_flags failed ({e.errno}): the break stays")
            return origbrk
        mm.brk = brk
        if mm.def_flags & VM_LOCKED:
            mm_populate(m, task, oldbrk, newbrk - oldbrk)
        return brk
    finally:
        log.leave()


def do_brk_flags(m: Machine, task: Task, addr: int, length: int) -> None:
    """do_brk_flags(): extend the heap VMA (vma_merge) or create it."""
    mm = task.mm
    flags = (VM_DATA_DEFAULT_FLAGS & ~VM_EXEC) | VM_ACCOUNT | mm.def_flags
    if mm.vmas.find_vma_intersection(addr, addr + length) is not None:
        do_munmap(m, mm, addr, length)
    if mm.map_count > m.sysctl["vm.max_map_count"]:
        raise KernelError("ENOMEM", "vm.max_map_count")
    pages = length >> PAGE_SHIFT
    vm_enough_memory(m, pages)
    m.committed_as += pages
    _, prev = mm.vmas.find_vma_prev(addr)
    vma = vma_merge(m, mm, prev, addr, addr + length, flags | VM_SOFTDIRTY, None, None,
                    addr >> PAGE_SHIFT, None)
    if vma is None:
        vma = VmArea(mm, addr, addr + length, flags | VM_SOFTDIRTY, addr >> PAGE_SHIFT)
        mm.vmas.link(vma)
        m.log.emit("do_brk_flags", F, f"new [heap] VMA {addr:#x}-{addr + length:#x}")
    else:
        m.log.emit("do_brk_flags", F, f"[heap] grows to {vma.vm_end:#x}")
    vm_stat_account(mm, flags, pages)
    if flags & VM_LOCKED:
        mm.locked_vm += pages


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
    vma = mm.find_vma(addr)
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
            n = zap_page_range(m, vma, s, e)
            m.log.emit("madvise_dontneed_single_vma", "mm/madvise.c", f"zapped {n} PTE(s) in "
                       f"[{s:#x}, {e:#x}): anonymous pages read back as zero, file pages "
                       "come back from the page cache")
        elif advice == "willneed":
            madvise.madvise_willneed(m, task, vma, s, e)
        else:
            if vma.vm_flags & (VM_LOCKED | VM_PFNMAP):
                raise KernelError("EINVAL", "MADV_FREE on a locked mapping")
            if not vma.is_anonymous():
                raise KernelError("EINVAL", "MADV_FREE works on private anonymous memory only")
            madvise.madvise_free(m, task, vma, s, e)
        addr = e
        if addr >= end:
            break
        vma = vma.vm_next
    if unmapped:
        m.log.emit("madvise", "mm/madvise.c", f"part of [{start:#x}, {end:#x}) is not mapped: "
                   "the mapped parts were advised, the call returns ENOMEM")
        raise KernelError("ENOMEM", f"madvise: [{start:#x}, {end:#x}) has unmapped parts")
