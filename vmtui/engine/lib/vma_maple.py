"""The VMA set of Linux 6.1+: mm->mm_mt, a maple tree (lib/maple_tree.c) of VMAs.

A drop-in for `VmaSet` (lib/vma_tree.py, the 5.4 list + rbtree): the same methods,
answered from the maple tree. Each VMA is stored over [vm_start, vm_end - 1]; the
free ranges between them are NULL entries, so get_unmapped_area searches the tree's
gaps (mas_empty_area[_rev]) as mm/mmap.c's unmapped_area[_topdown] do since 6.1.
The VMAs' vm_next/vm_prev links and rbtree nodes are not used: `next(vma)` and
`prev(vma)` (vma_next / vma_prev) walk the tree.

A sortedcontainers index is kept beside the tree for len() and iteration in order;
`check()` asserts the two agree (validate_mm() in mm/vma.c plays the same role).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Generic, Protocol, TypeVar

from sortedcontainers import SortedKeyList

from vmtui.engine.lib.maple_tree import MapleTree


class MapleSpan(Protocol):
    """What the set needs of a VMA: its bounds, offset and guard gaps."""

    vm_start: int
    vm_end: int
    vm_pgoff: int

    def start_gap(self) -> int: ...

    def end_gap(self) -> int: ...


VmArea = TypeVar("VmArea", bound=MapleSpan)


def _key(vma: MapleSpan) -> int:
    return vma.vm_start


class MapleVmaSet(Generic[VmArea]):
    """Ordered, disjoint VMAs in a maple tree (MM_MT_FLAGS), with a sorted index."""

    __slots__ = ("index", "mt", "highest_vm_end", "_restore", "_shape", "seq", "last_find")

    def __init__(self) -> None:
        self.index: SortedKeyList = SortedKeyList(key=_key)
        self.mt = MapleTree(alloc=True)
        self.highest_vm_end = 0
        self._restore: list[VmArea] | None = None
        self._shape: list[int] | None = None
        self.seq = 0  # bumped by every change to the set or to a VMA's bounds or flags
        # the address of the last find_vma(): the maple pane redraws its walk (mt.path())
        self.last_find: int | None = None

    # ------------------------------------------------------------- pickling

    def __getstate__(self) -> dict[str, object]:
        # the tree's own shape too: storing the VMAs again in address order would
        # split and rebalance differently from the history of this mm
        vmas = list(self.index)
        pos = {id(v): i for i, v in enumerate(vmas)}
        return {"vmas": vmas, "seq": self.seq, "last_find": self.last_find,
                "shape": self.mt.shape(lambda v: pos[id(v)])}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.index = SortedKeyList(key=_key)
        self.mt = MapleTree(alloc=True)
        self.highest_vm_end = 0
        self._restore = list(state["vmas"])  # type: ignore[call-overload]
        self._shape = state.get("shape")  # type: ignore[assignment]
        self.seq = int(state.get("seq", 0))  # type: ignore[call-overload]
        self.last_find = state.get("last_find")  # type: ignore[assignment]

    def rebuild(self) -> None:
        """After unpickling, once every VMA object is complete: the index, and the very
        tree the VMAs were in."""
        vmas, self._restore = self._restore or [], None
        shape, self._shape = self._shape, None
        seq = self.seq
        if shape is None:
            for vma in vmas:
                self.link(vma)
        else:
            self.index.update(vmas)
            self.mt.set_shape(shape, vmas)
            self._set_highest()
        self.seq = seq

    # ------------------------------------------------------------- look-ups

    def __len__(self) -> int:
        return len(self.index)

    def __iter__(self) -> Iterator[VmArea]:
        return iter(self.index)

    def first(self) -> VmArea | None:
        return self.index[0] if self.index else None

    def last(self) -> VmArea | None:
        return self.index[-1] if self.index else None

    def find_vma(self, addr: int) -> VmArea | None:
        """find_vma() (mm/mmap.c, 6.1+: mt_find(&mm->mm_mt, &addr, ULONG_MAX)): the first
        VMA whose vm_end > addr. Its address is kept in `last_find`.
        Runtime complexity: O(log(n))."""
        self.last_find = addr
        found = self.mt.find(addr)
        return found[0] if found is not None else None

    def next(self, vma: VmArea) -> VmArea | None:
        """vma_next(): the VMA after `vma`. Runtime complexity: O(log(n))."""
        found = self.mt.find(vma.vm_end)
        return found[0] if found is not None else None

    def prev(self, vma: VmArea) -> VmArea | None:
        """vma_prev(): the VMA before `vma`. Runtime complexity: O(log(n))."""
        if vma.vm_start == 0:
            return None
        found = self.mt.find_prev(vma.vm_start - 1)
        return found[0] if found is not None else None

    def find_vma_prev(self, addr: int) -> tuple[VmArea | None, VmArea | None]:
        """find_vma_prev(): (find_vma(addr), the VMA before it)."""
        vma = self.find_vma(addr)
        if vma is None:
            return None, self.last()
        return vma, self.prev(vma)

    def find_vma_intersection(self, start: int, end: int) -> VmArea | None:
        """find_vma_intersection(): mt_find(&mm->mm_mt, &start, end - 1)."""
        if end <= start:
            return None
        found = self.mt.find(start, end - 1)
        return found[0] if found is not None else None

    def overlapping(self, start: int, end: int) -> list[VmArea]:
        """Every VMA overlapping [start, end), in order (for_each_vma_range()).
        Runtime: O(log(n) + k)."""
        if end <= start:
            return []
        return [vma for _, _, vma in self.mt.items(start, end - 1)]

    # ------------------------------------------------------------- changes

    def _set_highest(self) -> None:
        last = self.last()
        self.highest_vm_end = last.end_gap() if last is not None else 0

    def link(self, vma: VmArea) -> None:
        """vma_link() / vma_iter_store(): the VMA over [vm_start, vm_end - 1]."""
        self.mt.store(vma.vm_start, vma.vm_end - 1, vma)
        self.index.add(vma)
        self.seq += 1
        self._set_highest()

    def unlink(self, vma: VmArea) -> None:
        """vma_iter_clear(): NULL over the VMA's range."""
        self.mt.store(vma.vm_start, vma.vm_end - 1, None)
        self.index.remove(vma)
        self.seq += 1
        self._set_highest()

    def adjust(self, vma: VmArea, start: int, end: int, pgoff: int) -> None:
        """vma_expand() / vma_shrink() for one VMA: new bounds that keep its place in the
        order. What it gives up is cleared, then it is stored over its new range."""
        self.seq += 1
        old_start, old_end = vma.vm_start, vma.vm_end
        if start > old_start:
            self.mt.store(old_start, min(start, old_end) - 1, None)
        if end < old_end:
            self.mt.store(max(end, old_start), old_end - 1, None)
        if start != old_start:
            self.index.remove(vma)
            vma.vm_start = start
            self.index.add(vma)
        vma.vm_end = end
        vma.vm_pgoff = pgoff
        self.mt.store(start, end - 1, vma)
        self._set_highest()

    # ------------------------------------------------------------- gaps

    def unmapped_area(
        self, length: int, low: int, high: int, align_mask: int = 0, align_offset: int = 0
    ) -> int | None:
        """unmapped_area() (mm/mmap.c, 6.1+): the lowest fit, by mas_empty_area() over
        [low, high - 1], retried above a stack's guard gap. None for -ENOMEM.
        Runtime complexity: O(log(n))."""
        size = length + align_mask
        low_limit = low
        while True:
            if high == 0:
                return None
            area = self.mt.empty_area(low_limit, high - 1, size)  # vma_iter_area_lowest
            if area is None:
                return None
            gap = area[0]
            gap += (align_offset - gap) & align_mask
            nxt = self.mt.find(area[1] + 1)
            if nxt is not None and nxt[0].start_gap() != nxt[0].vm_start:  # VM_GROWSDOWN
                if nxt[0].start_gap() < gap + size - 1:
                    low_limit = nxt[0].vm_end
                    continue
                return gap
            prv = self.mt.find_prev(area[0] - 1) if area[0] else None
            if prv is not None and prv[0].end_gap() > gap:
                low_limit = prv[0].end_gap()
                continue
            return gap

    def unmapped_area_topdown(
        self, length: int, low: int, high: int, align_mask: int = 0, align_offset: int = 0
    ) -> int | None:
        """unmapped_area_topdown() (mm/mmap.c, 6.1+): the highest fit, by
        mas_empty_area_rev() over [low, high - 1], retried below a stack's guard gap.
        None for -ENOMEM. Runtime complexity: O(log(n))."""
        size = length + align_mask
        high_limit = high
        while True:
            if high_limit == 0:
                return None
            area = self.mt.empty_area_rev(low, high_limit - 1, size)  # vma_iter_area_highest
            if area is None:
                return None
            gap_end = area[1] + 1
            gap = gap_end - length
            gap -= (gap - align_offset) & align_mask
            nxt = self.mt.find(gap_end)
            if nxt is not None and nxt[0].start_gap() != nxt[0].vm_start:  # VM_GROWSDOWN
                if nxt[0].start_gap() < gap_end:
                    high_limit = nxt[0].start_gap()
                    continue
                return gap
            prv = self.mt.find_prev(area[0] - 1) if area[0] else None
            if prv is not None and prv[0].end_gap() > gap:
                high_limit = prv[0].vm_start
                continue
            return gap

    # ------------------------------------------------------------- checks

    def check(self) -> None:
        """Assert every invariant of the set: mt_validate() of the tree, and the tree's
        entries are exactly the index's VMAs, each over [vm_start, vm_end - 1]."""
        self.mt.check()
        index = list(self.index)
        got = list(self.mt.items())
        assert len(got) == len(index), f"maple tree has {len(got)} VMAs, index {len(index)}"
        prev: Any = None
        for (first, last, vma), want in zip(got, index, strict=True):
            assert vma is want, f"maple tree entry {vma!r} != index {want!r}"
            assert vma.vm_start < vma.vm_end, f"empty or inverted VMA {vma!r}"
            assert vma.vm_start & 0xFFF == 0 and vma.vm_end & 0xFFF == 0, f"unaligned {vma!r}"
            assert (first, last) == (vma.vm_start, vma.vm_end - 1), (
                f"{vma!r} stored over [{first:#x}, {last:#x}]")
            if prev is not None:
                assert prev.vm_end <= vma.vm_start, f"{prev!r} overlaps {vma!r}"
            prev = vma
        want_end = index[-1].end_gap() if index else 0
        assert self.highest_vm_end == want_end, (
            f"highest_vm_end {self.highest_vm_end:#x} != {want_end:#x}")
