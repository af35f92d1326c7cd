"""check_invariants finds what it promises to find.

Every other test relies on check_invariants after each step; these make sure it can
fail. Each test runs a small workload (invariants hold), then breaks one thing by hand,
the way a bug in the engine would, and expects InvariantError naming that thing.
"""

from __future__ import annotations

import pytest

from tests.conftest import run_checked
from vmtui.engine.check.invariants import InvariantError, check_invariants
from vmtui.engine.include.pgtable import is_swap_pte, pte_pfn


def _machine(commands: str, **machine: object):  # type: ignore[no-untyped-def]
    m = run_checked(commands, **machine).machine
    check_invariants(m)  # holds before the damage
    return m


def _mapped_page(m):  # type: ignore[no-untyped-def]
    """A frame that a PTE of the current process maps (not the zero page)."""
    mm = m.current.mm
    for table, idx, _va in m.pt.iter_ptes(mm.pgd, 0, mm.task_size):
        pte = table.entries[idx]
        if not is_swap_pte(pte) and pte_pfn(pte) in m.mem.pages:
            return m.mem.pages[pte_pfn(pte)]
    raise AssertionError("no mapped page")


def test_a_frame_in_use_inside_a_free_block_is_found() -> None:
    m = _machine("a = mmap 40K rw private,anon; write a 40K = 1")
    zone = m.mem.zone_of(_mapped_page(m).pfn)
    # put a used frame's order-0 block on the free list, and count it free
    pfn = _mapped_page(m).pfn
    zone.free_area[0][pfn] = None
    zone.nr_free += 1
    zone.managed += 1  # so the counts still add up: only the overlap is wrong
    with pytest.raises(InvariantError, match=f"frame {pfn:#x} is in use and inside a free block"):
        check_invariants(m)


def test_a_wrong_free_count_is_found() -> None:
    m = _machine("a = mmap 40K rw private,anon; write a 40K = 1")
    zone = m.mem.zone_of(_mapped_page(m).pfn)
    zone.nr_free -= 1
    with pytest.raises(InvariantError, match="nr_free"):
        check_invariants(m)


def test_a_leaked_frame_is_found() -> None:
    """A frame taken off the free lists but owned by nobody: used + free != managed."""
    m = _machine("a = mmap 40K rw private,anon; write a 40K = 1")
    zone = m.mem.zone_of(_mapped_page(m).pfn)
    order, area = next((o, a) for o, a in enumerate(zone.free_area) if a)
    pfn = next(iter(area))
    del area[pfn]
    zone.nr_free -= 1 << order
    with pytest.raises(InvariantError, match="used .* free != managed"):
        check_invariants(m)


def test_a_wrong_mapcount_is_found() -> None:
    m = _machine("a = mmap 40K rw private,anon; write a 40K = 1")
    page = _mapped_page(m)
    page.mapcount += 1
    with pytest.raises(InvariantError, match=f"frame {page.pfn:#x}: mapcount"):
        check_invariants(m)


def test_a_pte_outside_every_vma_is_found() -> None:
    m = _machine("a = mmap 40K rw private,anon; write a 40K = 1; munmap a+16K 4K")
    mm = m.current.mm
    vma = mm.find_vma(0)
    while vma is not None and vma.vm_end - vma.vm_start != 16 << 10:
        vma = vma.vm_next
    assert vma is not None, "the first 16K of the mapping is its own VMA"
    # the hole at a+16K: move the PTE of a+12K there by hand
    table, idx, va = next(t for t in m.pt.iter_ptes(mm.pgd, vma.vm_end - 4096, vma.vm_end))
    table.entries[idx + 1] = table.entries[idx]
    with pytest.raises(InvariantError, match=f"PTE for {va + 4096:#x} outside every VMA"):
        check_invariants(m)


def test_a_swap_slot_with_a_wrong_count_is_found() -> None:
    m = _machine("a = mmap 16M rw private,anon; write a 16M = 1", ram="16M", swap="32M")
    si = m.swap.areas[0]
    assert si.inuse_pages > 0, "16M written on a 16M machine swaps"
    off = next(o for o in range(1, si.pages) if si.swap_map[o] & 0x3F)
    si.swap_map[off] += 1
    with pytest.raises(InvariantError, match=f"swap slot {off}: count"):
        check_invariants(m)


def test_a_pte_holding_a_free_swap_slot_is_found() -> None:
    m = _machine("a = mmap 16M rw private,anon; write a 16M = 1", ram="16M", swap="32M")
    si = m.swap.areas[0]
    off = next(o for o in range(1, si.pages) if si.swap_map[o] & 0x3F == 1
               and not si.swap_map[o] & 0x40)
    si.swap_map[off] = 0
    si.inuse_pages -= 1
    with pytest.raises(InvariantError, match=f"swap slot {off} is free but a PTE holds it"):
        check_invariants(m)


def test_a_wrong_inuse_count_is_found() -> None:
    m = _machine("a = mmap 16M rw private,anon; write a 16M = 1", ram="16M", swap="32M")
    m.swap.areas[0].inuse_pages += 1
    with pytest.raises(InvariantError, match="inuse_pages"):
        check_invariants(m)


def test_an_anon_page_at_the_wrong_index_is_found() -> None:
    """An anonymous page's index is its virtual page number in the VMA's numbering
    (vm_pgoff of an anonymous VMA is vm_start >> PAGE_SHIFT): one page off is a bug."""
    m = _machine("a = mmap 40K rw private,anon; write a 40K = 1")
    page = _mapped_page(m)
    page.index += 1
    with pytest.raises(InvariantError, match=f"anon page {page.pfn:#x} index {page.index} "
                                             "does not map back"):
        check_invariants(m)


def test_a_page_table_frame_used_twice_is_found() -> None:
    """Two PMD entries pointing at the same PTE table (a table frame used twice)."""
    m = _machine("a = mmap 4M rw private,anon; write a 4K = 1; write a+2M 4K = 2")
    mm = m.current.mm
    leaves = [t for t in m.pt.tables(mm.pgd) if t.level == m.pt.levels - 1]
    pmd = next(t for t in m.pt.tables(mm.pgd) if t.level == m.pt.levels - 2
               and sum(c in leaves for c in t.entries.values()) >= 2)
    i, j = sorted(k for k, c in pmd.entries.items() if c in leaves)[:2]
    pmd.entries[j] = pmd.entries[i]
    with pytest.raises(InvariantError, match=f"page-table frame {pmd.entries[i].pfn:#x} "
                                             "used twice"):
        check_invariants(m)


def test_a_swap_slot_in_use_without_its_swap_cache_page_is_found() -> None:
    """A slot that says SWAP_HAS_CACHE while the swap cache has no page for it."""
    m = _machine("a = mmap 16M rw private,anon; write a 16M = 1", ram="16M", swap="32M")
    si = m.swap.areas[0]
    off = next(o for o in range(1, si.pages) if si.swap_map[o] and not si.swap_map[o] & 0x40)
    si.swap_map[off] |= 0x40
    with pytest.raises(InvariantError, match=f"swap slot {off} says SWAP_HAS_CACHE"):
        check_invariants(m)
