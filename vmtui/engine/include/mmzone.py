"""Physical memory: NUMA nodes, zones, struct page and the buddy allocator (mm/page_alloc.c).

Frames are sparse: a zone's free memory is a handful of large buddy blocks,
and a `Page` exists only for a frame that is in use, so 64 GiB of RAM costs
nothing until it is touched.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from vmtui.engine.include.layout import PAGE_SHIFT
from vmtui.engine.include.settings import parse_size  # noqa: F401  (SIZE: one parser, settings.py)

if TYPE_CHECKING:
    pass

MAX_ORDER = 11  # orders 0..10

# Page flags (include/linux/page-flags.h; PG_anon stands for PageAnon())
PG_referenced = 1 << 0
PG_uptodate = 1 << 1
PG_dirty = 1 << 2
PG_lru = 1 << 3
PG_active = 1 << 4
PG_reserved = 1 << 5
PG_writeback = 1 << 6
PG_swapcache = 1 << 7
PG_swapbacked = 1 << 8
PG_unevictable = 1 << 9
PG_mlocked = 1 << 10
PG_anon = 1 << 11
PG_pgtable = 1 << 12
PG_kernel = 1 << 13
PG_zero = 1 << 14  # the shared zero page
PG_workingset = 1 << 15
PG_readahead = 1 << 17  # the async readahead marker (1 << 16 is vmscan's PG_reclaim)
# PageAnonExclusive (5.19, "mm: track exclusive anonymous pages"; the PG_mappedtodisk bit):
# this anonymous page is mapped by one process only, which may write it without a fault.
# Set by the 6.18 model only (kmodel.anon_exclusive); 5.4 has no such flag
PG_anon_exclusive = 1 << 18

# The multi-gen LRU's fields of folio->flags (include/linux/mmzone.h, page-flags-layout.h):
# gen+1 while the page is on one of lrugen->folios[] (0 otherwise), and the access count
# through file descriptors beyond PG_referenced. Used only when the lruvec has a lrugen.
MIN_NR_GENS = 2
MAX_NR_GENS = 4
MAX_NR_TIERS = 4
LRU_GEN_WIDTH = 3  # order_base_2(MAX_NR_GENS + 1)
LRU_REFS_WIDTH = MAX_NR_TIERS - 2
LRU_GEN_PGOFF = 20
LRU_REFS_PGOFF = LRU_GEN_PGOFF + LRU_GEN_WIDTH
LRU_GEN_MASK = ((1 << LRU_GEN_WIDTH) - 1) << LRU_GEN_PGOFF
LRU_REFS_MASK = ((1 << LRU_REFS_WIDTH) - 1) << LRU_REFS_PGOFF
LRU_REFS_FLAGS = LRU_REFS_MASK | PG_referenced

PAGE_FLAG_NAMES = (
    (PG_referenced, "referenced"), (PG_uptodate, "uptodate"), (PG_dirty, "dirty"),
    (PG_lru, "lru"), (PG_active, "active"), (PG_reserved, "reserved"),
    (PG_writeback, "writeback"), (PG_swapcache, "swapcache"), (PG_swapbacked, "swapbacked"),
    (PG_unevictable, "unevictable"), (PG_mlocked, "mlocked"), (PG_anon, "anon"),
    (PG_pgtable, "pgtable"), (PG_kernel, "kernel"), (PG_zero, "zero"),
    (PG_anon_exclusive, "anon_exclusive"),
)

ZONE_DMA, ZONE_DMA32, ZONE_NORMAL, ZONE_MOVABLE = range(4)
ZONE_NAMES = ("DMA", "DMA32", "Normal", "Movable")
ZONE_LIMITS = (16 << 20, 4 << 30)  # physical address limits of DMA and DMA32
LOWMEM_RESERVE_RATIO = (256, 256, 32, 0)  # sysctl_lowmem_reserve_ratio

WMARK_MIN, WMARK_LOW, WMARK_HIGH = range(3)


class Page:
    """struct page: one frame in use (a free frame has no Page; it sits in a buddy block)."""

    __slots__ = ("pfn", "flags", "mapcount", "mapping", "index", "value", "private", "zone",
                 "refcount")

    def __init__(self, pfn: int, zone: Zone, flags: int = 0) -> None:
        self.pfn = pfn
        self.flags = flags
        self.mapcount = 0  # _mapcount + 1: how many PTEs map it
        self.mapping: Any = None  # AnonVma, File or None
        self.index = 0  # page offset in the file or anon_vma
        self.value = 0  # what was last written to the page (the simulated contents)
        self.private = 0  # the swap entry while in the swap cache
        self.zone = zone
        self.refcount = 1

    def kind(self) -> str:
        """What the frame holds, for the physical-memory pane."""
        f = self.flags
        if f & PG_pgtable:
            return "pagetable"
        if f & (PG_kernel | PG_reserved | PG_zero):
            return "kernel"
        if f & PG_unevictable:
            return "unevictable"
        if f & PG_anon or f & PG_swapbacked:
            return "anon"
        if self.mapping is not None:
            return "file"
        return "kernel"

    def flag_names(self) -> list[str]:
        return [name for bit, name in PAGE_FLAG_NAMES if self.flags & bit]

    def __repr__(self) -> str:
        return f"<page pfn={self.pfn:#x} {'|'.join(self.flag_names())} map={self.mapcount}>"


@dataclass(eq=False)
class Zone:
    """struct zone: a range of a node's frames with its own free lists and watermarks."""

    node: Node
    idx: int
    start_pfn: int
    spanned: int
    present: int = 0
    managed: int = 0
    free_area: list[dict[int, None]] = field(default_factory=lambda: [{} for _ in range(MAX_ORDER)])
    nr_free: int = 0
    watermark: list[int] = field(default_factory=lambda: [0, 0, 0])
    lowmem_reserve: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    stat: dict[str, int] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return ZONE_NAMES[self.idx]

    @property
    def end_pfn(self) -> int:
        return self.start_pfn + self.spanned

    def min_wmark(self) -> int:
        return self.watermark[WMARK_MIN]

    def low_wmark(self) -> int:
        return self.watermark[WMARK_LOW]

    def high_wmark(self) -> int:
        return self.watermark[WMARK_HIGH]

    def watermark_ok(self, order: int, mark: int, classzone_idx: int, alloc_harder: bool = False
                     ) -> bool:
        """__zone_watermark_ok(): enough free above `mark` plus the lowmem reserve?"""
        free = self.nr_free - (1 << order) + 1
        min_ = mark
        if alloc_harder:
            min_ -= min_ // 4
        if free <= min_ + self.lowmem_reserve[classzone_idx]:
            return False
        if order == 0:
            return True
        for o in range(order, MAX_ORDER):
            if self.free_area[o]:
                return True
        return False

    def free_blocks(self) -> Iterator[tuple[int, int]]:
        """Every free buddy block as (pfn, order)."""
        for order, area in enumerate(self.free_area):
            for pfn in area:
                yield pfn, order

    def __repr__(self) -> str:
        return f"<zone {self.node.id}:{self.name} free={self.nr_free}>"


@dataclass(eq=False)
class Node:
    """pg_data_t: one NUMA node with its zones, CPUs, and (in vmscan.py) LRU lists and kswapd."""

    id: int
    start_pfn: int
    pages: int
    cpus: list[int]
    zones: list[Zone] = field(default_factory=list)
    lru: Any = None  # vmscan.Lruvec
    kswapd: Any = None  # vmscan.KswapdState
    stat: dict[str, int] = field(default_factory=dict)

    def populated_zones(self) -> list[Zone]:
        return [z for z in self.zones if z.present]

    def free_pages(self) -> int:
        return sum(z.nr_free for z in self.zones)


class PhysMem:
    """All of RAM: nodes, zones, buddy free lists and the pages in use."""

    def __init__(self, node_specs: list[dict[str, Any]], distances: list[list[int]] | None
                 ) -> None:
        self.nodes: list[Node] = []
        self.pages: dict[int, Page] = {}
        self.zones: list[Zone] = []
        pfn = 0
        for i, spec in enumerate(node_specs):
            npages = spec["ram"] >> PAGE_SHIFT
            node = Node(i, pfn, npages, list(spec.get("cpus", [i])))
            movable = spec.get("movable", 0) >> PAGE_SHIFT
            self._make_zones(node, pfn, npages, movable)
            self.nodes.append(node)
            pfn += npages
        self.max_pfn = pfn
        n = len(self.nodes)
        if distances is None:
            distances = [[10 if a == b else 20 for b in range(n)] for a in range(n)]
        self.distances = distances
        self.totalram = sum(z.managed for z in self.zones)
        self.touched: set[int] | None = None  # frames taken or freed, while a checker arms it
        self.unlinked: dict[int, Page] | None = None  # and the struct page of each one freed

    def _make_zones(self, node: Node, start: int, npages: int, movable: int) -> None:
        end = start + npages
        bounds = [0, ZONE_LIMITS[0] >> PAGE_SHIFT, ZONE_LIMITS[1] >> PAGE_SHIFT, 1 << 52]
        movable_start = end - movable if movable else end
        for idx in (ZONE_DMA, ZONE_DMA32, ZONE_NORMAL):
            lo = max(start, bounds[idx])
            hi = min(end, bounds[idx + 1], movable_start)
            zone = Zone(node, idx, lo, max(0, hi - lo))
            zone.present = zone.spanned
            node.zones.append(zone)
        mz = Zone(node, ZONE_MOVABLE, movable_start, end - movable_start)
        mz.present = mz.spanned
        node.zones.append(mz)
        self.zones.extend(node.zones)

    # ------------------------------------------------------------------ set-up
    def free_range(self, zone: Zone, start: int, end: int) -> None:
        """memblock_free_all(): hand [start, end) to the buddy allocator in aligned blocks."""
        pfn = start
        while pfn < end:
            order = MAX_ORDER - 1
            while order and (pfn & ((1 << order) - 1) or pfn + (1 << order) > end):
                order -= 1
            zone.free_area[order][pfn] = None
            zone.nr_free += 1 << order
            pfn += 1 << order
        zone.managed += end - start

    def zone_of(self, pfn: int) -> Zone:
        for z in self.zones:
            if z.start_pfn <= pfn < z.end_pfn:
                return z
        raise KeyError(f"pfn {pfn:#x} outside RAM")

    # ------------------------------------------------------------------ buddy
    def rmqueue(self, zone: Zone, order: int = 0) -> int | None:
        """__rmqueue_smallest() + expand(): a block of 2^order frames, splitting bigger ones."""
        area = zone.free_area
        for current in range(order, MAX_ORDER):
            if area[current]:
                pfn, _ = area[current].popitem()
                size = 1 << current
                while current > order:
                    current -= 1
                    size >>= 1
                    area[current][pfn + size] = None
                zone.nr_free -= 1 << order
                if self.touched is not None:  # check/incremental.py
                    self.touched.update(range(pfn, pfn + (1 << order)))
                return pfn
        return None

    def rmqueue_bulk(self, zone: Zone, count: int) -> list[int]:
        """Up to `count` single frames, the very frames (in the very order, leaving the
        very free lists) that `count` calls of rmqueue(zone, 0) would give.

        When the smallest free block has order c, every order below c is empty, and
        2^c calls in a row split it into its frames in ascending order, leaving those
        orders empty again: a whole block is taken at once. A block only partly needed
        is split by rmqueue() itself, one frame a call (fewer than 2^(MAX_ORDER-1))."""
        area = zone.free_area
        out: list[int] = []
        need = count
        while need:
            for current in range(MAX_ORDER):
                if area[current]:
                    break
            else:
                break
            size = 1 << current
            if size > need:
                while need:
                    pfn = self.rmqueue(zone, 0)
                    if pfn is None:
                        break
                    out.append(pfn)
                    need -= 1
                break
            pfn, _ = area[current].popitem()
            out.extend(range(pfn, pfn + size))
            zone.nr_free -= size
            need -= size
        if self.touched is not None:  # check/incremental.py
            self.touched.update(out)
        return out

    def free_one(self, zone: Zone, pfn: int, order: int = 0) -> None:
        """__free_one_page(): give a block back, merging with its buddy while it is free."""
        area = zone.free_area
        lo, hi = zone.start_pfn, zone.end_pfn
        if self.touched is not None:  # check/incremental.py
            self.touched.update(range(pfn, pfn + (1 << order)))
        zone.nr_free += 1 << order
        while order < MAX_ORDER - 1:
            buddy = pfn ^ (1 << order)
            if buddy < lo or buddy + (1 << order) > hi or buddy not in area[order]:
                break
            del area[order][buddy]
            pfn &= ~(1 << order)
            order += 1
        area[order][pfn] = None

    def is_free(self, pfn: int) -> bool:
        """Is the frame inside a free buddy block? O(MAX_ORDER)."""
        zone = self.zone_of(pfn)
        for order, area in enumerate(zone.free_area):
            head = pfn & ~((1 << order) - 1)
            if head in area:
                return True
        return False

    def zone_stats(self) -> dict[str, int]:
        return {"free": sum(z.nr_free for z in self.zones), "managed": self.totalram}


def setup_per_zone_wmarks(mem: PhysMem, min_free_kbytes: int, scale_factor: int) -> None:
    """__setup_per_zone_wmarks(): min is each zone's share of min_free_kbytes by managed pages;
    low and high add max(min/4, managed * watermark_scale_factor / 10000) once and twice."""
    pages_min = min_free_kbytes >> (PAGE_SHIFT - 10)
    lowmem_pages = sum(z.managed for z in mem.zones) or 1
    for zone in mem.zones:
        tmp = pages_min * zone.managed // lowmem_pages
        zone.watermark[WMARK_MIN] = tmp
        tmp = max(tmp >> 2, zone.managed * scale_factor // 10000)
        zone.watermark[WMARK_LOW] = zone.watermark[WMARK_MIN] + tmp
        zone.watermark[WMARK_HIGH] = zone.watermark[WMARK_MIN] + tmp * 2
    setup_per_zone_lowmem_reserve(mem)


def setup_per_zone_lowmem_reserve(mem: PhysMem) -> None:
    """setup_per_zone_lowmem_reserve(): pages a lower zone keeps back from higher-zone callers."""
    for node in mem.nodes:
        for j, zone in enumerate(node.zones):
            managed = zone.managed
            zone.lowmem_reserve[j] = 0
            idx = j
            while idx:
                idx -= 1
                lower = node.zones[idx]
                ratio = LOWMEM_RESERVE_RATIO[idx] or 1
                lower.lowmem_reserve[j] = managed // ratio
                managed += lower.managed


def default_min_free_kbytes(mem: PhysMem) -> int:
    """init_per_zone_wmark_min(): int_sqrt(lowmem_kbytes * 16), clamped to [128, 65536]."""
    lowmem_kbytes = sum(z.managed for z in mem.zones) * 4
    return max(128, min(65536, math.isqrt(lowmem_kbytes * 16)))


def build_zonelist(mem: PhysMem, nid: int, highest_zone: int = ZONE_MOVABLE) -> list[Zone]:
    """build_zonelists(): this node's zones high to low, then other nodes' by distance."""
    order = sorted(range(len(mem.nodes)), key=lambda n: (mem.distances[nid][n], n != nid, n))
    out = []
    for n in order:
        for zone in reversed(mem.nodes[n].zones[: highest_zone + 1]):
            if zone.managed:
                out.append(zone)
    return out


