"""The frame table (FrameTable): struct page as arrays per memory section, and the buddy
allocator's runs (PhysMem.rmqueue_runs) that bulk first-touch faults take.

Expected values are hand computations from the kernel's code: __rmqueue_smallest() +
expand() split the smallest free block from its low end; do_anonymous_page() gives a new
anonymous page _mapcount 0 (mapcount 1 here), one reference, PG_swapbacked and (as
__SetPageAnon / page_add_new_anon_rmap) the anon_vma as mapping and
linear_page_index() as index; the 6.18 model adds PG_anon_exclusive (5.19, "mm: track
exclusive anonymous pages"); lru_cache_add_active_or_unevictable() puts it on the active
anon list. A memory section is 2^27 bytes (SECTION_SIZE_BITS, x86-64); sparse-vmemmap
populates its memmap 2 MiB at a time (SUBSECTION_SHIFT 21).
"""

from __future__ import annotations

import pickle

from tests.engine.conftest import checked, do, machine, zone_with
from vmtui.engine.include.layout import PAGE_SHIFT
from vmtui.engine.include.mmzone import (
    LRU_GEN_MASK,
    PAGES_PER_SECTION,
    PAGES_PER_SUBSECTION,
    LruLinks,
    PG_active,
    PG_anon,
    PG_anon_exclusive,
    PG_lru,
    PG_swapbacked,
    PG_uptodate,
)
from vmtui.engine.include.pgtable import pte_pfn


def test_runs_smallest_block_then_the_low_end_of_a_split_one():
    """Free: pfn 3 (order 0), 16-31 (order 4). Seven frames: 3, then 16-21 from the low
    end of the order-4 block; what the order-0 calls leave of it, 22-31, stays free as
    the aligned blocks starting there: 22-23 (order 1), 24-31 (order 3)."""
    mem, zone = zone_with([(16, 4), (3, 0)])
    assert mem.rmqueue_runs(zone, 7) == [(3, 1), (16, 6)]
    assert zone.free_area[1] == {22: None}
    assert zone.free_area[3] == {24: None}
    assert not any(zone.free_area[o] for o in (0, 2, 4))
    assert zone.nr_free == 10


def test_runs_join_adjacent_blocks():
    """Blocks 0-3 then 4-7 (4-7 inserted last, popped first): 4-7 then 0-3, two runs; blocks
    8-11 then 12-15 (12 popped first, then 8, which is not after 15): two runs too; but
    popped in ascending order, two blocks make one run."""
    mem, zone = zone_with([(4, 2), (0, 2)])
    assert mem.rmqueue_runs(zone, 8) == [(0, 8)]
    mem, zone = zone_with([(0, 2), (4, 2)])
    assert mem.rmqueue_runs(zone, 8) == [(4, 4), (0, 4)]


def _pages_of(m, base: int, n: int) -> list[int]:
    t = m.current
    out = []
    for i in range(n):
        table = m.pt.pte_table(t.mm.pgd, base + (i << PAGE_SHIFT), False)
        pte = table.entries[m.pt.index(m.layout.levels - 1, base + (i << PAGE_SHIFT))]
        out.append(pte_pfn(pte))
    return out


def _write_4m(kernel: str):  # type: ignore[no-untyped-def]
    m = machine(ram="256M", swap="0", kernel=kernel)
    base = int(do(m, "a = mmap 4M rw private,anon").value, 16)
    vma = m.kmodel.find_vma(m.current.mm, base)
    do(m, "write a 4M = 7")
    return m, vma, base


def _check_new_anon(m, vma, base: int, extra: int) -> None:  # type: ignore[no-untyped-def]
    pfns = _pages_of(m, base, 1024)
    assert len(set(pfns)) == 1024
    for i, pfn in enumerate(pfns):
        page = m.mem.pages[pfn]
        assert page.pfn == pfn
        want = PG_anon | PG_swapbacked | PG_uptodate | extra
        assert page.flags & want == want, (i, page)
        if page.flags & PG_lru:
            # 5.4: the active anon list; 6.18's multi-gen LRU: a generation (gen + 1 in
            # the flags) instead of PG_active
            assert page.flags & (PG_active if m.mem.nodes[0].lru.lrugen is None
                                 else LRU_GEN_MASK), (i, page)
        assert page.mapcount == 1
        assert page.mapping is vma.anon_vma
        assert page.index == (base >> PAGE_SHIFT) + i  # linear_page_index(), vm_pgoff of anon
        assert page.value == 7
        assert page.zone is m.mem.zone_of(pfn)
    # at most a pagevec's worth of them (PAGEVEC_SIZE 15) waits off the lists
    on_lru = sum(1 for pfn in pfns if m.mem.pages[pfn].flags & PG_lru)
    assert 1024 - 15 < on_lru <= 1024


def test_bulk_write_keeps_frames_in_the_arrays_and_reads_them_back():
    m, vma, base = _write_4m("5.4")
    frames = m.mem.pages
    assert frames.ncompact > 900  # most frames have no Page object yet
    pfn = _pages_of(m, base, 1)[0]
    seen = frames.peek(pfn)
    assert seen is not None and seen.mapcount == 1
    assert frames.ncompact > 900 and pfn in frames  # peek() made no Page
    checked(m)  # the invariants walk every frame (making their Pages)
    _check_new_anon(m, vma, base, 0)
    assert not any(m.mem.pages[p].flags & PG_anon_exclusive for p in _pages_of(m, base, 16))


def test_618_bulk_write_sets_anon_exclusive():
    m, vma, base = _write_4m("6.18")
    _check_new_anon(m, vma, base, PG_anon_exclusive)
    checked(m)


def test_pickle_keeps_the_array_frames():
    m, vma, base = _write_4m("5.4")
    n = len(m.mem.pages)
    held = m.mem.pages.ncompact
    m2 = pickle.loads(pickle.dumps(m))
    assert len(m2.mem.pages) == n and m2.mem.pages.ncompact == held
    vma2 = m2.kmodel.find_vma(m2.current.mm, base)
    _check_new_anon(m2, vma2, base, 0)
    checked(m2)
    # the original is untouched by the copy's Pages
    assert m.mem.pages.ncompact == held


def test_free_of_array_frames_gives_them_back():
    m, vma, base = _write_4m("5.4")
    pfns = _pages_of(m, base, 1024)
    free0 = sum(z.nr_free for z in m.mem.zones)
    do(m, "munmap a 4M")
    assert sum(z.nr_free for z in m.mem.zones) - free0 >= 1024
    assert not any(p in m.mem.pages for p in pfns)
    assert all(m.mem.is_free(p) for p in pfns)
    checked(m)


def test_a_big_machine_has_no_section_arrays_until_touched():
    m = machine(ram="64G", swap="0")
    assert not m.mem.pages.sections
    base = int(do(m, "a = mmap 4M rw private,anon").value, 16)
    do(m, "write a 4M = 1")
    # the arrays are made a 2 MiB subsection at a time, only where the written frames lie:
    # 4 MiB of frames fill at least two of them
    compact = set(m.mem.pages.compact_pfns())
    held = {pfn >> 9 for pfn in _pages_of(m, base, 1024) if pfn in compact}
    assert len(held) >= 2 and set(m.mem.pages.sections) == held
    assert PAGES_PER_SECTION == (1 << 27) >> PAGE_SHIFT
    assert PAGES_PER_SUBSECTION == (1 << 21) >> PAGE_SHIFT == 512


def test_lru_list_is_the_ordered_set_it_replaces():
    """page->lru as links in arrays: the order list_add() / list_move_tail() / list_del()
    leave, oldest first, worked by hand."""
    links = LruLinks(1 << 20)
    lst, other = links.new_list(), links.new_list()
    for pfn in (5, 3, 9):
        lst[pfn] = None  # list_add(): the young end
    lst[3] = None  # already on it: stays where it is
    assert list(lst) == [5, 3, 9]
    lst.move_to_end(9, last=False)  # list_move_tail(): the old end
    assert list(lst) == [9, 5, 3]
    del lst[5]
    assert lst.pop(5, None) is None and list(lst) == [9, 3]
    lst.add_run(PAGES_PER_SECTION - 2, 4)  # four frames across a section boundary
    want = [9, 3] + [PAGES_PER_SECTION - 2 + i for i in range(4)]
    assert list(lst) == want and list(reversed(lst)) == want[::-1] and len(lst) == 6
    assert 3 in lst and 3 not in other and 5 not in lst
    other[5] = None
    assert list(other) == [5] and list(lst) == want
    again = pickle.loads(pickle.dumps((lst, other)))
    assert list(again[0]) == want and list(again[1]) == [5]
    again[0].move_to_end(9)
    assert list(again[0]) == want[1:] + [9] and list(lst) == want


def test_618_bulk_write_puts_frames_on_a_generation_by_pfn():
    """6.18: the pages a full pagevec moves go onto their generation list (page->lru) with
    no struct page made, in the order list_add() gives them: the order they were written,
    which is address order; the generation's nr_pages counts them all."""
    m, vma, base = _write_4m("6.18")
    frames = m.mem.pages
    assert frames.ncompact > 900  # as on 5.4: the frames stay in the arrays
    g = m.mem.nodes[0].lru.lrugen
    pfns = _pages_of(m, base, 1024)
    lists = [(gen, t) for gen in range(len(g.folios)) for t in (0, 1)
             if any(p in g.folios[gen][t] for p in pfns)]
    assert len(lists) == 1 and lists[0][1] == 0  # one anon generation holds them
    gen = lists[0][0]
    listed = [p for p in g.folios[gen][0] if p in set(pfns)]
    assert listed == [p for p in pfns if p in set(listed)]  # oldest first = written first
    assert 1024 - 15 < len(listed) <= 1024
    assert g.nr_pages[gen][0] == len(g.folios[gen][0])
    checked(m)
    _check_new_anon(m, vma, base, PG_anon_exclusive)


def test_pte_table_is_a_page_of_512_words():
    """A PTE table is one 4 KiB page of 512 8-byte entries (x86-64, pgtable_64_types.h:
    PTRS_PER_PTE 512); pte_none is 0. Written 3 pages of a fresh table: 3 entries, and
    clearing one (pte_clear: the word back to 0) leaves 2."""
    m = machine(ram="64M", swap="0")
    base = int(do(m, "a = mmap 2M rw private,anon addr=0x600000000").value, 16)
    do(m, "write a+8K 4K = 1")
    do(m, "write a+4K 4K = 1")
    do(m, "write a+1M 4K = 1")
    table = m.pt.pte_table(m.current.mm.pgd, base, False)
    ents = table.entries
    assert len(ents.a) == 512 and ents.a.itemsize * len(ents.a) == 4096
    assert len(ents) == 3 and sorted(ents) == list(ents) == [1, 2, 256]
    assert 0 not in ents and ents.get(0, 0) == 0 and ents.get(3) is None
    old = ents.copy()
    ents[2] = 0
    assert len(ents) == 2 and list(ents) == [1, 256] and ents.changed(old) == [2]
    ents[2] = old[2]
    assert ents == old and ents.changed(old) == []
