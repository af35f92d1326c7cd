"""The buddy allocator's bulk path (PhysMem.rmqueue_bulk): the frames a bulk fault gets.

A hand-worked case from __rmqueue_smallest() + expand() (mm/page_alloc.c): the
smallest free block is taken first and split in halves, the upper half staying
free at the order below; and a property: the bulk path gives the very frames,
in the very order, and leaves the very free lists that as many order-0 calls of
rmqueue() would.
"""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.engine.conftest import zone_with
from vmtui.engine.include.mmzone import MAX_ORDER, PhysMem


def test_smallest_block_first_then_a_split_one():
    """Free: pfn 3 (order 0), pfns 8-15 (order 3). Five frames: 3 first (the smallest
    block), then 8, 9, 10, 11 out of the order-3 block, whose top half 12-15 stays free
    as one order-2 block."""
    mem, zone = zone_with([(8, 3), (3, 0)])
    assert mem.rmqueue_bulk(zone, 5) == [3, 8, 9, 10, 11]
    assert zone.free_area[2] == {12: None}
    assert not any(zone.free_area[o] for o in (0, 1, 3))
    assert zone.nr_free == 4


def test_whole_blocks_are_taken_in_ascending_frames():
    """Two order-2 blocks (0-3, then 16-19 inserted last): the last inserted block is
    the first popped (the free list is LIFO), each gives its frames in ascending order."""
    mem, zone = zone_with([(0, 2), (16, 2)])
    assert mem.rmqueue_bulk(zone, 8) == [16, 17, 18, 19, 0, 1, 2, 3]
    assert zone.nr_free == 0
    assert mem.rmqueue_bulk(zone, 1) == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, MAX_ORDER - 1)), max_size=40),
       st.integers(0, 3000))
def test_bulk_is_count_calls_of_rmqueue(ops, count):
    mem = PhysMem([{"ram": 16 << 20}], None)
    zone = mem.zones[1] if mem.zones[1].spanned else mem.zones[0]
    mem.free_range(zone, zone.start_pfn, zone.end_pfn)
    held: list[tuple[int, int]] = []
    for take, order in ops:  # a history of allocations and frees shapes the free lists
        if take:
            pfn = mem.rmqueue(zone, order)
            if pfn is not None:
                held.append((pfn, order))
        elif held:
            pfn, o = held.pop(len(held) // 2)
            mem.free_one(zone, pfn, o)
    other = copy.deepcopy(mem)
    ozone = other.zones[mem.zones.index(zone)]
    want = []
    for _ in range(count):
        pfn = other.rmqueue(ozone, 0)
        if pfn is None:
            break
        want.append(pfn)
    assert mem.rmqueue_bulk(zone, count) == want
    assert [list(a) for a in zone.free_area] == [list(a) for a in ozone.free_area]
    assert zone.nr_free == ozone.nr_free
