"""set_thread_area(2) (arch/x86/kernel/tls.c): the three TLS slots of the GDT.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vmtui.engine.arch.x86 import segment
from vmtui.engine.include.desc import (
    GDT_ENTRY_TLS_ENTRIES,
    Descriptor,
    Selector,
    UserDesc,
    fill_ldt,
)
from vmtui.engine.include.errors import KernelError
from vmtui.engine.include.events import EventLog

if TYPE_CHECKING:
    from vmtui.engine.arch.x86.segment import Segmentation


def do_set_thread_area(seg: Segmentation, info: UserDesc, log: EventLog | None = None) -> int:
    """Mirror do_set_thread_area() (arch/x86/kernel/tls.c); returns the GDT index.

    entry_number -1 picks the first free TLS slot (get_free_idx()). Only
    present 32-bit data segments are allowed (tls_desc_okay()).
    """
    empty = info.is_empty() or info.is_zero()
    if not empty and (not info.seg_32bit or info.contents > 1 or info.seg_not_present):
        raise KernelError(
            "EINVAL", "set_thread_area: TLS entries must be present 32-bit data segments"
        )
    lo, hi = seg.tls_min, seg.tls_min + GDT_ENTRY_TLS_ENTRIES - 1
    idx = info.entry_number
    if idx == -1:
        free = [i for i in range(lo, hi + 1) if seg.gdt.raw(i) == 0]
        if not free:
            raise KernelError("ESRCH", "set_thread_area: no free TLS entry")
        idx = free[0]
    if not lo <= idx <= hi:
        raise KernelError(
            "EINVAL", f"set_thread_area: entry {idx} is not a TLS slot {lo}..{hi}"
        )
    info.entry_number = idx
    desc = Descriptor() if empty else fill_ldt(info)
    seg.gdt.set(idx, desc)
    segment.log_event(
        log,
        "do_set_thread_area",
        segment.F_TLS,
        f"GDT entry {idx} (TLS) = {desc.encode():#018x}: base {desc.base:#x}, "
        f"selector {Selector.make(idx, 0, 3).value:#x}",
        entry=idx,
        base=desc.base,
    )
    return idx
