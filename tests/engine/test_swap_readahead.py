"""Swap readahead of Linux 5.4 (mm/swap_state.c), computed by hand from the source.

Which readahead: swapin_readahead() uses swap_vma_readahead() only when
swap_use_vma_readahead(): enable_vma_readahead (true by default) and nr_rotate_swap == 0.
The machine's swap area is /dev/vda2, a virtio disk; 5.4's drivers/block/virtio_blk.c
never sets QUEUE_FLAG_NONROT, so the queue is rotational (this machine's own virtio disk
shows /sys/block/vda/queue/rotational = 1), sys_swapon() counts it in nr_rotate_swap, and
the readahead is swap_cluster_readahead(): the aligned block of swapin_nr_pages() slots
around the faulting one.

swapin_nr_pages(offset): max_pages = 1 << page_cluster (vm.page-cluster, 3 by default;
1 means no readahead); hits = swapin_readahead_hits (reset); __swapin_nr_pages():
pages = hits + 2; if that is 2, it stays 2 only when offset is next to prev_offset, else 1;
otherwise round up to a power of two, at least 4; at most max_pages; at least half the
previous window. prev_offset moves only when there were no hits. Each page read counts
PSWPIN; each page other than the faulting one is PG_readahead and counts SWAP_RA;
lookup_swap_cache() finding a PG_readahead page clears it and counts SWAP_RA_HIT and one
swapin_readahead_hits. Slots are handed out in order from 1 (cluster_next starts at 1 on
a rotational device); slot 0 is the swap header, skipped by the block.

The machine has no swap area (`swapon --show` prints nothing), so there was nothing to
measure: every figure is a hand computation.
"""

from __future__ import annotations

from tests.engine.conftest import Session, field, vmstat
from vmtui.engine.include.pgtable import pte_pfn

COUNTERS = ("pswpin", "swap_ra", "swap_ra_hit", "pgmajfault")


def _anon_setup(kb: int, **machine: str) -> Session:
    s = Session(**machine)
    s.do(f"a = mmap {kb}K rw private,anon; write a {kb}K = 7")
    vma = s.vma_at(s.addr("a"))
    pages = []
    for addr in range(vma.vm_start, vma.vm_end, 4096):
        pte = s.m.pt.leaf(s.m.current.mm.pgd, addr)
        pages.append(s.m.page_of(pte_pfn(pte)))
    assert s.pageout(pages) == kb // 4  # add_to_swap() in address order: slots 1..n
    return s


def _deltas(s: Session, reads: list[int]) -> tuple[dict[str, int], int, int]:
    vs0 = s.text("show vmstat")
    t = s.m.current
    maj0, min0 = t.maj_flt, t.min_flt
    for i in reads:
        assert s.do(f"x = read a+{i * 4}K").value == 7
    vs = s.text("show vmstat")
    return ({k: vmstat(vs, k) - vmstat(vs0, k) for k in COUNTERS}, t.maj_flt - maj0,
            t.min_flt - min0)


class TestClusterReadahead:
    def test_sequential_reads_grow_the_window(self):
        """Pages 0-9 in slots 1-10, read in order: slot 1 window 2 (next to prev_offset 0),
        block 0-1 = slot 1 only; slot 2 window 2, block 2-3 (slot 3 read ahead); slot 3 a
        hit; slot 4: 1 hit -> 4, block 4-7 (3 ahead); slots 5-7 hits; slot 8: 3 hits -> 8,
        block 8-15, slots 9-10 in use (2 ahead); slots 9-10 hits. Majors 4, minors 6,
        pswpin 10, swap_ra 6, swap_ra_hit 6."""
        s = _anon_setup(40)
        d, maj, mnr = _deltas(s, list(range(10)))
        assert d == {"pswpin": 10, "swap_ra": 6, "swap_ra_hit": 6, "pgmajfault": 4}
        assert (maj, mnr) == (4, 6)

    def test_window_shrinks_by_half_at_most(self):
        """20 pages in slots 1-20; read pages 0-7 then page 16. After slot 8's window of 8
        (block 8-15: 7 read ahead), slot 17 has no hits and is not next to prev_offset 2 (it
        moves only on a no-hit read): 1 page, but never below 8 / 2 = 4: block 16-19, three
        read ahead. Majors 5 (slots 1, 2, 4, 8, 17), minors 4, pswpin 1+2+4+8+4 = 19,
        swap_ra 1+3+7+3 = 14, swap_ra_hit 4. Every page read stays in the swap cache (read
        faults, swap not half full): SwapCached 19 pages = 76 kB."""
        s = _anon_setup(80)
        d, maj, mnr = _deltas(s, [*range(8), 16])
        assert d == {"pswpin": 19, "swap_ra": 14, "swap_ra_hit": 4, "pgmajfault": 5}
        assert (maj, mnr) == (5, 4)
        assert field(s.text("show meminfo"), "SwapCached") == 76

    def test_random_reads_get_no_readahead(self):
        """Slots 10, 1, 6: none next to the one before and no hits: window 1 each (and half
        of 1 is 0): three single reads, swap_ra 0."""
        s = _anon_setup(40)
        d, maj, _ = _deltas(s, [9, 0, 5])
        assert d == {"pswpin": 3, "swap_ra": 0, "swap_ra_hit": 0, "pgmajfault": 3}
        assert maj == 3

    def test_page_cluster_1_caps_the_window_at_2(self):
        """vm.page-cluster=1: max_pages 2. Slots 1-10 in order: slot 1 block 0-1 (no ahead),
        slot 2 block 2-3, then every even slot reads the odd one after it ahead: majors at
        slots 1, 2, 4, 6, 8, 10 (6), ahead slots 3, 5, 7, 9 (4), hits 4, pswpin 10."""
        s = _anon_setup(40)
        s.do("sysctl vm.page-cluster=1")
        d, maj, mnr = _deltas(s, list(range(10)))
        assert d == {"pswpin": 10, "swap_ra": 4, "swap_ra_hit": 4, "pgmajfault": 6}
        assert (maj, mnr) == (6, 4)

    def test_page_cluster_0_disables_readahead(self):
        """sysctl -w vm.page-cluster=0: max_pages 1, swapin_nr_pages() is 1: ten majors."""
        s = _anon_setup(40)
        s.do("sysctl -w vm.page-cluster=0")
        d, maj, mnr = _deltas(s, list(range(10)))
        assert d == {"pswpin": 10, "swap_ra": 0, "swap_ra_hit": 0, "pgmajfault": 10}
        assert (maj, mnr) == (10, 0)

    def test_swapoff_reads_ahead_too(self):
        """try_to_unuse() -> unuse_pte_range(): lookup_swap_cache(), else swapin_readahead():
        the same windows as the faults (pswpin 10, swap_ra 6, swap_ra_hit 6), no fault."""
        s = _anon_setup(40)
        vs0 = s.text("show vmstat")
        s.do("swapoff")
        vs = s.text("show vmstat")
        got = {k: vmstat(vs, k) - vmstat(vs0, k) for k in COUNTERS}
        assert got == {"pswpin": 10, "swap_ra": 6, "swap_ra_hit": 6, "pgmajfault": 0}
        assert s.do("x = read a+36K").value == 7

    def test_forked_child_maps_a_page_its_parent_read_ahead(self):
        """Parent and child share the swap entries (fork after the write, pageout of both
        mappings). The parent reads page 1 (slot 2): slot 3 read ahead. The child then reads
        page 2: a swap-cache hit (minor, swap_ra_hit 1) of a page with no anon_vma yet; it
        reads 7 and the parent still does too."""
        s = Session()
        s.do("a = mmap 40K rw private,anon; write a 40K = 7; c = fork")
        vma = s.vma_at(s.addr("a"))
        f = s.m.current.mm.pgd
        pages = [s.m.page_of(pte_pfn(s.m.pt.leaf(f, va)))
                 for va in range(vma.vm_start, vma.vm_end, 4096)]
        assert s.pageout(pages) == 10
        s.do("x = read a; x = read a+4K")  # slots 1 then 2: slot 3 read ahead
        vs0 = s.text("show vmstat")
        s.do("switch c")
        child = s.m.current
        maj0 = child.maj_flt
        assert s.do("x = read a+8K").value == 7
        assert child.maj_flt == maj0
        assert vmstat(s.text("show vmstat"), "swap_ra_hit") - vmstat(vs0, "swap_ra_hit") == 1
        s.do("switch 1")
        assert s.do("x = read a+8K").value == 7


def _pageout_in_order(s: Session, names_pages: list[tuple[str, int]]) -> None:
    """pageout of the given (mapping, page number) pages in that order: slots 1, 2, ..."""
    pgd = s.m.current.mm.pgd
    pages = [s.m.page_of(pte_pfn(s.m.pt.leaf(pgd, s.addr(n) + i * 4096)))
             for n, i in names_pages]
    assert s.pageout(pages) == len(pages)


INTERLEAVED = "a = mmap 16K rw private,anon,fixed addr=0x40000000; " \
    "b = mmap 16K rw private,anon,fixed addr=0x40100000; write a 16K = 7; write b 16K = 8"
ORDER = [("a", 0), ("b", 0), ("a", 1), ("b", 1), ("a", 2), ("b", 2), ("a", 3), ("b", 3)]


class TestVmaReadahead:
    """swap_rotational = false: the swap disk is an SSD (SWP_SOLIDSTATE), nr_rotate_swap is
    0 and swapin_readahead() takes swap_vma_readahead(): the window comes from the VMA's own
    swap_readahead_info (last fault address, window, hits; lookup_swap_cache() counts hits
    there and records the address) with at most 1 << min(page-cluster,
    SWAP_RA_ORDER_CEILING = 3) pages, and reads the swap PTEs of that window: forward from a
    fault one page after the last, backward from one a page before, else centred, always
    inside the VMA and the fault's PMD."""

    def test_interleaved_slots_cluster_reads_one_page_at_a_time(self):
        """Two 4-page mappings whose pages went to swap interleaved: a0=1, b0=2, a1=3, b1=4,
        a2=5, b2=6, a3=7, b3=8. Rotational (cluster) reading a in order: slot 1 window 2
        (block 0-1: itself); slot 3 not next to prev_offset 1, no hits: 1 (and 2 / 2 = 1);
        slots 5 and 7 the same: 4 majors, pswpin 4, swap_ra 0."""
        s = Session()
        s.do(INTERLEAVED)
        _pageout_in_order(s, ORDER)
        d, maj, mnr = _deltas(s, [0, 1, 2, 3])
        assert d == {"pswpin": 4, "swap_ra": 0, "swap_ra_hit": 0, "pgmajfault": 4}
        assert (maj, mnr) == (4, 0)

    def test_interleaved_slots_vma_readahead_follows_the_addresses(self):
        """The same with swap_rotational = false: a0 no history, window 1; a1 one page after
        the last fault: 2, forward a1-a2 (a2 read ahead, slot 5); a2 a hit (hits 1); a3: 1 hit
        -> 4, forward from a3 but clamped at the VMA's end: a3 only. Majors 3, minors 1,
        pswpin 1 + 2 + 1 = 4, swap_ra 1, swap_ra_hit 1; b's pages are never read, so the
        swap cache holds a's four pages: SwapCached 16 kB."""
        s = Session(swap_rotational=False)
        s.do(INTERLEAVED)
        _pageout_in_order(s, ORDER)
        d, maj, mnr = _deltas(s, [0, 1, 2, 3])
        assert d == {"pswpin": 4, "swap_ra": 1, "swap_ra_hit": 1, "pgmajfault": 3}
        assert (maj, mnr) == (3, 1)
        assert field(s.text("show meminfo"), "SwapCached") == 16

    def test_backward_reads_read_backward(self):
        """10 pages at 0x40000000 in slots 1-10, read from the last to the first with VMA
        readahead: p9 window 1; p8 (a page before): 2, backward p7-p8 (p7 ahead); p7 hit;
        p6: 1 hit -> 4, backward p3-p6 (3 ahead); p5-p3 hits; p2: 3 hits -> 8, backward from
        p2 clamped at the VMA's start: p0-p2 (2 ahead); p1, p0 hits. Majors 4, minors 6,
        pswpin 10, swap_ra 6, swap_ra_hit 6."""
        s = Session(swap_rotational=False)
        s.do("a = mmap 40K rw private,anon,fixed addr=0x40000000; write a 40K = 7")
        _pageout_in_order(s, [("a", i) for i in range(10)])
        d, maj, mnr = _deltas(s, list(range(9, -1, -1)))
        assert d == {"pswpin": 10, "swap_ra": 6, "swap_ra_hit": 6, "pgmajfault": 4}
        assert (maj, mnr) == (4, 6)

    def test_window_stops_at_the_pmd(self):
        """A VMA across a 2M boundary (0x401fe000-0x40202000), pages in slots 1-4 in address
        order, read in order: the first fault has no history (window 1); the second, at
        0x401ff000, one page after it: window 2, forward, but the PMD of 0x401ff000 ends at
        0x40200000: nothing ahead. The third, 0x40200000, again adjacent: window 2 (no
        hits), forward 0x40200000-0x40201000 (one ahead). Majors 3, swap_ra 1."""
        s = Session(swap_rotational=False)
        s.do("a = mmap 16K rw private,anon,fixed addr=0x401fe000; write a 16K = 7")
        _pageout_in_order(s, [("a", i) for i in range(4)])
        d, maj, mnr = _deltas(s, [0, 1, 2, 3])
        assert d == {"pswpin": 4, "swap_ra": 1, "swap_ra_hit": 1, "pgmajfault": 3}
        assert (maj, mnr) == (3, 1)

    def test_page_cluster_0_disables_vma_readahead(self):
        s = Session(swap_rotational=False)
        s.do("a = mmap 40K rw private,anon,fixed addr=0x40000000; write a 40K = 7; "
             "sysctl vm.page-cluster=0")
        _pageout_in_order(s, [("a", i) for i in range(10)])
        d, maj, _ = _deltas(s, list(range(10)))
        assert d == {"pswpin": 10, "swap_ra": 0, "swap_ra_hit": 0, "pgmajfault": 10}
