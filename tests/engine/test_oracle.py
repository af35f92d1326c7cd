"""What the real kernel did (shared/oracle/README.md), reproduced by `vmtui run -c ... --json`.

Addresses are compared relative to the scenario's first mapping, in KiB, as
oracle.c prints them.
"""

from __future__ import annotations

from tests.conftest import run_json, vmas_near
from tests.engine.conftest import faults_of, hexval


class TestVmaPlacementAndMerge:
    def test_two_anon_mmaps_land_top_down_and_merge(self, capsys):
        """Two 8K rw mmaps: b == a - 8K, and the maps show one 16K VMA."""
        steps = run_json(capsys, "a = mmap 8K rw private,anon; b = mmap 8K rw private,anon")
        a, b = hexval(steps[0]), hexval(steps[1])
        assert b == a - 8192
        near = vmas_near(steps[1], a, window=8192)
        assert (-8, 8, "rw-p") in near
        assert not any(s == 0 for s, _e, _p in near), "a must not stand as a VMA of its own"

    def test_third_mapping_with_other_protection_stays_separate(self, capsys):
        steps = run_json(capsys, "a = mmap 8K rw private,anon; b = mmap 8K rw private,anon; "
                                 "c = mmap 8K r private,anon")
        a, c = hexval(steps[0]), hexval(steps[2])
        assert c == a - 16384
        near = vmas_near(steps[2], a, window=16384)
        assert (-16, -8, "r--p") in near and (-8, 8, "rw-p") in near


class TestMprotectSplit:
    def test_split_into_three_and_merge_back(self, capsys):
        steps = run_json(capsys, "a = mmap 40K rw private,anon; mprotect a+16K 4K r; "
                                 "mprotect a+16K 4K rw")
        a = hexval(steps[0])
        split = vmas_near(steps[1], a, window=0)
        assert split[:3] == [(0, 16, "rw-p"), (16, 20, "r--p"), (20, 40, "rw-p")]
        merged = vmas_near(steps[2], a, window=0)
        assert merged[0] == (0, 40, "rw-p")

    def test_split_keeps_touched_pages_and_remerges(self, capsys):
        """Pages written before the split stay readable and the VMAs still re-merge
        (both halves share the anon_vma)."""
        steps = run_json(capsys, "a = mmap 40K rw private,anon; write a 40K = 4; "
                                 "mprotect a+16K 4K r; mprotect a+16K 4K rw; x = read a+16K")
        a = hexval(steps[0])
        assert vmas_near(steps[3], a, window=0)[0] == (0, 40, "rw-p")
        assert steps[4]["result"]["value"] == 4


class TestMunmapHole:
    CMDS = ("a = mmap 40K rw private,anon; munmap a+8K 8K; "
            "c = mmap 8K r private,fixed,anon addr=a+8K; "
            "d = mmap 4K rw private,fixed_noreplace,anon addr=a+8K; "
            "file f 4K; e = mmap 4K rw private file=f offset=100")

    def test_hole_fixed_fill_eexist_einval(self, capsys):
        steps = run_json(capsys, self.CMDS)
        a = hexval(steps[0])
        hole = vmas_near(steps[1], a, window=0)
        assert hole[:2] == [(0, 8, "rw-p"), (16, 40, "rw-p")]
        assert hexval(steps[2]) == a + 8192
        assert vmas_near(steps[2], a, window=0)[:3] == [(0, 8, "rw-p"), (8, 16, "r--p"),
                                                         (16, 40, "rw-p")]
        assert steps[3]["result"] == {"ok": False, "errno": "EEXIST",
                                      "why": steps[3]["result"]["why"]}
        assert steps[5]["result"]["errno"] == "EINVAL"

    def test_new_mapping_goes_to_the_highest_gap(self, capsys):
        """Top-down: a new 8K mapping takes the highest free gap below mmap_base."""
        steps = run_json(capsys, "a = mmap 40K rw private,anon; munmap a+8K 8K; "
                                 "b = mmap 8K rw private,anon")
        a, b = hexval(steps[0]), hexval(steps[2])
        # everything from a+40K up to mmap_base is packed, so the highest gap is the hole
        assert b == a + 8192
        assert vmas_near(steps[2], a, window=0)[0] == (0, 40, "rw-p")


class TestMremap:
    def test_grow_moves_when_blocked_above(self, capsys):
        steps = run_json(capsys, "a = mmap 16K rw private,anon; write a 16K = 6; "
                                 "b = mremap a 16K 32K maymove; x = read b+12K")
        a, b = hexval(steps[0]), hexval(steps[2])
        assert b != a, "a mapping sits directly above a: it cannot grow in place"
        near = vmas_near(steps[2], b, window=0)
        assert (0, 32, "rw-p") in near
        assert not any(s <= (a - b) // 1024 < e for s, e, _p in vmas_near(steps[2], b))
        assert steps[3]["result"]["value"] == 6, "the pages moved with the mapping"

    def test_grow_without_maymove_is_enomem(self, capsys):
        steps = run_json(capsys, "a = mmap 16K rw private,anon; b = mremap a 16K 32K")
        assert steps[1]["result"]["errno"] == "ENOMEM"

    def test_grow_in_place_when_free_above(self, capsys):
        steps = run_json(capsys, "a = mmap 16K rw private,anon; b = mmap 8K rw private,anon; "
                                 "munmap a 16K; c = mremap b 8K 16K")
        b, c = hexval(steps[1]), hexval(steps[3])
        assert c == b
        assert vmas_near(steps[3], b, window=0)[0] == (0, 16, "rw-p")


class TestFaultCounts:
    def test_the_oracle_fault_counts(self, capsys):
        steps = run_json(
            capsys,
            "a = mmap 40K rw private,anon; write a 40K = 1; read a 40K; "
            "b = mmap 40K rw private,anon; read b 40K; write b 40K = 2; "
            "c = mmap 40K rw private,anon,populate; write c 40K = 3")
        mins = [faults_of(s)[0] for s in steps]
        delta = [mins[i] - mins[i - 1] for i in range(1, len(mins))]
        # write 10 fresh: 10; read them again: 0; (mmap: 0); read 10 fresh: 10 (zero page);
        # write them: 10 (copy from the zero page); MAP_POPULATE (faults at mmap); write: 0
        assert delta[0] == 10
        assert delta[1] == 0
        assert delta[3] == 10
        assert delta[4] == 10
        assert delta[6] == 0
        assert steps[-1]["counters"]["pgmajfault"] == 0

    def test_zero_page_reads_allocate_nothing(self, capsys):
        steps = run_json(capsys, "b = mmap 40K rw private,anon; x = read b 40K")
        assert steps[1]["rss"]["1"]["anon_kb"] == steps[0]["rss"]["1"]["anon_kb"]
        assert steps[1]["result"]["value"] == 0


class TestBrkAndMalloc:
    def test_sbrk_grows_and_shrinks_the_heap(self, capsys):
        steps = run_json(capsys, "b0 = sbrk 0; x = sbrk 32K; y = sbrk 32K; z = sbrk -16K")
        b0 = hexval(steps[0])

        def heap(step):
            return [v for v in vmas_near(step, b0, window=1 << 20) if v[0] >= 0]

        assert heap(steps[1]) == [(0, 32, "rw-p")]
        assert heap(steps[2]) == [(0, 64, "rw-p")]
        assert heap(steps[3]) == [(0, 48, "rw-p")]
        assert all("[heap]" in ln for ln in steps[3]["maps"]["1"] if ln.startswith(
            f"{b0:x}-"))

    def test_malloc_small_from_heap_large_own_mapping(self, capsys):
        steps = run_json(capsys, "b0 = sbrk 0; p = malloc 100; q = malloc 1M; b1 = sbrk 0")
        b0, p, q, b1 = (hexval(s) for s in steps)
        assert b0 <= p < b1, "malloc(100) comes from the heap"
        assert not b0 <= q < b1, "malloc(1M) is not in the heap"
        base = q & ~0xFFF
        assert vmas_near(steps[2], base, window=0)[0] == (0, 1028, "rw-p")


class TestForkCow:
    def test_child_reads_free_writes_copy_parent_keeps_values(self, capsys):
        steps = run_json(capsys, "a = mmap 40K rw private,anon; write a 40K = 7; "
                                 "child = fork; switch child; read a 40K; write a 40K = 9; "
                                 "switch 1; v = read a; w = read a+36K")
        child = str(steps[2]["result"]["value"])
        before = faults_of(steps[3], child)[0]
        assert faults_of(steps[4], child)[0] - before == 0, "reading shared pages: no fault"
        assert faults_of(steps[5], child)[0] - before == 10, "writing them: 10 COW faults"
        assert steps[7]["result"]["value"] == 7 and steps[8]["result"]["value"] == 7


class TestFilePrivate:
    def test_read_is_one_major_fault_then_cow_writes(self, capsys):
        steps = run_json(capsys, "file data 40K; a = mmap 40K rw private file=data; "
                                 "read a 40K; write a 20K = 1")
        mn0, mj0 = faults_of(steps[1])
        mn1, mj1 = faults_of(steps[2])
        mn2, _ = faults_of(steps[3])
        assert mn1 - mn0 == 0, "fault-around maps the rest: no minor faults"
        assert mj1 - mj0 == 1, "one read from disk"
        assert mn2 - mn1 == 5, "5 copy-on-write faults"
        a = hexval(steps[1])
        assert vmas_near(steps[3], a, window=0)[0] == (0, 40, "rw-p")


class TestMergeImportsAnonVma:
    def test_untouched_and_touched_vmas_stay_apart_after_munlock(self, capsys):
        """After mlock splits a touched range off an untouched one, munlock does not merge
        them again: 5.4's is_mergeable_anon_vma() wants list_is_singular() of the untouched
        VMA's (empty) anon_vma_chain. Values stay intact and the invariants hold."""
        steps = run_json(capsys, "a = mmap 12M rw private,anon; mlock a+4M 8M; "
                                 "write a+4M 8M = 1; munlock a+4M 4M; x = read a+5M; "
                                 "munlock a+8M 4M; y = read a+11M")
        assert steps[4]["result"]["value"] == 1 and steps[6]["result"]["value"] == 1
        a = hexval(steps[0])
        near = [v for v in vmas_near(steps[6], a, window=12 << 20) if v[0] >= 0]
        assert near[:2] == [(0, 4096, "rw-p"), (4096, 12288, "rw-p")]
