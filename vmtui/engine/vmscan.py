"""LRU lists and page reclaim (mm/vmscan.c, mm/swap.c).

Each node has a lruvec of five lists. A list is a dict used as an ordered
set of pfns: the newest page at the end (the list head in the kernel), the
oldest at the front (the tail, where reclaim scans).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vmtui.engine.page_alloc import PG_active, PG_anon, PG_lru, PG_swapbacked, PG_unevictable

if TYPE_CHECKING:
    from vmtui.engine.machine import Machine
    from vmtui.engine.page_alloc import Page

LRU_INACTIVE_ANON, LRU_ACTIVE_ANON, LRU_INACTIVE_FILE, LRU_ACTIVE_FILE, LRU_UNEVICTABLE = range(5)
LRU_NAMES = ("inactive_anon", "active_anon", "inactive_file", "active_file", "unevictable")


class Lruvec:
    """struct lruvec: the five LRU lists of one node."""

    __slots__ = ("lists",)

    def __init__(self) -> None:
        self.lists: list[dict[int, None]] = [{} for _ in range(5)]

    def sizes(self) -> dict[str, int]:
        return {name: len(lst) for name, lst in zip(LRU_NAMES, self.lists, strict=True)}


def page_lru(page: Page) -> int:
    """page_lru(): which list the page belongs on, from its flags."""
    f = page.flags
    if f & PG_unevictable:
        return LRU_UNEVICTABLE
    base = LRU_INACTIVE_ANON if f & (PG_anon | PG_swapbacked) else LRU_INACTIVE_FILE
    return base + (1 if f & PG_active else 0)


def add_page_to_lru(m: Machine, page: Page) -> None:
    """add_page_to_lru_list(): onto the head of the list its flags choose."""
    page.flags |= PG_lru
    m.mem.nodes[page.zone.node.id].lru.lists[page_lru(page)][page.pfn] = None


def del_page_from_lru(m: Machine, page: Page) -> None:
    """del_page_from_lru_list(): off whichever list it is on."""
    if page.flags & PG_lru:
        m.mem.nodes[page.zone.node.id].lru.lists[page_lru(page)].pop(page.pfn, None)
        page.flags &= ~PG_lru


def lru_cache_add_active_or_unevictable(m: Machine, page: Page, locked: bool) -> None:
    """lru_cache_add_active_or_unevictable(): a new anonymous page starts active,
    or unevictable in a VM_LOCKED VMA."""
    if locked:
        page.flags |= PG_unevictable
    else:
        page.flags |= PG_active
    add_page_to_lru(m, page)


def lru_cache_add_file(m: Machine, page: Page) -> None:
    """add_to_page_cache_lru(): a new page-cache page starts on the inactive file list."""
    add_page_to_lru(m, page)


class KswapdState:
    """The kswapd thread of one node as the UI shows it (the thread itself lives in kswapd.py)."""

    __slots__ = ("nid", "state", "wakeups", "scanned", "reclaimed", "pending", "runs")

    def __init__(self, nid: int) -> None:
        self.nid = nid
        self.state = "sleeping"
        self.wakeups = 0
        self.scanned = 0
        self.reclaimed = 0
        self.pending = False  # woken, not yet run
        self.runs = 0


def wakeup_kswapd(m: Machine, zone: object) -> None:
    """wakeup_kswapd(): the zone fell below its low watermark; kswapd of its node should run."""
    node = zone.node  # type: ignore[attr-defined]
    ks = node.kswapd
    if not ks.pending:
        ks.pending = True
        ks.wakeups += 1
        m.log.emit("wakeup_kswapd", "mm/vmscan.c", f"zone {node.id}:{zone.name} "  # type: ignore[attr-defined]
                   f"below its low watermark: wake kswapd{node.id}")


def try_to_free_pages(m: Machine, zonelist: list[object], task: object) -> int:
    """try_to_free_pages(): direct reclaim (no reclaim policy yet: frees nothing)."""
    return 0


def out_of_memory(m: Machine, zonelist: list[object], task: object) -> object:
    """out_of_memory(): nothing reclaimable (no OOM killer yet)."""
    return None


def after_step(m: Machine) -> None:
    """The deterministic hand-off point: a woken kswapd runs before the next step."""
    for node in m.mem.nodes:
        node.kswapd.pending = False


def tick(m: Machine, n: int) -> None:
    """Let time pass: background reclaim gets its turn."""
    m.ticks += n
    after_step(m)


def drop_pagecache(m: Machine) -> int:
    """drop_pagecache_sb(): unmapped clean page-cache pages are freed (echo 1 > drop_caches)."""
    return 0


def try_to_unuse(m: Machine) -> None:
    """try_to_unuse(): nothing can be in swap until reclaim swaps out."""
    for si in m.swap.areas:
        si.writeok = False
