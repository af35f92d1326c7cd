"""Physical memory: NUMA nodes, zones, struct page and the buddy allocator (mm/page_alloc.c).

Frames are sparse: a zone's free memory is a handful of large buddy blocks, and
the frames in use are the frame table (`FrameTable`, `PhysMem.pages`): the
memmap of each 128 MiB memory section (SECTION_SIZE_BITS 27 on x86-64) as a
struct of arrays indexed by pfn, allocated a 2 MiB subsection at a time the first
time a frame of that subsection is handed out in bulk, so 64 GiB of RAM costs
nothing until it is touched. A `Page` object is made for a frame only where code asks for one
(`pages[pfn]`); from then on it is that frame's struct page.
"""

from __future__ import annotations

import math
from array import array
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


# sparsemem (include/linux/mmzone.h, arch/x86/include/asm/sparsemem.h): memory sections of
# 2^SECTION_SIZE_BITS bytes, each with its own piece of the memmap
SECTION_SIZE_BITS = 27
PFN_SECTION_SHIFT = SECTION_SIZE_BITS - PAGE_SHIFT
PAGES_PER_SECTION = 1 << PFN_SECTION_SHIFT
PAGE_SECTION_MASK = PAGES_PER_SECTION - 1
# the memmap's arrays are allocated a subsection at a time: 2^SUBSECTION_SHIFT bytes of
# frames, the granularity at which sparse-vmemmap populates the memmap (section_activate,
# populate_section_memmap), so a few MiB touched cost a few MiB's worth of struct pages
SUBSECTION_SHIFT = 21
PFN_SUBSECTION_SHIFT = SUBSECTION_SHIFT - PAGE_SHIFT
PAGES_PER_SUBSECTION = 1 << PFN_SUBSECTION_SHIFT
PAGE_SUBSECTION_MASK = PAGES_PER_SUBSECTION - 1


class MemSection:
    """One subsection's memmap as a struct of arrays: the fields of struct page for each of
    its PAGES_PER_SUBSECTION frames (a frame held here has nonzero flags; 0 is "no frame here").
    `index` keeps page->index - pfn, which a run of consecutive pages of consecutive
    frames shares, so a run is written as one repeated value."""

    __slots__ = ("flags", "refcount", "mapcount", "mapping", "index", "value", "count")

    def __init__(self) -> None:
        n = PAGES_PER_SUBSECTION
        self.flags = array("Q", bytes(8 * n))
        self.refcount = array("i", bytes(4 * n))
        self.mapcount = array("i", bytes(4 * n))
        self.index = array("q", bytes(8 * n))
        self.mapping: list[Any] = [None] * n
        self.value: list[int] = [0] * n
        self.count = 0  # frames held

    def __getstate__(self) -> tuple[Any, ...]:
        return (self.flags, self.refcount, self.mapcount, self.mapping, self.index, self.value,
                self.count)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        (self.flags, self.refcount, self.mapcount, self.mapping, self.index, self.value,
         self.count) = state


class FrameTable(dict):  # type: ignore[type-arg]
    """The struct pages of the frames in use, by pfn: `pages[pfn]`, `pfn in pages`,
    `pages.get(pfn)` as a dict of Page.

    A frame handed out in bulk (`add_run`) lives only in its subsection's arrays; the first
    `pages[pfn]` (or get, pop, values, items) makes its Page from them and keeps it, and
    the arrays forget it. `peek(pfn)` reads a frame without keeping a Page."""

    __slots__ = ("sections", "ncompact", "zones")

    def __init__(self, zones: list[Zone]) -> None:
        super().__init__()
        self.sections: dict[int, MemSection] = {}
        self.ncompact = 0  # frames held in the arrays only
        self.zones = zones

    def __reduce__(self) -> tuple[Any, ...]:
        return (_frame_table, (self.zones, dict(dict.items(self)), self.sections,
                               self.ncompact))

    # ---------------------------------------------------------------- the arrays
    def section(self, pfn: int) -> MemSection:
        """The subsection of `pfn`, its arrays allocated now if they were not."""
        sec = self.sections.get(pfn >> PFN_SUBSECTION_SHIFT)
        if sec is None:
            sec = self.sections[pfn >> PFN_SUBSECTION_SHIFT] = MemSection()
        return sec

    def add_run(self, pfn: int, n: int, flags: int, mapping: Any, index: int,
                value: int) -> None:
        """n frames from `pfn`, each in use with these flags and mapping, refcount and
        mapcount 1, consecutive indices from `index`, as the arrays' frames only."""
        assert flags, "a frame in the arrays has nonzero flags"
        while n:
            sec = self.section(pfn)
            i = pfn & PAGE_SUBSECTION_MASK
            k = min(n, PAGES_PER_SUBSECTION - i)
            j = i + k
            sec.flags[i:j] = array("Q", (flags,)) * k
            ones = array("i", (1,)) * k
            sec.refcount[i:j] = ones
            sec.mapcount[i:j] = ones
            sec.index[i:j] = array("q", (index - pfn,)) * k
            sec.mapping[i:j] = [mapping] * k
            sec.value[i:j] = [value] * k
            sec.count += k
            self.ncompact += k
            pfn += k
            n -= k
            index += k

    def set_flags(self, pfn: int, n: int, flags: int) -> None:
        """The flags of n frames from `pfn`, all held in the arrays, set to `flags`."""
        while n:
            sec = self.sections[pfn >> PFN_SUBSECTION_SHIFT]
            i = pfn & PAGE_SUBSECTION_MASK
            k = min(n, PAGES_PER_SUBSECTION - i)
            sec.flags[i:i + k] = array("Q", (flags,)) * k
            pfn += k
            n -= k

    def set_value(self, pfn: int, value: int) -> None:
        """page->value = value for a frame in use, its Page made only if it has one."""
        page = dict.get(self, pfn)
        if page is not None:
            page.value = value
            return
        sec = self.sections.get(pfn >> PFN_SUBSECTION_SHIFT)
        if sec is None or not sec.flags[pfn & PAGE_SUBSECTION_MASK]:
            raise KeyError(pfn)
        sec.value[pfn & PAGE_SUBSECTION_MASK] = value

    def _zone(self, pfn: int) -> Zone:
        for z in self.zones:
            if z.start_pfn <= pfn < z.start_pfn + z.spanned:
                return z
        raise KeyError(f"pfn {pfn:#x} outside RAM")

    def _read(self, pfn: int) -> Page | None:
        """A Page with the arrays' fields of `pfn`, None if they hold no frame there."""
        sec = self.sections.get(pfn >> PFN_SUBSECTION_SHIFT)
        if sec is None:
            return None
        i = pfn & PAGE_SUBSECTION_MASK
        f = sec.flags[i]
        if not f:
            return None
        page = Page(pfn, self._zone(pfn), f)
        page.refcount = sec.refcount[i]
        page.mapcount = sec.mapcount[i]
        page.mapping = sec.mapping[i]
        page.index = sec.index[i] + pfn
        page.value = sec.value[i]
        return page

    def _forget(self, pfn: int) -> None:
        sec = self.sections[pfn >> PFN_SUBSECTION_SHIFT]
        i = pfn & PAGE_SUBSECTION_MASK
        sec.flags[i] = 0
        sec.mapping[i] = None
        sec.value[i] = 0
        sec.count -= 1
        self.ncompact -= 1
        if not sec.count:
            del self.sections[pfn >> PFN_SUBSECTION_SHIFT]

    def _materialize(self, pfn: int) -> Page | None:
        page = self._read(pfn)
        if page is not None:
            self._forget(pfn)
            dict.__setitem__(self, pfn, page)
        return page

    def materialize_all(self) -> None:
        """A Page for every frame the arrays hold (for whoever walks them all as Pages)."""
        for pfn in self._compact_pfns():
            self._materialize(pfn)

    def _compact_pfns(self) -> list[int]:
        out: list[int] = []
        for sno in sorted(self.sections):
            base = sno << PFN_SUBSECTION_SHIFT
            flags = self.sections[sno].flags
            out.extend(base + i for i, f in enumerate(flags) if f)
        return out

    def compact_pfns(self) -> list[int]:
        """The pfns the arrays hold (no Page yet), ascending."""
        return self._compact_pfns() if self.ncompact else []

    def peek(self, pfn: int) -> Page | None:
        """The frame's struct page for reading: its Page, or one read from the arrays and
        not kept (changing it changes nothing); None for a frame not in use."""
        page = dict.get(self, pfn)
        if page is None and self.ncompact:
            return self._read(pfn)
        return page

    # ---------------------------------------------------------------- dict of Page
    def __missing__(self, pfn: int) -> Page:
        page = self._materialize(pfn) if self.ncompact else None
        if page is None:
            raise KeyError(pfn)
        return page

    def get(self, pfn: int, default: Any = None) -> Any:  # type: ignore[override]
        page = dict.get(self, pfn)
        if page is None:
            if self.ncompact:
                page = self._materialize(pfn)
            if page is None:
                return default
        return page

    def __contains__(self, pfn: object) -> bool:
        if dict.__contains__(self, pfn):
            return True
        if not self.ncompact or not isinstance(pfn, int):
            return False
        sec = self.sections.get(pfn >> PFN_SUBSECTION_SHIFT)
        return sec is not None and bool(sec.flags[pfn & PAGE_SUBSECTION_MASK])

    def __len__(self) -> int:
        return dict.__len__(self) + self.ncompact

    def __iter__(self) -> Iterator[int]:
        if not self.ncompact:
            return dict.__iter__(self)
        return iter(list(dict.keys(self)) + self._compact_pfns())

    def keys(self) -> Any:  # type: ignore[override]
        if not self.ncompact:
            return dict.keys(self)
        return list(self)

    def values(self) -> Any:  # type: ignore[override]
        if self.ncompact:
            self.materialize_all()
        return dict.values(self)

    def items(self) -> Any:  # type: ignore[override]
        if self.ncompact:
            self.materialize_all()
        return dict.items(self)

    def pop(self, pfn: int, *default: Any) -> Any:  # type: ignore[override]
        if self.ncompact and not dict.__contains__(self, pfn):
            self._materialize(pfn)
        return dict.pop(self, pfn, *default)

    def __delitem__(self, pfn: int) -> None:
        if self.ncompact and not dict.__contains__(self, pfn):
            if self._read(pfn) is None:
                raise KeyError(pfn)
            self._forget(pfn)
            return
        dict.__delitem__(self, pfn)

    def copy(self) -> dict[int, Page]:  # type: ignore[override]
        return dict(self.items())


class LruLinks:
    """The lru list_head of every struct page (page->lru): for each frame the next and prev
    pfn on its LRU list and which list it is on (0: none), as arrays per 2 MiB subsection,
    allocated when a frame of the subsection first goes on a list. Next and prev are kept
    as the difference from the frame's own pfn (0: none, at an end of the list), so a run
    of consecutive frames added in order is written as +1s and -1s."""

    __slots__ = ("sections", "lists", "code")

    def __init__(self, max_pfn: int) -> None:
        self.sections: dict[int, tuple[array[int], array[int], array[int]]] = {}
        self.lists: list[LruList | None] = [None]  # by list id; 0 is "on no list"
        self.code = "i" if max_pfn < (1 << 31) - 1 else "q"

    def section(self, pfn: int) -> tuple[array[int], array[int], array[int]]:
        sec = self.sections.get(pfn >> PFN_SUBSECTION_SHIFT)
        if sec is None:
            n = PAGES_PER_SUBSECTION
            zero = bytes(array(self.code).itemsize * n)
            sec = self.sections[pfn >> PFN_SUBSECTION_SHIFT] = (
                array(self.code, zero), array(self.code, zero), array("H", bytes(2 * n)))
        return sec

    def new_list(self) -> LruList:
        lst = LruList(self, len(self.lists))
        self.lists.append(lst)
        return lst


class LruList:
    """One LRU list (struct list_head lists[lru]) through page->lru: an ordered set of pfns,
    oldest first, with the interface of the OrderedDict[int, None] it replaces:
    `lst[pfn] = None` adds at the young end (list_add: a pfn already on it stays where it
    is), `move_to_end(pfn, last=False)` moves to the old end (list_move_tail), `del`,
    `pop(pfn, None)`, `in`, `len`, iteration oldest first."""

    __slots__ = ("links", "lid", "first", "last", "n")

    def __init__(self, links: LruLinks, lid: int) -> None:
        self.links = links
        self.lid = lid
        self.first = -1  # the oldest pfn (the kernel's list tail)
        self.last = -1  # the youngest (the kernel's list head)
        self.n = 0

    def __getstate__(self) -> tuple[Any, ...]:
        return (self.links, self.lid, self.first, self.last, self.n)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self.links, self.lid, self.first, self.last, self.n = state

    def __len__(self) -> int:
        return self.n

    def __bool__(self) -> bool:
        return self.n > 0

    def __contains__(self, pfn: object) -> bool:
        if not isinstance(pfn, int):
            return False
        sec = self.links.sections.get(pfn >> PFN_SUBSECTION_SHIFT)
        return sec is not None and sec[2][pfn & PAGE_SUBSECTION_MASK] == self.lid

    def __iter__(self) -> Iterator[int]:
        return self._walk(self.first, 0)

    def __reversed__(self) -> Iterator[int]:
        return self._walk(self.last, 1)

    def _walk(self, pfn: int, which: int) -> Iterator[int]:
        """Every pfn of the list from `pfn`, following next (which 0) or prev (1)."""
        sections = self.links.sections
        left = self.n
        while left:
            yield pfn
            left -= 1
            pfn += sections[pfn >> PFN_SUBSECTION_SHIFT][which][pfn & PAGE_SUBSECTION_MASK]

    def keys(self) -> list[int]:
        return list(self)

    def __eq__(self, other: object) -> bool:
        """As OrderedDict's: in order against another list, as a set of keys against a
        dict."""
        if isinstance(other, LruList):
            return self.n == other.n and list(self) == list(other)
        if isinstance(other, dict):
            return self.n == len(other) and all(v is None for v in other.values()) and \
                all(pfn in other for pfn in self)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"LruList({list(self)!r})"

    def _set(self, pfn: int, which: int, to: int) -> None:
        """next (which 0) or prev (1) of `pfn` := `to` (-1: none)."""
        self.links.sections[pfn >> PFN_SUBSECTION_SHIFT][which][pfn & PAGE_SUBSECTION_MASK] = \
            0 if to < 0 else to - pfn

    def _get(self, pfn: int, which: int) -> int:
        d = self.links.sections[pfn >> PFN_SUBSECTION_SHIFT][which][pfn & PAGE_SUBSECTION_MASK]
        return pfn + d if d else -1

    def _link_last(self, pfn: int, sec: tuple[array[int], array[int], array[int]]) -> None:
        i = pfn & PAGE_SUBSECTION_MASK
        sec[0][i] = 0
        sec[1][i] = self.last - pfn if self.last >= 0 else 0
        sec[2][i] = self.lid
        if self.last >= 0:
            self._set(self.last, 0, pfn)
        else:
            self.first = pfn
        self.last = pfn
        self.n += 1

    def __setitem__(self, pfn: int, _value: None) -> None:
        sec = self.links.section(pfn)
        owner = sec[2][pfn & PAGE_SUBSECTION_MASK]
        if owner == self.lid:
            return
        assert not owner, f"frame {pfn:#x} is already on LRU list {owner}"
        self._link_last(pfn, sec)

    def _unlink(self, pfn: int) -> bool:
        sec = self.links.sections.get(pfn >> PFN_SUBSECTION_SHIFT)
        i = pfn & PAGE_SUBSECTION_MASK
        if sec is None or sec[2][i] != self.lid:
            return False
        nxt, prv = self._get(pfn, 0), self._get(pfn, 1)
        if prv >= 0:
            self._set(prv, 0, nxt)
        else:
            self.first = nxt
        if nxt >= 0:
            self._set(nxt, 1, prv)
        else:
            self.last = prv
        sec[0][i] = sec[1][i] = 0
        sec[2][i] = 0
        self.n -= 1
        return True

    def __delitem__(self, pfn: int) -> None:
        if not self._unlink(pfn):
            raise KeyError(pfn)

    def pop(self, pfn: int, *default: Any) -> Any:
        if self._unlink(pfn):
            return None
        if default:
            return default[0]
        raise KeyError(pfn)

    def move_to_end(self, pfn: int, last: bool = True) -> None:
        if not self._unlink(pfn):
            raise KeyError(pfn)
        sec = self.links.section(pfn)
        if last:
            self._link_last(pfn, sec)
            return
        i = pfn & PAGE_SUBSECTION_MASK
        sec[0][i] = self.first - pfn if self.first >= 0 else 0
        sec[1][i] = 0
        sec[2][i] = self.lid
        if self.first >= 0:
            self._set(self.first, 1, pfn)
        else:
            self.last = pfn
        self.first = pfn
        self.n += 1

    def add_run(self, pfn: int, n: int) -> None:
        """`lst[p] = None` for p = pfn .. pfn + n - 1 in turn: frames on no list yet."""
        code = self.links.code
        while n:
            sec = self.links.section(pfn)
            i = pfn & PAGE_SUBSECTION_MASK
            k = min(n, PAGES_PER_SUBSECTION - i)
            assert sec[2][i:i + k].tobytes().count(0) == 2 * k, "frames already on a list"
            sec[0][i:i + k] = array(code, (1,)) * k
            sec[0][i + k - 1] = 0
            sec[1][i:i + k] = array(code, (-1,)) * k
            sec[1][i] = self.last - pfn if self.last >= 0 else 0
            sec[2][i:i + k] = array("H", (self.lid,)) * k
            if self.last >= 0:
                self._set(self.last, 0, pfn)
            else:
                self.first = pfn
            self.last = pfn + k - 1
            self.n += k
            pfn += k
            n -= k


def _frame_table(zones: list[Zone], pages: dict[int, Page], sections: dict[int, MemSection],
                 ncompact: int) -> FrameTable:
    t = FrameTable(zones)
    dict.update(t, pages)
    t.sections = sections
    t.ncompact = ncompact
    return t


class PhysMem:
    """All of RAM: nodes, zones, buddy free lists and the pages in use."""

    def __init__(self, node_specs: list[dict[str, Any]], distances: list[list[int]] | None
                 ) -> None:
        self.nodes: list[Node] = []
        self.zones: list[Zone] = []
        self.pages = FrameTable(self.zones)
        pfn = 0
        for i, spec in enumerate(node_specs):
            npages = spec["ram"] >> PAGE_SHIFT
            node = Node(i, pfn, npages, list(spec.get("cpus", [i])))
            movable = spec.get("movable", 0) >> PAGE_SHIFT
            self._make_zones(node, pfn, npages, movable)
            self.nodes.append(node)
            pfn += npages
        self.max_pfn = pfn
        self.lru_links = LruLinks(pfn)
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

    def rmqueue_runs(self, zone: Zone, count: int) -> list[tuple[int, int]]:
        """Up to `count` single frames as runs (first pfn, frames) of consecutive pfns: the
        very frames (in the very order, leaving the very free lists) that `count` calls of
        rmqueue(zone, 0) would give.

        When the smallest free block has order c, every order below c is empty, and calls
        in a row split it from its low end: the j-th call gives frame j of the block and
        leaves the rest of it, [pfn + j, pfn + 2^c), as the aligned blocks that start
        there, one per order below c at most. So a whole block is taken at once, and a
        block only partly needed leaves those blocks on the free lists."""
        area = zone.free_area
        out: list[tuple[int, int]] = []
        need = count
        while need:
            for current in range(MAX_ORDER):
                if area[current]:
                    break
            else:
                break
            size = 1 << current
            pfn, _ = area[current].popitem()
            if size <= need:
                if out and out[-1][0] + out[-1][1] == pfn:
                    out[-1] = (out[-1][0], out[-1][1] + size)
                else:
                    out.append((pfn, size))
                zone.nr_free -= size
                need -= size
                continue
            # take [pfn, pfn + need); the rest goes back as expand() and the calls leave it
            off = need
            while off < size:
                step = off & -off
                area[step.bit_length() - 1][pfn + off] = None
                off += step
            if out and out[-1][0] + out[-1][1] == pfn:
                out[-1] = (out[-1][0], out[-1][1] + need)
            else:
                out.append((pfn, need))
            zone.nr_free -= need
            need = 0
        if self.touched is not None:  # check/incremental.py
            for first, n in out:
                self.touched.update(range(first, first + n))
        return out

    def rmqueue_bulk(self, zone: Zone, count: int) -> list[int]:
        """rmqueue_runs() as a list of pfns."""
        out: list[int] = []
        for pfn, n in self.rmqueue_runs(zone, count):
            out.extend(range(pfn, pfn + n))
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


