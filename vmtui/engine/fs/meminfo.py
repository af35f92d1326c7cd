"""/proc/meminfo (fs/proc/meminfo.c) and /sys/devices/system/node/nodeN/meminfo
(drivers/base/node.c), Linux 5.4, byte for byte where the engine has the numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vmtui.engine.include.layout import KB_PER_PAGE, PAGE_SHIFT
from vmtui.engine.mm import vmstat

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine, Task



# /sys/kernel/mm/transparent_hugepage/enabled: "madvise", Ubuntu's default for 5.4 and the
# oracle machine's. The engine has no MADV_HUGEPAGE, so no VMA is eligible.
THP_MODE = "madvise"



def si_mem_available(m: Machine, c: vmstat.Counters | None = None) -> int:
    """si_mem_available() (mm/page_alloc.c, 5.4): free pages above the reserves, plus the
    page cache and reclaimable slab that can go without swapping, in pages."""
    c = c or vmstat.Counters(m)
    wmark_low = sum(z.low_wmark() for z in m.mem.zones)
    available = c.zone_total("nr_free_pages") - vmstat.totalreserve_pages(m)
    pagecache = c.node_total("nr_active_file") + c.node_total("nr_inactive_file")
    pagecache -= min(pagecache // 2, wmark_low)
    available += pagecache
    reclaimable = c.node_total("nr_slab_reclaimable") + \
        c.node_total("nr_kernel_misc_reclaimable")
    available += reclaimable - min(reclaimable // 2, wmark_low)
    return max(available, 0)



# ------------------------------------------------------------------ /proc/meminfo
def _val_kb(label: str, pages: int) -> str:
    """show_val_kb(): the label padded to 16 columns, the value to 8, then " kB"."""
    return f"{label + ':':<16}{pages * KB_PER_PAGE:>8} kB"



def _raw_kb(label: str, kb: int) -> str:
    """seq_printf(m, "Label:    %8lu kB\\n", kb) for the lines already in kB."""
    return f"{label + ':':<16}{kb:>8} kB"



def vmalloc_total_kb(m: Machine) -> int:
    """VMALLOC_TOTAL >> 10: x86-64 ends the area one byte early (VMALLOC_END is inclusive)."""
    for lo, hi, name in m.layout.kernel_regions():
        if name.startswith("vmalloc"):
            size = hi - lo
            if m.layout.arch != "i386":
                size -= 1
            return size >> 10
    return 0



def direct_map_kb(m: Machine) -> list[tuple[str, int]]:
    """arch_report_meminfo(): how the direct map covers RAM. The first 2M is mapped with
    4K pages, the rest with 2M pages, and whole gigabytes above 1G with 1G pages."""
    ram = m.mem.max_pfn << PAGE_SHIFT
    if m.layout.arch == "i386":
        low = min(ram, 896 << 20)
        k4 = min(low, 4 << 20)
        return [("DirectMap4k", k4 >> 10), ("DirectMap4M", (low - k4) >> 10)]
    k4 = min(ram, 2 << 20)
    g1 = max(0, (ram >> 30) - 1) << 30
    m2 = ram - k4 - g1
    return [("DirectMap4k", k4 >> 10), ("DirectMap2M", m2 >> 10), ("DirectMap1G", g1 >> 10)]



def swap_totals(m: Machine) -> tuple[int, int]:
    """si_swapinfo(): (total, free) swap pages of the areas in use."""
    if not m.swap.enabled:
        return 0, 0
    areas = [si for si in m.swap.areas if si.writeok]
    return sum(si.usable for si in areas), sum(si.free_slots() for si in areas)



def vm_commit_limit(m: Machine) -> int:
    """vm_commit_limit(): RAM * vm.overcommit_ratio / 100 + swap, in pages."""
    return m.mem.totalram * m.sysctl["vm.overcommit_ratio"] // 100 + m.swap.total()



def meminfo_text(m: Machine, task: Task) -> str:
    """/proc/meminfo (fs/proc/meminfo.c meminfo_proc_show, 5.4, x86-64)."""
    c = vmstat.Counters(m)
    nt = c.node_total
    zt = c.zone_total
    buffers = 0
    cached = max(0, nt("nr_file_pages") - c.swapcache - buffers)
    swap_total, swap_free = swap_totals(m)
    sreclaimable = nt("nr_slab_reclaimable")
    sunreclaim = nt("nr_slab_unreclaimable")
    vmalloc_pages = sum(len(pfns) for _size, pfns in m.vmalloc_areas.values())
    lines = [
        _val_kb("MemTotal", m.mem.totalram),
        _val_kb("MemFree", zt("nr_free_pages")),
        _val_kb("MemAvailable", si_mem_available(m, c)),
        _val_kb("Buffers", buffers),
        _val_kb("Cached", cached),
        _val_kb("SwapCached", c.swapcache),
        _val_kb("Active", nt("nr_active_anon") + nt("nr_active_file")),
        _val_kb("Inactive", nt("nr_inactive_anon") + nt("nr_inactive_file")),
        _val_kb("Active(anon)", nt("nr_active_anon")),
        _val_kb("Inactive(anon)", nt("nr_inactive_anon")),
        _val_kb("Active(file)", nt("nr_active_file")),
        _val_kb("Inactive(file)", nt("nr_inactive_file")),
        _val_kb("Unevictable", nt("nr_unevictable")),
        _val_kb("Mlocked", zt("nr_mlock")),
        _val_kb("SwapTotal", swap_total),
        _val_kb("SwapFree", swap_free),
        _val_kb("Dirty", nt("nr_dirty")),
        _val_kb("Writeback", nt("nr_writeback")),
        _val_kb("AnonPages", nt("nr_anon_pages")),
        _val_kb("Mapped", nt("nr_mapped")),
        _val_kb("Shmem", nt("nr_shmem")),
        _val_kb("KReclaimable", sreclaimable + nt("nr_kernel_misc_reclaimable")),
        _val_kb("Slab", sreclaimable + sunreclaim),
        _val_kb("SReclaimable", sreclaimable),
        _val_kb("SUnreclaim", sunreclaim),
        _raw_kb("KernelStack", zt("nr_kernel_stack")),
        _val_kb("PageTables", zt("nr_page_table_pages")),
        _val_kb("NFS_Unstable", nt("nr_unstable")),
        _val_kb("Bounce", zt("nr_bounce")),
        _val_kb("WritebackTmp", nt("nr_writeback_temp")),
        _val_kb("CommitLimit", vm_commit_limit(m)),
        _val_kb("Committed_AS", max(0, m.committed_as)),
        _raw_kb("VmallocTotal", vmalloc_total_kb(m)),
        _val_kb("VmallocUsed", vmalloc_pages),
        _val_kb("VmallocChunk", 0),
        _val_kb("Percpu", 0),
        f"HardwareCorrupted: {0:>5} kB",
        _val_kb("AnonHugePages", 0),
        _val_kb("ShmemHugePages", 0),
        _val_kb("ShmemPmdMapped", 0),
        _val_kb("FileHugePages", 0),
        _val_kb("FilePmdMapped", 0),
        # hugetlb_report_meminfo()
        f"HugePages_Total:   {0:>5}",
        f"HugePages_Free:    {0:>5}",
        f"HugePages_Rsvd:    {0:>5}",
        f"HugePages_Surp:    {0:>5}",
        _raw_kb("Hugepagesize", 2048 if m.layout.arch != "i386" else 4096),
        _raw_kb("Hugetlb", 0),
    ]
    lines += [_raw_kb(name, kb) for name, kb in direct_map_kb(m)]
    return "\n".join(lines) + "\n"



def node_meminfo_text(m: Machine, nid: int) -> str:
    """/sys/devices/system/node/nodeN/meminfo (drivers/base/node.c node_read_meminfo, 5.4):
    the node's share of /proc/meminfo, `Node N Label:` padded to the value's %8lu. 5.4 has
    no SwapCached (5.9) or SecPageTables (6.0) line."""
    c = vmstat.Counters(m)
    node = m.mem.nodes[nid]
    ns = c.node[node]
    zs = [c.zone[z] for z in node.zones]

    def zt(name: str) -> int:
        return sum(s[name] for s in zs)

    total = sum(z.managed for z in node.zones)
    free = zt("nr_free_pages")
    sreclaimable = ns["nr_slab_reclaimable"]
    sunreclaim = ns["nr_slab_unreclaimable"]
    rows = [
        ("MemTotal", total), ("MemFree", free), ("MemUsed", total - free),
        ("Active", ns["nr_active_anon"] + ns["nr_active_file"]),
        ("Inactive", ns["nr_inactive_anon"] + ns["nr_inactive_file"]),
        ("Active(anon)", ns["nr_active_anon"]), ("Inactive(anon)", ns["nr_inactive_anon"]),
        ("Active(file)", ns["nr_active_file"]), ("Inactive(file)", ns["nr_inactive_file"]),
        ("Unevictable", ns["nr_unevictable"]), ("Mlocked", zt("nr_mlock")),
        ("Dirty", ns["nr_dirty"]), ("Writeback", ns["nr_writeback"]),
        ("FilePages", ns["nr_file_pages"]), ("Mapped", ns["nr_mapped"]),
        ("AnonPages", ns["nr_anon_pages"]), ("Shmem", ns["nr_shmem"]),
    ]
    lines = [f"Node {nid} {label + ':':<16}{pages * KB_PER_PAGE:>8} kB" for label, pages in rows]
    lines.append(f"Node {nid} {'KernelStack:':<16}{zt('nr_kernel_stack'):>8} kB")
    rows = [
        ("PageTables", zt("nr_page_table_pages")), ("NFS_Unstable", ns["nr_unstable"]),
        ("Bounce", zt("nr_bounce")), ("WritebackTmp", ns["nr_writeback_temp"]),
        ("KReclaimable", sreclaimable + ns["nr_kernel_misc_reclaimable"]),
        ("Slab", sreclaimable + sunreclaim), ("SReclaimable", sreclaimable),
        ("SUnreclaim", sunreclaim), ("AnonHugePages", 0), ("ShmemHugePages", 0),
        ("ShmemPmdMapped", 0), ("FileHugePages", 0), ("FilePmdMapped", 0),
    ]
    lines += [f"Node {nid} {label + ':':<16}{pages * KB_PER_PAGE:>8} kB" for label, pages in rows]
    # hugetlb_report_node_meminfo(): "Node %d HugePages_Total: %5u" and so on
    lines += [f"Node {nid} {'HugePages_' + name + ':':<16} {0:5d}"
              for name in ("Total", "Free", "Surp")]
    return "\n".join(lines) + "\n"



def thp_enabled_text(m: Machine) -> str:
    """/sys/kernel/mm/transparent_hugepage/enabled: the modes, the one in use in brackets."""
    return " ".join(f"[{mode}]" if mode == THP_MODE else mode
                    for mode in ("always", "madvise", "never")) + "\n"
