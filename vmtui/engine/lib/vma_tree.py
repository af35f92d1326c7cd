"""The VMA set: mm->mmap (a sorted list) and mm->mm_rb (an augmented rbtree), kept together.

Look-ups go through a sortedcontainers index (bisect, O(log n)); the rbtree
is the one Linux 5.4 keeps, with rb_subtree_gap, so get_unmapped_area finds a
gap in O(log n) and the UI can draw the real tree. `check()` asserts that the
two always agree (validate_mm() in mm/mmap.c plays the same role).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Generic, Protocol, TypeVar

from sortedcontainers import SortedKeyList

from vmtui.engine.lib.rbtree import RbNode, RbTree


class Span(Protocol):
    """What the set needs of an element (a vm_area_struct): its bounds and offset, its
    list links and its rbtree node. The set knows nothing else of it."""

    vm_start: int
    vm_end: int
    vm_pgoff: int
    vm_prev: Any
    vm_next: Any
    vm_rb: RbNode[Any]


VmArea = TypeVar("VmArea", bound=Span)


def _key(vma: Span) -> int:
    return vma.vm_start


class VmaSet(Generic[VmArea]):
    """Ordered, disjoint VMAs with list links, a sorted index and an rbtree."""

    __slots__ = ("index", "rb", "highest_vm_end", "_restore", "_shape", "seq")

    def __init__(self) -> None:
        self.index: SortedKeyList = SortedKeyList(key=_key)
        self.rb: RbTree[VmArea] = RbTree()
        self.highest_vm_end = 0
        self._restore: list[VmArea] | None = None
        self._shape: list[int] | None = None
        self.seq = 0  # bumped by every change to the set or to a VMA's bounds or flags

    def __getstate__(self) -> dict[str, object]:
        # the rbtree's own shape too: one rebuilt by inserting the VMAs in address order
        # balances differently (other colours, another root) from the one this mm's
        # history of inserts and erases made, and a restored step must look the same
        vmas = list(self.index)
        return {"vmas": vmas, "seq": self.seq,
                "shape": self.rb.shape([v.vm_rb for v in vmas])}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.index = SortedKeyList(key=_key)
        self.rb = RbTree()
        self.highest_vm_end = 0
        self._restore = list(state["vmas"])  # type: ignore[call-overload]
        self._shape = state.get("shape")  # type: ignore[assignment]
        self.seq = int(state.get("seq", 0))  # type: ignore[call-overload]

    def rebuild(self) -> None:
        """After unpickling: link the VMAs again, once every VMA object is complete, into
        the list, the index and the very rbtree they were in."""
        vmas, self._restore = self._restore or [], None
        shape, self._shape = self._shape, None
        seq = self.seq
        if shape is None:
            for vma in vmas:
                self.link(vma)
        else:
            prev = None
            for vma in vmas:
                vma.vm_prev = prev
                vma.vm_next = None
                if prev is not None:
                    prev.vm_next = vma
                prev = vma
            self.index.update(vmas)
            self.rb.set_shape([v.vm_rb for v in vmas], shape)
            self._set_highest()
        self.seq = seq

    def __len__(self) -> int:
        return len(self.index)

    def __iter__(self) -> Iterator[VmArea]:
        return iter(self.index)

    def first(self) -> VmArea | None:
        return self.index[0] if self.index else None

    def last(self) -> VmArea | None:
        return self.index[-1] if self.index else None

    def find_vma(self, addr: int) -> VmArea | None:
        """find_vma(): the first VMA whose vm_end > addr. Runtime complexity: O(log(n))."""
        index = self.index
        i = index.bisect_key_right(addr) - 1
        if i >= 0:
            vma: VmArea = index[i]
            if vma.vm_end > addr:
                return vma
        i += 1
        return index[i] if i < len(index) else None

    def next(self, vma: VmArea) -> VmArea | None:
        """vma_next(): the VMA after `vma` (its vm_next in 5.4)."""
        nxt: VmArea | None = vma.vm_next
        return nxt

    def prev(self, vma: VmArea) -> VmArea | None:
        """vma_prev(): the VMA before `vma` (its vm_prev in 5.4)."""
        prv: VmArea | None = vma.vm_prev
        return prv

    def find_vma_prev(self, addr: int) -> tuple[VmArea | None, VmArea | None]:
        """find_vma_prev(): (find_vma(addr), the VMA before it)."""
        vma = self.find_vma(addr)
        if vma is None:
            return None, self.last()
        return vma, vma.vm_prev

    def find_vma_intersection(self, start: int, end: int) -> VmArea | None:
        """find_vma_intersection(): a VMA overlapping [start, end), if any."""
        vma = self.find_vma(start)
        if vma is not None and vma.vm_start < end:
            return vma
        return None

    def overlapping(self, start: int, end: int) -> list[VmArea]:
        """Every VMA overlapping [start, end), in order. Runtime: O(log(n) + k)."""
        out = []
        vma = self.find_vma(start)
        while vma is not None and vma.vm_start < end:
            out.append(vma)
            vma = vma.vm_next
        return out

    def _set_highest(self) -> None:
        last = self.last()
        self.highest_vm_end = last.end_gap() if last is not None else 0

    def link(self, vma: VmArea) -> None:
        """__vma_link(): into the list, the rbtree and the index. Runtime: O(log(n))."""
        index = self.index
        i = index.bisect_key_left(vma.vm_start)
        prev = index[i - 1] if i > 0 else None
        nxt = index[i] if i < len(index) else None
        vma.vm_prev = prev
        vma.vm_next = nxt
        if prev is not None:
            prev.vm_next = vma
        if nxt is not None:
            nxt.vm_prev = vma
        index.add(vma)
        self.seq += 1
        # as __vma_link_rb(): the gap after the new VMA first, then the insert
        if nxt is not None:
            self.rb.update_gap(nxt.vm_rb)
        else:
            self._set_highest()
        self.rb.insert(vma.vm_rb)

    def unlink(self, vma: VmArea) -> None:
        """__vma_unlink_common(): out of the list, the rbtree and the index."""
        prev, nxt = vma.vm_prev, vma.vm_next
        self.rb.erase(vma.vm_rb)  # while the neighbours' links still agree with the tree
        if prev is not None:
            prev.vm_next = nxt
        if nxt is not None:
            nxt.vm_prev = prev
        self.index.remove(vma)
        self.seq += 1
        vma.vm_prev = vma.vm_next = None
        if nxt is not None:
            self.rb.update_gap(nxt.vm_rb)
        else:
            self._set_highest()

    def adjust(self, vma: VmArea, start: int, end: int, pgoff: int) -> None:
        """vma_adjust() for one VMA: new bounds that keep its place in the order."""
        self.seq += 1
        if start != vma.vm_start:
            self.index.remove(vma)
            vma.vm_start = start
            self.index.add(vma)
        vma.vm_end = end
        vma.vm_pgoff = pgoff
        self.rb.update_gap(vma.vm_rb)
        if vma.vm_next is not None:
            self.rb.update_gap(vma.vm_next.vm_rb)
        else:
            self._set_highest()

    def unmapped_area_topdown(
        self, length: int, low: int, high: int, align_mask: int = 0, align_offset: int = 0
    ) -> int | None:
        """unmapped_area_topdown() over the rbtree's gaps. Runtime complexity: O(log(n))."""
        return self.rb.unmapped_area_topdown(
            length, low, high, self.highest_vm_end, align_mask, align_offset
        )

    def unmapped_area(
        self, length: int, low: int, high: int, align_mask: int = 0, align_offset: int = 0
    ) -> int | None:
        """unmapped_area(): the lowest gap that fits. Runtime complexity: O(log(n))."""
        return self.rb.unmapped_area(
            length, low, high, self.highest_vm_end, align_mask, align_offset
        )

    def check(self) -> None:
        """Assert every invariant of the set (validate_mm())."""
        index = list(self.index)
        prev = None
        for i, vma in enumerate(index):
            assert vma.vm_start < vma.vm_end, f"empty or inverted VMA {vma!r}"
            assert vma.vm_start & 0xFFF == 0 and vma.vm_end & 0xFFF == 0, f"unaligned {vma!r}"
            assert vma.vm_prev is prev, f"vm_prev of {vma!r} is {vma.vm_prev!r}, not {prev!r}"
            if prev is not None:
                assert prev.vm_next is vma, f"vm_next of {prev!r} is not {vma!r}"
                assert prev.vm_end <= vma.vm_start, f"{prev!r} overlaps {vma!r}"
            if i == len(index) - 1:
                assert vma.vm_next is None, f"last VMA {vma!r} has a vm_next"
            prev = vma
        self.rb.check()
        inorder = list(self.rb.inorder())
        assert len(inorder) == len(index), f"rbtree has {len(inorder)} VMAs, index {len(index)}"
        for a, b in zip(inorder, index, strict=True):
            assert a is b, f"rbtree in-order {a!r} != index {b!r}"
        want = index[-1].end_gap() if index else 0
        assert self.highest_vm_end == want, f"highest_vm_end {self.highest_vm_end:#x} != {want:#x}"
