"""Shared anonymous (shmem) pages in swap, as Linux 5.4 mm/shmem.c does it.

Expectations are hand computations from the 5.4 source:
- shrink_page_list() unmaps a shmem page with try_to_unmap(): a file page, so its PTEs
  become none (pte_clear), not swap entries; a dirty PTE dirties the page;
- pageout() -> shmem_writepage(): get_swap_page(), add_to_swap_cache(), info->swapped++,
  swap_shmem_alloc() (swap_map = SWAP_MAP_SHMEM, 0xbf), shmem_delete_from_page_cache()
  leaves swp_to_radix_entry(swap) in the page's place, swap_writepage() (PSWPOUT); the
  synchronous write lets __remove_mapping() free the page from the swap cache;
- with no swap, shmem_writepage() `goto redirty`: AOP_WRITEPAGE_ACTIVATE, the page is
  activated and stays; a clean shmem page (never written: shmem_getpage_gfp "If we
  allocate a new one we do not mark it dirty") is not written but dropped by
  __remove_mapping();
- shmem_fault() -> shmem_getpage_gfp() -> shmem_swapin_page(): lookup_swap_cache(), on a
  miss VM_FAULT_MAJOR + PGMAJFAULT and shmem_swapin() -> swap_cluster_readahead(); then
  shmem_add_to_page_cache(), info->swapped--, delete_from_swap_cache(), set_page_dirty(),
  swap_free();
- smaps: smap_gather_stats() adds shmem_swap_usage() (info->swapped << PAGE_SHIFT when the
  VMA maps the whole object) to Swap, nothing to SwapPss; /proc/PID/status VmSwap is
  MM_SWAPENTS only (swap PTEs), so shmem in swap is not in it;
- swapoff: try_to_unuse() calls shmem_unuse() first, which swaps every entry back into
  the page cache with shmem_swapin_page(..., fault_type = NULL): no fault is counted.

The machine here has no swap area (`swapon --show` prints nothing), so none of this could
be measured on it: every figure below is computed by hand from the 5.4 source.
"""

from __future__ import annotations

from tests.engine.conftest import Session, field, vmstat
from vmtui.engine.include.mmzone import PG_active, PG_dirty
from vmtui.engine.include.swap_info import SWAP_MAP_SHMEM

SHM = "/dev/zero (deleted)"


def _shmem_setup(**machine: str) -> tuple[Session, object]:
    s = Session(**machine)
    s.do("a = mmap 40K rw shared,anon; write a 40K = 7")
    vma = s.vma_at(s.addr("a"))
    return s, vma


def _pages(vma: object) -> list:
    f = vma.vm_file  # type: ignore[attr-defined]
    return [f.pages[i] for i in sorted(f.pages)]


class TestShmemWritepage:
    def test_pageout_moves_pages_to_swap_with_none_ptes(self):
        """GIVEN 10 written shmem pages WHEN reclaim takes them THEN each PTE is none (not a
        swap entry), the mapping holds a swap entry per index, each slot's count is
        SWAP_MAP_SHMEM, pswpout +10, Shmem -40 kB, SwapFree -40 kB, SwapCached 0."""
        s, vma = _shmem_setup()
        f = vma.vm_file
        before_mi = s.text("show meminfo")
        before_vs = s.text("show vmstat")
        assert s.pageout(_pages(vma)) == 10
        m = s.m
        assert not f.pages and sorted(f.swapped) == list(range(10))
        for e in f.swapped.values():
            si = m.swap.area(e)
            assert si.swap_map[_off(e)] == SWAP_MAP_SHMEM
        pgd = m.current.mm.pgd
        for addr in range(vma.vm_start, vma.vm_end, 4096):
            t = m.pt.pte_table(pgd, addr, False)
            assert t is None or not t.entries.get(m.pt.index(m.layout.levels - 1, addr), 0)
        mi = s.text("show meminfo")
        vs = s.text("show vmstat")
        assert vmstat(vs, "pswpout") - vmstat(before_vs, "pswpout") == 10
        assert field(before_mi, "Shmem") - field(mi, "Shmem") == 40
        assert field(before_mi, "SwapFree") - field(mi, "SwapFree") == 40
        assert field(mi, "SwapCached") == 0

    def test_smaps_and_status_after_pageout(self):
        """smaps of the VMA: Rss 0, Swap 40 kB (shmem_swap_usage), SwapPss 0; status:
        RssShmem 0 kB and VmSwap 0 kB (MM_SWAPENTS counts swap PTEs only)."""
        s, vma = _shmem_setup()
        s.pageout(_pages(vma))
        smaps = s.text("show smaps")
        assert field(smaps, "Rss", SHM) == 0
        assert field(smaps, "Swap", SHM) == 40
        assert field(smaps, "SwapPss", SHM) == 0
        st = s.text("show status")
        assert field(st, "RssShmem") == 0
        assert field(st, "VmSwap") == 0

    def test_no_swap_redirties_and_activates(self):
        """swapoff first: shmem_writepage() finds !total_swap_pages, redirties, returns
        AOP_WRITEPAGE_ACTIVATE: nothing freed, pages stay dirty in the page cache, active."""
        s, vma = _shmem_setup()
        s.do("swapoff")
        pages = _pages(vma)
        assert s.pageout(pages) == 0
        assert len(vma.vm_file.pages) == 10 and not vma.vm_file.swapped
        assert all(p.flags & PG_dirty and p.flags & PG_active for p in pages)
        assert vmstat(s.text("show vmstat"), "pswpout") == 0

    def test_clean_shmem_page_is_dropped_not_swapped(self):
        """A shmem page only read (allocated zeroed, never dirtied) is dropped by
        __remove_mapping(): pswpout 0, no swap entry; read again it is a new zero page
        (a minor fault)."""
        s = Session()
        s.do("a = mmap 4K rw shared,anon; read a")
        vma = s.vma_at(s.addr("a"))
        assert s.pageout(_pages(vma)) == 1
        assert not vma.vm_file.pages and not vma.vm_file.swapped
        assert vmstat(s.text("show vmstat"), "pswpout") == 0
        maj = s.m.current.maj_flt
        assert s.do("x = read a").value == 0
        assert s.m.current.maj_flt == maj


def _off(entry: int) -> int:
    from vmtui.engine.include.pgtable import swp_offset

    return swp_offset(entry)


class TestShmemSwapin:
    def test_fault_reads_back_with_cluster_readahead(self):
        """Reading the 10 pages in order after pageout (slots 1-10, page-cluster 3), by
        swapin_nr_pages() from its initial state (prev_offset 0, no hits):
        page 0 slot 1: window 2 (slot 1 is next to prev_offset 0), block 0-1 -> slot 1
        only: major, 1 read. page 1 slot 2: no hits, adjacent -> 2: slots 2-3, major,
        slot 3 read ahead (swap_ra 1). page 2: hit (swap_ra_hit 1). page 3 slot 4: 1 hit
        -> 4: slots 4-7, major, swap_ra +3. pages 4-6: hits. page 7 slot 8: 3 hits -> 8:
        slots 8-15, of which 8-10 are in use: major, swap_ra +2. pages 8-9: hits.
        So 4 major faults and 6 minor, pswpin 10, swap_ra 6, swap_ra_hit 6, pgmajfault 4;
        every page reads back 7, is dirty again (Private_Dirty 40 kB) and Swap is 0."""
        s, vma = _shmem_setup()
        s.pageout(_pages(vma))
        vs0 = s.text("show vmstat")
        t = s.m.current
        maj0, min0 = t.maj_flt, t.min_flt
        for i in range(10):
            assert s.do(f"x = read a+{i * 4}K").value == 7
        vs = s.text("show vmstat")
        assert t.maj_flt - maj0 == 4 and t.min_flt - min0 == 6
        for name, want in (("pswpin", 10), ("swap_ra", 6), ("swap_ra_hit", 6),
                           ("pgmajfault", 4)):
            assert vmstat(vs, name) - vmstat(vs0, name) == want, name
        smaps = s.text("show smaps")
        assert field(smaps, "Swap", SHM) == 0
        assert field(smaps, "Private_Dirty", SHM) == 40
        assert field(smaps, "Private_Clean", SHM) == 0
        mi = s.text("show meminfo")
        assert field(mi, "SwapFree") == field(mi, "SwapTotal")

    def test_page_cluster_zero_reads_one_page_per_fault(self):
        """sysctl vm.page-cluster=0: swapin_nr_pages() returns 1, no readahead: 10 major
        faults, pswpin 10, swap_ra 0, swap_ra_hit 0."""
        s, vma = _shmem_setup()
        s.do("sysctl vm.page-cluster=0")
        s.pageout(_pages(vma))
        vs0 = s.text("show vmstat")
        t = s.m.current
        maj0 = t.maj_flt
        assert s.do("read a 40K").value == 7
        vs = s.text("show vmstat")
        assert t.maj_flt - maj0 == 10
        assert vmstat(vs, "pswpin") - vmstat(vs0, "pswpin") == 10
        assert vmstat(vs, "swap_ra") == vmstat(vs0, "swap_ra")
        assert vmstat(vs, "swap_ra_hit") == vmstat(vs0, "swap_ra_hit")

    def test_write_after_swapin_keeps_the_new_value(self):
        """A write to a swapped-out shmem page swaps it in and writes it; after a second
        pageout and swap-in the page holds the new value."""
        s, vma = _shmem_setup()
        s.pageout(_pages(vma))
        s.do("write a+8K = 9")
        s.pageout(_pages(vma))
        assert s.do("x = read a+8K").value == 9
        assert s.do("x = read a").value == 7


class TestShmemSwapoff:
    def test_swapoff_brings_shmem_back_without_faults(self):
        """swapoff: shmem_unuse() reads all 10 back into the page cache in index order,
        with the same readahead as the faults (pswpin 10, swap_ra 6, swap_ra_hit 6) but
        no fault counted (pgmajfault +0); the PTEs stay none (Rss 0 kB, Swap 0 kB,
        Shmem +40 kB); the next read maps all 10 with one minor fault (fault-around)."""
        s, vma = _shmem_setup()
        s.pageout(_pages(vma))
        vs0 = s.text("show vmstat")
        mi0 = s.text("show meminfo")
        s.do("swapoff")
        vs = s.text("show vmstat")
        for name, want in (("pswpin", 10), ("swap_ra", 6), ("swap_ra_hit", 6),
                           ("pgmajfault", 0)):
            assert vmstat(vs, name) - vmstat(vs0, name) == want, name
        assert len(vma.vm_file.pages) == 10 and not vma.vm_file.swapped
        assert field(s.text("show meminfo"), "Shmem") - field(mi0, "Shmem") == 40
        smaps = s.text("show smaps")
        assert field(smaps, "Rss", SHM) == 0 and field(smaps, "Swap", SHM) == 0
        t = s.m.current
        maj0, min0 = t.maj_flt, t.min_flt
        assert s.do("read a 40K").value == 7
        assert (t.maj_flt - maj0, t.min_flt - min0) == (0, 1)


class TestShmemExit:
    def test_munmap_frees_the_swap_slots(self):
        """munmap of the last mapping evicts the object: shmem_undo_range() frees its swap
        entries (free_swap_and_cache): SwapFree back to the total."""
        s, vma = _shmem_setup()
        s.pageout(_pages(vma))
        s.do("munmap a 40K")
        mi = s.text("show meminfo")
        assert field(mi, "SwapFree") == field(mi, "SwapTotal")
        assert not s.m.swap.shmem_swaplist


class TestShmemUnderPressure:
    def test_shared_anon_over_ram_swaps_and_reads_back(self):
        """From the command line: 40M of shared anonymous memory written on a 32M machine.
        Each page is either in memory or in swap (smaps Rss + Swap = 40960 kB) and some are
        in swap; reading everything back returns what was written."""
        s = Session(ram="32M", swap="64M")
        s.do("a = mmap 40M rw shared,anon; write a 40M = 5")
        smaps = s.text("show smaps")
        rss, swp = field(smaps, "Rss", SHM), field(smaps, "Swap", SHM)
        assert swp > 0 and rss + swp == 40960
        assert field(s.text("show status"), "RssShmem") == rss
        assert s.do("read a 40M").value == 5
        assert vmstat(s.text("show vmstat"), "pswpin") > 0
