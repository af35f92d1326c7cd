"""modify_ldt(2) -> write_ldt() (arch/x86/kernel/ldt.c): the per-mm LDT, its descriptor in
the GDT and LDTR.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vmtui.engine.arch.x86 import segment
from vmtui.engine.include.desc import (
    LDT_ENTRIES,
    LDT_ENTRY_SIZE,
    U32_MAX,
    U64_MAX,
    Descriptor,
    DescriptorTable,
    Selector,
    UserDesc,
    fill_ldt,
    tssldt_descriptor,
)
from vmtui.engine.include.errors import KernelError
from vmtui.engine.include.events import EventLog

# LDT_BASE_ADDR = LDT_PGD_ENTRY (-240UL) << PGDIR_SHIFT; PTI maps the LDT there,
# alternating between two slots of LDT_SLOT_STRIDE bytes (map_ldt_struct()).
_LDT_BASE_L4 = (-240 << 39) & U64_MAX
_LDT_BASE_L5 = (-240 << 48) & U64_MAX
_LDT_SLOT_STRIDE = LDT_ENTRIES * LDT_ENTRY_SIZE
_LDT_PAGE_32 = 0xF5E4_0000  # get_zeroed_page() for the LDT


if TYPE_CHECKING:
    from vmtui.engine.arch.x86.segment import Segmentation


def write_ldt(
    seg: Segmentation,
    entry_number: int,
    base_addr: int,
    limit: int,
    *,
    seg_32bit: bool = True,
    contents: int = 0,
    read_exec_only: bool = False,
    limit_in_pages: bool = False,
    seg_not_present: bool = False,
    useable: bool = True,
    log: EventLog | None = None,
) -> int:
    """Mirror modify_ldt(0x11, ...) -> write_ldt() (arch/x86/kernel/ldt.c).

    Returns the selector that names the entry from user mode (TI=1, RPL=3),
    e.g. entry 0 -> 0x7. A 16-bit data segment at base 0x10000 with limit
    0xffff: `write_ldt(seg, 0, 0x10000, 0xffff, seg_32bit=False)`.
    """
    info = UserDesc(
        entry_number,
        base_addr,
        limit,
        seg_32bit,
        contents,
        read_exec_only,
        limit_in_pages,
        seg_not_present,
        useable,
    )
    if not 0 <= entry_number < LDT_ENTRIES:
        raise KernelError("EINVAL", f"modify_ldt: entry {entry_number} >= LDT_ENTRIES (8192)")
    if contents == 3 and not seg_not_present:
        raise KernelError(
            "EINVAL", "modify_ldt: contents 3 (conforming code) must be not present"
        )
    if not 0 <= base_addr <= U32_MAX or not 0 <= limit <= 0xFFFFF or not 0 <= contents <= 3:
        raise KernelError("EINVAL", "modify_ldt: base is 32 bits, limit 20 bits, contents 0..3")
    desc = Descriptor() if info.is_empty() else fill_ldt(info)
    old = seg.ldt
    entries = list(old.entries) if old is not None else []
    entries.extend([0] * (entry_number + 1 - len(entries)))
    entries[entry_number] = desc.encode()
    # PTI: map the new LDT in the other slot so CPUs still on the old one keep it.
    seg.ldt_slot = 0 if old is None else 1 - seg.ldt_slot
    if seg.long_mode:
        base = (_LDT_BASE_L5 if seg.la57 else _LDT_BASE_L4) + seg.ldt_slot * _LDT_SLOT_STRIDE
    else:
        base = _LDT_PAGE_32
    seg.ldt = DescriptorTable("LDT", base, entries)
    # install_ldt() -> load_mm_ldt() -> set_ldt(): an LDT descriptor in the GDT, then lldt.
    sysdesc = tssldt_descriptor(base, 0x2, len(entries) * LDT_ENTRY_SIZE - 1, seg.long_mode)
    for i, q in enumerate(sysdesc):
        seg.gdt.entries[seg.gdt_entry_ldt + i] = q
    sel = Selector.make(entry_number, 1, 3).value
    segment.log_event(
        log,
        "write_ldt",
        segment.F_LDT,
        f"LDT entry {entry_number} = {desc.encode():#018x} (fill_ldt): base {desc.base:#x}, "
        f"limit {desc.limit:#x}, {desc.type_name()}; user selector {sel:#x}",
        entry=entry_number,
        base=desc.base,
        limit=desc.limit,
        selector=sel,
    )
    segment.log_event(
        log,
        "install_ldt",
        segment.F_LDT,
        f"LDT of {len(entries)} entries at {base:#x} (PTI slot {seg.ldt_slot}); "
        f"GDT entry {seg.gdt_entry_ldt} describes it, lldt {seg.ldtr:#x}",
        entries=len(entries),
        base=base,
    )
    return sel
