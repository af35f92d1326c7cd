"""Workingset detection (mm/workingset.c, Linux 5.4): shadow entries of evicted page cache.

When reclaim evicts a page-cache page it leaves a shadow entry recording the
node's inactive_age (evictions so far). When the page is read again, the
refault distance (evictions since) is compared with the active file list: a
page that would have stayed resident with that much more memory is
activated at once (WORKINGSET_ACTIVATE), so a thrashing working set can push
out stale active pages. Anonymous pages have no shadows in 5.4.

Shadows live in the page cache's xa_nodes (64 slots each). The shadow-node shrinker
(count_shadow_nodes / scan_shadow_nodes) keeps at most node_present_pages / 8 such
nodes per NUMA node, freeing the oldest first, so streaming through a file far
larger than RAM leaves a bounded number of shadows behind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vmtui.engine.include.fs import File
from vmtui.engine.include.mmzone import PG_active, PG_workingset

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine
    from vmtui.engine.include.mmzone import Node, Page


def _bump(node: Node, name: str) -> None:
    node.stat[name] = node.stat.get(name, 0) + 1


XA_CHUNK_SHIFT = 6  # 64 slots per xa_node


def workingset_eviction(m: Machine, node: Node, page: Page) -> None:
    """workingset_eviction(): leave a shadow entry where the page was in the page cache."""
    mapping = page.mapping
    if not isinstance(mapping, File) or mapping.shmem:
        return
    lru = node.lru
    lru.inactive_age += 1
    key = (mapping.ino, page.index)
    if key not in lru.shadows:
        xa = (mapping.ino, page.index >> XA_CHUNK_SHIFT)
        lru.shadow_nodes[xa] = lru.shadow_nodes.get(xa, 0) + 1
    # pack_shadow(): the eviction counter and the workingset bit in one word
    lru.shadows[key] = lru.inactive_age << 1 | bool(page.flags & PG_workingset)
    scan_shadow_nodes(m, node)


def _node_present_pages(node: Node) -> int:
    return sum(z.present for z in node.zones)


def scan_shadow_nodes(m: Machine, node: Node) -> None:
    """count_shadow_nodes() + scan_shadow_nodes() (mm/workingset.c): beyond
    node_present_pages >> (XA_CHUNK_SHIFT - 3) nodes of shadows, shadow_lru_isolate()
    frees the oldest nodes with every shadow in them."""
    lru = node.lru
    max_nodes = _node_present_pages(node) >> (XA_CHUNK_SHIFT - 3)
    nodes = lru.shadow_nodes
    freed = 0
    while len(nodes) > max_nodes:
        ino, xa_index = next(iter(nodes))
        del nodes[(ino, xa_index)]
        base = xa_index << XA_CHUNK_SHIFT
        for index in range(base, base + (1 << XA_CHUNK_SHIFT)):
            lru.shadows.pop((ino, index), None)
        freed += 1
    if freed:
        node.stat["workingset_nodereclaim"] = node.stat.get("workingset_nodereclaim", 0) + freed
        m.count("workingset_nodereclaim", freed)


def _drop_shadow(lru: object, key: tuple[int, int]) -> int | None:
    """Take the shadow at `key` out of its node (the refault found it)."""
    shadow = lru.shadows.pop(key, None)  # type: ignore[attr-defined]
    if shadow is not None:
        xa = (key[0], key[1] >> XA_CHUNK_SHIFT)
        nodes = lru.shadow_nodes  # type: ignore[attr-defined]
        left = nodes.get(xa, 1) - 1
        if left > 0:
            nodes[xa] = left
        else:
            nodes.pop(xa, None)
    return shadow  # type: ignore[no-any-return]


def workingset_refault(m: Machine, page: Page) -> None:
    """workingset_refault(): a page-cache page comes back; activate it if it was evicted
    within the last `active file` evictions (the refault distance)."""
    mapping = page.mapping
    assert isinstance(mapping, File)
    key = (mapping.ino, page.index)
    for node in m.mem.nodes:
        shadow = _drop_shadow(node.lru, key)
        if shadow is None:
            continue
        eviction, workingset = shadow >> 1, bool(shadow & 1)
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
