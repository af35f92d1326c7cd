"""The augmented VMA rbtree: red-black rules, rb_subtree_gap, find_vma, unmapped_area."""

from __future__ import annotations

import math
import random
from bisect import bisect_left

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vmtui.engine.lib.rbtree import RbNode, RbTree, rb_next, rb_prev, vma_compute_gap

PAGE = 0x1000
SLOT_PAGES = 16  # hypothesis places at most one VMA per slot, so ranges never overlap
SLOTS = 48

SETTINGS = settings(max_examples=200, deadline=None)


class FakeVma:
    """Just what the tree needs of a `struct vm_area_struct`."""

    __slots__ = ("vm_start", "vm_end", "vm_prev", "vm_rb", "guard_down", "guard_up")
    calls = 0  # start_gap/end_gap calls, to see that searches skip subtrees

    def __init__(self, start: int, end: int, guard_down: int = 0, guard_up: int = 0) -> None:
        self.vm_start = start
        self.vm_end = end
        self.vm_prev: FakeVma | None = None
        self.vm_rb: RbNode[FakeVma] = RbNode(self)
        self.guard_down = guard_down  # as if VM_GROWSDOWN with this stack_guard_gap
        self.guard_up = guard_up  # as if VM_GROWSUP

    def start_gap(self) -> int:
        FakeVma.calls += 1
        start = self.vm_start - self.guard_down
        return start if start >= 0 else 0

    def end_gap(self) -> int:
        FakeVma.calls += 1
        return self.vm_end + self.guard_up

    def __repr__(self) -> str:
        return f"FakeVma({self.vm_start:#x}, {self.vm_end:#x})"


class Space:
    """A caller of the tree: keeps vm_prev right and calls update_gap as mm/mmap.c does."""

    def __init__(self) -> None:
        self.tree: RbTree[FakeVma] = RbTree()
        self.vmas: list[FakeVma] = []
        self.starts: list[int] = []

    def insert(self, vma: FakeVma) -> None:
        i = bisect_left(self.starts, vma.vm_start)
        vma.vm_prev = self.vmas[i - 1] if i else None
        if i < len(self.vmas):
            nxt = self.vmas[i]
            nxt.vm_prev = vma
            self.tree.update_gap(nxt.vm_rb)  # __vma_link_rb: vma_gap_update(vma->vm_next)
        self.tree.insert(vma.vm_rb)
        self.vmas.insert(i, vma)
        self.starts.insert(i, vma.vm_start)

    def erase(self, vma: FakeVma) -> None:
        i = bisect_left(self.starts, vma.vm_start)
        assert self.vmas[i] is vma
        self.tree.erase(vma.vm_rb)
        del self.vmas[i]
        del self.starts[i]
        if i < len(self.vmas):
            nxt = self.vmas[i]
            nxt.vm_prev = vma.vm_prev
            self.tree.update_gap(nxt.vm_rb)

    def highest_vm_end(self) -> int:
        return self.vmas[-1].end_gap() if self.vmas else 0


def slot_vma(slot: int, offset: int, pages: int, down: int, up: int) -> FakeVma:
    """A VMA inside its slot, guard gaps included, so effective ranges stay ordered."""
    offset %= SLOT_PAGES
    pages = 1 + pages % (SLOT_PAGES - offset)
    down = down % (offset + 1)
    up = up % (SLOT_PAGES - offset - pages + 1)
    base = slot * SLOT_PAGES + offset
    return FakeVma(base * PAGE, (base + pages) * PAGE, down * PAGE, up * PAGE)


small = st.integers(0, SLOT_PAGES - 1)
slot_op = st.tuples(st.integers(0, SLOTS - 1), small, small, small, small)
guards = st.one_of(st.just(0), small)
slot_op_guarded = st.tuples(st.integers(0, SLOTS - 1), small, small, guards, guards)


def build(ops: list[tuple[int, int, int, int, int]], check: bool = False) -> Space:
    """Toggle slots: insert a VMA where the slot is empty, erase it where it is full."""
    space = Space()
    by_slot: dict[int, FakeVma] = {}
    for slot, offset, pages, down, up in ops:
        if slot in by_slot:
            space.erase(by_slot.pop(slot))
        else:
            vma = slot_vma(slot, offset, pages, down, up)
            by_slot[slot] = vma
            space.insert(vma)
        if check:
            space.tree.check()
            assert list(space.tree) == space.vmas
    return space


# Brute force: the same semantics as mm/mmap.c, over the sorted list of gaps.


def gaps(space: Space) -> list[tuple[int, int]]:
    """(gap_start, gap_end) below each VMA, in address order."""
    out = []
    for vma in space.vmas:
        prev = vma.vm_prev
        out.append((prev.end_gap() if prev else 0, vma.start_gap()))
    return out


def brute_unmapped_area(
    space: Space, length: int, low: int, high: int, mask: int, offset: int
) -> int | None:
    full = length + mask
    if high < full or low > high - full:
        return None
    hi, lo = high - full, low + full
    for gap_start, gap_end in gaps(space):
        if gap_start > hi:
            return None
        if gap_end >= lo and gap_end > gap_start and gap_end - gap_start >= full:
            break
    else:
        gap_start = space.highest_vm_end()
        if gap_start > hi:
            return None
    gap_start = max(gap_start, low)
    return gap_start + ((offset - gap_start) & mask)


def brute_unmapped_area_topdown(
    space: Space, length: int, low: int, high: int, mask: int, offset: int
) -> int | None:
    full = length + mask
    if high < full or low > high - full:
        return None
    hi, lo = high - full, low + full
    if space.highest_vm_end() <= hi:
        gap_end = high
    else:
        for gap_start, gap_end in reversed(gaps(space)):
            if gap_end < lo:
                return None
            if gap_start <= hi and gap_end > gap_start and gap_end - gap_start >= full:
                break
        else:
            return None
        gap_end = min(gap_end, high)
    gap_end -= length
    return gap_end - ((gap_end - offset) & mask)


def brute_find(space: Space, addr: int) -> FakeVma | None:
    return next((vma for vma in space.vmas if vma.vm_end > addr), None)


TOP = SLOTS * SLOT_PAGES * PAGE
query = st.tuples(
    st.integers(1, 3 * SLOT_PAGES),  # length in pages
    st.integers(0, TOP // PAGE + 8),  # low_limit in pages
    st.integers(0, TOP // PAGE + 8),  # high_limit in pages
    st.integers(0, 5),  # align_mask: (2**k - 1) pages
    st.integers(0, 64),  # align_offset in pages
)


def run_query(space: Space, q: tuple[int, int, int, int, int]) -> None:
    pages, low_pages, high_pages, k, offset_pages = q
    length, low, high, offset = (
        pages * PAGE,
        low_pages * PAGE,
        high_pages * PAGE,
        offset_pages * PAGE,
    )
    mask = ((1 << k) - 1) * PAGE
    hve = space.highest_vm_end()
    tree = space.tree
    got = tree.unmapped_area(length, low, high, hve, mask, offset)
    assert got == brute_unmapped_area(space, length, low, high, mask, offset)
    got_td = tree.unmapped_area_topdown(length, low, high, hve, mask, offset)
    assert got_td == brute_unmapped_area_topdown(space, length, low, high, mask, offset)
    for addr in (got, got_td):
        if addr is not None:
            # What the kernel's VM_BUG_ONs promise: inside the limits, free, aligned.
            assert low <= addr and addr + length <= high
            assert (addr - offset) & mask == 0
            hit = tree.find(addr)
            assert hit is None or hit.start_gap() >= addr + length


class TestRedBlackRules:
    """Inserts and erases keep the tree a valid augmented red-black tree."""

    @SETTINGS
    @given(st.lists(slot_op_guarded, max_size=80))
    def test_random_toggles_keep_every_invariant(
        self, ops: list[tuple[int, int, int, int, int]]
    ) -> None:
        build(ops, check=True)

    @SETTINGS
    @given(st.lists(slot_op, min_size=1, max_size=60), st.randoms(use_true_random=False))
    def test_erase_everything_in_any_order(
        self, ops: list[tuple[int, int, int, int, int]], rnd: random.Random
    ) -> None:
        space = build(ops)
        victims = list(space.vmas)
        rnd.shuffle(victims)
        for vma in victims:
            space.erase(vma)
            space.tree.check()
        assert len(space.tree) == 0 and space.tree.root is None

    def test_many_operations_on_a_larger_tree(self) -> None:
        rnd = random.Random(5)
        space = Space()
        live: dict[int, FakeVma] = {}
        for step in range(3000):
            slot = rnd.randrange(400)
            if slot in live:
                space.erase(live.pop(slot))
            else:
                live[slot] = vma = FakeVma(slot * 4 * PAGE, (slot * 4 + rnd.randint(1, 4)) * PAGE)
                space.insert(vma)
            if step % 50 == 0:
                space.tree.check()
        space.tree.check()

    def test_vm_end_change_needs_update_gap_on_the_next_vma(self) -> None:
        space = Space()
        a, b = FakeVma(0x1000, 0x2000), FakeVma(0x10000, 0x11000)
        space.insert(a)
        space.insert(b)
        a.vm_end = 0x8000  # what vma_adjust() does when a VMA grows up
        with pytest.raises(AssertionError, match="subtree_gap"):
            space.tree.check()
        space.tree.update_gap(b.vm_rb)
        space.tree.check()
        assert b.vm_rb.subtree_gap == 0x8000


class TestCheckCatchesCorruption:
    """check() names what is broken."""

    def space(self) -> Space:
        return build([(s, 0, 3, 0, 0) for s in range(10)])

    def test_red_root(self) -> None:
        space = self.space()
        assert space.tree.root is not None
        space.tree.root.red = True
        with pytest.raises(AssertionError, match="root .* is red"):
            space.tree.check()

    def test_stale_subtree_gap(self) -> None:
        space = self.space()
        assert space.tree.root is not None
        space.tree.root.subtree_gap += PAGE
        with pytest.raises(AssertionError, match="subtree_gap"):
            space.tree.check()

    def test_wrong_vm_prev(self) -> None:
        space = self.space()
        space.vmas[3].vm_prev = space.vmas[1]
        space.tree.update_gap(space.vmas[3].vm_rb)
        with pytest.raises(AssertionError, match="vm_prev"):
            space.tree.check()

    def test_broken_order(self) -> None:
        space = self.space()
        space.vmas[4].vm_start = space.vmas[6].vm_start
        with pytest.raises(AssertionError):
            space.tree.check()

    def test_wrong_parent_and_len(self) -> None:
        space = self.space()
        leaf = space.vmas[0].vm_rb
        leaf.parent = None
        with pytest.raises(AssertionError, match="parent"):
            space.tree.check()
        space = self.space()
        space.tree._len += 1
        with pytest.raises(AssertionError, match="len"):
            space.tree.check()


class TestLookups:
    """find, first, last, inorder, rb_next/rb_prev and levels agree with a sorted list."""

    @SETTINGS
    @given(st.lists(slot_op, max_size=60), st.lists(st.integers(0, TOP + PAGE), max_size=20))
    def test_find_is_find_vma(
        self, ops: list[tuple[int, int, int, int, int]], addrs: list[int]
    ) -> None:
        space = build(ops)
        for addr in addrs:
            assert space.tree.find(addr) is brute_find(space, addr)
        for vma in space.vmas:
            assert space.tree.find(vma.vm_start) is vma
            assert space.tree.find(vma.vm_end - 1) is vma

    def test_first_last_and_walks(self) -> None:
        space = build([(s, s % 5, 2, 0, 0) for s in range(0, 40, 3)])
        tree = space.tree
        assert tree.first() is space.vmas[0] and tree.last() is space.vmas[-1]
        assert list(tree.inorder()) == space.vmas
        node: RbNode[FakeVma] | None = space.vmas[0].vm_rb
        forward = []
        while node is not None:
            forward.append(node.vma)
            node = rb_next(node)
        assert forward == space.vmas
        node = space.vmas[-1].vm_rb
        backward = []
        while node is not None:
            backward.append(node.vma)
            node = rb_prev(node)
        assert backward == space.vmas[::-1]

    def test_empty_tree(self) -> None:
        tree: RbTree[FakeVma] = RbTree()
        tree.check()
        assert tree.first() is None and tree.last() is None and tree.find(0) is None
        assert list(tree) == [] and list(tree.levels(3)) == []
        assert tree.unmapped_area(PAGE, 0, 0x10000, 0) == 0
        assert tree.unmapped_area_topdown(PAGE, 0, 0x10000, 0) == 0xF000

    def test_levels_is_breadth_first_with_slots(self) -> None:
        space = build([(s, 0, 1, 0, 0) for s in range(20)])
        rows = list(space.tree.levels(2))
        assert rows[0] == (0, 0, space.tree.root)
        depths = [depth for depth, _, _ in rows]
        assert depths == sorted(depths) and max(depths) == 2
        for depth, slot, node in rows:
            assert 0 <= slot < 2**depth
            if depth:
                parent = next(n for d, s, n in rows if d == depth - 1 and s == slot // 2)
                assert node.parent is parent
                assert (node is parent.left) == (slot % 2 == 0)
        assert len(list(space.tree.levels(0))) == 1

    def test_clear(self) -> None:
        space = build([(s, 0, 1, 0, 0) for s in range(5)])
        space.tree.clear()
        assert len(space.tree) == 0 and space.tree.root is None
        space.tree.check()


class TestUnmappedArea:
    """unmapped_area and unmapped_area_topdown agree with a scan over the gaps."""

    @SETTINGS
    @given(st.lists(slot_op_guarded, max_size=60), st.lists(query, min_size=1, max_size=10))
    def test_against_brute_force(
        self,
        ops: list[tuple[int, int, int, int, int]],
        queries: list[tuple[int, int, int, int, int]],
    ) -> None:
        space = build(ops)
        for q in queries:
            run_query(space, q)

    def test_against_brute_force_on_a_larger_tree(self) -> None:
        rnd = random.Random(11)
        space = build(
            [
                (slot, rnd.randrange(16), rnd.randrange(16), rnd.randrange(3), 0)
                for slot in rnd.sample(range(SLOTS), 40)
            ]
        )
        for _ in range(400):
            run_query(
                space,
                (
                    rnd.randint(1, 40),
                    rnd.randint(0, TOP // PAGE),
                    rnd.randint(0, TOP // PAGE + 8),
                    rnd.randint(0, 5),
                    rnd.randint(0, 64),
                ),
            )

    def test_topdown_takes_the_highest_hole_below_the_limit(self) -> None:
        space = Space()
        for start, end in [(0x10000, 0x20000), (0x30000, 0x38000), (0x40000, 0x50000)]:
            space.insert(FakeVma(start, end))
        hve = space.highest_vm_end()
        tree = space.tree
        # Above everything: just under high_limit.
        assert tree.unmapped_area_topdown(0x4000, 0, 0x60000, hve) == 0x5C000
        # Capped below the last VMA: the 0x8000 hole at 0x38000 fits 0x8000...
        assert tree.unmapped_area_topdown(0x8000, 0, 0x50000, hve) == 0x38000
        # ...but not 0x9000, so the next hole down.
        assert tree.unmapped_area_topdown(0x9000, 0, 0x50000, hve) == 0x27000
        assert tree.unmapped_area(0x8000, 0x11000, 0x60000, hve) == 0x20000
        assert tree.unmapped_area(0x10001, 0, 0x70000, hve) == 0x50000
        assert tree.unmapped_area(0x10001, 0, 0x60000, hve) is None
        # Alignment: 64 KiB aligned, offset 0x1000.
        # (The kernel reserves length + align_mask, so a limit too tight for that fails.)
        assert tree.unmapped_area_topdown(0x4000, 0, 0x60000, hve, 0xF000, 0x1000) is None
        assert tree.unmapped_area_topdown(0x4000, 0, 0x70000, hve, 0xF000, 0x1000) == 0x61000
        assert tree.unmapped_area(0x4000, 0x20000, 0x80000, hve, 0xF000, 0x1000) == 0x51000

    def test_stack_guard_gap_shrinks_the_hole(self) -> None:
        space = Space()
        low = FakeVma(0x10000, 0x20000)
        stack = FakeVma(0x40000, 0x50000, guard_down=0x10000)  # VM_GROWSDOWN
        space.insert(low)
        space.insert(stack)
        assert vma_compute_gap(stack) == 0x10000
        hve = space.highest_vm_end()
        assert space.tree.unmapped_area_topdown(0x10000, 0, 0x50000, hve) == 0x20000
        assert space.tree.unmapped_area_topdown(0x10001, 0, 0x50000, hve) is None

    def test_overlapping_guard_gaps_give_zero(self) -> None:
        up = FakeVma(0x10000, 0x20000, guard_up=0x10000)
        down = FakeVma(0x28000, 0x30000, guard_down=0x10000)
        down.vm_prev = up
        assert vma_compute_gap(down) == 0


def test_65000_vmas_insert_and_erase() -> None:
    """A big address space: no recursion limit, balanced height, all gaps right."""
    n = 65_000
    rnd = random.Random(1)
    order = list(range(n))
    rnd.shuffle(order)
    space = Space()
    vmas = {}
    for i in order:
        vma = FakeVma((2 * i + 1) * PAGE, (2 * i + 2) * PAGE)
        vmas[i] = vma
        space.insert(vma)
    tree = space.tree
    tree.check()
    assert len(tree) == n
    height = max(depth for depth, _, _ in tree.levels(10_000)) + 1
    assert height <= 2 * math.log2(n + 1)
    assert tree.root is not None and tree.root.subtree_gap == PAGE
    hve = space.highest_vm_end()
    assert tree.unmapped_area(2 * PAGE, 0, 1 << 47, hve) == 2 * n * PAGE
    assert tree.unmapped_area_topdown(PAGE, 0, 2 * n * PAGE, hve) == (2 * n - 2) * PAGE
    # Searches that must skip whole subtrees to stay O(log(n)).
    for low, high in [(0, n * PAGE), (n * PAGE, 1 << 47), (n // 3 * PAGE, n * PAGE)]:
        want = brute_unmapped_area(space, PAGE, low, high, 0, 0)
        want_td = brute_unmapped_area_topdown(space, PAGE, low, high, 0, 0)
        FakeVma.calls = 0
        assert tree.unmapped_area(PAGE, low, high, hve) == want
        assert tree.unmapped_area_topdown(PAGE, low, high, hve) == want_td
        assert FakeVma.calls < 20 * math.log2(n)
    rnd.shuffle(order)
    for k, i in enumerate(order):
        space.erase(vmas[i])
        if k == n // 2:
            tree.check()
    assert len(tree) == 0 and tree.root is None
    tree.check()
