"""mremap(2)'s page-table work (mm/mremap.c): move_page_tables() carries the PTEs of a
moving mapping to its new address.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vmtui.engine.arch.x86 import tlb
from vmtui.engine.include.layout import PAGE_SIZE
from vmtui.engine.include.mm_types import MmStruct

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine


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
