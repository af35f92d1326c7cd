"""The x86 page-fault handler (arch/x86/mm/fault.c, v5.4) and the MMU access that raises it.

__do_page_fault splits on the address: the kernel half goes to
do_kern_addr_fault (vmalloc_fault syncs a PGD entry from init_mm), the user
half to do_user_addr_fault: find_vma, expand_stack, access_error, then
handle_mm_fault; a bad address ends in SIGSEGV with SEGV_MAPERR or SEGV_ACCERR.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vmtui.engine.arch.x86 import tlb
from vmtui.engine.include.errors import KernelError, SignalError
from vmtui.engine.include.layout import PAGE_MASK, PAGE_SHIFT, RLIMIT_STACK, STACK_GUARD_GAP
from vmtui.engine.include.mm_types import (
    VM_EXEC,
    VM_GROWSDOWN,
    VM_LOCKED,
    VM_READ,
    VM_WRITE,
    VmArea,
)
from vmtui.engine.include.pgtable import (
    _PAGE_ACCESSED,
    _PAGE_DIRTY,
    _PAGE_NX,
    _PAGE_PRESENT,
    _PAGE_RW,
    _PAGE_USER,
    pte_pfn,
)
from vmtui.engine.mm import memory, mmap, rmap

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine, Task

# hardware error code bits (arch/x86/include/asm/traps.h: enum x86_pf_error_code)
X86_PF_PROT = 1 << 0
X86_PF_WRITE = 1 << 1
X86_PF_USER = 1 << 2
X86_PF_RSVD = 1 << 3
X86_PF_INSTR = 1 << 4

F = "arch/x86/mm/fault.c"


def error_code_text(code: int) -> str:
    parts = ["PROT" if code & X86_PF_PROT else "!PRESENT",
             "WRITE" if code & X86_PF_WRITE else ("INSTR" if code & X86_PF_INSTR else "READ"),
             "USER" if code & X86_PF_USER else "KERNEL"]
    return "|".join(parts)


def access(m: Machine, task: Task, addr: int, kind: str, value: int | None = None,
           user: bool = True) -> int:
    """One memory access as the MMU does it: translate, and fault when the PTE says no.

    `kind` is "r", "w" or "x". Returns the value of the page after the access.
    """
    lay = m.layout
    if not lay.canonical(addr):
        # a non-canonical address is a #GP, not a page fault
        m.log.emit("do_general_protection", "arch/x86/kernel/traps.c",
                   f"{addr:#x} is not canonical (bits {lay.va_bits - 1}..63 differ): #GP")
        raise SignalError("SIGSEGV", "SI_KERNEL", 0, "general protection fault: "
                          "non-canonical address")
    write = kind == "w"
    instr = kind == "x"
    mm = task.mm
    assert mm.pgd is not None
    pt = m.pt
    last = lay.levels - 1
    for _ in range(4):
        table = pt.pte_table(mm.pgd, addr, False)
        pte = table.entries.get(pt.index(last, addr), 0) if table is not None else \
            pt.leaf(mm.pgd, addr)
        if pte & _PAGE_PRESENT:
            ok = (not user or pte & _PAGE_USER) and (not write or pte & _PAGE_RW) and \
                (not instr or not pte & _PAGE_NX or not lay.has_nx)
            if ok:
                if table is not None:
                    idx = pt.index(last, addr)
                    table.entries[idx] = pte | _PAGE_ACCESSED | (_PAGE_DIRTY if write else 0)
                pfn = pte_pfn(pte)
                page = m.page_of(pfn)
                tlb.tlb_fill(m, mm, addr, pfn)
                # the MMU sets only the PTE's accessed and dirty bits (above); reclaim moves
                # them to the page (page_referenced(), try_to_unmap())
                if write and value is not None:  # None: a write that keeps the contents
                    page.value = value
                return page.value
        code = (X86_PF_PROT if pte & _PAGE_PRESENT else 0) | (X86_PF_WRITE if write else 0) | \
            (X86_PF_INSTR if instr else 0) | (X86_PF_USER if user else 0)
        do_page_fault(m, task, addr, code)
    raise AssertionError(f"fault at {addr:#x} did not resolve")


def do_page_fault(m: Machine, task: Task, addr: int, code: int) -> None:
    """__do_page_fault() (5.4); exc_page_fault() -> handle_page_fault() (mainline):
    kernel-half address or user-half address."""
    km = m.kmodel
    m.log.emit(km.page_fault_entry, F, f"page fault at {addr:#x}, error code "
               f"{code:#x} ({error_code_text(code)}); CR2 = {addr:#x}")
    m.log.enter()
    try:
        kernel = m.layout.is_kernel(addr)
        if km.page_fault_dispatch:
            m.log.emit(km.page_fault_dispatch, F, f"{addr:#x} is in the "
                       + ("kernel half: do_kern_addr_fault()" if kernel else
                          "user half: do_user_addr_fault()"))
        if kernel:
            do_kern_addr_fault(m, task, addr, code)
        else:
            do_user_addr_fault(m, task, addr, code)
    finally:
        m.log.leave()


def do_kern_addr_fault(m: Machine, task: Task, addr: int, code: int) -> None:
    """do_kern_addr_fault(): only vmalloc_fault may fix a kernel-half fault."""
    m.log.emit("do_kern_addr_fault", F, f"{addr:#x} is in the kernel half")
    # 5.9 removed vmalloc_fault ("x86/mm: remove vmalloc faulting"): no PGD entry of
    # the vmalloc area is ever missing from a process (kmodel.preallocate_vmalloc_pages)
    if not code & (X86_PF_RSVD | X86_PF_USER | X86_PF_PROT) \
            and not m.kmodel.preallocate_vmalloc_pages:
        if vmalloc_fault(m, task, addr):
            return
    bad_area_nosemaphore(m, task, addr, code, "the kernel half is not accessible from user mode"
                         if code & X86_PF_USER else "no kernel mapping here")


def vmalloc_fault(m: Machine, task: Task, addr: int) -> bool:
    """vmalloc_fault(): copy the top-level entry for a vmalloc address from init_mm's PGD."""
    lay = m.layout
    lo = lay.vmalloc_start
    hi = next(h for lo_, h, n in lay.kernel_regions() if lo_ == lo)
    if not lo <= addr < hi:
        return False
    pt = m.pt
    idx = pt.index(0, addr)
    k = m.init_mm.pgd.entries.get(idx)  # type: ignore[union-attr]
    if k is None:
        m.log.emit("vmalloc_fault", F, f"init_mm has no entry for {addr:#x} either: a real bug")
        return False
    pgd = task.mm.pgd
    assert pgd is not None
    if idx not in pgd.entries:
        pgd.entries[idx] = k
        m.log.emit("vmalloc_fault", F, f"this process's PGD lacked entry {idx} for the vmalloc "
                   "area: copied it from init_mm's PGD (set_pgd); the access is retried")
    kt = pt.pte_table(m.init_mm.pgd, addr, False)  # type: ignore[arg-type]
    return kt is not None and pt.index(lay.levels - 1, addr) in kt.entries


def bad_area_nosemaphore(m: Machine, task: Task, addr: int, code: int, why: str) -> None:
    """__bad_area_nosemaphore(): SIGSEGV for user mode, an oops for the kernel."""
    if code & X86_PF_USER:
        m.log.emit("__bad_area_nosemaphore", F, f"user access to {addr:#x}: {why} -> SIGSEGV "
                   "(SEGV_MAPERR)")
        raise SignalError("SIGSEGV", "SEGV_MAPERR", addr, why)
    m.log.emit("no_context", F, f"BUG: unable to handle page fault for address {addr:#x}: oops")
    raise SignalError("SIGKILL", "OOPS", addr, f"kernel oops: {why}")


def access_error(code: int, vma: VmArea) -> bool:
    """access_error(): does the VMA forbid this access?"""
    if code & X86_PF_WRITE:
        return not vma.vm_flags & VM_WRITE
    if code & X86_PF_PROT:
        return True
    return not vma.vm_flags & (VM_READ | VM_EXEC | VM_WRITE)


def expand_stack(m: Machine, task: Task, vma: VmArea, address: int) -> bool:
    """expand_stack() -> expand_downwards(): grow a VM_GROWSDOWN VMA down to `address`."""
    address &= PAGE_MASK
    if address < m.mmap_min_addr:
        return False
    prev = task.mm.vmas.prev(vma)
    if prev is not None and not prev.vm_flags & VM_GROWSDOWN and \
            prev.vm_flags & (VM_READ | VM_WRITE | VM_EXEC):
        if address - prev.vm_end < STACK_GUARD_GAP:
            m.log.emit("expand_downwards", m.kmodel.vma_c, f"growing to {address:#x} would come "
                       f"within the stack guard gap of {prev.vm_start:#x}-{prev.vm_end:#x}")
            return False
    rmap.anon_vma_prepare(m, vma)
    size = vma.vm_end - address
    grow = (vma.vm_start - address) >> PAGE_SHIFT
    if grow > vma.vm_pgoff:
        return False
    # acct_stack_growth(): RLIMIT_STACK, RLIMIT_MEMLOCK, then the commit charge
    rlim = task.rlimit_stack or RLIMIT_STACK
    if size > rlim:
        m.log.emit("acct_stack_growth", m.kmodel.vma_c, f"stack would be {size >> 10}K, over "
                   f"RLIMIT_STACK ({rlim >> 10}K)")
        return False
    mm = vma.vm_mm
    if vma.vm_flags & VM_LOCKED and not task.root and \
            (mm.locked_vm + grow) << PAGE_SHIFT > task.rlimit_memlock:
        m.log.emit("acct_stack_growth", m.kmodel.vma_c, "a locked stack would grow over "
                   "RLIMIT_MEMLOCK")
        return False
    try:
        mmap.vm_enough_memory(m, grow)
    except KernelError:
        m.log.emit("acct_stack_growth", m.kmodel.vma_c, f"{grow} more page(s) would overcommit "
                   "(security_vm_enough_memory_mm): the stack cannot grow")
        return False
    m.committed_as += grow
    if vma.vm_flags & VM_LOCKED:
        mm.locked_vm += grow
    mmap.vm_stat_account(mm, vma.vm_flags, grow)
    old = vma.vm_start
    mm.vmas.adjust(vma, address, vma.vm_end, vma.vm_pgoff - grow)
    m.log.emit("expand_downwards", m.kmodel.vma_c, f"[stack] grows down by {grow} page(s): "
               f"vm_start {old:#x} -> {address:#x}; {grow} page(s) charged to Committed_AS",
               grow=grow)
    return True


def do_user_addr_fault(m: Machine, task: Task, addr: int, code: int) -> None:
    """do_user_addr_fault(): find the VMA (mainline: lock_vma_under_rcu() first, the per-VMA
    lock, falling back to mmap_lock), stack growth, access check, handle_mm_fault."""
    log = m.log
    mm = task.mm
    km = m.kmodel
    vma_locked = False
    vma = None
    if km.lock_vma_under_rcu is not None and code & X86_PF_USER:
        vma = km.find_vma(mm, addr)
        if vma is not None and vma.vm_start <= addr:
            vma_locked = True
            log.emit(*km.lock_vma_under_rcu, f"{vma.vm_start:#x}-{vma.vm_end:#x} "
                     f"{(vma.perms() + ' ' + vma.name).strip()} holds {addr:#x}: read-locked "
                     "by its per-VMA lock (vma_start_read), mmap_lock is not taken")
        else:
            log.emit(*km.lock_vma_under_rcu, f"no VMA holds {addr:#x}: fall back to "
                     "mmap_lock")
    if not vma_locked:
        vma = km.find_vma(mm, addr)
        if vma is None:
            log.emit(*km.find_vma_cited, f"no VMA ends above {addr:#x}")
            bad_area(m, addr, "SEGV_MAPERR", "no mapping at this address")
        assert vma is not None
        log.emit(*km.find_vma_cited, f"first VMA ending above {addr:#x}: "
                 f"{vma.vm_start:#x}-{vma.vm_end:#x} {vma.perms()} {vma.name}")
        if vma.vm_start > addr:
            if not vma.vm_flags & VM_GROWSDOWN:
                bad_area(m, addr, "SEGV_MAPERR",
                         f"{addr:#x} is below that VMA and it is not a stack")
            if not expand_stack(m, task, vma, addr):
                bad_area(m, addr, "SEGV_MAPERR", "the stack cannot grow this far")
    assert vma is not None
    if access_error(code, vma):
        what = "write" if code & X86_PF_WRITE else ("execute" if code & X86_PF_INSTR else "read")
        log.emit("bad_area_access_error", F, f"{what} not allowed by {vma.perms()} -> SIGSEGV "
                 "(SEGV_ACCERR)")
        raise SignalError("SIGSEGV", "SEGV_ACCERR", addr,
                          f"{what} access to a {vma.perms()} mapping")
    write = bool(code & X86_PF_WRITE)
    major = 0
    tried = False
    while True:
        fault, kind = memory.handle_mm_fault(m, task, vma, addr, write, tried)
        memory.check_sigbus(fault, addr)
        major |= fault & memory.VM_FAULT_MAJOR
        m.fault_kinds[kind] = m.fault_kinds.get(kind, 0) + 1
        if fault & memory.VM_FAULT_RETRY and not tried:
            if vma_locked:
                # VMA_LOCK_RETRY: the same fault again under mmap_lock, FAULT_FLAG_TRIED only
                # if the first attempt did I/O
                vma_locked = False
                tried = bool(fault & memory.VM_FAULT_MAJOR)
                log.emit(*km.find_vma_cited, "VM_FAULT_RETRY under the per-VMA lock: retry "
                         f"under mmap_lock ({vma.vm_start:#x}-{vma.vm_end:#x})")
                continue
            tried = True
            continue
        break
    if major:
        task.maj_flt += 1
    else:
        task.min_flt += 1
    m.last_fault = (addr, kind, "major" if major else "minor")


def bad_area(m: Machine, addr: int, code: str, why: str) -> None:
    """bad_area() -> __bad_area_nosemaphore(): SIGSEGV with `code` at `addr`."""
    m.log.emit("bad_area", F, f"{why} -> SIGSEGV ({code})")
    raise SignalError("SIGSEGV", code, addr, why)
