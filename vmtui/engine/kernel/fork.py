"""fork() and exit() (kernel/fork.c dup_mmap, mm/memory.c copy_page_range, kernel/exit.c).

fork copies every VMA, links the child's VMAs into the parent's anon_vmas,
and copies the page tables of VMAs that have anonymous pages: both PTEs of a
private writable page become read-only, and the page's mapcount goes up, so
the first write from either side is a copy-on-write fault.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vmtui.engine.arch.x86 import tlb
from vmtui.engine.include.errors import KernelError, SignalError
from vmtui.engine.include.layout import PAGE_SIZE
from vmtui.engine.include.machine import Task
from vmtui.engine.include.mm_types import (
    VM_ACCOUNT,
    VM_DONTCOPY,
    VM_LOCKED_MASK,
    VM_MAYWRITE,
    VM_MIXEDMAP,
    VM_PFNMAP,
    VM_SHARED,
    AnonVma,
    MmStruct,
    VmArea,
)
from vmtui.engine.include.mmzone import PG_anon, PG_anon_exclusive, PG_swapbacked
from vmtui.engine.include.pgtable import (
    _PAGE_ACCESSED,
    _PAGE_DIRTY,
    _PAGE_RW,
    _PAGE_SPECIAL,
    PageTable,
    is_swap_pte,
    pte_pfn,
)
from vmtui.engine.mm import kswapd, mmap, page_alloc, rmap
from vmtui.engine.mm import vma as vma_ops

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine, Task

F = "kernel/fork.c"


def is_cow_mapping(flags: int) -> bool:
    """is_cow_mapping(): private and may be written."""
    return flags & (VM_SHARED | VM_MAYWRITE) == VM_MAYWRITE


def do_fork(m: Machine, parent: Task) -> Task:
    """_do_fork() -> copy_process() -> copy_mm() -> dup_mm() -> dup_mmap().

    Every allocation on the way (the PGD, the child's page tables) may reclaim or call the
    OOM killer. A fork that cannot finish fails as dup_mm() does: the half-built child is
    torn down by mmput() -> exit_mmap(), its commit charges are given back, the parent is
    left as it was; ENOMEM, or SIGKILL when the OOM killer chose the parent meanwhile."""
    log = m.log
    old = parent.mm
    # dup_mmap() charges every VM_ACCOUNT VMA to Committed_AS as it copies it
    # (security_vm_enough_memory_mm); a refusal fails the fork with ENOMEM and the
    # half-made mm gives its charges back
    charged = 0
    try:
        for vma in old.vmas:
            if vma.vm_flags & VM_ACCOUNT and not vma.vm_flags & VM_DONTCOPY:
                mmap.vm_enough_memory(m, vma.pages())
                m.committed_as += vma.pages()
                charged += vma.pages()
    except KernelError:
        m.committed_as -= charged
        log.emit("dup_mmap", F, "a VMA's commit charge is refused (vm.overcommit_memory): "
                 "fork fails with ENOMEM")
        raise
    mm = MmStruct(old.task_size, m.kmodel.maple_tree)
    for attr in ("mmap_base", "mmap_legacy_base", "start_code", "end_code", "start_data",
                 "end_data", "start_brk", "brk", "start_stack", "arg_start", "arg_end",
                 "env_start", "env_end", "total_vm", "data_vm",
                 "exec_vm", "stack_vm"):
        setattr(mm, attr, getattr(old, attr))
    mm.def_flags = old.def_flags & ~VM_LOCKED_MASK  # mlockall is not inherited
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
        mm.pgd = m.pt.pgd_alloc(m.init_mm.pgd)
        mm.pgtables_bytes = PAGE_SIZE
        for vma in old.vmas:
            if vma.vm_flags & VM_DONTCOPY:
                continue
            # "Don't duplicate many vmas if we've been oom-killed"
            _fatal_signal_pending(m, parent, "dup_mmap")
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
                own = AnonVma(m.anon_vma_seq, vma.anon_vma)
                rmap.link_anon_vma(new, own)
                new.anon_vma = own
            if new.vm_file is not None:
                new.vm_file.i_mmap[new] = None
            mm.vmas.link(new)
            vmas += 1
            if vma.anon_vma is not None or vma.vm_flags & (VM_PFNMAP | VM_MIXEDMAP):
                copied += copy_page_range(m, mm, old, new, vma)
        # copy_process(): a fatal signal that came in meanwhile fails the fork
        _fatal_signal_pending(m, parent, "copy_process")
        mm.locked_vm = 0
        # dup_mm(): the child's peaks start at what it has now
        mm.hiwater_rss = mm.rss()
        mm.hiwater_vm = mm.total_vm
        log.emit("dup_mmap", F, f"copied {vmas} VMA(s); copy_page_range copied {copied} "
                 "PTE(s) - private pages are now shared read-only by both processes (COW); "
                 "file-only VMAs are left for the child to fault in")
    except (KernelError, SignalError) as e:
        _unwind_fork(m, mm, charged, vmas, e)
        m.next_pid = pid  # alloc_pid() comes after copy_mm(): no PID was used
        if isinstance(e, SignalError):
            raise
        raise KernelError("ENOMEM", f"fork: {e.why or e.errno}") from None
    finally:
        log.leave()
    tlb.flush_tlb_mm(m, old)
    m.tasks[pid] = child
    return child


def _fatal_signal_pending(m: Machine, task: Task, where: str) -> None:
    """fatal_signal_pending(current): the OOM killer queued SIGKILL for the forking task."""
    drv = m.reclaim_hook
    if isinstance(drv, kswapd.ReclaimDriver) and task.pid in drv.oom_pending:
        m.log.emit(where, F, f"task {task.pid} has a fatal signal pending (the OOM killer "
                   "chose it): the fork is abandoned")
        raise SignalError("SIGKILL", "OOM", 0, f"killed by the OOM killer while forking "
                          f"(task {task.pid})")


def _unwind_fork(m: Machine, mm: MmStruct, charged: int, vmas: int,
                 e: KernelError | SignalError) -> None:
    """dup_mm() failing -> free_pt: mmput() of the half-built mm; exit_mmap() unmaps what
    copy_page_range shared and frees the child's tables; unaccount the VMAs not copied."""
    linked = sum(v.pages() for v in mm.vmas if v.vm_flags & VM_ACCOUNT)
    if mm.pgd is not None:
        exit_mmap(m, mm)  # gives back the charge of the VMAs it had
    m.committed_as -= charged - linked
    m.log.emit("dup_mm", F, f"fork failed after {vmas} VMA(s) ({e.why or e}): the half-built "
               "child is torn down (mmput -> exit_mmap), its commit charge given back; the "
               "parent is unchanged")


def copy_page_range(m: Machine, dst_mm: MmStruct, src_mm: MmStruct, new: VmArea,
                    vma: VmArea) -> int:
    """copy_page_range() -> copy_pte_range() -> copy_one_pte(): share every mapped page,
    write-protecting COW ones.

    As in 5.4, for each PTE table of the parent the child's table comes first
    (pte_alloc_map_lock(), which may reclaim or fail: the caller unwinds); only then are
    the parent's PTEs read, afresh, and copied with both page-table locks held, so nothing
    can reclaim a page between reading its PTE and installing the child's."""
    assert src_mm.pgd is not None and dst_mm.pgd is not None
    last = m.layout.levels - 1
    cow = is_cow_mapping(vma.vm_flags)
    shared = bool(vma.vm_flags & VM_SHARED)
    n = 0

    def acct(_level: int, _table: object) -> None:
        dst_mm.pgtables_bytes += PAGE_SIZE

    # the parent's PTE tables of the range, each with the slots it had
    groups: list[tuple[PageTable, list[tuple[int, int]]]] = []
    for table, idx, va in m.pt.iter_ptes(src_mm.pgd, vma.vm_start, vma.vm_end):
        if not groups or groups[-1][0] is not table:
            groups.append((table, []))
        groups[-1][1].append((idx, va))
    pages = m.mem.pages
    zero_pfn = m.zero_page.pfn
    for table, slots in groups:
        dst = m.pt.pte_table(dst_mm.pgd, slots[0][1], True, acct)  # pte_alloc_map_lock()
        assert dst is not None
        src = table.entries
        dents = dst.entries
        for idx, va in slots:
            pte = src.get(idx, 0)  # reclaim may have changed it while we allocated
            if not pte:
                continue
            if is_swap_pte(pte):
                m.swap.duplicate(pte)
                dst_mm.rss_swap += 1
                dents[m.pt.index(last, va)] = pte
                n += 1
                continue
            if cow and pte & _PAGE_RW:
                pte &= ~_PAGE_RW
                src[idx] = pte  # ptep_set_wrprotect() on the parent too
            if shared:
                pte &= ~_PAGE_DIRTY
            pte &= ~_PAGE_ACCESSED
            pfn = pte_pfn(pte)
            page = None if pfn == zero_pfn or pte & _PAGE_SPECIAL else \
                pages.get(pfn) or m.special_page(pfn)
            if page is not None:  # vm_normal_page(): not the zero page, not a PFN map
                page.mapcount += 1  # page_dup_rmap()
                # 6.18 folio_try_dup_anon_rmap_pte(): shared with the child, no longer
                # exclusive to the parent (a write fault decides who may reuse it)
                page.flags &= ~PG_anon_exclusive
                if page.mapping is not None and not page.flags & PG_anon:
                    if page.flags & PG_swapbacked:
                        dst_mm.rss_shmem += 1
                    else:
                        dst_mm.rss_file += 1
                elif page.flags & PG_anon:
                    dst_mm.rss_anon += 1
                else:
                    dst_mm.rss_file += 1  # a special mapping's page ([vdso])
            dents[m.pt.index(last, va)] = pte
            n += 1
    return n


def do_exit(m: Machine, task: Task, code: str = "exit") -> None:
    """do_exit() -> exit_mm() -> mmput() -> exit_mmap(): every VMA unmapped, tables freed."""
    if not task.alive:
        raise KernelError("ESRCH", f"process {task.pid} has already exited")
    mm = task.mm
    log = m.log
    log.emit("do_exit", "kernel/exit.c", f"task {task.pid} exits ({code}): exit_mmap tears down "
             f"{mm.map_count} VMA(s)")
    exit_mmap(m, mm)
    task.state = "X"
    task.exit_code = code
    m.touched_mms.add(mm)
    for t in m.tasks.values():
        if t.ppid == task.pid:
            t.ppid = 1


def exit_mmap(m: Machine, mm: MmStruct) -> None:
    """exit_mmap(): unmap every VMA (unmap_vmas), free the page tables and the PGD, give
    back the VMAs' commit charge (vm_unacct_memory)."""
    vmas = list(mm.vmas)
    for vma in vmas:
        if vma.vm_flags & VM_ACCOUNT:
            m.committed_as -= vma.pages()
        vma_ops.remove_vma(m, mm, vma)
        mmap.zap_page_range(m, vma, vma.vm_start, vma.vm_end)
    vma_ops.fput_vmas(m, vmas)
    ceiling = m.layout.user_pgtables_ceiling
    mmap.free_pgtables(m, mm, 0, ceiling, 0, ceiling)
    assert mm.pgd is not None
    page_alloc.free_table_page(m, mm.pgd.pfn)
    mm.pgtables_bytes = 0
    tlb.flush_tlb_mm(m, mm)
