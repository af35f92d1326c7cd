"""The allocator's entry point and slow path (mm/page_alloc.c __alloc_pages_nodemask).

Fast path: the first zone of the zonelist above its low watermark. Slow path:
wake every kswapd, retry down to the min watermark, then direct reclaim,
then the OOM killer. NUMA counters are kept as zone_statistics() keeps them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vmtui.engine.include.errors import KernelError, SignalError
from vmtui.engine.include.layout import PAGE_SHIFT
from vmtui.engine.include.mm_types import VmArea
from vmtui.engine.include.mmzone import (
    WMARK_LOW,
    WMARK_MIN,
    ZONE_MOVABLE,
    ZONE_NAMES,
    ZONE_NORMAL,
    Page,
    PG_pgtable,
    Zone,
)
from vmtui.engine.mm import kswapd, mempolicy, swap, vmscan

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine, Task

F = "mm/page_alloc.c"
MAX_RECLAIM_RETRIES = 16


def _zones(m: Machine, nid: int, highest_zone: int, nodemask: list[int] | None) -> list[Zone]:
    zl = m.zonelist(nid, highest_zone)
    if nodemask is not None:
        zl = [z for z in zl if z.node.id in nodemask]
    return zl


def get_page_from_freelist(m: Machine, zonelist: list[Zone], mark: int, classzone_idx: int,
                           harder: bool = False) -> tuple[Zone, int] | None:
    """get_page_from_freelist(): the first zone whose watermark allows it; rmqueue from it."""
    for zone in zonelist:
        if not zone.watermark_ok(0, zone.watermark[mark], classzone_idx, harder):
            continue
        pfn = m.mem.rmqueue(zone, 0)
        if pfn is not None:
            return zone, pfn
    return None


def zone_statistics(m: Machine, preferred: Zone, zone: Zone, local_nid: int,
                    interleave: int | None) -> None:
    """zone_statistics(): numa_hit / numa_miss / numa_foreign, numa_local / numa_other."""
    stat = m.vmstat
    if zone.node is preferred.node:
        stat["numa_hit"] += 1
        zone.node.stat["numa_hit"] = zone.node.stat.get("numa_hit", 0) + 1
        if interleave is not None:
            stat["numa_interleave"] += 1
            zone.node.stat["numa_interleave"] = zone.node.stat.get("numa_interleave", 0) + 1
    else:
        stat["numa_miss"] += 1
        zone.node.stat["numa_miss"] = zone.node.stat.get("numa_miss", 0) + 1
        stat["numa_foreign"] += 1
        preferred.node.stat["numa_foreign"] = preferred.node.stat.get("numa_foreign", 0) + 1
    if zone.node.id == local_nid:
        stat["numa_local"] += 1
        zone.node.stat["numa_local"] = zone.node.stat.get("numa_local", 0) + 1
    else:
        stat["numa_other"] += 1
        zone.node.stat["numa_other"] = zone.node.stat.get("numa_other", 0) + 1


def _finish(m: Machine, zonelist: list[Zone], got: tuple[Zone, int], task: Task | None,
            interleave: int | None) -> Page:
    zone, pfn = got
    page = m.new_page(zone, pfn)
    m.count("pgalloc_" + ZONE_NAMES[zone.idx].lower())
    local = task.node if task is not None else zone.node.id
    zone_statistics(m, zonelist[0], zone, local, interleave)
    if interleave is not None and task is not None:
        mempolicy.interleave_advance(task, interleave)
    return page


def wake_all_kswapds(m: Machine, zonelist: list[Zone], highest_zone: int) -> None:
    """wake_all_kswapds(): the kswapd of every node in the zonelist (once per node)."""
    seen: set[int] = set()
    for zone in zonelist:
        if zone.node.id in seen:
            continue
        seen.add(zone.node.id)
        vmscan.wakeup_kswapd(m, zone, 0, highest_zone)


def should_reclaim_retry(m: Machine, zonelist: list[Zone], classzone_idx: int,
                         did_progress: bool, no_progress_loops: list[int]) -> bool:
    """should_reclaim_retry(): retry while reclaim makes progress, or while some zone could
    get above its min watermark if everything reclaimable were reclaimed; give up after
    MAX_RECLAIM_RETRIES loops without progress."""
    if did_progress:
        no_progress_loops[0] = 0
    else:
        no_progress_loops[0] += 1
    if no_progress_loops[0] > MAX_RECLAIM_RETRIES:
        return False
    for zone in zonelist:
        available = zone.nr_free + vmscan.zone_reclaimable_pages(m, zone)
        if available > zone.min_wmark() + zone.lowmem_reserve[classzone_idx]:
            return True
    return False


def _oom_victim(m: Machine, task: Task | None) -> bool:
    """tsk_is_oom_victim(current): the allocating task already has the OOM killer's
    SIGKILL queued and may dip into the reserves to exit (ALLOC_OOM)."""
    me = task if task is not None else (m.tasks.get(m.current_pid) if m.tasks else None)
    drv = m.reclaim_hook
    return me is not None and isinstance(drv, kswapd.ReclaimDriver) and \
        me.pid in drv.oom_pending


def get_page_reserve(m: Machine, zonelist: list[Zone], classzone_idx: int
                     ) -> tuple[Zone, int] | None:
    """get_page_from_freelist() with ALLOC_OOM: half of the min watermark is given up."""
    for zone in zonelist:
        mark = zone.min_wmark() - zone.min_wmark() // 2
        if not zone.watermark_ok(0, mark, classzone_idx):
            continue
        pfn = m.mem.rmqueue(zone, 0)
        if pfn is not None:
            return zone, pfn
    return None


def alloc_page(m: Machine, nid: int, highest_zone: int, nodemask: list[int] | None,
               task: Task | None, interleave: int | None, may_oom: bool = True) -> Page:
    """__alloc_pages_nodemask() for one page (order 0): the fast path at the low
    watermark, else __alloc_pages_slowpath(). `may_oom=False` is __GFP_NORETRY-like:
    ENOMEM instead of the OOM killer."""
    try:
        zonelist = _zones(m, nid, highest_zone, nodemask)
        if not zonelist:
            raise KernelError("ENOMEM", "the memory policy allows no node with memory")
        got = get_page_from_freelist(m, zonelist, WMARK_LOW, zonelist[0].idx)
        if got is not None:
            return _finish(m, zonelist, got, task, interleave)
        return _slowpath(m, zonelist, highest_zone, nodemask, task, interleave, may_oom)
    finally:
        kswapd.clear_fault_pte(m)


def _slowpath(m: Machine, zonelist: list[Zone], highest_zone: int, nodemask: list[int] | None,
              task: Task | None, interleave: int | None, may_oom: bool) -> Page:
    """__alloc_pages_slowpath(): wake kswapd, try the min watermark, let kswapd run, reclaim
    directly, retry while that helps, and finally call the OOM killer."""
    classzone_idx = zonelist[0].idx
    wake_all_kswapds(m, zonelist, highest_zone)
    got = get_page_from_freelist(m, zonelist, WMARK_MIN, classzone_idx)
    if got is not None:
        return _finish(m, zonelist, got, task, interleave)
    nodes = []
    for z in zonelist:
        if z.node not in nodes:
            nodes.append(z.node)
    no_progress = [0]
    for _ in range(64):
        wake_all_kswapds(m, zonelist, highest_zone)
        # the woken kswapds get the CPU while this task waits (the deterministic hand-off)
        vmscan.kswapd_handoff(m, nodes)
        reserve = _oom_victim(m, task)
        got = get_page_reserve(m, zonelist, classzone_idx) if reserve else \
            get_page_from_freelist(m, zonelist, WMARK_MIN, classzone_idx)
        if got is not None:
            return _finish(m, zonelist, got, task, interleave)
        # __alloc_pages_direct_reclaim()
        reclaimed = vmscan.try_to_free_pages(m, zonelist, task, highest_zone)
        got = get_page_reserve(m, zonelist, classzone_idx) if reserve else \
            get_page_from_freelist(m, zonelist, WMARK_MIN, classzone_idx)
        if got is not None:
            return _finish(m, zonelist, got, task, interleave)
        if should_reclaim_retry(m, zonelist, classzone_idx, reclaimed > 0, no_progress):
            continue
        if not may_oom:
            m.log.emit("__alloc_pages_slowpath", F, "no zone above its min watermark and "
                       "reclaim made no progress: the allocation fails (no OOM killer for it)")
            raise KernelError("ENOMEM", "out of memory: reclaim could not free a page")
        if reserve:
            break  # an OOM victim that cannot get a page even from the reserves
        # __alloc_pages_may_oom()
        m.log.emit("__alloc_pages_slowpath", F, "no zone above its min watermark and "
                   "reclaim made no progress: out_of_memory()")
        victim = vmscan.out_of_memory(m, zonelist, task, nodemask, highest_zone)
        if victim is None:
            raise SignalError("SIGKILL", "OOM", 0, "out of memory and no killable process: "
                              "the kernel would panic here")
        me = task if task is not None else (m.tasks.get(m.current_pid) if m.tasks else None)
        if victim is me and task is not None:
            # the faulting task itself: the fault ends, SIGKILL is delivered on the way out
            raise SignalError("SIGKILL", "OOM", 0, f"killed by the OOM killer: task "
                              f"{victim.pid} ({victim.comm}) had the highest oom_badness")
        no_progress[0] = 0
    raise SignalError("SIGKILL", "OOM", 0, "out of memory: no page could be found")


__all__ = ["alloc_page", "WMARK_LOW", "WMARK_MIN", "should_reclaim_retry"]


def alloc_pgtable_page(m: Machine, kernel: bool) -> int:
    node = m.current.node if m.tasks else 0
    return alloc_frame(m, node, ZONE_NORMAL, PG_pgtable)




def free_table_page(m: Machine, pfn: int) -> None:
    page = m.mem.pages.pop(pfn)
    m.mem.free_one(page.zone, pfn)
    m.count("pgfree")


def alloc_frame(m: Machine, nid: int, highest_zone: int, flags: int) -> int:
    page = alloc_pages(m, nid, highest_zone, None)
    page.flags |= flags
    return page.pfn


def alloc_pages(m: Machine, nid: int, highest_zone: int, nodemask: list[int] | None,
                task: Task | None = None, preferred: int | None = None) -> Page:
    """__alloc_pages_nodemask(): fast path at the low watermark, then the slow path."""
    return alloc_page(m, nid, highest_zone, nodemask, task, preferred)


def alloc_runs_bulk(m: Machine, task: Task, vma: VmArea, addr: int, n: int
                    ) -> list[tuple[Zone, int, int]]:
    """Up to `n` frames for consecutive addresses, as runs (zone, first pfn, frames) of
    consecutive pfns, taken exactly as n calls of the fast path would take them (first
    zone above its low watermark), stopping one page before any zone would fall to it so
    the per-page path does the waking. No struct page is made: the caller puts the frames
    in the frame table (FrameTable.add_run) or makes their Pages.

    Returns fewer (even none) where the per-page path must decide; interleave
    gets none, as its node changes page by page.
    """
    nid, nodemask, interleave = mempolicy.policy_node(m, task, vma, addr)
    if interleave is not None:
        return []
    zl = m.zonelist(nid, ZONE_MOVABLE)
    if nodemask is not None:
        zl = [z for z in zl if z.node.id in nodemask]
    if not zl:
        return []
    preferred = zl[0]
    classzone = preferred.idx
    rmqueue_runs = m.mem.rmqueue_runs
    out: list[tuple[Zone, int, int]] = []
    total = 0
    stat = m.vmstat
    for zone in zl:
        want = n - total
        if want <= 0:
            break
        avail = zone.nr_free - (zone.watermark[1] + zone.lowmem_reserve[classzone]) - 1
        k = min(want, avail)
        if k <= 0:
            if zone.nr_free > zone.watermark[1] + zone.lowmem_reserve[classzone]:
                break  # the next page would wake kswapd: leave it to the per-page path
            continue
        got = 0
        for pfn, cnt in rmqueue_runs(zone, k):
            out.append((zone, pfn, cnt))
            got += cnt
        total += got
        name = "pgalloc_" + zone.name.lower()
        stat[name] = stat.get(name, 0) + got
        nstat = zone.node.stat
        if zone.node is preferred.node:
            stat["numa_hit"] += got
            nstat["numa_hit"] = nstat.get("numa_hit", 0) + got
        else:
            stat["numa_miss"] += got
            stat["numa_foreign"] += got
            nstat["numa_miss"] = nstat.get("numa_miss", 0) + got
            pstat = preferred.node.stat
            pstat["numa_foreign"] = pstat.get("numa_foreign", 0) + got
        local = "numa_local" if zone.node.id == task.node else "numa_other"
        stat[local] += got
        nstat[local] = nstat.get(local, 0) + got
        if got < k or got < want:
            break
    return out


def free_page(m: Machine, page: Page) -> None:
    """__free_pages(): the frame goes back to the buddy allocator, unless an LRU batch
    still holds a reference (then release_pages() frees it when the batch drains)."""
    if page.refcount > 1 and swap.pagevec_held(m, page):
        return
    vmscan.del_page_from_lru(m, page)
    del m.mem.pages[page.pfn]
    m.mem.free_one(page.zone, page.pfn)
    m.count("pgfree")



def reserve_kernel(machine: Machine) -> None:
    """Boot: the kernel image, the memmap of struct pages and pfn 0 are reserved, the rest freed."""
    mem = machine.mem
    total = mem.max_pfn
    kernel_pages = min(2048, max(64, total // 32))  # the kernel image (text, data, bss)
    memmap_pages = max(1, total * 64 // 4096)  # 64 bytes of struct page per frame
    reserved: list[tuple[int, int, str]] = [(0, 1, "BIOS page")]
    kstart = (16 << 20) >> PAGE_SHIFT if total > (32 << 20) >> PAGE_SHIFT else 256
    reserved.append((kstart, kstart + kernel_pages, "kernel image"))
    reserved.append((kstart + kernel_pages, kstart + kernel_pages + memmap_pages, "memmap"))
    machine.reserved = [(a, min(b, total), what) for a, b, what in reserved if a < total]
    for zone in mem.zones:
        if not zone.present:
            continue
        cuts = sorted((max(a, zone.start_pfn), min(b, zone.end_pfn)) for a, b, _ in reserved
                      if a < zone.end_pfn and b > zone.start_pfn)
        pfn = zone.start_pfn
        for a, b in cuts:
            if pfn < a:
                mem.free_range(zone, pfn, a)
            pfn = max(pfn, b)
        if pfn < zone.end_pfn:
            mem.free_range(zone, pfn, zone.end_pfn)
    mem.totalram = sum(z.managed for z in mem.zones)
