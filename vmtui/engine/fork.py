"""fork() and exit() (kernel/fork.c dup_mmap, mm/memory.c copy_page_range, kernel/exit.c).

fork copies every VMA, links the child's VMAs into the parent's anon_vmas,
and copies the page tables of VMAs that have anonymous pages: both PTEs of a
private writable page become read-only, and the page's mapcount goes up, so
the first write from either side is a copy-on-write fault.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vmtui.engine import rmap
from vmtui.engine.errors import KernelError
from vmtui.engine.layout import PAGE_SIZE
from vmtui.engine.mm_types import (
    _PAGE_ACCESSED,
    _PAGE_DIRTY,
    _PAGE_RW,
    VM_ACCOUNT,
    VM_DONTCOPY,
    VM_LOCKED_MASK,
    VM_MAYWRITE,
    VM_MIXEDMAP,
    VM_PFNMAP,
    VM_SHARED,
    MmStruct,
    VmArea,
)
from vmtui.engine.page_alloc import PG_anon, PG_swapbacked
from vmtui.engine.pgtable import is_swap_pte, pte_pfn

if TYPE_CHECKING:
    from vmtui.engine.machine import Machine, Task

F = "kernel/fork.c"


def is_cow_mapping(flags: int) -> bool:
    """is_cow_mapping(): private and may be written."""
    return flags & (VM_SHARED | VM_MAYWRITE) == VM_MAYWRITE


def do_fork(m: Machine, parent: Task) -> Task:
    """_do_fork() -> copy_process() -> copy_mm() -> dup_mm() -> dup_mmap()."""
    from vmtui.engine.machine import Task
    from vmtui.engine.mmap import vm_enough_memory

    log = m.log
    old = parent.mm
    # dup_mmap() charges every VM_ACCOUNT VMA to Committed_AS as it copies it
    # (security_vm_enough_memory_mm); a refusal fails the fork with ENOMEM and the
    # half-made mm gives its charges back
    charged = 0
    try:
        for vma in old.vmas:
            if vma.vm_flags & VM_ACCOUNT and not vma.vm_flags & VM_DONTCOPY:
                vm_enough_memory(m, vma.pages())
                m.committed_as += vma.pages()
                charged += vma.pages()
    except KernelError:
        m.committed_as -= charged
        log.emit("dup_mmap", F, "a VMA's commit charge is refused (vm.overcommit_memory): "
                 "fork fails with ENOMEM")
        raise
    mm = MmStruct(old.task_size)
    for attr in ("mmap_base", "mmap_legacy_base", "start_code", "end_code", "start_data",
                 "end_data", "start_brk", "brk", "start_stack", "arg_start", "arg_end",
                 "env_start", "env_end", "total_vm", "data_vm",
                 "exec_vm", "stack_vm"):
        setattr(mm, attr, getattr(old, attr))
    mm.def_flags = old.def_flags & ~VM_LOCKED_MASK  # mlockall is not inherited
    mm.pgd = m.pt.pgd_alloc(m.init_mm.pgd)
    mm.pgtables_bytes = PAGE_SIZE
    pid = m.new_pid()
    child = Task(pid, parent.comm, mm, parent.cpu, parent.node)
    child.ppid = parent.pid
    child.mempolicy = parent.mempolicy
    child.rlimit_stack = parent.rlimit_stack
    child.malloc = parent.malloc.copy() if parent.malloc is not None else None
    log.emit("copy_process", F, f"new task {pid} ({child.comm}), child of {parent.pid}")
    log.enter()
    copied = 0
    vmas = 0
    try:
        for vma in old.vmas:
            if vma.vm_flags & VM_DONTCOPY:
                continue
            new = VmArea(mm, vma.vm_start, vma.vm_end, vma.vm_flags & ~VM_LOCKED_MASK,
                         vma.vm_pgoff, vma.vm_file, vma.name)
            new.vm_page_prot = vma.vm_page_prot
            new.vm_ops = vma.vm_ops
            new.vm_policy = vma.vm_policy
            if vma.anon_vma is not None:
                # anon_vma_fork(): join the parent's anon_vmas, and get one of our own
                for av in vma.anon_vma_chain:
                    rmap.link_anon_vma(new, av)
                m.anon_vma_seq += 1
                from vmtui.engine.mm_types import AnonVma

                own = AnonVma(m.anon_vma_seq, vma.anon_vma)
                rmap.link_anon_vma(new, own)
                new.anon_vma = own
            if new.vm_file is not None:
                new.vm_file.i_mmap[new] = None
            mm.vmas.link(new)
            vmas += 1
            if vma.anon_vma is not None or vma.vm_flags & (VM_PFNMAP | VM_MIXEDMAP):
                copied += copy_page_range(m, mm, old, new, vma)
        mm.locked_vm = 0
        # dup_mm(): the child's peaks start at what it has now
        mm.hiwater_rss = mm.rss()
        mm.hiwater_vm = mm.total_vm
        log.emit("dup_mmap", F, f"copied {vmas} VMA(s); copy_page_range copied {copied} "
                 "PTE(s) - private pages are now shared read-only by both processes (COW); "
                 "file-only VMAs are left for the child to fault in")
    finally:
        log.leave()
    m.tlb_flush_mm(old)
    m.tasks[pid] = child
    return child


def copy_page_range(m: Machine, dst_mm: MmStruct, src_mm: MmStruct, new: VmArea,
                    vma: VmArea) -> int:
    """copy_page_range() -> copy_one_pte(): share every mapped page, write-protecting COW ones."""
    assert src_mm.pgd is not None and dst_mm.pgd is not None
    last = m.layout.levels - 1
    cow = is_cow_mapping(vma.vm_flags)
    n = 0

    def acct(_level: int, _table: object) -> None:
        dst_mm.pgtables_bytes += PAGE_SIZE

    for table, idx, va in m.pt.iter_ptes(src_mm.pgd, vma.vm_start, vma.vm_end):
        pte = table.entries[idx]
        dst = m.pt.pte_table(dst_mm.pgd, va, True, acct)
        assert dst is not None
        if is_swap_pte(pte):
            m.swap.duplicate(pte)
            dst_mm.rss_swap += 1
            dst.entries[m.pt.index(last, va)] = pte
            n += 1
            continue
        if cow and pte & _PAGE_RW:
            pte &= ~_PAGE_RW
            table.entries[idx] = pte  # ptep_set_wrprotect() on the parent too
        if vma.vm_flags & VM_SHARED:
            pte &= ~_PAGE_DIRTY
        pte &= ~_PAGE_ACCESSED
        pfn = pte_pfn(pte)
        if pfn != m.zero_page.pfn:
            page = m.mem.pages[pfn]
            page.mapcount += 1  # page_dup_rmap()
            if page.mapping is not None and not page.flags & PG_anon:
                if page.flags & PG_swapbacked:
                    dst_mm.rss_shmem += 1
                else:
                    dst_mm.rss_file += 1
            else:
                dst_mm.rss_anon += 1
        dst.entries[m.pt.index(last, va)] = pte
        n += 1
    return n


def do_exit(m: Machine, task: Task, code: str = "exit") -> None:
    """do_exit() -> exit_mm() -> mmput() -> exit_mmap(): every VMA unmapped, tables freed."""
    from vmtui.engine.mmap import fput_vmas, free_pgtables, remove_vma, zap_page_range

    if not task.alive:
        raise KernelError("ESRCH", f"process {task.pid} has already exited")
    mm = task.mm
    log = m.log
    log.emit("do_exit", "kernel/exit.c", f"task {task.pid} exits ({code}): exit_mmap tears down "
             f"{mm.map_count} VMA(s)")
    vmas = list(mm.vmas)
    for vma in vmas:
        if vma.vm_flags & VM_ACCOUNT:
            m.committed_as -= vma.pages()
        remove_vma(m, mm, vma)
        zap_page_range(m, vma, vma.vm_start, vma.vm_end)
    fput_vmas(m, vmas)
    ceiling = m.layout.user_pgtables_ceiling
    free_pgtables(m, mm, 0, ceiling, 0, ceiling)
    assert mm.pgd is not None
    m.free_table_page(mm.pgd.pfn)
    mm.pgtables_bytes = 0
    m.tlb_flush_mm(mm)
    task.state = "X"
    task.exit_code = code
    m.touched_mms.add(mm)
    for t in m.tasks.values():
        if t.ppid == task.pid:
            t.ppid = 1
