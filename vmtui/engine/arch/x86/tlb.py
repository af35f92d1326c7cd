"""The TLB (arch/x86/mm/tlb.c): entries tagged by the mm's context id, filled by the MMU
walk, flushed by page, by range (flush_tlb_mm_range) or for a whole mm.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vmtui.engine.include.layout import PAGE_SHIFT
from vmtui.engine.include.mm_types import MmStruct

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine


def ctx_id(m: Machine, mm: MmStruct) -> int:
    """mm->context.ctx_id: the tag of the mm's TLB entries (init_new_context())."""
    if not mm.ctx_id:
        m.last_ctx_id += 1
        mm.ctx_id = m.last_ctx_id
    return mm.ctx_id


def tlb_fill(m: Machine, mm: MmStruct, addr: int, pfn: int) -> None:
    key = (ctx_id(m, mm), addr >> PAGE_SHIFT)
    tlb = m.tlb
    if key in tlb:
        m.tlb_stats["hits"] += 1
        tlb[key] = tlb.pop(key)
        return
    m.tlb_stats["misses"] += 1
    tlb[key] = pfn
    if len(tlb) > m.config.tlb_entries:
        del tlb[next(iter(tlb))]


def flush_tlb_page(m: Machine, mm: MmStruct, addr: int) -> None:
    if m.tlb.pop((ctx_id(m, mm), addr >> PAGE_SHIFT), None) is not None:
        m.tlb_stats["flushes"] += 1


def flush_tlb_range(m: Machine, mm: MmStruct, start: int, end: int) -> None:
    """flush_tlb_mm_range(): drop every entry of the range (or the whole mm if large)."""
    key = ctx_id(m, mm)
    if (end - start) >> PAGE_SHIFT > len(m.tlb):
        doomed = [k for k in m.tlb if k[0] == key and start >> PAGE_SHIFT <= k[1] <
                  end >> PAGE_SHIFT]
    else:
        doomed = [(key, v) for v in range(start >> PAGE_SHIFT, end >> PAGE_SHIFT)
                  if (key, v) in m.tlb]
    for k in doomed:
        del m.tlb[k]
    if doomed:
        m.tlb_stats["flushes"] += 1


def flush_tlb_mm(m: Machine, mm: MmStruct) -> None:
    key = ctx_id(m, mm)
    for k in [k for k in m.tlb if k[0] == key]:
        del m.tlb[k]
