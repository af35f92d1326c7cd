"""Workingset detection (mm/workingset.c, Linux 5.4): shadow entries of evicted page cache.

When reclaim evicts a page-cache page it leaves a shadow entry recording the
node's inactive_age (evictions so far). When the page is read again, the
refault distance (evictions since) is compared with the active file list: a
page that would have stayed resident with that much more memory is
activated at once (WORKINGSET_ACTIVATE), so a thrashing working set can push
out stale active pages. Anonymous pages have no shadows in 5.4.

With the multi-gen LRU (6.18) a shadow records the evicted page's generation and tier
instead (lru_gen_eviction: min_seq and its refs), anonymous pages leave shadows in the
swap cache too, and a refault counts in its tier's `refaulted` (lru_gen_refault): the
PID controller of mm/lru_gen.py compares those against `evicted` to protect tiers.

Shadows live in the page cache's xa_nodes (64 slots each). The shadow-node shrinker
(count_shadow_nodes / scan_shadow_nodes) keeps at most node_present_pages / 8 such
nodes per NUMA node, freeing the oldest first, so streaming through a file far
larger than RAM leaves a bounded number of shadows behind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vmtui.engine.include.fs import File
from vmtui.engine.include.mmzone import (
    LRU_REFS_MASK,
    LRU_REFS_PGOFF,
    LRU_REFS_WIDTH,
    MAX_NR_GENS,
    PG_active,
    PG_swapcache,
    PG_workingset,
)
from vmtui.engine.mm import lru_gen, vmscan

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine
    from vmtui.engine.include.mmzone import Node, Page


def _bump(node: Node, name: str) -> None:
    node.stat[name] = node.stat.get(name, 0) + 1


XA_CHUNK_SHIFT = 6  # 64 slots per xa_node


SWAP_INO = -1  # the "inode" of shadows left in the swap cache: key (SWAP_INO, swap entry)


def _shadow_key(page: Page) -> tuple[int, int] | None:
    mapping = page.mapping
    if page.flags & PG_swapcache:
        return (SWAP_INO, page.private)
    if not isinstance(mapping, File) or mapping.shmem:
        return None
    return (mapping.ino, page.index)


def workingset_eviction(m: Machine, node: Node, page: Page) -> None:
    """workingset_eviction(): leave a shadow entry where the page was in the page cache
    (with the multi-gen LRU, lru_gen_eviction's, also in the swap cache)."""
    lru = node.lru
    if lru.lrugen is not None:
        lru_gen_eviction(m, node, page)
        return
    mapping = page.mapping
    if not isinstance(mapping, File) or mapping.shmem:
        return
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


def _store_shadow(m: Machine, node: Node, key: tuple[int, int], shadow: int) -> None:
    lru = node.lru
    if key not in lru.shadows:
        xa = (key[0], key[1] >> XA_CHUNK_SHIFT)
        lru.shadow_nodes[xa] = lru.shadow_nodes.get(xa, 0) + 1
    lru.shadows[key] = shadow
    scan_shadow_nodes(m, node)


def lru_gen_eviction(m: Machine, node: Node, page: Page) -> None:
    """lru_gen_eviction(): the shadow is the type's min_seq and the page's refs beyond
    PG_referenced (the token) with PG_workingset; its tier counts one more eviction."""
    key = _shadow_key(page)
    if key is None:
        return
    lrugen = node.lru.lrugen
    type_ = lru_gen.folio_is_file_lru(page)
    refs = lru_gen.folio_lru_refs(page)
    workingset = bool(page.flags & PG_workingset)
    tier = lru_gen.lru_tier_from_refs(refs, workingset)
    min_seq = lrugen.min_seq[type_]
    token = (min_seq << LRU_REFS_WIDTH) | max(refs - 1, 0)
    lrugen.evicted[lru_gen.lru_hist_from_seq(min_seq)][type_][tier] += 1
    _store_shadow(m, node, key, token << 1 | workingset)  # pack_shadow()


def lru_gen_refault(m: Machine, page: Page, key: tuple[int, int]) -> bool:
    """lru_gen_refault(): a page comes back. If its shadow's generation is still within
    MAX_NR_GENS of max_seq (lru_gen_test_recent), its tier counts a refault and the page
    gets its refs (or PG_workingset) back. Returns whether a shadow was found."""
    for node in m.mem.nodes:
        lru = node.lru
        if lru.lrugen is None:
            continue
        shadow = _drop_shadow(lru, key)
        if shadow is None:
            continue
        lrugen = lru.lrugen
        token, workingset = shadow >> 1, bool(shadow & 1)
        type_ = lru_gen.folio_is_file_lru(page)
        m.count("workingset_refault")
        _bump(node, "workingset_refault")
        seq = token >> LRU_REFS_WIDTH
        if abs(lrugen.max_seq - seq) >= MAX_NR_GENS:
            if m.log.muted == 0:
                m.log.emit("lru_gen_refault", "mm/workingset.c",
                           f"a page of type {lru_gen.TYPE_NAMES[type_]} refaults from generation "
                           f"{seq}, {MAX_NR_GENS} or more behind max_seq {lrugen.max_seq}: not "
                           "recent (lru_gen_test_recent)")
            return True
        hist = lru_gen.lru_hist_from_seq(lrugen.min_seq[type_])
        refs = (token & ((1 << LRU_REFS_WIDTH) - 1)) + 1
        tier = lru_gen.lru_tier_from_refs(refs, workingset)
        lrugen.refaulted[hist][type_][tier] += 1
        # in a fault (every refault here is), folio_add_lru() makes the page active
        _bump(node, "workingset_activate")
        if workingset:
            page.flags |= PG_workingset
            _bump(node, "workingset_restore")
        else:
            page.flags = (page.flags & ~LRU_REFS_MASK) | ((refs - 1) << LRU_REFS_PGOFF)
        if m.log.muted == 0:
            m.log.emit("lru_gen_refault", "mm/workingset.c",
                       f"a page of type {lru_gen.TYPE_NAMES[type_]} refaults from generation "
                       f"{seq} (max_seq {lrugen.max_seq}): tier {tier} counts a refault for "
                       "the PID controller" + (", PG_workingset restored" if workingset else ""))
        return True
    return False


def workingset_refault(m: Machine, page: Page) -> None:
    """workingset_refault(): a page-cache page comes back; activate it if it was evicted
    within the last `active file` evictions (the refault distance)."""
    mapping = page.mapping
    assert isinstance(mapping, File)
    key = (mapping.ino, page.index)
    if page.zone.node.lru.lrugen is not None:
        lru_gen_refault(m, page, key)
        return
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
        # lru_note_cost_refault() (mainline): a refault is IO the file list cost
        vmscan.lru_note_cost(lru, True, 1, 0)
        _bump(node, "workingset_activate")
        if workingset:
            page.flags |= PG_workingset
            _bump(node, "workingset_restore")
        m.log.emit("workingset_refault", "mm/workingset.c",
                   f"page {page.index} of {mapping.name} refaults after only {distance} "
                   f"eviction(s) (active file list: {active_file}): it was part of the "
                   "working set, so it starts on the active list")
        return
