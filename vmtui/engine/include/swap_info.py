"""Swap areas as data (include/linux/swap.h): swap_info_struct and the swap state.

A swap area is an array of slots with a use count each (swap_map); slot 0 holds
the swap header, as on a real swap partition. `slots` keeps what was written to
each slot, so a page swapped out and in again reads back its value. The
operations on it (add_to_swap, swap_writepage, swapin_readahead, try_to_unuse)
are in mm/swapfile.py.
"""

from __future__ import annotations

from vmtui.engine.include.fs import File
from vmtui.engine.include.mmzone import Page
from vmtui.engine.include.pgtable import swp_entry, swp_offset, swp_type

SWAP_HAS_CACHE = 0x40  # swap_map bit: the slot's page is in the swap cache
SWAP_MAP_MAX = 0x3E
SWAP_MAP_SHMEM = 0xBF  # swap_map count of a slot a shmem mapping holds (swap_shmem_alloc)
SWAP_RA_ORDER_CEILING = 3  # 64-bit: the VMA readahead window is at most 1 << 3 pages
SWAP_RA_HITS_MAX = 0xFF  # SWAP_RA_HITS_MASK: the hit count a VMA keeps


class SwapInfo:
    """struct swap_info_struct: one swap area."""

    def __init__(self, swap_type: int, pages: int, name: str = "/dev/vda2", prio: int = -2
                 ) -> None:
        self.type = swap_type
        self.pages = pages  # slots, the header included
        self.swap_map = bytearray(pages)
        self.swap_map[0] = SWAP_MAP_MAX  # the header page is never handed out
        self.inuse_pages = 0
        self.cluster_next = 1
        self.slots: dict[int, int] = {}  # offset -> the value written there
        self.name = name
        self.prio = prio
        self.writeok = True
        self.solidstate = False  # SWP_SOLIDSTATE: swapon found a non-rotational queue

    @property
    def usable(self) -> int:
        return self.pages - 1

    def free_slots(self) -> int:
        return self.usable - self.inuse_pages

    def scan_swap_map(self) -> int | None:
        """scan_swap_map_slots(): the next free slot from cluster_next, wrapping once."""
        if not self.writeok or self.inuse_pages >= self.usable:
            return None
        smap = self.swap_map
        n = self.pages
        off = self.cluster_next
        for _ in range(n):
            if off >= n:
                off = 1
            if smap[off] == 0:
                self.cluster_next = off + 1
                return off
            off += 1
        return None


class SwapState:
    """Every swap area plus the swap cache (swapper_spaces), keyed by swap entry."""

    def __init__(self) -> None:
        self.areas: list[SwapInfo] = []
        self.cache: dict[int, Page] = {}  # swp entry -> page (the swap cache)
        self.enabled = False
        # shmem_swaplist: the shmem files that have (or had) pages in swap
        self.shmem_swaplist: dict[File, None] = {}
        # swapin_nr_pages()'s state: swapin_readahead_hits, its static prev_offset and
        # last_readahead_pages
        self.swapin_readahead_hits = 0
        self.ra_prev_offset = 0
        self.last_readahead_pages = 0

    def add_area(self, pages: int, name: str = "/dev/vda2") -> SwapInfo:
        si = SwapInfo(len(self.areas), pages, name)
        self.areas.append(si)
        return si

    def total(self) -> int:
        return sum(si.usable for si in self.areas if si.writeok) if self.enabled else 0

    def used(self) -> int:
        return sum(si.inuse_pages for si in self.areas)

    def nr_swap_pages(self) -> int:
        """get_nr_swap_pages(): free slots in the areas that take pages."""
        if not self.enabled:
            return 0
        return sum(si.free_slots() for si in self.areas if si.writeok)

    def vm_swap_full(self) -> bool:
        """vm_swap_full(): more than half of swap in use - free slots eagerly on swap-in."""
        total = self.total()
        return total > 0 and self.used() * 2 > total

    def get_swap_page(self) -> int | None:
        """get_swap_page(): a free slot as a swap entry (with SWAP_HAS_CACHE), or None."""
        if not self.enabled:
            return None
        for si in self.areas:
            off = si.scan_swap_map()
            if off is not None:
                si.swap_map[off] = SWAP_HAS_CACHE
                si.inuse_pages += 1
                return swp_entry(si.type, off)
        return None

    def area(self, entry: int) -> SwapInfo:
        return self.areas[swp_type(entry)]

    def count(self, entry: int) -> int:
        """swp_swapcount(): how many PTEs hold this entry."""
        return self.area(entry).swap_map[swp_offset(entry)] & ~SWAP_HAS_CACHE

    def duplicate(self, entry: int) -> None:
        """swap_duplicate(): one more PTE holds the entry (fork copies it)."""
        si = self.area(entry)
        off = swp_offset(entry)
        si.swap_map[off] += 1

    def _maybe_release(self, si: SwapInfo, off: int) -> None:
        if si.swap_map[off] == 0:
            si.inuse_pages -= 1
            si.slots.pop(off, None)

    def shmem_alloc(self, entry: int) -> None:
        """swap_shmem_alloc(): a shmem mapping holds the entry (count SWAP_MAP_SHMEM)."""
        si = self.area(entry)
        off = swp_offset(entry)
        si.swap_map[off] = (si.swap_map[off] & SWAP_HAS_CACHE) | SWAP_MAP_SHMEM

    def free(self, entry: int) -> None:
        """swap_free(): a PTE (or the shmem mapping) no longer holds the entry; the slot
        frees at count zero."""
        si = self.area(entry)
        off = swp_offset(entry)
        count = si.swap_map[off] & ~SWAP_HAS_CACHE
        assert count, f"swap_free of unused entry {off}"
        if count == SWAP_MAP_SHMEM:
            si.swap_map[off] &= SWAP_HAS_CACHE  # __swap_entry_free(): the one shmem ref
        else:
            si.swap_map[off] -= 1
        self._maybe_release(si, off)

    def drop_cache_ref(self, entry: int) -> None:
        """The swap cache let go of the entry (delete_from_swap_cache + put_swap_page)."""
        si = self.area(entry)
        off = swp_offset(entry)
        si.swap_map[off] &= ~SWAP_HAS_CACHE
        self._maybe_release(si, off)

    def write(self, entry: int, value: int) -> None:
        """swap_writepage(): the page's contents go to its slot."""
        self.area(entry).slots[swp_offset(entry)] = value

    def read(self, entry: int) -> int:
        """swap_readpage(): the contents stored in the slot."""
        return self.area(entry).slots.get(swp_offset(entry), 0)
