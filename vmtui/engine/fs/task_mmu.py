"""/proc/PID/smaps, smaps_rollup, statm and numa_maps (fs/proc/task_mmu.c, Linux 5.4);
/proc/PID/maps and status are in procfs.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vmtui.engine.fs import meminfo, procfs
from vmtui.engine.include.layout import KB_PER_PAGE, PAGE_SHIFT, PAGE_SIZE
from vmtui.engine.include.mm_types import VM_FLAG_NAMES, VM_LOCKED, VM_LOCKONFAULT, VmArea
from vmtui.engine.include.mmzone import (
    PG_active,
    PG_anon,
    PG_dirty,
    PG_referenced,
    PG_reserved,
    PG_swapbacked,
    PG_swapcache,
    PG_unevictable,
    PG_writeback,
    PG_zero,
)
from vmtui.engine.include.pgtable import (
    _PAGE_ACCESSED,
    _PAGE_DIRTY,
    _PAGE_SPECIAL,
    is_swap_pte,
    pte_pfn,
    pte_present,
)
from vmtui.engine.mm import mempolicy, shmem

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine, Task

PSS_SHIFT = 12  # fs/proc/task_mmu.c: Pss is summed in 1/4096ths of a byte

THREAD_SIZE = {"x86_64": 16 << 10, "x86_64-5level": 16 << 10, "i386": 8 << 10}

VSYSCALL_START = 0xFFFFFFFFFF600000



# ------------------------------------------------------------------ /proc/PID/smaps
class MemSizeStats:
    """struct mem_size_stats: what smaps_pte_entry() adds up for one VMA (bytes)."""

    __slots__ = ("resident", "pss", "shared_clean", "shared_dirty", "private_clean",
                 "private_dirty", "referenced", "anonymous", "lazyfree", "swap", "swap_pss",
                 "pss_locked")

    def __init__(self) -> None:
        self.resident = self.pss = self.shared_clean = self.shared_dirty = 0
        self.private_clean = self.private_dirty = self.referenced = self.anonymous = 0
        self.lazyfree = self.swap = self.swap_pss = self.pss_locked = 0



def smap_gather_stats(m: Machine, vma: VmArea) -> MemSizeStats:
    """smap_gather_stats() -> smaps_pte_entry() -> smaps_account() for every PTE of `vma`.

    A present PTE counts its page (never the shared zero page: vm_normal_page()
    skips it); a page mapped by two or more PTEs is Shared and adds
    PAGE_SIZE / mapcount to Pss. A swap PTE adds to Swap, and to SwapPss
    PAGE_SIZE / the number of PTEs holding the same swap entry.
    """
    mss = MemSizeStats()
    pgd = vma.vm_mm.pgd
    if pgd is None:
        return mss
    locked = bool(vma.vm_flags & VM_LOCKED)
    pages = m.mem.pages
    full = PAGE_SIZE << PSS_SHIFT
    check_shmem_swap = False
    if vma.vm_file is not None and vma.vm_file.shmem:
        # shmem pages in swap have no swap PTE: shmem_swap_usage() (no SwapPss for them)

        add, check_shmem_swap = shmem.smaps_shmem_swap(vma)
        mss.swap += add
        if check_shmem_swap:
            mss.swap += shmem.smaps_shmem_swap_holes(m, vma)
    for table, idx, _va in m.pt.iter_ptes(pgd, vma.vm_start, vma.vm_end):
        pte = table.entries[idx]
        if is_swap_pte(pte):
            mss.swap += PAGE_SIZE
            n = m.swap.count(pte)
            mss.swap_pss += full // n if n >= 2 else full
            continue
        if not pte_present(pte):
            continue
        page = pages.get(pte_pfn(pte)) or m.special_page(pte_pfn(pte))
        if page is None or pte & _PAGE_SPECIAL:
            continue  # the zero page, or a special (PFN) mapping
        f = page.flags
        dirty = bool(pte & _PAGE_DIRTY) or bool(f & PG_dirty)
        if f & PG_anon:
            mss.anonymous += PAGE_SIZE
            if not f & PG_swapbacked and not dirty:
                mss.lazyfree += PAGE_SIZE
        mss.resident += PAGE_SIZE
        if pte & _PAGE_ACCESSED or f & PG_referenced:
            mss.referenced += PAGE_SIZE
        mapcount = page.mapcount
        if mapcount >= 2:
            if dirty:
                mss.shared_dirty += PAGE_SIZE
            else:
                mss.shared_clean += PAGE_SIZE
            share = full // mapcount
        else:
            if dirty:
                mss.private_dirty += PAGE_SIZE
            else:
                mss.private_clean += PAGE_SIZE
            share = full
        mss.pss += share
        if locked:
            mss.pss_locked += share
    return mss



def smaps_vm_flags(flags: int) -> str:
    """show_smap_vma_flags() of 5.4: VM_LOCKONFAULT got its "lf" only in 6.2."""
    names = [name for bit, name in VM_FLAG_NAMES if flags & bit and bit != VM_LOCKONFAULT]
    return "VmFlags: " + "".join(n + " " for n in names)



def thp_eligible(vma: VmArea) -> int:
    """transparent_hugepage_enabled() under THP_MODE: "always" allows an anonymous VMA
    that holds one aligned 2M page; "madvise" needs MADV_HUGEPAGE, which the engine lacks."""
    if meminfo.THP_MODE != "always" or not vma.is_anonymous():
        return 0
    haddr = (vma.vm_end & ~((2 << 20) - 1)) - (2 << 20)
    return int(haddr >= vma.vm_start and haddr + (2 << 20) <= vma.vm_end)



def _smap_block(header: str, size: int, mss: MemSizeStats, thp: int, vmflags: str
                ) -> list[str]:
    """show_smap(): SEQ_PUT_DEC is "%8lu" of bytes >> 10 after a 16-column label."""

    def dec(label: str, nbytes: int) -> str:
        return f"{label}{nbytes >> 10:>8} kB"

    return [
        header,
        dec("Size:           ", size),
        dec("KernelPageSize: ", PAGE_SIZE),
        dec("MMUPageSize:    ", PAGE_SIZE),
        dec("Rss:            ", mss.resident),
        dec("Pss:            ", mss.pss >> PSS_SHIFT),
        dec("Shared_Clean:   ", mss.shared_clean),
        dec("Shared_Dirty:   ", mss.shared_dirty),
        dec("Private_Clean:  ", mss.private_clean),
        dec("Private_Dirty:  ", mss.private_dirty),
        dec("Referenced:     ", mss.referenced),
        dec("Anonymous:      ", mss.anonymous),
        dec("LazyFree:       ", mss.lazyfree),
        dec("AnonHugePages:  ", 0),
        dec("ShmemPmdMapped: ", 0),
        dec("FilePmdMapped: ", 0),  # one space short in 5.4 (fixed in 5.6)
        dec("Shared_Hugetlb: ", 0),
        f"Private_Hugetlb: {0:>7} kB",
        dec("Swap:           ", mss.swap),
        dec("SwapPss:        ", mss.swap_pss >> PSS_SHIFT),
        dec("Locked:         ", mss.pss_locked >> PSS_SHIFT),
        f"THPeligible:\t\t{thp}",  # tabs in 5.3 and 5.4; "THPeligible:    %d" since 5.6
        vmflags,
    ]



def smaps_text(m: Machine, task: Task) -> str:
    """/proc/PID/smaps (fs/proc/task_mmu.c show_smap), computed from the task's page tables."""
    lines: list[str] = []
    for vma in task.mm.vmas:
        mss = smap_gather_stats(m, vma)
        lines += _smap_block(procfs.maps_line(vma), vma.vm_end - vma.vm_start, mss,
                             thp_eligible(vma), smaps_vm_flags(vma.vm_flags))
    if m.layout.vsyscall:
        # the gate VMA (vsyscall=xonly, the 5.4 default): execute-only, no struct pages
        head = f"{VSYSCALL_START:08x}-{VSYSCALL_START + PAGE_SIZE:08x} --xp 00000000 00:00 0 "
        lines += _smap_block(head.ljust(procfs.MAPS_NAME_COLUMN) + " [vsyscall]", PAGE_SIZE,
                             MemSizeStats(), 0, "VmFlags: ex ")
    return "\n".join(lines) + "\n"



# ------------------------------------------------------------------ files `cat` reads
def statm_text(m: Machine, task: Task) -> str:
    """/proc/PID/statm (fs/proc/array.c proc_pid_statm -> task_statm(), 5.4): size resident
    shared text lib data dt, in pages; lib and dt are always 0."""
    mm = task.mm
    shared = mm.rss_file + mm.rss_shmem
    text = (((mm.end_code + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)) -
            (mm.start_code & ~(PAGE_SIZE - 1))) >> PAGE_SHIFT
    return (f"{mm.total_vm} {shared + mm.rss_anon} {shared} {text} 0 "
            f"{mm.data_vm + mm.stack_vm} 0\n")



def smaps_rollup_text(m: Machine, task: Task) -> str:
    """/proc/PID/smaps_rollup (show_smaps_rollup, 5.4): one header from the first VMA's start
    to the last one's end, then smaps' counters summed over every VMA (the gate VMA aside).
    5.4 has no Pss_Anon/Pss_File/Pss_Shmem (5.9) or Pss_Dirty (6.0) lines yet."""
    vmas = list(task.mm.vmas)
    total = MemSizeStats()
    for vma in vmas:
        mss = smap_gather_stats(m, vma)
        for name in MemSizeStats.__slots__:
            setattr(total, name, getattr(total, name) + getattr(mss, name))
    start = vmas[0].vm_start if vmas else 0
    end = vmas[-1].vm_end if vmas else 0
    column = 25 + m.layout.pte_bytes * 6 - 1
    head = f"{start:08x}-{end:08x} ---p 00000000 00:00 0 ".ljust(column) + " [rollup]"
    block = _smap_block(head, 0, total, 0, "")
    return "\n".join([block[0]] + block[4:-2]) + "\n"



def _mpol_text(m: Machine, task: Task) -> str:
    """mpol_to_str() of the task's policy, as numa_maps prints it: default, local,
    prefer:N, bind:0-1, interleave:0-1."""
    pol = task.mempolicy
    if pol is None or pol.mode == mempolicy.MPOL_DEFAULT:
        return "default"
    if pol.mode == mempolicy.MPOL_LOCAL:
        return "local"
    name = {mempolicy.MPOL_PREFERRED: "prefer", mempolicy.MPOL_BIND: "bind",
            mempolicy.MPOL_INTERLEAVE: "interleave"}[pol.mode]
    return f"{name}:{node_list(sorted(pol.nodes))}"



def numa_maps_text(m: Machine, task: Task) -> str:
    """/proc/PID/numa_maps (fs/proc/task_mmu.c show_numa_map, 5.4): per VMA its start, the
    policy, file=/heap/stack, then what gather_pte_stats() counts over its present pages
    (the zero page aside): anon, dirty, mapped, mapmax, swapcache, active, writeback, N<node>."""
    mm = task.mm
    policy = _mpol_text(m, task)
    pages = m.mem.pages
    lines = []
    for vma in mm.vmas:
        s = f"{vma.vm_start:08x} {policy}"
        if vma.vm_file is not None:
            s += f" file={vma.vm_file.name}"
        elif vma.vm_start <= mm.brk and vma.vm_end >= mm.start_brk:
            s += " heap"
        elif vma.vm_start <= mm.start_stack <= vma.vm_end:
            s += " stack"
        n = anon = dirty = swapcache = active = writeback = mapmax = 0
        nodes: dict[int, int] = {}
        if mm.pgd is not None:
            for table, idx, _va in m.pt.iter_ptes(mm.pgd, vma.vm_start, vma.vm_end):
                pte = table.entries[idx]
                if is_swap_pte(pte) or not pte_present(pte):
                    continue
                page = pages.get(pte_pfn(pte))
                if page is None or page.flags & (PG_reserved | PG_zero):
                    continue
                f = page.flags
                n += 1
                dirty += bool(pte & _PAGE_DIRTY or f & PG_dirty)
                swapcache += bool(f & PG_swapcache)
                active += bool(f & (PG_active | PG_unevictable))
                writeback += bool(f & PG_writeback)
                anon += bool(f & PG_anon)
                mapmax = max(mapmax, page.mapcount)
                nid = page.zone.node.id
                nodes[nid] = nodes.get(nid, 0) + 1
        if n:
            if anon:
                s += f" anon={anon}"
            if dirty:
                s += f" dirty={dirty}"
            if n not in (anon, dirty):
                s += f" mapped={n}"
            if mapmax > 1:
                s += f" mapmax={mapmax}"
            if swapcache:
                s += f" swapcache={swapcache}"
            if active < n:
                s += f" active={active}"
            if writeback:
                s += f" writeback={writeback}"
            s += "".join(f" N{nid}={nodes[nid]}" for nid in sorted(nodes))
            s += f" kernelpagesize_kB={KB_PER_PAGE}"
        lines.append(s)
    return "".join(line + "\n" for line in lines)



# ------------------------------------------------------------------ numactl, swaps
def node_list(ids: list[int]) -> str:
    """numactl's hardware(): "0-3", "0,2", "0-1,3" as it prints the available nodes."""
    out = ""
    prev = -1
    skip = False
    last = ids[-1] if ids else -1
    for i in ids:
        if prev == -1:
            out += str(i)
            prev = i
            continue
        if i > prev + 1:
            if skip:
                out += str(prev)
                skip = False
            out += f",{i}"
            prev = i
            continue
        if i == prev + 1:
            if not skip:
                out += "-"
                skip = True
            prev = i
        if i == last and skip:
            out += str(prev)
    return out
