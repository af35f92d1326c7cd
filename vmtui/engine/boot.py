"""Booting a machine: `new_machine(config)` is start_kernel() to the first process.

`Machine` (include/machine.py) holds fields only; this module sets them up in the
order the kernel does at boot: the kernel image and memmap reserved (memblock), the
per-node LRU vectors and kswapd state, the watermarks (init_per_zone_wmark_min), the
zero page, the swap area, init_mm's page tables with the kernel half and the direct
map, and the first process exec'd (/sbin/init's place: `program`). It sits above every
other engine module, as init/main.c does.
"""

from __future__ import annotations

from functools import partial

from vmtui.engine import kmodel
from vmtui.engine.fs.exec import exec_program
from vmtui.engine.include.errors import KernelError, SignalError
from vmtui.engine.include.layout import PAGE_SHIFT
from vmtui.engine.include.machine import VMSTAT_NAMES, Machine, MachineConfig
from vmtui.engine.include.mmzone import (
    Page,
    PG_reserved,
    PG_zero,
    default_min_free_kbytes,
    setup_per_zone_wmarks,
)
from vmtui.engine.include.pgtable import PAGE_KERNEL_LARGE, PageTable, PageTables
from vmtui.engine.include.settings import SettingError
from vmtui.engine.lib.vma_maple import MapleVmaSet
from vmtui.engine.mm import lru_gen, page_alloc, swap, vmscan


def new_machine(config: MachineConfig | None = None) -> Machine:
    """A booted machine: RAM set up, the kernel mapped, the first process running."""
    m = Machine(config)
    c = m.config
    m.kmodel = kmodel.model_for(c.kernel)
    if m.kmodel.maple_tree:
        m.init_mm.vmas = MapleVmaSet()  # init_mm.mm_mt
    page_alloc.reserve_kernel(m)
    for node in m.mem.nodes:
        node.lru = vmscan.Lruvec(m.mem.lru_links)
        node.kswapd = vmscan.KswapdState(node.id)
        if m.kmodel.lru_gen and c.lru_gen:
            lru_gen.lru_gen_init_lruvec(m, node.lru)  # CONFIG_LRU_GEN_ENABLED
    m.lru_gen_min_ttl = c.min_ttl_ms if m.kmodel.lru_gen else 0
    m.lru_pvecs = swap.alloc_pvecs(m.mem)
    mfk = c.min_free_kbytes if c.min_free_kbytes is not None else default_min_free_kbytes(m.mem)
    m.sysctl["vm.min_free_kbytes"] = mfk
    setup_per_zone_wmarks(m.mem, mfk, c.watermark_scale_factor)
    # init_user_reserve() / init_admin_reserve() (mm/mmap.c): from the free memory at boot
    free_kb = sum(z.nr_free for z in m.mem.zones) << (PAGE_SHIFT - 10)
    m.sysctl["vm.user_reserve_kbytes"] = min(free_kb // 32, 1 << 17)
    m.sysctl["vm.admin_reserve_kbytes"] = min(free_kb // 128, 1 << 13)
    # swap_setup() (mm/swap.c): swap readahead of 1 << 3 pages, 1 << 2 below 16M of RAM
    m.sysctl["vm.page-cluster"] = 2 if m.mem.totalram >> (20 - PAGE_SHIFT) < 16 else 3
    kimg = next(r for r in m.reserved if r[2] == "kernel image")
    m.zero_page = Page(kimg[0] + 1, m.mem.zone_of(kimg[0] + 1), PG_reserved | PG_zero)
    m.special_base = kimg[0] + 2
    m.pt = PageTables(m.layout, partial(page_alloc.alloc_pgtable_page, m),
                      partial(page_alloc.free_table_page, m))
    if c.swap:
        m.swap.add_area(c.swap >> PAGE_SHIFT).solidstate = not c.swap_rotational
        m.swap.enabled = True
    m.log.muted += 1
    try:
        m.init_mm.pgd = m.pt.new_table(0, kernel=True)
        map_kernel_half(m)
        task = exec_program(m, c.program)
    except (KernelError, SignalError) as e:
        # boot fails only for settings that leave no memory to start the first process
        key = "min_free_kbytes" if c.min_free_kbytes is not None else "ram"
        raise SettingError(key, f"the machine cannot start its first process with these "
                           f"settings ({e.why or e})") from None
    finally:
        m.log.muted -= 1
    m.current_pid = task.pid
    swap.lru_add_drain_all(m)  # the scenario starts with empty LRU batches
    m.vmstat = dict.fromkeys(VMSTAT_NAMES, 0)  # counts since the scenario began
    for node in m.mem.nodes:
        node.stat.clear()
    m.log.take()
    return m


def map_kernel_half(m: Machine) -> None:
    """The kernel half of init_mm: one PGD entry per region of the kernel map."""
    pgd = m.init_mm.pgd
    assert pgd is not None
    lay = m.layout
    for lo, hi, name in lay.kernel_regions():
        starts: range | tuple[int, ...] = (lo,)
        if name.startswith("vmalloc"):
            if not m.kmodel.preallocate_vmalloc_pages:
                continue  # 5.4: filled on demand by vmalloc(); processes learn it by vmalloc_fault
            # preallocate_vmalloc_pages() (arch/x86/mm/init_64.c, 5.8): the next level's
            # table under every PGD entry of the area, so the PGD entries every process
            # copies never change again
            starts = range(lo, hi, 1 << m.pt.shifts[0])
        for va in starts:
            idx = m.pt.index(0, va)
            if idx not in pgd.entries and lay.levels > 2:
                pgd.entries[idx] = m.pt.new_table(1, kernel=True)
    map_direct(m, pgd)


def map_direct(m: Machine, pgd: PageTable) -> None:
    """The direct map: all of RAM at PAGE_OFFSET with huge pages (1 GiB on x86-64,
    4 MiB on i386), kernel-only (no _PAGE_USER), as kernel_physical_mapping_init() does."""
    lay = m.layout
    pt = m.pt
    ram = m.mem.max_pfn << PAGE_SHIFT
    # the level whose entries are the huge pages: PUD on x86-64, the PGD on i386
    level = lay.levels - 3 if lay.levels > 2 else 0
    size = 1 << pt.shifts[level]
    prot = PAGE_KERNEL_LARGE if lay.has_nx else PAGE_KERNEL_LARGE & ((1 << 32) - 1)
    limit = min(ram, 896 << 20) if lay.arch == "i386" else ram
    for phys in range(0, limit, size):
        va = lay.direct_map + phys
        table = pgd
        for lvl in range(level):
            idx = pt.index(lvl, va)
            child = table.entries.get(idx)
            if child is None:
                child = table.entries[idx] = pt.new_table(lvl + 1, kernel=True)
            table = child
        table.entries[pt.index(level, va)] = phys | prot
