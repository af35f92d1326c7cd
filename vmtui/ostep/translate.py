"""Address translation as the textbook draws it: linear page tables, an N-level walk
over a byte-addressed memory image, base-and-bounds, two segments.

Textbook models, not Linux's: x86-64's 4-level walk with 8-byte entries is
`vmtui.engine.include.pgtable`; these take any page size, entry size and bit layout, so
OSTEP's 32-byte pages with 1-byte entries (valid bit 0x80, PFN 0x7f) are one
`WalkFormat` and x86-64's another.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


def log2(n: int) -> int | None:
    """The exponent when `n` is a power of two, else None."""
    return n.bit_length() - 1 if n > 0 and n & (n - 1) == 0 else None


# ---------------------------------------------------------------- linear page table


@dataclass(frozen=True)
class Linear:
    """A one-level table: `pfns[vpn]` is the frame of virtual page vpn, None if not valid."""

    page_size: int
    pfns: tuple[int | None, ...]

    @property
    def asize(self) -> int:
        return self.page_size * len(self.pfns)

    @property
    def page_bits(self) -> int:
        bits = log2(self.page_size)
        assert bits is not None
        return bits


@dataclass(frozen=True)
class LinearResult:
    va: int
    vpn: int
    offset: int
    pfn: int | None
    pa: int | None

    @property
    def valid(self) -> bool:
        return self.pa is not None


def translate_linear(table: Linear, va: int) -> LinearResult:
    """VPN = VA >> page bits; the entry gives the PFN; PA = PFN << page bits | offset.

    ValueError if `va` is outside the address space.
    """
    if not 0 <= va < table.asize:
        raise ValueError(f"VA {va} (0x{va:x}) is outside the address space of "
                         f"{table.asize} bytes (VAs 0..{table.asize - 1})")
    bits = table.page_bits
    vpn, offset = va >> bits, va & (table.page_size - 1)
    pfn = table.pfns[vpn]
    return LinearResult(va, vpn, offset, pfn, None if pfn is None else (pfn << bits) | offset)


# ---------------------------------------------------------------- N-level walk


@dataclass(frozen=True)
class WalkFormat:
    """The layout of a multi-level table in a byte-addressed memory image.

    A VA is the level indices, top level first (`index_bits` each), then the
    page offset (log2 `page_size` bits). A table occupies one page; its entry
    `i` is `entry_size` bytes (little-endian) at table base + i * entry_size.
    An entry is valid when `entry & valid_mask`; its PFN is
    `(entry & pfn_mask) >> pfn_shift`, the next table's (or the data page's)
    frame.
    """

    page_size: int
    index_bits: tuple[int, ...]
    entry_size: int = 1
    valid_mask: int = 0x80
    pfn_mask: int = 0x7F
    pfn_shift: int = 0

    @property
    def page_bits(self) -> int:
        bits = log2(self.page_size)
        if bits is None:
            raise ValueError(f"page size {self.page_size} is not a power of two")
        return bits

    @property
    def va_bits(self) -> int:
        return self.page_bits + sum(self.index_bits)

    def check(self) -> None:
        """ValueError naming the first field that cannot work."""
        _ = self.page_bits
        if not self.index_bits or any(b < 1 for b in self.index_bits):
            raise ValueError("every level needs at least one index bit")
        if log2(self.entry_size) is None:
            raise ValueError(f"entry size {self.entry_size} is not a power of two")
        for b in self.index_bits:
            if (1 << b) * self.entry_size > self.page_size:
                raise ValueError(f"a level of {b} index bits has {1 << b} entries of "
                                 f"{self.entry_size} bytes: more than one {self.page_size}-byte "
                                 "page")
        if self.valid_mask <= 0 or self.pfn_mask <= 0:
            raise ValueError("the valid mask and the PFN mask must not be 0")


OSTEP_TWO_LEVEL = WalkFormat(page_size=32, index_bits=(5, 5))
"""paging-multilevel-translate.py: 15-bit VAs, 32-byte pages, 1-byte entries."""


@dataclass(frozen=True)
class Level:
    index: int
    entry_addr: int
    entry: int
    valid: bool
    pfn: int


@dataclass(frozen=True)
class WalkResult:
    va: int
    levels: tuple[Level, ...]
    offset: int
    pa: int | None
    value: int | None

    @property
    def fault_level(self) -> int | None:
        """The level (0 = top) whose entry was not valid, or None."""
        return None if self.pa is not None else len(self.levels) - 1


def read_entry(memory: Sequence[int], addr: int, size: int) -> int:
    if addr < 0 or addr + size > len(memory):
        raise ValueError(f"an entry at 0x{addr:x} is outside the memory image "
                         f"of {len(memory)} bytes")
    return int.from_bytes(bytes(memory[addr:addr + size]), "little")


def walk(memory: Sequence[int], root_pfn: int, fmt: WalkFormat, va: int) -> WalkResult:
    """Walk `va` from the table in frame `root_pfn`; stop at the first entry not valid.

    The value is the byte at the PA. ValueError for a VA outside the address
    space or a table or data page outside the image.
    """
    bits = fmt.page_bits
    if not 0 <= va < 1 << fmt.va_bits:
        raise ValueError(f"VA {va} (0x{va:x}) is outside the {fmt.va_bits}-bit address space "
                         f"(VAs 0..0x{(1 << fmt.va_bits) - 1:x})")
    shift = fmt.va_bits
    table = root_pfn
    levels: list[Level] = []
    for b in fmt.index_bits:
        shift -= b
        index = (va >> shift) & ((1 << b) - 1)
        addr = (table << bits) + index * fmt.entry_size
        entry = read_entry(memory, addr, fmt.entry_size)
        valid = bool(entry & fmt.valid_mask)
        pfn = (entry & fmt.pfn_mask) >> fmt.pfn_shift
        levels.append(Level(index, addr, entry, valid, pfn))
        if not valid:
            return WalkResult(va, tuple(levels), va & (fmt.page_size - 1), None, None)
        table = pfn
    offset = va & (fmt.page_size - 1)
    pa = (table << bits) | offset
    if pa >= len(memory):
        raise ValueError(f"PA 0x{pa:x} is outside the memory image of {len(memory)} bytes")
    return WalkResult(va, tuple(levels), offset, pa, memory[pa])


# ---------------------------------------------------------------- base and bounds


@dataclass(frozen=True)
class BoundsResult:
    va: int
    pa: int | None

    @property
    def valid(self) -> bool:
        return self.pa is not None


def translate_bounds(base: int, limit: int, va: int) -> BoundsResult:
    """Base-and-bounds (OSTEP 15): valid when 0 <= VA < limit, then PA = base + VA."""
    return BoundsResult(va, base + va if 0 <= va < limit else None)


# ---------------------------------------------------------------- two segments


@dataclass(frozen=True)
class Segments:
    """OSTEP 16's two segments: the top VA bit picks one. Segment 0 (code, heap) grows
    up from `base0`; segment 1 (stack) grows down from `top1`, its base register, which
    holds the address just past it."""

    asize: int
    base0: int
    limit0: int
    top1: int
    limit1: int


@dataclass(frozen=True)
class SegmentResult:
    va: int
    segment: int
    offset: int
    pa: int | None

    @property
    def valid(self) -> bool:
        return self.pa is not None


def translate_segments(seg: Segments, va: int) -> SegmentResult:
    """Segment 1 when VA >= asize/2: its offset is VA - asize (negative), valid while
    -offset <= limit1, PA = top1 + offset. Segment 0: valid while VA < limit0,
    PA = base0 + VA. ValueError for a VA outside the address space."""
    if not 0 <= va < seg.asize:
        raise ValueError(f"VA {va} is outside the address space of {seg.asize} bytes "
                         f"(VAs 0..{seg.asize - 1})")
    if 2 * va >= seg.asize:
        offset = va - seg.asize
        ok = -offset <= seg.limit1
        return SegmentResult(va, 1, offset, seg.top1 + offset if ok else None)
    return SegmentResult(va, 0, va, seg.base0 + va if va < seg.limit0 else None)
