"""More /proc files: smaps, meminfo, vmstat, buddyinfo, zoneinfo, `numactl --hardware`,
and the teaching views (page-table walk, TLB, LRU)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vmtui.engine.layout import PAGE_SHIFT

if TYPE_CHECKING:
    from vmtui.engine.machine import Machine, Task
    from vmtui.engine.pgtable import Walk


def walk_text(m: Machine, w: Walk) -> str:
    """A page-table walk, level by level, as a worked exercise."""
    lay = m.layout
    lines = [f"walk {w.va:#x} ({lay.arch}, {lay.levels}-level paging)"]
    for s in w.steps:
        lines.append(f"  {s.level:<4} bits {s.bit_hi:2d}-{s.bit_lo:2d} index {s.index:4d}  "
                     f"table frame {s.table_pfn:#x}  entry {s.entry:#018x}  [{s.flags}]  "
                     f"{s.note}")
    phys = w.phys()
    lines.append(f"  offset bits 11-0 = {w.va & 0xFFF:#x}; " +
                 (f"physical address {phys:#x}" if phys is not None else f"stopped: {w.stopped}"))
    return "\n".join(lines) + "\n"


def vmstat_text(m: Machine, task: Task) -> str:
    """/proc/vmstat: `name value` lines."""
    free = sum(z.nr_free for z in m.mem.zones)
    lines = [f"nr_free_pages {free}"]
    lines += [f"{k} {v}" for k, v in m.vmstat.items()]
    return "\n".join(lines) + "\n"


__all__ = ["walk_text", "vmstat_text", "PAGE_SHIFT"]
