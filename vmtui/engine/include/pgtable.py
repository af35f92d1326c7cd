"""Page tables built of real table pages (arch/x86/include/asm/pgtable*.h, mm/memory.c).

Each table is a frame taken from the buddy allocator, so an address space of
128 TiB costs only the tables that exist. Upper levels hold child tables in a
dict (index -> table, or a huge-page entry); the last level is what the page
holds, 512 (1024 on i386) words of PTE values with the x86 bit layout, or a
swap entry when the page is not present, 0 being pte_none (PteEntries).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import compress, count
from operator import ne
from typing import Any

from vmtui.engine.include.layout import PAGE_SHIFT, Layout

# x86 page-table entry bits (arch/x86/include/asm/pgtable_types.h)
_PAGE_PRESENT = 1 << 0
_PAGE_RW = 1 << 1
_PAGE_USER = 1 << 2
_PAGE_PWT = 1 << 3
_PAGE_PCD = 1 << 4
_PAGE_ACCESSED = 1 << 5
_PAGE_DIRTY = 1 << 6
_PAGE_PSE = 1 << 7  # a huge page at PMD/PUD level (PDE on i386)
_PAGE_GLOBAL = 1 << 8
_PAGE_PROTNONE = _PAGE_GLOBAL  # only meaningful when not present
_PAGE_NX = 1 << 63
PTE_PFN_MASK = ((1 << 52) - 1) & ~((1 << PAGE_SHIFT) - 1)
_MASK64 = (1 << 64) - 1
# x86-64 swap entries (pgtable_64.h): type in the top 5 bits, offset inverted below it
SWP_TYPE_BITS = 5
SWP_OFFSET_FIRST_BIT = 9  # _PAGE_BIT_PROTNONE + 1
SWP_OFFSET_SHIFT = SWP_OFFSET_FIRST_BIT + SWP_TYPE_BITS
# upper-level entries: _KERNPG_TABLE / _PAGE_TABLE
_PAGE_TABLE = _PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_DIRTY
_KERNPG_TABLE = _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY
# _PAGE_BIT_SPECIAL (_PAGE_BIT_SOFTW1): pte_mkspecial() of vmf_insert_pfn(); such a PTE maps
# a frame with no struct page to count (vm_normal_page() returns NULL)
_PAGE_SPECIAL = 1 << 9
PAGE_KERNEL_LARGE = _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_PSE | \
    _PAGE_GLOBAL | _PAGE_NX


def mk_pte(pfn: int, prot: int) -> int:
    """mk_pte(): a present entry for `pfn` with protection bits `prot`."""
    return (pfn << PAGE_SHIFT) | prot


def pte_pfn(pte: int) -> int:
    return (pte & PTE_PFN_MASK) >> PAGE_SHIFT


def pte_present(pte: int) -> bool:
    """pte_present(): present, or PROT_NONE (the page is there, the user may not touch it)."""
    return bool(pte & (_PAGE_PRESENT | _PAGE_PROTNONE))


def pte_write(pte: int) -> bool:
    return bool(pte & _PAGE_RW)


def swp_entry(swap_type: int, offset: int) -> int:
    """__swp_entry() + __swp_entry_to_pte(): the offset is stored inverted (L1TF)."""
    return ((((~offset) << SWP_OFFSET_SHIFT) & _MASK64) >> SWP_TYPE_BITS) | (
        swap_type << (64 - SWP_TYPE_BITS))


def is_swap_pte(pte: int) -> bool:
    """is_swap_pte(): not none and not present, i.e. a swap entry."""
    return pte != 0 and not pte & (_PAGE_PRESENT | _PAGE_PROTNONE)


def swp_type(pte: int) -> int:
    return pte >> (64 - SWP_TYPE_BITS)


def swp_offset(pte: int) -> int:
    return (((~pte) & _MASK64) << SWP_TYPE_BITS & _MASK64) >> SWP_OFFSET_SHIFT


def pte_flags_text(pte: int) -> str:
    """Readable flags of an entry, as a lecturer would write them on the board."""
    if pte == 0:
        return "none"
    if is_swap_pte(pte):
        return f"swap type={swp_type(pte)} offset={swp_offset(pte)}"
    parts = []
    for bit, name in ((_PAGE_PRESENT, "P"), (_PAGE_RW, "RW"), (_PAGE_USER, "U"),
                      (_PAGE_ACCESSED, "A"), (_PAGE_DIRTY, "D"), (_PAGE_NX, "NX")):
        if pte & bit:
            parts.append(name)
    if not pte & _PAGE_PRESENT and pte & _PAGE_PROTNONE:
        parts.append("PROTNONE")
    return " ".join(parts)


_MISSING: Any = object()


class PteEntries:
    """The entries of a PTE table page as the page holds them: one 64-bit word per
    entry (8 host bytes a PTE, as on the machine), 0 being pte_none.

    Read and written like a dict of its non-zero entries (get, [], in, len, items,
    pop...), iterated in index order; storing 0 is pte_clear(). The run methods
    (fill, set_run, first_used) do a run of entries at C speed for the bulk paths.
    """

    __slots__ = ("a", "n")

    def __init__(self, size: int, words: array | None = None) -> None:
        self.a = array("Q", bytes(8 * size)) if words is None else words
        self.n = size - self.a.count(0) if words is not None else 0  # non-zero entries

    def __len__(self) -> int:
        return self.n

    def __contains__(self, i: int) -> bool:
        return bool(self.a[i])

    def __getitem__(self, i: int) -> int:
        v = self.a[i]
        if not v:
            raise KeyError(i)
        return v

    def get(self, i: int, default: Any = None) -> Any:
        return self.a[i] or default

    def __setitem__(self, i: int, v: int) -> None:
        a = self.a
        if not a[i]:
            if v:
                self.n += 1
        elif not v:
            self.n -= 1
        a[i] = v

    def __delitem__(self, i: int) -> None:
        self.pop(i)

    def pop(self, i: int, default: Any = _MISSING) -> Any:
        a = self.a
        v = a[i]
        if not v:
            if default is _MISSING:
                raise KeyError(i)
            return default
        a[i] = 0
        self.n -= 1
        return v

    def __iter__(self) -> Iterator[int]:
        return compress(count(), self.a) if self.n else iter(())

    def keys(self) -> list[int]:
        return list(compress(count(), self.a)) if self.n else []

    def values(self) -> list[int]:
        return list(filter(None, self.a)) if self.n else []

    def items(self) -> list[tuple[int, int]]:
        if not self.n:
            return []
        a = self.a
        return list(zip(compress(count(), a), filter(None, a), strict=True))

    def clear(self) -> None:
        if self.n:
            self.a = array("Q", bytes(8 * len(self.a)))
            self.n = 0

    def copy(self) -> PteEntries:
        return PteEntries(len(self.a), array("Q", self.a))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PteEntries):
            return self.n == other.n and self.a == other.a
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def changed(self, other: PteEntries) -> list[int]:
        """The indices whose entry differs between the two tables."""
        return list(compress(count(), map(ne, self.a, other.a)))

    def first_used(self, i0: int, i1: int) -> int:
        """The first index in [i0, i1) with an entry, or i1 when the run is all none."""
        if not self.n:
            return i1
        return next(compress(count(i0), self.a[i0:i1]), i1)

    def fill(self, i0: int, i1: int, v: int) -> None:
        """Set [i0, i1), all none before, to `v` (e.g. the zero page's PTE)."""
        self.a[i0:i1] = array("Q", (v,)) * (i1 - i0)
        self.n += i1 - i0

    def set_run(self, i0: int, first: int, cnt: int, step: int) -> None:
        """Set [i0, i0 + cnt), all none before, to first, first + step, ... (a run of
        consecutive frames mapped with the same protection)."""
        self.a[i0:i0 + cnt] = array("Q", range(first, first + cnt * step, step))
        self.n += cnt

    def __repr__(self) -> str:
        return f"PteEntries({dict(self.items())!r})"


class PageTable:
    """One table page: `level` 0 is the top (PGD); the last level holds PTEs
    (`ptes` entries, a PteEntries), the others a dict of child tables."""

    __slots__ = ("pfn", "level", "entries", "kernel")

    def __init__(self, pfn: int, level: int, kernel: bool = False, ptes: int = 0) -> None:
        self.pfn = pfn
        self.level = level
        self.entries: Any = PteEntries(ptes) if ptes else {}
        self.kernel = kernel  # shared by every process (the kernel half)

    def __repr__(self) -> str:
        return f"<table L{self.level} pfn={self.pfn:#x} {len(self.entries)} entries>"


@dataclass(slots=True)
class WalkStep:
    """One level of a walk: the index bits of the address and what the entry holds."""

    level: str
    index: int
    bit_hi: int
    bit_lo: int
    table_pfn: int | None
    entry: int
    flags: str
    note: str


@dataclass(slots=True)
class Walk:
    """A full page-table walk of `va`: every level, and where it stopped."""

    va: int
    steps: list[WalkStep]
    stopped: str  # "mapped", "none at PTE", "not present at PMD", "swap", "kernel", ...
    pfn: int | None
    pte: int

    def phys(self) -> int | None:
        if self.pfn is None:
            return None
        return (self.pfn << PAGE_SHIFT) | (self.va & ((1 << PAGE_SHIFT) - 1))


class PageTables:
    """The page-table operations of one architecture (pgd_offset, pud_alloc, pte_offset...)."""

    def __init__(self, layout: Layout, alloc_table: Callable[[bool], int],
                 free_table: Callable[[int], None]) -> None:
        self.layout = layout
        self.levels = layout.levels
        self.shifts = [layout.level_shift(i) for i in range(layout.levels)]
        self.masks = [(1 << b) - 1 for b in layout.level_bits]
        self._alloc = alloc_table
        self._free = free_table
        self.kernel_first = self.index(0, layout.kernel_start)
        # check/incremental.py arms this between two checks: every user PTE table handed
        # out (pte_table, iter_ptes) or emptied here, with its pgd, the address it starts
        # at and its entries as they were when first handed out; None when unarmed
        self.touched: dict[PageTable, tuple[PageTable, int, PteEntries | None]] | None = None

    def touch(self, table: PageTable, pgd: PageTable, va: int) -> None:
        """Record `table` (a PTE table under `pgd` covering `va`) for the armed checker,
        with its entries as they are now, before the caller changes them."""
        t = self.touched
        if t is not None and table not in t and not table.kernel:
            t[table] = (pgd, va & ~((1 << self.shifts[self.levels - 2]) - 1),
                        table.entries.copy())

    def index(self, level: int, va: int) -> int:
        return (va >> self.shifts[level]) & self.masks[level]

    def new_table(self, level: int, kernel: bool = False) -> PageTable:
        """pte_alloc_one() / pmd_alloc_one() / ...: a zeroed page for a table."""
        return PageTable(self._alloc(kernel), level, kernel,
                         self.masks[level] + 1 if level == self.levels - 1 else 0)

    def pgd_alloc(self, init_pgd: PageTable | None) -> PageTable:
        """pgd_alloc() + pgd_ctor(): a new PGD with the kernel half copied from init_mm."""
        pgd = self.new_table(0)
        if init_pgd is not None:
            for i, child in init_pgd.entries.items():
                if i >= self.kernel_first:
                    pgd.entries[i] = child
        return pgd

    def pte_table(self, pgd: PageTable, va: int, alloc: bool,
                  on_alloc: Callable[[int, PageTable], None] | None = None) -> PageTable | None:
        """Walk to the last-level table covering `va`, allocating missing ones when `alloc`.

        Mirrors __handle_mm_fault(): p4d_alloc, pud_alloc, pmd_alloc, then __pte_alloc.
        """
        table = pgd
        last = self.levels - 1
        shifts, masks = self.shifts, self.masks
        for level in range(last):
            idx = (va >> shifts[level]) & masks[level]
            child = table.entries.get(idx)
            if child is None:
                if not alloc:
                    return None
                child = self.new_table(level + 1, table.kernel)
                table.entries[idx] = child
                if on_alloc is not None:
                    on_alloc(level + 1, child)
            elif isinstance(child, int):
                return None  # a huge-page leaf (the kernel's direct map): no PTE table
            table = child
        if self.touched is not None:
            self.touch(table, pgd, va)
        return table

    def leaf(self, pgd: PageTable, va: int) -> int:
        """The entry that maps `va` (a PTE, or a huge-page entry at a higher level), or 0."""
        table = pgd
        last = self.levels - 1
        shifts, masks = self.shifts, self.masks
        for level in range(last):
            child = table.entries.get((va >> shifts[level]) & masks[level])
            if child is None:
                return 0
            if isinstance(child, int):
                # the huge page's frame for this address: base frame + offset inside it
                inside = (va & ((1 << shifts[level]) - 1)) >> PAGE_SHIFT
                return (child + (inside << PAGE_SHIFT)) & ~_PAGE_PSE
            table = child
        return int(table.entries.get((va >> shifts[last]) & masks[last], 0))

    def walk(self, pgd: PageTable, va: int) -> Walk:
        """Walk every level for `va` without faulting (what the MMU would do)."""
        walk = self._walk(pgd, va)
        if self.layout.pte_bytes == 4:
            # i386 (no PAE): 32-bit entries, no NX bit
            for s in walk.steps:
                huge = s.flags.endswith(" PSE")
                s.entry &= 0xFFFFFFFF
                s.flags = pte_flags_text(s.entry) + (" PSE" if huge else "")
            walk.pte &= 0xFFFFFFFF
        return walk

    def _walk(self, pgd: PageTable, va: int) -> Walk:
        lay = self.layout
        bits = lay.index_bits(va)
        steps: list[WalkStep] = []
        table: PageTable | None = pgd
        last = self.levels - 1
        for level, (name, idx, hi, lo) in enumerate(bits):
            assert table is not None
            entry = table.entries.get(idx)
            if level < last:
                if entry is None:
                    steps.append(WalkStep(name, idx, hi, lo, table.pfn, 0, "none",
                                          f"no {lay.level_names[level + 1]} table here"))
                    return Walk(va, steps, f"none at {name}", None, 0)
                if isinstance(entry, int):
                    size = 1 << (self.shifts[level] - 10)
                    unit = f"{size >> 20} GiB" if size >= 1 << 20 else f"{size >> 10} MiB"
                    pfn = pte_pfn(entry) + ((va & ((1 << self.shifts[level]) - 1)) >> PAGE_SHIFT)
                    steps.append(WalkStep(name, idx, hi, lo, table.pfn, entry,
                                          pte_flags_text(entry) + " PSE",
                                          f"a {unit} page (PSE): the walk ends here, the low "
                                          f"{self.shifts[level]} bits are the offset"))
                    return Walk(va, steps, f"mapped ({unit} page)", pfn, entry)
                val = (entry.pfn << PAGE_SHIFT) | (_KERNPG_TABLE if entry.kernel else _PAGE_TABLE)
                steps.append(WalkStep(name, idx, hi, lo, table.pfn, val, pte_flags_text(val),
                                      f"-> {lay.level_names[level + 1]} table at frame "
                                      f"{entry.pfn:#x}"))
                table = entry
            else:
                pte = entry or 0
                if pte == 0:
                    steps.append(WalkStep(name, idx, hi, lo, table.pfn, 0, "none", "pte_none"))
                    return Walk(va, steps, "none at PTE", None, 0)
                if is_swap_pte(pte):
                    steps.append(WalkStep(name, idx, hi, lo, table.pfn, pte, pte_flags_text(pte),
                                          "page is in swap"))
                    return Walk(va, steps, "swap", None, pte)
                pfn = pte_pfn(pte)
                if not pte & _PAGE_PRESENT:
                    steps.append(WalkStep(name, idx, hi, lo, table.pfn, pte, pte_flags_text(pte),
                                          "PROT_NONE: present for the kernel only"))
                    return Walk(va, steps, "protnone", pfn, pte)
                steps.append(WalkStep(name, idx, hi, lo, table.pfn, pte, pte_flags_text(pte),
                                      f"-> frame {pfn:#x}"))
                return Walk(va, steps, "mapped", pfn, pte)
        raise AssertionError("unreachable")

    def iter_ptes(self, pgd: PageTable, start: int, end: int
                  ) -> list[tuple[PageTable, int, int]]:
        """Every (pte table, index, va) with an entry in [start, end), in address order."""
        out: list[tuple[PageTable, int, int]] = []
        last = self.levels - 1
        page = 1 << PAGE_SHIFT

        def rec(table: PageTable, level: int, base: int) -> None:
            shift = self.shifts[level]
            span = 1 << shift
            lo_i = max(0, (start - base) >> shift) if start > base else 0
            hi_i = min(self.masks[level], (end - 1 - base) >> shift)
            if level == last:
                ents = table.entries
                if self.touched is not None:
                    self.touch(table, pgd, base)
                if ents.n:
                    for i in compress(count(lo_i), ents.a[lo_i:hi_i + 1]):
                        out.append((table, i, base + i * page))
                return
            for i in sorted(table.entries):
                if lo_i <= i <= hi_i and not isinstance(table.entries[i], int):
                    rec(table.entries[i], level + 1, base + i * span)

        top_base = 0
        rec(pgd, 0, top_base)
        return out

    def clear_zero_tables(self, pgd: PageTable, start: int, end: int, zero_pfn: int) -> int:
        """The part of zap_pte_range() that needs no page: every PTE table lying wholly in
        [start, end) whose entries all map the zero page is emptied at once (the zero page
        has no count to drop, vm_normal_page() being NULL). Returns the PTEs cleared."""
        last = self.levels - 1
        cleared = 0

        def rec(table: PageTable, level: int, base: int) -> None:
            nonlocal cleared
            span = 1 << self.shifts[level]
            for i in sorted(table.entries):
                lo = base + i * span
                hi = lo + span
                if hi <= start or lo >= end:
                    continue
                child = table.entries.get(i)
                if child is None or isinstance(child, int) or child.kernel:
                    continue
                if level + 1 < last:
                    rec(child, level + 1, lo)
                    continue
                ents = child.entries
                if not ents or lo < start or hi > end:
                    continue
                vals = set(ents.values())
                if len(vals) != 1:
                    continue
                pte = vals.pop()
                if pte_present(pte) and pte_pfn(pte) == zero_pfn:
                    if self.touched is not None:
                        self.touch(child, pgd, lo)
                    cleared += len(ents)
                    ents.clear()

        if last:
            rec(pgd, 0, 0)
        return cleared

    def free_range(self, pgd: PageTable, floor: int, ceiling: int, start: int, end: int,
                   on_free: Callable[[PageTable], None]) -> None:
        """free_pgd_range(): free tables that only covered [start, end), within [floor, ceiling).

        A table is freed when its whole span lies between floor and ceiling (no
        other VMA can need it), as free_pte_range/free_pmd_range decide.
        """
        last = self.levels - 1

        def rec(table: PageTable, level: int, base: int) -> bool:
            shift = self.shifts[level]
            span = 1 << shift
            for i in sorted(table.entries):
                lo = base + i * span
                hi = lo + span
                if hi <= start or lo >= end or level == last:
                    continue
                child = table.entries[i]
                if isinstance(child, int) or child.kernel:
                    continue
                rec(child, level + 1, lo)
                if lo >= floor and hi <= ceiling and not child.entries:
                    if self.touched is not None and child not in self.touched:
                        # a table freed: its mm's table count changes (no entries to diff)
                        self.touched[child] = (pgd, lo, PteEntries(self.masks[last] + 1)
                                               if level + 1 == last else None)
                    del table.entries[i]
                    on_free(child)
            return not table.entries

        rec(pgd, 0, 0)

    def tables(self, pgd: PageTable, include_kernel: bool = False) -> list[PageTable]:
        """Every table reachable from `pgd` (the user half unless asked)."""
        out = [pgd]
        stack = [pgd]
        last = self.levels - 1
        while stack:
            t = stack.pop()
            if t.level == last:
                continue
            for child in t.entries.values():
                if isinstance(child, int) or (child.kernel and not include_kernel):
                    continue
                out.append(child)
                stack.append(child)
        return out
