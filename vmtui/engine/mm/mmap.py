"""mmap, munmap and brk (mm/mmap.c, v5.4).

mmap -> ksys_mmap_pgoff -> vm_mmap_pgoff -> do_mmap -> get_unmapped_area ->
mmap_region -> vma_merge or a new vm_area_struct. munmap splits at the ends
and unmaps the middle. Merging and splitting are in mm/vma.py; mprotect,
mremap, mlock and madvise in their own modules, as in the kernel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vmtui.engine.arch.x86 import access, tlb
from vmtui.engine.include.errors import KernelError
from vmtui.engine.include.fs import File
from vmtui.engine.include.layout import PAGE_MASK, PAGE_SHIFT, PAGE_SIZE, page_align
from vmtui.engine.include.mm_types import (
    VM_ACCOUNT,
    VM_DATA_DEFAULT_FLAGS,
    VM_EXEC,
    VM_GROWSDOWN,
    VM_LOCKED,
    VM_LOCKONFAULT,
    VM_MAYEXEC,
    VM_MAYREAD,
    VM_MAYSHARE,
    VM_MAYWRITE,
    VM_NORESERVE,
    VM_READ,
    VM_SHARED,
    VM_SOFTDIRTY,
    VM_SPECIAL,
    VM_WRITE,
    MmStruct,
    VmArea,
)
from vmtui.engine.include.mmzone import PG_reserved
from vmtui.engine.include.pgtable import (
    _PAGE_DIRTY,
    _PAGE_PRESENT,
    _PAGE_RW,
    _PAGE_SPECIAL,
    is_swap_pte,
    pte_pfn,
)
from vmtui.engine.mm import (
    memory,
    mlock,
    page_alloc,
    rmap,
    shmem,
    swap,
    swapfile,
)
from vmtui.engine.mm import vma as vma_ops

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
        vma = m.kmodel.find_vma(mm, addr)
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
        log.emit("vm_mmap_pgoff", "mm/util.c",
                 f"takes {m.kmodel.mmap_lock} for writing, calls do_mmap")
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
            prev = mm.vmas.prev(prev)
        vma = None
        if file is None and not shared_anon:
            vma = vma_ops.vma_merge(m, mm, prev, addr, end, vm_flags, None, None, pgoff, None)
        elif file is not None:
            vma = vma_ops.vma_merge(m, mm, prev, addr, end, vm_flags, None, file, pgoff, None)
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
            fn, where, into = m.kmodel.vma_link_cited
            log.emit(fn, where, f"new vm_area_struct {addr:#x}-{end:#x} "
                     f"{vma.perms()} {into} (map_count {mm.map_count})")
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
    mapped, vma = 0, m.kmodel.find_vma(task.mm, addr)
    while vma is not None and vma.vm_start < end:
        mapped += (min(end, vma.vm_end) - max(addr, vma.vm_start)) >> PAGE_SHIFT
        vma = task.mm.vmas.next(vma)
    where = (f"the {mapped} mapped page(s) of [{addr:#x}, {end:#x})"
             if mapped != length >> PAGE_SHIFT else f"{mapped} page(s)")
    m.log.emit("__mm_populate", "mm/gup.c", f"fault in {where} now "
               "(MAP_POPULATE / mlock); private writable pages are broken out of COW at once")
    vma = m.kmodel.find_vma(task.mm, addr)
    while vma is not None and vma.vm_start < end:
        s, e = max(addr, vma.vm_start), min(end, vma.vm_end)
        write = (vma.vm_flags & (VM_WRITE | VM_SHARED)) == VM_WRITE
        if vma.vm_flags & VM_SPECIAL:
            pass  # check_vma_flags(): VM_IO|VM_PFNMAP give EFAULT; [vdso]/[vvar] stay as they are
        elif vma.vm_flags & VM_LOCKONFAULT and vma.vm_flags & VM_LOCKED:
            # populate_vma_page_range(): VM_LOCKONFAULT drops FOLL_POPULATE, so only the
            # pages already present are mlocked; the rest lock when they fault in
            mlock.mlock_present_pages(m, vma, s, e)
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
        vma = task.mm.vmas.next(vma)


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
    vma = m.kmodel.find_vma(mm, start)
    log.emit("__do_munmap", F, f"unmap [{start:#x}, {end:#x})")
    if vma is None or vma.vm_start >= end:
        log.emit("__do_munmap", F, "nothing mapped there: nothing to do")
        return
    log.enter()
    try:
        prev = mm.vmas.prev(vma)
        if start > vma.vm_start:
            if end < vma.vm_end and mm.map_count >= m.sysctl["vm.max_map_count"]:
                raise KernelError("ENOMEM", "splitting would exceed vm.max_map_count")
            vma_ops.split_vma(m, mm, vma, start, False, check_count=False)
            prev = vma
        last = m.kmodel.find_vma(mm, end)
        if last is not None and end > last.vm_start:
            vma_ops.split_vma(m, mm, last, end, True, check_count=False)
        vma = mm.vmas.next(prev) if prev is not None else mm.vmas.first()
        doomed = []
        while vma is not None and vma.vm_start < end:
            doomed.append(vma)
            vma = mm.vmas.next(vma)
        nxt = vma
        for v in doomed:
            if v.vm_flags & VM_LOCKED:
                mm.locked_vm -= v.pages()
                mlock.munlock_vma_pages_range(m, v, v.vm_start, v.vm_end)
        for v in doomed:
            vma_ops.remove_vma(m, mm, v)
        for v in doomed:
            zap_page_range(m, v, v.vm_start, v.vm_end)
        vma_ops.fput_vmas(m, doomed)
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
        nxt = m.kmodel.find_vma(mm, oldbrk)
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
    vma = vma_ops.vma_merge(m, mm, prev, addr, addr + length, flags | VM_SOFTDIRTY, None, None,
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
