"""/proc files rendered from engine state in the kernel's exact formats (fs/proc/*.c).

maps and status live here; smaps and the other files of a process are in task_mmu.py,
meminfo in meminfo.py, vmstat, buddyinfo and zoneinfo in mm/vmstat.py
(views/show.py lists them all).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vmtui.engine.include.layout import PAGE_SHIFT
from vmtui.engine.include.mm_types import VmArea
from vmtui.engine.include.pgtable import _PAGE_SPECIAL, PTE_PFN_MASK

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine, Task

MAPS_NAME_COLUMN = 25 + 8 * 6 - 1  # seq_setwidth(m, 25 + sizeof(void *) * 6 - 1)


def vma_name(vma: VmArea) -> str:
    """The last column of /proc/PID/maps (show_map_vma): file, [heap], [stack], [vdso]..."""
    if vma.vm_file is not None:
        return vma.vm_file.name
    if vma.name:
        return vma.name
    mm = vma.vm_mm
    if vma.vm_start <= mm.brk and vma.vm_end >= mm.start_brk:
        return "[heap]"
    if vma.vm_start <= mm.start_stack <= vma.vm_end:
        return "[stack]"
    return ""


def maps_line(vma: VmArea, width: int = 8, column: int = MAPS_NAME_COLUMN) -> str:
    """One line of /proc/PID/maps, padded as seq_pad() pads it (`column` is
    25 + sizeof(void *) * 6 - 1: 72 on 64-bit, 48 on i386)."""
    f = vma.vm_file
    pgoff = vma.vm_pgoff << PAGE_SHIFT if f is not None else 0
    dev = f.dev if f is not None else "00:00"
    ino = f.ino if f is not None else 0
    head = f"{vma.vm_start:0{width}x}-{vma.vm_end:0{width}x} {vma.perms()} {pgoff:08x} {dev} {ino} "
    name = vma_name(vma)
    if not name:
        return head
    return head.ljust(column) + " " + name


def maps_lines(m: Machine, task: Task) -> list[str]:
    """/proc/PID/maps: every VMA, then the gate VMA ([vsyscall]) on x86-64."""
    column = 25 + m.layout.pte_bytes * 6 - 1
    mm = task.mm
    # the lines change only with the VMA set or the heap/stack markers that name VMAs
    key = (mm.vmas.seq, mm.brk, mm.start_brk, mm.start_stack, column)
    cached = mm.maps_cache
    if cached is not None and cached[0] == key:
        out = list(cached[1])
    else:
        lines = [maps_line(v, 8, column) for v in mm.vmas]
        mm.maps_cache = (key, lines)
        out = list(lines)
    if m.layout.vsyscall:
        head = "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 "
        out.append(head.ljust(MAPS_NAME_COLUMN) + " [vsyscall]")
    return out


def _kb(pages: int) -> str:
    return f"{pages << (PAGE_SHIFT - 10):8d} kB"


def status_text(m: Machine, task: Task) -> str:
    """/proc/PID/status (fs/proc/array.c + task_mem() in fs/proc/task_mmu.c), the memory part."""
    mm = task.mm
    rss = mm.rss()
    hiwater_rss = max(mm.hiwater_rss, rss)
    hiwater_vm = max(mm.hiwater_vm, mm.total_vm)
    state = {"R": "R (running)", "Z": "Z (zombie)", "X": "X (dead)"}[task.state]
    text_pages = (mm.end_code - mm.start_code) >> PAGE_SHIFT
    lib = mm.exec_vm - text_pages
    ptes = mm.pgtables_bytes >> 10
    uid = 0 if task.root else 1000
    lines = [
        f"Name:\t{task.comm}",
        "Umask:\t0022",
        f"State:\t{state}",
        f"Tgid:\t{task.pid}",
        "Ngid:\t0",
        f"Pid:\t{task.pid}",
        f"PPid:\t{task.ppid}",
        "TracerPid:\t0",
        f"Uid:\t{uid}\t{uid}\t{uid}\t{uid}",
        f"Gid:\t{uid}\t{uid}\t{uid}\t{uid}",
        "FDSize:\t64",
        f"Groups:\t{uid} ",
        f"NStgid:\t{task.pid}",
        f"NSpid:\t{task.pid}",
        f"NSpgid:\t{task.pid}",
        f"NSsid:\t{task.pid}",
        f"VmPeak:\t{_kb(hiwater_vm)}",
        f"VmSize:\t{_kb(mm.total_vm)}",
        f"VmLck:\t{_kb(mm.locked_vm)}",
        f"VmPin:\t{_kb(mm.pinned_vm)}",
        f"VmHWM:\t{_kb(hiwater_rss)}",
        f"VmRSS:\t{_kb(rss)}",
        f"RssAnon:\t{_kb(mm.rss_anon)}",
        f"RssFile:\t{_kb(mm.rss_file)}",
        f"RssShmem:\t{_kb(mm.rss_shmem)}",
        f"VmData:\t{_kb(mm.data_vm)}",
        f"VmStk:\t{_kb(mm.stack_vm)}",
        f"VmExe:\t{_kb(text_pages)}",
        f"VmLib:\t{_kb(max(lib, 0))}",
        f"VmPTE:\t{ptes:8d} kB",
        f"VmSwap:\t{_kb(mm.rss_swap)}",
        "HugetlbPages:\t       0 kB",
        "CoreDumping:\t0",
        "THP_enabled:\t1",
        "Threads:\t1",
        f"Mems_allowed_list:\t0-{len(m.mem.nodes) - 1}" if len(m.mem.nodes) > 1
        else "Mems_allowed_list:\t0",
        "voluntary_ctxt_switches:\t0",
        "nonvoluntary_ctxt_switches:\t0",
    ]
    return "\n".join(lines) + "\n"


def update_hiwater(task: Task) -> None:
    """update_hiwater_rss()/update_hiwater_vm(): the peaks /proc/PID/status reports."""
    mm = task.mm
    mm.hiwater_rss = max(mm.hiwater_rss, mm.rss())
    mm.hiwater_vm = max(mm.hiwater_vm, mm.total_vm)


def rss_pages(m: Machine, task: Task, start: int, end: int) -> int:
    """Resident pages of [start, end): present PTEs, the zero page aside (smaps' Rss).

    Descends only into the entries that cover the range. Runtime: O(levels + pages).
    """
    pgd = task.mm.pgd
    if pgd is None:
        return 0
    shifts = m.pt.shifts
    masks = m.pt.masks
    last = len(shifts) - 1
    zbits = m.zero_page.pfn << PAGE_SHIFT
    pfn_mask = PTE_PFN_MASK

    def rec(table: Any, level: int, base: int) -> int:
        sh = shifts[level]
        ents = table.entries
        lo_i = (start - base) >> sh if start > base else 0
        hi_i = min(masks[level], (end - 1 - base) >> sh)
        if hi_i < lo_i:
            return 0
        whole = lo_i == 0 and hi_i == masks[level]
        if level == last:
            if whole:
                vals: Any = ents.values()
            elif hi_i - lo_i + 1 <= len(ents):
                vals = [ents[i] for i in range(lo_i, hi_i + 1) if i in ents]
            else:
                vals = [e for i, e in ents.items() if lo_i <= i <= hi_i]
            # present (or PROT_NONE) and not the shared zero page
            return sum(1 for e in vals if e & 0x101 and e & pfn_mask != zbits and
                       not e & _PAGE_SPECIAL)
        if hi_i - lo_i + 1 <= len(ents):
            kids = [(i, ents[i]) for i in range(lo_i, hi_i + 1) if i in ents]
        else:
            kids = [(i, c) for i, c in ents.items() if lo_i <= i <= hi_i]
        n = 0
        for i, child in kids:
            if not getattr(child, "kernel", False):
                n += rec(child, level + 1, base + (i << sh))
        return n

    return rec(pgd, 0, 0)
