"""What `show NAME` and `cat /proc/...` print: NAME -> its renderer, (machine, task) -> text.

One table for the scenario language's `show` and for the shell's `cat`: each name is
rendered by the module of the kernel file that prints it (fs/procfs.py and
fs/task_mmu.py for /proc/PID/*, fs/meminfo.py, mm/vmstat.py, mm's swap_show) or, for
the teaching views that no kernel file prints, by views/teaching.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from vmtui.engine.fs import meminfo, procfs, task_mmu
from vmtui.engine.mm import lru_gen, vmstat
from vmtui.engine.views import teaching

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine, Task


def _maps(m: Machine, task: Task) -> str:
    return "\n".join(procfs.maps_lines(m, task)) + "\n"


TEXTS: dict[str, Callable[[Machine, Task], str]] = {
    # /proc/PID/*
    "maps": _maps,
    "status": procfs.status_text,
    "smaps": task_mmu.smaps_text,
    "smaps_rollup": task_mmu.smaps_rollup_text,
    "statm": task_mmu.statm_text,
    "numa_maps": task_mmu.numa_maps_text,
    # /proc/*
    "meminfo": meminfo.meminfo_text,
    "vmstat": vmstat.vmstat_text,
    "buddyinfo": vmstat.buddyinfo_text,
    "zoneinfo": vmstat.zoneinfo_text,
    "pagetypeinfo": vmstat.pagetypeinfo_text,
    "swaps": teaching.swaps_text,
    # numactl --hardware and the teaching views
    "numa": teaching.numa_text,
    "pagetable": teaching.pagetable_text,
    "tlb": teaching.tlb_text,
    "lru": teaching.lru_text,
    "vmas": teaching.vmas_text,
    "rbtree": teaching.rbtree_text,
    "mt": teaching.mt_text,
    "layout": teaching.layout_text,
    "mm": teaching.mm_text,
    # debugfs
    "lru_gen": lambda m, task: lru_gen.lru_gen_seq_read(m),
}
