"""The maple tree (lib/maple_tree.py) and the 6.1+ VMA set over it (lib/vma_maple.py).

Expected shapes are worked by hand from lib/maple_tree.c:
  * an empty tree's first store is mas_root_expand(): [NULL, entry, NULL];
  * a leaf holds 16 slots; a store that needs a 17th splits (mas_split). The root has
    no sibling to push into, so mab_calc_split() cuts at b_end / 2 = 8, and
    mab_no_null_split() moves a cut that falls on a NULL one slot right (the right side
    keeps more than mt_min_slots = 6);
  * a later overflow first pushes into the left sibling (mas_push_data()): the two
    nodes' data is cut at mt_slots - 2 = 14, again moved off a NULL;
  * a leaf whose data ends below mt_min_slots rebalances with its next sibling, and
    a single node covering 0..ULONG_MAX becomes the new root.
"""

from __future__ import annotations

import pickle
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vmtui.engine.include.mm_types import VM_READ, MmStruct, VmArea
from vmtui.engine.lib.maple_tree import (
    MAPLE_ARANGE_64,
    MAPLE_LEAF_64,
    ULONG_MAX,
    MapleTree,
)
from vmtui.engine.lib.vma_maple import MapleVmaSet
from vmtui.engine.lib.vma_tree import VmaSet

K = 0x1000


def ranges(t: MapleTree) -> list[tuple[int, int, object]]:
    """Every slot of every leaf, NULLs too, as (first, last, entry)."""
    out = []
    for _, node, lo, hi in t.nodes():
        if node.type == MAPLE_LEAF_64:
            for i, e in enumerate(node.slots):
                first = node.pivots[i - 1] + 1 if i else lo
                last = node.pivots[i] if i < len(node.pivots) else hi
                out.append((first, last, e))
    return out


def tens(n: int) -> MapleTree:
    """Entries i over [10i, 10i + 5] for i = 1..n, stored in order."""
    t = MapleTree()
    for i in range(1, n + 1):
        t.store(10 * i, 10 * i + 5, i)
        t.check()
    return t


def test_root_expand() -> None:
    t = tens(1)
    assert t.height == 1
    assert ranges(t) == [(0, 9, None), (10, 15, 1), (16, ULONG_MAX, None)]


def test_first_split_of_the_root_leaf() -> None:
    # 7 entries: 1 + 2*7 = 15 slots, one leaf
    assert tens(7).height == 1
    # the 8th makes 17: b_end 16, split 8 is the NULL 46-49, moved to 9 (A5, ends 55)
    t = tens(8)
    assert t.height == 2
    root = t.root
    assert root is not None and root.type == MAPLE_ARANGE_64
    assert root.pivots == [55]
    left, right = root.slots
    assert [len(left.slots), len(right.slots)] == [10, 7]
    # largest NULL under each: 0-9 on the left, 86-ULONG_MAX on the right
    assert root.gaps == [10, ULONG_MAX - 86 + 1]


def test_overflow_pushes_into_the_left_sibling() -> None:
    # right leaf: 7 slots + 2 per entry from i = 9: 17 at i = 13. The left sibling has
    # end 9: slot_total 16 + 9 = 25 < space 2*16 - 2 - 1 (leaf) - 1 (ends at ULONG_MAX)
    # = 28, so push left: 27 entries cut at 14 (a NULL) -> 15: left 16 slots up to A8
    t = tens(13)
    root = t.root
    assert root is not None and t.height == 2
    assert root.pivots == [85]
    assert [len(c.slots) for c in root.slots] == [16, 11]
    assert root.gaps == [10, ULONG_MAX - 136 + 1]


def test_erase_merges_nulls_and_rebalances_into_a_new_root() -> None:
    t = tens(8)
    t.erase(10)  # NULL 0-9 + A1 + NULL 16-19 -> one NULL 0-19; the left leaf keeps 8
    t.check()
    assert t.height == 2 and len(t.root.slots[0].slots) == 8  # type: ignore[union-attr]
    t.erase(25)  # down to 6 slots: end 5 < 6, rebalance with the right leaf: 13 slots
    t.check()
    assert t.height == 1
    assert ranges(t)[:3] == [(0, 29, None), (30, 35, 3), (36, 39, None)]
    assert len(ranges(t)) == 13


def test_empty_area_and_rev_by_hand() -> None:
    t = tens(8)  # entries at 10-15, 20-25, ..., 80-85
    assert t.empty_area_rev(0, 100, 4) == (97, 100)  # NULL 86-ULONG_MAX, clipped
    assert t.empty_area_rev(0, 84, 4) == (76, 79)
    assert t.empty_area_rev(0, 84, 5) == (5, 9)  # only 0-9 holds 5
    assert t.empty_area_rev(0, 8, 10) is None
    assert t.empty_area(11, 100, 4) == (16, 19)
    assert t.empty_area(0, 100, 5) == (0, 4)
    assert t.empty_area(1, 100, 10) == (86, 95)
    assert t.last_path and t.last_path[0] == t.root.nid  # type: ignore[union-attr]


def test_walk_find_next_prev() -> None:
    t = tens(13)
    assert t.walk(47) == (None, 46, 49)
    assert t.walk(52) == (5, 50, 55)
    assert t.find(47) == (5, 50, 55)
    assert t.find(86) == (9, 90, 95)  # crosses into the right leaf
    assert t.find(136) is None
    assert t.find(47, 49) is None
    assert t.find_prev(88) == (8, 80, 85)
    assert t.find_prev(9) is None
    assert len(t.last_path) >= 2


def test_spanning_store_over_both_leaves() -> None:
    t = tens(13)
    t.store(33, 104, 99)  # from the left leaf well into the right one
    t.check()
    assert t.walk(33) == (99, 33, 104)
    assert t.walk(30) == (3, 30, 32)
    assert t.walk(105) == (10, 105, 105)  # what is left of A10
    t.store(12, 117, None)  # a spanning NULL takes in the NULL 116-119 it ends in
    t.check()
    assert t.walk(12) == (None, 12, 119)
    assert t.walk(11) == (1, 10, 11)
    t.store(0, ULONG_MAX, None)
    t.check()
    assert t.root is None and t.height == 0


def test_check_catches_a_corrupted_gap_and_an_unsorted_pivot() -> None:
    t = tens(8)
    t.root.gaps[0] += 1  # type: ignore[union-attr,index]
    with pytest.raises(AssertionError, match="gap 0"):
        t.check()
    t = tens(8)
    leaf = t.root.slots[0]  # type: ignore[union-attr]
    leaf.pivots[2], leaf.pivots[3] = leaf.pivots[3], leaf.pivots[2]
    with pytest.raises(AssertionError, match="pivot 3"):
        t.check()


def test_dump_in_the_kernel_format() -> None:
    t = MapleTree()
    t.store(10, 15, 1)
    lines = t.dump().splitlines()
    # flags: MT_FLAGS_ALLOC_RANGE | MT_FLAGS_USE_RCU | MT_FLAGS_LOCK_EXTERN, height 1 << 2
    assert lines[0].startswith("maple_tree(") and " flags 307, height 1 root " in lines[0]
    head = lines[1]
    assert head.startswith("0-ffffffffffffffff: node ") and " depth 0 type 1 parent " in head
    contents = head.split(" contents: ")[1].split()
    # 15 (slot, pivot) pairs then slot 15: pivot[2] is the stored max, then zeros; the
    # last slot holds the metadata end = 2
    assert contents[:6] == ["0000000000000000", "9", "0000000000000003", "F",
                            "0000000000000000", "FFFFFFFFFFFFFFFF"]
    assert contents[7] == "0" and contents[-1] == "0000000000000002"
    assert len(contents) == 31
    assert lines[2:] == ["  0-9: 0000000000000000",
                         "  a-f: value 1 (0x1) [0000000000000003]",
                         "  10-ffffffffffffffff: 0000000000000000"]
    big = tens(8).dump().splitlines()
    assert " type 3 " in big[1] and "| 01 01| " in big[1]  # arange: end 1, max gap at 1
    assert big[2].startswith("  0-37: node ") and " depth 1 type 1 " in big[2]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3000), st.integers(0, 60), st.booleans()),
                min_size=1, max_size=120))
def test_random_store_and_erase_against_a_dict(ops: list[tuple[int, int, bool]]) -> None:
    t = MapleTree()
    ref: dict[int, object] = {}
    for n, (lo, span, erase) in enumerate(ops):
        hi = lo + span
        entry = None if erase else n + 1
        t.store(lo, hi, entry)
        for i in range(lo, hi + 1):
            if entry is None:
                ref.pop(i, None)
            else:
                ref[i] = entry
        t.check()
    got = {i: e for a, b, e in t.items() for i in range(a, b + 1)}
    assert got == ref
    if ref:
        keys = sorted(ref)
        assert t.find(0) is not None and t.find(0)[1] == keys[0]  # type: ignore[index]
        # the highest hole of 3 at or below 3100, by brute force
        free = [s for s in range(3100 - 2, -1, -1)
                if all(i not in ref for i in range(s, s + 3))]
        want = (free[0], free[0] + 2) if free else None
        assert t.empty_area_rev(0, 3100, 3) == want
        free = [s for s in range(0, 3099) if all(i not in ref for i in range(s, s + 3))]
        assert t.empty_area(0, 3100, 3) == ((free[0], free[0] + 2) if free else None)


def test_pickle_keeps_the_tree_shape() -> None:
    rnd = random.Random(5)
    mm = MmStruct(1 << 47)
    s: MapleVmaSet[VmArea] = MapleVmaSet()
    for _ in range(400):
        start = rnd.randrange(1, 1 << 20) * K
        if s.find_vma_intersection(start, start + 3 * K) is None:
            s.link(VmArea(mm, start, start + rnd.randrange(1, 4) * K, VM_READ))
    for vma in list(s)[::3]:
        s.unlink(vma)
    before = s.mt.dump(entry_ptr=lambda v: v.vm_start)
    copy = pickle.loads(pickle.dumps(s))
    copy.rebuild()
    copy.check()
    after = copy.mt.dump(entry_ptr=lambda v: v.vm_start)
    assert after == before  # the same nodes, ids, pivots, gaps and entries
    assert copy.mt.height == s.mt.height > 1


def test_maple_set_against_rbtree_set() -> None:
    rnd = random.Random(14)
    mm = MmStruct(1 << 47)
    rb: VmaSet[VmArea] = VmaSet()
    ma: MapleVmaSet[VmArea] = MapleVmaSet()
    pairs: dict[int, tuple[VmArea, VmArea]] = {}
    top = 1 << 16
    for step in range(1500):
        op = rnd.random()
        if op < 0.55 or not pairs:
            start = rnd.randrange(1, top) * K
            end = start + rnd.randrange(1, 8) * K
            if rb.find_vma_intersection(start, end) is None:
                a, b = VmArea(mm, start, end, VM_READ), VmArea(mm, start, end, VM_READ)
                rb.link(a)
                ma.link(b)
                pairs[id(a)] = (a, b)
        elif op < 0.75:
            a, b = pairs.pop(rnd.choice(list(pairs)))
            rb.unlink(a)
            ma.unlink(b)
        else:
            a, b = rnd.choice(list(pairs.values()))
            lo = a.vm_prev.vm_end if a.vm_prev else K
            hi = a.vm_next.vm_start if a.vm_next else top * K
            start = rnd.randrange(lo // K, a.vm_end // K) * K
            end = rnd.randrange(max(start // K + 1, a.vm_start // K + 1), hi // K + 1) * K
            rb.adjust(a, start, end, a.vm_pgoff)
            ma.adjust(b, start, end, b.vm_pgoff)
        if step % 50 == 0:
            rb.check()
            ma.check()
        for _ in range(3):
            addr = rnd.randrange(0, top + 4) * K
            x, y = rb.find_vma(addr), ma.find_vma(addr)
            assert (x and (x.vm_start, x.vm_end)) == (y and (y.vm_start, y.vm_end))
            px, py = rb.find_vma_prev(addr)[1], ma.find_vma_prev(addr)[1]
            assert (px and px.vm_start) == (py and py.vm_start)
            if y is not None:
                nx, ny = rb.next(x), ma.next(y)  # type: ignore[arg-type]
                assert (nx and nx.vm_start) == (ny and ny.vm_start)
            length = rnd.choice([1, 2, 5, 16]) * K
            low, high = sorted(rnd.randrange(1, top + 2) * K for _ in range(2))
            mask = rnd.choice([0, 0, 0xF000])
            assert rb.unmapped_area_topdown(length, low, high, mask) == \
                ma.unmapped_area_topdown(length, low, high, mask), (step, length, low, high)
            assert rb.unmapped_area(length, low, high, mask) == \
                ma.unmapped_area(length, low, high, mask), (step, length, low, high)
    rb.check()
    ma.check()
    assert [(v.vm_start, v.vm_end) for v in rb] == [(v.vm_start, v.vm_end) for v in ma]
    assert ma.mt.height >= 3
