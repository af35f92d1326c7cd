"""Workingset detection (mm/workingset.c, Linux 5.4): shadow entries of evicted page cache.

When reclaim evicts a page-cache page it leaves a shadow entry recording the
node's inactive_age (evictions so far). When the page is read again, the
refault distance (evictions since) is compared with the active file list: a
page that would have stayed resident with that much more memory is
activated at once (WORKINGSET_ACTIVATE), so a thrashing working set can push
out stale active pages. Anonymous pages have no shadows in 5.4.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vmtui.engine.filemap import File
from vmtui.engine.page_alloc import PG_active, PG_workingset

if TYPE_CHECKING:
    from vmtui.engine.machine import Machine
    from vmtui.engine.page_alloc import Node, Page


def _bump(node: Node, name: str) -> None:
    node.stat[name] = node.stat.get(name, 0) + 1


def workingset_eviction(m: Machine, node: Node, page: Page) -> None:
    """workingset_eviction(): leave a shadow entry where the page was in the page cache."""
    mapping = page.mapping
    if not isinstance(mapping, File) or mapping.shmem:
        return
    lru = node.lru
    lru.inactive_age += 1
    lru.shadows[(mapping.ino, page.index)] = (lru.inactive_age,
                                              bool(page.flags & PG_workingset))


def workingset_refault(m: Machine, page: Page) -> None:
    """workingset_refault(): a page-cache page comes back; activate it if it was evicted
    within the last `active file` evictions (the refault distance)."""
    mapping = page.mapping
    assert isinstance(mapping, File)
    key = (mapping.ino, page.index)
    for node in m.mem.nodes:
        shadow = node.lru.shadows.pop(key, None)
        if shadow is None:
            continue
        eviction, workingset = shadow
        lru = node.lru
        distance = lru.inactive_age - eviction
        m.count("workingset_refault")
        _bump(node, "workingset_refault")
        active_file = len(lru.lists[3])
        if distance > active_file:
            m.log.emit("workingset_refault", "mm/workingset.c",
                       f"page {page.index} of {mapping.name} refaults after {distance} "
                       f"eviction(s), more than the {active_file} active file pages: it "
                       "starts inactive")
            return
        page.flags |= PG_active
        lru.inactive_age += 1
        lru.workingset_activate += 1
        _bump(node, "workingset_activate")
        if workingset:
            page.flags |= PG_workingset
            _bump(node, "workingset_restore")
        m.log.emit("workingset_refault", "mm/workingset.c",
                   f"page {page.index} of {mapping.name} refaults after only {distance} "
                   f"eviction(s) (active file list: {active_file}): it was part of the "
                   "working set, so it starts on the active list")
        return
