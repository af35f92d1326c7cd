"""User accesses over ranges: `read`, `write`, `exec` of one byte or of every page.

One access goes through the MMU and the full fault path with every event.
A range does the first page the same way, then runs the rest with events
muted and emits one summary, so touching a gigabyte stays cheap to narrate.
Common cases (fresh anonymous pages, pages already mapped) take a fast path
that does what do_anonymous_page does without the per-page narration.

The page budget: one command touches at most `page_budget` pages (a [machine]
key, 1M pages = 4 GiB by default, 0 for no limit). Linux would grind through
`read a 16T` for hours; vmtui runs the first `page_budget` pages as Linux would
and then stops the command (PageBudgetExceeded), leaving those pages touched.
A command that ends sooner (SIGSEGV, the OOM killer) ends as it would on Linux.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vmtui.engine.arch.x86 import fault, tlb
from vmtui.engine.include.errors import SignalError
from vmtui.engine.include.layout import PAGE_MASK, PAGE_SHIFT, PAGE_SIZE
from vmtui.engine.include.mm_types import VM_LOCKED, VM_READ, VM_WRITE, VmArea
from vmtui.engine.include.mmzone import (
    PG_active,
    PG_anon,
    PG_swapbacked,
    PG_uptodate,
)
from vmtui.engine.include.pgtable import (
    _PAGE_ACCESSED,
    _PAGE_DIRTY,
    _PAGE_PRESENT,
    _PAGE_RW,
    _PAGE_USER,
    is_swap_pte,
    pte_pfn,
)
from vmtui.engine.mm import memory, mempolicy, mlock, page_alloc, rmap, swap

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine, Task
    from vmtui.engine.include.pgtable import Walk



class PageBudgetExceeded(Exception):
    """A command reached the page budget with pages left to touch: vmtui stops it there."""

    def __init__(self, done: int, budget: int, addr: int, end: int) -> None:
        self.done = done  # pages this command touched
        self.budget = budget
        self.addr = addr  # the first page it did not touch
        self.end = end
        left = (end - addr + PAGE_SIZE - 1) >> PAGE_SHIFT
        super().__init__(
            f"after {done} pages ({_kib(done)}): one command may touch at most "
            f"{budget} pages (page_budget), and {left} more ({_kib(left)}) were left from "
            f"{addr:#x}; the pages touched stay as they are. Raise it with -m page_budget=N "
            "or page_budget = N in [machine] (0: no limit)")


def _kib(pages: int) -> str:
    kib = pages << (PAGE_SHIFT - 10)
    for unit, shift in (("TiB", 30), ("GiB", 20), ("MiB", 10)):
        if kib >= 1 << shift:
            whole = kib % (1 << shift) == 0
            return f"{kib >> shift} {unit}" if whole else f"{kib / (1 << shift):.1f} {unit}"
    return f"{kib} KiB"


def budget_end(m: Machine, start: int, end: int) -> int:
    """Where a run of pages from `start` must stop for the page budget: `end` if it fits."""
    left = m.budget_left
    if left is None:
        return end
    return min(end, start + left * PAGE_SIZE)


def budget_charge(m: Machine, start: int, stop: int, end: int | None = None) -> None:
    """The pages of [start, stop) were touched; when the budget cut the run short of `end`,
    stop the command."""
    if m.budget_left is None:
        return
    n = (stop - start + PAGE_SIZE - 1) >> PAGE_SHIFT
    m.budget_left -= n
    m.budget_done += n
    if end is not None and stop < end:
        raise PageBudgetExceeded(m.budget_done, m.config.page_budget, stop, end)


def oom_sigkill_pending(m: Machine, task: Task) -> None:
    """The way back to user mode after a fault: a SIGKILL the OOM killer queued for this
    task while it faulted (it was allowed the reserves to finish the fault) is delivered
    now, so the loop of accesses ends here, as the process does on Linux."""
    pending = getattr(m.reclaim_hook, "oom_pending", None)
    if pending and task.pid in pending:
        raise SignalError("SIGKILL", "OOM", 0, f"killed by the OOM killer: task {task.pid} "
                          f"({task.comm}) had the highest oom_badness; the SIGKILL queued "
                          "during its fault is delivered on its way back to user mode")


def mmu_walk(m: Machine, task: Task, addr: int) -> Walk:
    """The MMU's walk of `addr` through `task`'s page tables as they stand now, kept as the
    machine's last walk (the walk pane's) and counted in `m.walks`, so that whoever ran a
    command can tell it walked."""
    assert task.mm.pgd is not None
    w = m.pt.walk(task.mm.pgd, addr)
    m.last_walk = w
    m.last_walk_pid = task.pid  # whose page tables: the pane names it, or its death
    m.walks += 1
    return w


def program_access(m: Machine, task: Task, addr: int, length: int | None, kind: str,
                   value: int | None = None, user: bool = True) -> int:
    """A load, store or instruction fetch the program makes at `addr` (over `length` bytes,
    see user_access), or with `user` False one that kernel code makes on its behalf with its
    page tables loaded: the access with every fault it takes, then the walk the MMU makes
    of `addr` afterwards (mmu_walk). An access that ends in a signal or at the page budget
    is walked too, showing where its translation stops; one the CPU refuses before any walk
    (a non-canonical address) and one whose process died on the way are not."""
    try:
        if user:
            return user_access(m, task, addr, length, kind, value)
        return fault.access(m, task, addr, kind, value if kind == "w" else None, user=False)
    finally:
        if task.alive and m.layout.canonical(addr):
            mmu_walk(m, task, addr)


def follow_pte(m: Machine, task: Task, addr: int) -> Walk:
    """The `walk` command: a walk of `addr` in software, as mm/memory.c's follow_pte()
    looks a PTE up, faulting nothing in; kept as the machine's last walk (mmu_walk)."""
    w = mmu_walk(m, task, addr)
    m.log.emit("walk", "arch/x86/mm/pgtable.c", f"page-table walk of {addr:#x}: {w.stopped}")
    return w


def user_access(m: Machine, task: Task, addr: int, length: int | None, kind: str,
                value: int | None = None) -> int:
    """Access one byte at `addr`, or every page of [addr, addr+length). Returns the value
    read at `addr` (for a write, the value written)."""
    if value is None:
        value = 0
    if length is None or length <= 1:
        return fault.access(m, task, addr, kind, value if kind == "w" else None)
    end = addr + length
    if budget_end(m, addr & PAGE_MASK, end) <= addr & PAGE_MASK:
        budget_charge(m, addr & PAGE_MASK, addr & PAGE_MASK, end)
    first = fault.access(m, task, addr, kind, value if kind == "w" else None)
    start = (addr & PAGE_MASK) + PAGE_SIZE
    budget_charge(m, addr & PAGE_MASK, min(start, end))
    if start >= end:
        return first
    stop = budget_end(m, start, end)
    before = (m.vmstat["pgfault"], m.vmstat["pgmajfault"], task.min_flt, task.maj_flt)
    kinds_before = dict(m.fault_kinds)
    m.log.muted += 1
    try:
        _bulk(m, task, start, stop, kind, value)
        # the TLB ends up holding the last pages touched
        last = max(start, stop - (m.config.tlb_entries << PAGE_SHIFT)) & PAGE_MASK
        _fill_tlb(m, task, last, stop)
    finally:
        m.log.muted -= 1
        pages = (stop - start + PAGE_SIZE - 1) >> PAGE_SHIFT
        faults = m.vmstat["pgfault"] - before[0]
        kinds = {k: v - kinds_before.get(k, 0) for k, v in m.fault_kinds.items()
                 if v != kinds_before.get(k, 0)}
        how = ", ".join(f"{k} x{v}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1]))
        m.log.emit("handle_mm_fault", "mm/memory.c",
                   f"the other {pages} page(s): {faults} more fault(s)"
                   f"{' (' + how + ')' if how else ', all pages were already mapped'}; "
                   f"minor {task.min_flt - before[2]}, major {task.maj_flt - before[3]}",
                   pages=pages, faults=faults, kinds=kinds)
    budget_charge(m, start, stop, end)
    return first


def _fill_tlb(m: Machine, task: Task, start: int, end: int) -> None:
    mm = task.mm
    assert mm.pgd is not None
    for table, idx, va in m.pt.iter_ptes(mm.pgd, start, end):
        pte = table.entries[idx]
        if pte & _PAGE_PRESENT:
            tlb.tlb_fill(m, mm, va, pte >> PAGE_SHIFT & ((1 << 40) - 1))


def _bulk(m: Machine, task: Task, start: int, end: int, kind: str, value: int) -> None:
    """Every page of [start, end): the fast path where it applies, else fault.access."""
    mm = task.mm
    pt = m.pt
    last = m.layout.levels - 1
    span = 1 << pt.shifts[last - 1] if last else 1 << 32
    write = kind == "w"
    instr = kind == "x"
    addr = start
    pgd = mm.pgd
    assert pgd is not None
    progress = m.progress
    while addr < end:
        if progress is not None:
            progress(addr - start, end - start)
        oom_sigkill_pending(m, task)
        vma = m.kmodel.find_vma(mm, addr)
        if vma is None or vma.vm_start > addr or (write and not vma.vm_flags & VM_WRITE) or \
                not vma.vm_flags & (VM_READ | VM_WRITE) or instr:
            fault.access(m, task, addr, kind, value if write else None)
            addr += PAGE_SIZE
            oom_sigkill_pending(m, task)
            continue
        chunk_end = min(end, vma.vm_end, (addr & ~(span - 1)) + span)
        table = pt.pte_table(pgd, addr, False)
        if table is None:
            # the first page allocates the tables through the normal path
            fault.access(m, task, addr, kind, value if write else None)
            addr += PAGE_SIZE
            oom_sigkill_pending(m, task)
            table = pt.pte_table(pgd, addr - PAGE_SIZE, False)
            if addr >= chunk_end:
                continue
        assert table is not None
        anon = vma.is_anonymous() and not vma.vm_flags & VM_LOCKED
        while True:
            if anon:
                addr = _fast_anon(m, task, vma, table, addr, chunk_end, write, value)
            else:
                addr = _fast_mapped(m, task, table, addr, chunk_end, write, value)
            if addr >= chunk_end or addr >= end:
                break
            # whatever the fast path declined goes the slow way, one page
            fault.access(m, task, addr, kind, value if write else None)
            addr += PAGE_SIZE
            oom_sigkill_pending(m, task)


def _fast_mapped(m: Machine, task: Task, table: object, addr: int, end: int, write: bool,
                 value: int) -> int:
    """Pages whose PTE already allows the access: set A/D and the value, no fault."""
    # the table's words themselves: an entry that stays present keeps the count of
    # entries as it is
    ents = table.entries.a  # type: ignore[attr-defined]
    last = m.layout.levels - 1
    shift = m.pt.shifts[last]
    mask = m.pt.masks[last]
    set_value = m.mem.pages.set_value
    need = _PAGE_PRESENT | _PAGE_USER | (_PAGE_RW if write else 0)
    while addr < end:
        idx = (addr >> shift) & mask
        pte = ents[idx]
        if pte & need != need:
            return addr
        pfn = (pte >> PAGE_SHIFT) & ((1 << 40) - 1)
        # the MMU sets the PTE's accessed (and dirty) bits, nothing in struct page
        if write:
            set_value(pfn, value)  # the frame table's, without making its Page
            ents[idx] = pte | _PAGE_ACCESSED | _PAGE_DIRTY
        else:
            ents[idx] = pte | _PAGE_ACCESSED
        addr += PAGE_SIZE
    return addr


def _fast_anon(m: Machine, task: Task, vma: VmArea, table: object, addr: int, end: int,
               write: bool, value: int) -> int:
    """do_anonymous_page() for a run of untouched pages in a private anonymous VMA."""
    ents = table.entries  # type: ignore[attr-defined]
    last = m.layout.levels - 1
    shift = m.pt.shifts[last]
    mask = m.pt.masks[last]
    addr = _fast_mapped(m, task, table, addr, end, write, value)
    if addr >= end:
        return addr
    if ents.get((addr >> shift) & mask, 0):
        return addr
    mm = task.mm
    vmstat = m.vmstat
    kinds = m.fault_kinds
    if not write:
        zero_pte = (m.zero_page.pfn << PAGE_SHIFT) | (vma.vm_page_prot & ~_PAGE_RW)
        n = 0
        i0 = (addr >> shift) & mask
        i1 = i0 + ((end - addr + PAGE_SIZE - 1) >> PAGE_SHIFT)
        if i1 <= mask + 1 and ents.first_used(i0, i1) == i1:
            # the common case, a table with nothing in the run yet: fill it at once
            ents.fill(i0, i1, zero_pte)
            n = i1 - i0
            addr += n << PAGE_SHIFT
        while addr < end:
            idx = (addr >> shift) & mask
            if idx in ents:
                break
            ents[idx] = zero_pte
            n += 1
            addr += PAGE_SIZE
        vmstat["pgfault"] += n
        task.min_flt += n
        k = "do_anonymous_page (zero page)"
        kinds[k] = kinds.get(k, 0) + n
        return addr
    av = rmap.anon_vma_prepare(m, vma)
    prot = vma.vm_page_prot | _PAGE_RW | _PAGE_DIRTY
    # lru_cache_add_active_or_unevictable(): active, through this CPU's lru_add_pvec
    flags = PG_uptodate | PG_anon | PG_swapbacked | PG_active | m.kmodel.anon_exclusive
    pgoff_base = vma.vm_pgoff - (vma.vm_start >> PAGE_SHIFT)
    frames = m.mem.pages
    n = 0
    try:
        while addr < end:
            # how many untouched pages run from here (bounded by the table and the range)
            i0 = (addr >> shift) & mask
            i1 = i0 + ((end - addr + PAGE_SIZE - 1) >> PAGE_SHIFT)
            run = ents.first_used(i0, min(i1, mask + 1)) - i0
            if not run:
                break
            runs = page_alloc.alloc_runs_bulk(m, task, vma, addr, run)
            if runs:
                # the frames go into the frame table's arrays and their PTEs into the
                # table a run at a time: consecutive pfns, so PTE values step by a page
                for _zone, pfn, cnt in runs:
                    idx = (addr >> shift) & mask
                    frames.add_run(pfn, cnt, flags, av, pgoff_base + (addr >> PAGE_SHIFT),
                                   value)
                    ents.set_run(idx, (pfn << PAGE_SHIFT) | prot, cnt, PAGE_SIZE)
                    n += cnt
                    addr += cnt << PAGE_SHIFT
                swap.lru_cache_add_new(m, runs, flags)
                continue
            page = mempolicy.alloc_page_vma(m, task, vma, addr)
            if ((addr >> shift) & mask) in ents:
                page_alloc.free_page(m, page)  # reclaim changed the table: give it back
                continue
            page.value = value
            page.flags |= flags
            page.mapping = av
            page.index = pgoff_base + (addr >> PAGE_SHIFT)
            page.mapcount = 1
            ents[(addr >> shift) & mask] = (page.pfn << PAGE_SHIFT) | prot
            n += 1
            addr += PAGE_SIZE
            swap.lru_cache_add_many(m, [page])
    finally:
        mm.rss_anon += n
        vmstat["pgfault"] += n
        task.min_flt += n
        k = "do_anonymous_page"
        kinds[k] = kinds.get(k, 0) + n
    return addr


def populate(m: Machine, task: Task, vma: VmArea, start: int, end: int, write: bool
             ) -> tuple[str, int] | None:
    """populate_vma_page_range() -> __get_user_pages() (mm/gup.c, v5.4): follow each page of
    [start, end) and faultin_page() the ones that are missing, as a write for a private
    writable VMA (FOLL_WRITE breaks COW now).

    A fault that returns VM_FAULT_RETRY makes __get_user_pages() return the pages done so
    far; __mm_populate() takes mmap_sem again and populates from that same page, so the page
    is faulted a second time. Returns None, or (errno, address) when a fault failed
    (VM_FAULT_SIGBUS: EFAULT); the pages after it are left alone, as in the kernel."""
    before = (m.vmstat["pgfault"], task.min_flt, task.maj_flt)
    calls = retries = 0
    err: tuple[str, int] | None = None
    stop = budget_end(m, start, end)
    m.log.muted += 1
    try:
        addr = start
        while addr < stop:
            mm = task.mm
            assert mm.pgd is not None
            table = m.pt.pte_table(mm.pgd, addr, False)
            pte = table.entries.get(m.pt.index(m.layout.levels - 1, addr), 0) if table else 0
            if not pte or is_swap_pte(pte) or (write and not pte & _PAGE_RW):
                if vma.is_anonymous() and not vma.vm_flags & VM_LOCKED and table is not None \
                        and not pte:
                    nxt = _fast_anon(m, task, vma, table, addr, min(stop, _table_end(m, addr)),
                                     write, 0)
                    if nxt > addr:
                        addr = nxt
                        continue
                while True:
                    calls += 1
                    ret = faultin_page(m, task, vma, addr, write)
                    if ret != "EBUSY":
                        break
                    retries += 1
                    if retries > 64:
                        raise AssertionError(f"GUP fault at {addr:#x} retried forever")
                if ret:
                    err = (ret, addr)
                    break
                table = m.pt.pte_table(mm.pgd, addr, False)
                pte = table.entries.get(m.pt.index(m.layout.levels - 1, addr), 0) \
                    if table else 0
                oom_sigkill_pending(m, task)  # GUP stops at a fatal signal
            if vma.vm_flags & VM_LOCKED and pte and not is_swap_pte(pte):
                pfn = pte_pfn(pte)
                if pfn != m.zero_page.pfn:
                    mlock.mlock_page(m, m.mem.pages[pfn])
            addr += PAGE_SIZE
    finally:
        m.log.muted -= 1
    if calls:
        m.log.emit("faultin_page", "mm/gup.c",
                   f"{calls} GUP fault(s) over {(stop - start) >> PAGE_SHIFT} page(s), "
                   + (f"{retries} returned VM_FAULT_RETRY "
                      f"({m.kmodel.mmap_lock} dropped for the read; "
                      "__mm_populate() starts again at that page)" if retries else
                      "none returned VM_FAULT_RETRY")
                   + "; every return is counted: "
                   f"minor {task.min_flt - before[1]}, major {task.maj_flt - before[2]}",
                   faults=m.vmstat["pgfault"] - before[0], retries=retries)
    if err is not None:
        why = "VM_FAULT_OOM" if err[0] == "ENOMEM" else \
            "VM_FAULT_SIGBUS: beyond the end of the file"
        m.log.emit("__get_user_pages", "mm/gup.c", f"the fault at {err[1]:#x} failed "
                   f"({why}) -> {err[0]}; the rest of "
                   f"{vma.vm_start:#x}-{vma.vm_end:#x} is not populated")
        budget_charge(m, start, err[1])
        return err
    budget_charge(m, start, stop, end)
    return err


def faultin_page(m: Machine, task: Task, vma: VmArea, addr: int, write: bool) -> str:
    """faultin_page() (mm/gup.c, v5.4): one handle_mm_fault() on behalf of GUP.

    populate_vma_page_range() passes a `nonblocking` pointer, so the fault may drop
    mmap_sem and return VM_FAULT_RETRY (FAULT_FLAG_ALLOW_RETRY); FAULT_FLAG_TRIED is never
    set. Unlike the x86 fault handler, which counts a retried fault once, faultin_page()
    counts every return in the task: VM_FAULT_MAJOR -> maj_flt, anything else -> min_flt,
    the VM_FAULT_RETRY return included. Returns "" (done), "EBUSY" (VM_FAULT_RETRY) or the
    errno of a failed fault (vm_fault_to_errno: SIGBUS -> EFAULT, OOM -> ENOMEM), which is
    returned before anything is counted."""
    fault, kind = memory.handle_mm_fault(m, task, vma, addr, write, tried=False)
    m.fault_kinds[kind] = m.fault_kinds.get(kind, 0) + 1
    if fault & memory.VM_FAULT_OOM:
        return "ENOMEM"
    if fault & memory.VM_FAULT_SIGBUS:
        return "EFAULT"
    if fault & memory.VM_FAULT_MAJOR:
        task.maj_flt += 1
    else:
        task.min_flt += 1
    m.last_fault = (addr, kind, "major" if fault & memory.VM_FAULT_MAJOR else "minor")
    if fault & memory.VM_FAULT_RETRY:
        return "EBUSY"
    return ""


def _table_end(m: Machine, addr: int) -> int:
    last = m.layout.levels - 1
    span = 1 << m.pt.shifts[last - 1] if last else 1 << 32
    return (addr & ~(span - 1)) + span


