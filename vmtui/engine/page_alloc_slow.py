"""The allocator's entry point and slow path (mm/page_alloc.c __alloc_pages_nodemask).

Fast path: the first zone of the zonelist above its low watermark. Slow path:
wake every kswapd, retry down to the min watermark, then direct reclaim,
then the OOM killer. NUMA counters are kept as zone_statistics() keeps them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vmtui.engine.errors import SignalError
from vmtui.engine.page_alloc import WMARK_LOW, WMARK_MIN, ZONE_NAMES, Page, Zone

if TYPE_CHECKING:
    from vmtui.engine.machine import Machine, Task

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
    if not zone.watermark_ok(0, zone.watermark[WMARK_LOW], zonelist[0].idx):
        from vmtui.engine import vmscan

        vmscan.wakeup_kswapd(m, zone)
    return page


def alloc_page(m: Machine, nid: int, highest_zone: int, nodemask: list[int] | None,
               task: Task | None, interleave: int | None) -> Page:
    """__alloc_pages_nodemask() for one page (order 0)."""
    from vmtui.engine import vmscan

    zonelist = _zones(m, nid, highest_zone, nodemask)
    classzone_idx = zonelist[0].idx
    got = get_page_from_freelist(m, zonelist, WMARK_LOW, classzone_idx)
    if got is not None:
        return _finish(m, zonelist, got, task, interleave)
    # __alloc_pages_slowpath()
    for zone in zonelist:
        vmscan.wakeup_kswapd(m, zone)
    got = get_page_from_freelist(m, zonelist, WMARK_MIN, classzone_idx)
    if got is not None:
        return _finish(m, zonelist, got, task, interleave)
    for _ in range(MAX_RECLAIM_RETRIES):
        reclaimed = vmscan.try_to_free_pages(m, zonelist, task)
        got = get_page_from_freelist(m, zonelist, WMARK_MIN, classzone_idx)
        if got is not None:
            return _finish(m, zonelist, got, task, interleave)
        if reclaimed == 0:
            break
    # __alloc_pages_may_oom()
    m.log.emit("__alloc_pages_slowpath", F, "no zone above its min watermark and reclaim made "
               "no progress: out_of_memory()")
    killed = vmscan.out_of_memory(m, zonelist, task)
    got = get_page_from_freelist(m, zonelist, WMARK_MIN, classzone_idx, harder=True)
    if got is not None and (task is None or task.alive):
        return _finish(m, zonelist, got, task, interleave)
    if killed is not None and task is not None and killed is task:
        raise SignalError("SIGKILL", "OOM", 0, "killed by the OOM killer")
    raise SignalError("SIGKILL", "OOM", 0, "out of memory: no page could be found")


__all__ = ["alloc_page", "WMARK_LOW", "WMARK_MIN"]
