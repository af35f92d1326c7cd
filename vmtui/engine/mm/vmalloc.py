"""vmalloc() (mm/vmalloc.c): kernel virtual memory in init_mm's page tables, backed page by
page. In 5.4 a process learns a new area's PGD entry by vmalloc_fault; since 5.9 the
entries are made at boot on x86-64 (preallocate_vmalloc_pages) and copied into every PGD
when vmalloc() makes one on i386 (arch_sync_kernel_mappings), so nothing faults.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vmtui.engine.include.errors import KernelError
from vmtui.engine.include.layout import PAGE_SHIFT, PAGE_SIZE, page_align
from vmtui.engine.include.mmzone import ZONE_NORMAL, PG_kernel
from vmtui.engine.include.pgtable import mk_pte
from vmtui.engine.mm import page_alloc

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine


def vmalloc(m: Machine, size: int) -> int:
    """vmalloc(): kernel virtual memory in init_mm, backed by frames page by page."""
    size = page_align(size)
    if size <= 0:
        raise KernelError("EINVAL", "vmalloc of 0 bytes")
    if size > m.mem.totalram << PAGE_SHIFT:
        raise KernelError("ENOMEM", "vmalloc larger than RAM")
    # a fresh 512 GiB slot per area (x86-64) so the first touch from a process shows
    # vmalloc_fault copying a new PGD entry
    span = 1 << m.pt.shifts[0]
    addr = m.vmalloc_next
    m.vmalloc_next += max(span, page_align(size) + PAGE_SIZE) if m.layout.levels > 2 \
        else page_align(size) + PAGE_SIZE
    pfns = []
    pgd = m.init_mm.pgd
    assert pgd is not None
    had = set(pgd.entries)
    for va in range(addr, addr + size, PAGE_SIZE):
        table = m.pt.pte_table(pgd, va, True)
        assert table is not None
        pfn = page_alloc.alloc_frame(m, m.current.node, ZONE_NORMAL, PG_kernel)
        table.entries[m.pt.index(m.layout.levels - 1, va)] = \
            mk_pte(pfn, 0x1 | 0x2 | 0x20 | 0x40 | (1 << 63))
        pfns.append(pfn)
    m.vmalloc_areas[addr] = (size, pfns)
    where = f"{size >> 10}K at {addr:#x} in init_mm's page tables ({len(pfns)} frame(s)); "
    if not m.kmodel.preallocate_vmalloc_pages:
        m.log.emit("vmalloc", "mm/vmalloc.c", where + "other processes' PGDs do not have "
                   "this entry yet")
        return addr
    new = sorted(set(pgd.entries) - had)
    if not new:
        m.log.emit("vmalloc", "mm/vmalloc.c", where + "its PGD entry was made at boot "
                   "(preallocate_vmalloc_pages) and every process shares it: no "
                   "vmalloc_fault")
        return addr
    # arch_sync_kernel_mappings() (arch/x86/mm/fault.c): the new top-level entries go
    # into every PGD on pgd_list
    for mm in {id(t.mm): t.mm for t in m.tasks.values() if t.mm is not None}.values():
        if mm.pgd is not None and mm is not m.init_mm:
            for idx in new:
                mm.pgd.entries[idx] = pgd.entries[idx]
    m.log.emit("vmalloc", "mm/vmalloc.c", where + f"arch_sync_kernel_mappings() copies "
               f"the {len(new)} new PGD entr{'y' if len(new) == 1 else 'ies'} into every "
               "process's PGD: no vmalloc_fault")
    return addr
