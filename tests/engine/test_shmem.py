"""Shared anonymous memory (MAP_SHARED|MAP_ANONYMOUS) as Linux 5.4 does it: a tmpfs file made
by shmem_zero_setup(), faulted by shmem_fault() (mm/shmem.c) and mapped by alloc_set_pte()
with the VMA's vm_page_prot."""

from __future__ import annotations

from tests.helpers import run_json


def _faults(step: dict, pid: str = "1") -> tuple[int, int]:
    f = step["faults"][pid]
    return f["min_flt"], f["maj_flt"]


class TestShmemFault:
    def test_reading_fresh_shared_anon_pages_is_a_minor_fault_each(self, capsys):
        """GIVEN a fresh 40K shared anonymous mapping WHEN every page is read
        THEN each page is a minor fault (shmem_getpage_gfp allocates a zeroed page; there is
        no disk to read ahead from), and pgmajfault stays 0."""
        steps = run_json(capsys, "a = mmap 40K rw shared,anon; read a 40K")
        assert _faults(steps[1]) == (_faults(steps[0])[0] + 10, 0)
        assert steps[1]["counters"]["pgmajfault"] == 0
        assert steps[1]["counters"]["pgfault"] == 10

    def test_writes_after_reads_take_no_fault(self, capsys):
        """The read faults mapped the pages with vm_page_prot, which is writable for a shared
        writable tmpfs mapping (no page_mkwrite, no dirty accounting), so writing them all
        afterwards takes no fault at all."""
        steps = run_json(capsys, "a = mmap 40K rw shared,anon; read a 40K; write a 40K = 4; "
                                 "x = read a+36K")
        assert steps[2]["counters"]["pgfault"] == steps[1]["counters"]["pgfault"]
        assert steps[3]["result"]["value"] == 4

    def test_child_maps_the_parents_pages_writable_by_fault_around(self, capsys):
        """After fork the child has no PTEs for the shared VMA (copy_page_range skips VMAs
        without anon_vma); its first read maps all 10 cached pages at once (fault-around),
        writable, so its writes that follow take no fault and the parent sees them."""
        steps = run_json(capsys, "a = mmap 40K rw shared,anon; write a 40K = 1; c = fork; "
                                 "switch c; read a 40K; write a 40K = 2; switch 1; y = read a+4K")
        child = str(steps[2]["result"]["value"])
        assert _faults(steps[4], child) == (1, 0)
        assert _faults(steps[5], child) == (1, 0)
        assert steps[7]["result"]["value"] == 2


def _kb(step: dict, name: str) -> int:
    import re

    m = re.search(rf"^{name}:\s+(\d+) kB", step["result"]["text"], re.M)
    assert m is not None, name
    return int(m.group(1))


class TestShmemObjectLifetime:
    def test_last_munmap_frees_the_pages(self, capsys):
        """GIVEN 400K of shared anonymous memory, written WHEN the only mapping is unmapped
        THEN the tmpfs object is evicted (shmem_evict_inode): Shmem and Cached go back to
        0 kB instead of keeping 400K of unreachable pages."""
        steps = run_json(capsys, "a = mmap 400K rw shared,anon; write a 400K; show meminfo; "
                                 "munmap a 400K; show meminfo")
        assert _kb(steps[2], "Shmem") == 400
        assert _kb(steps[4], "Shmem") == 0 and _kb(steps[4], "Cached") == 0

    def test_pages_live_while_a_child_still_maps_them(self, capsys):
        """The object lives while any VMA maps it: the parent's munmap leaves the child's
        view intact; the child's exit frees the pages."""
        steps = run_json(capsys, "a = mmap 40K rw shared,anon; write a 40K = 6; c = fork; "
                                 "munmap a 40K; switch c; x = read a+8K; exit; show meminfo")
        assert steps[5]["result"]["value"] == 6
        assert _kb(steps[7], "Shmem") == 0

    def test_size_is_charged_to_committed_as_until_eviction(self, capsys):
        """shmem_acct_size(): MAP_SHARED|MAP_ANONYMOUS charges its whole size to Committed_AS
        when it is made, and shmem_unacct_size() gives it back at eviction."""
        steps = run_json(capsys, "show meminfo; a = mmap 400K rw shared,anon; show meminfo; "
                                 "munmap a 400K; show meminfo")
        base = _kb(steps[0], "Committed_AS")
        assert _kb(steps[2], "Committed_AS") == base + 400
        assert _kb(steps[4], "Committed_AS") == base

    def test_noreserve_is_charged_per_page(self, capsys):
        """With MAP_NORESERVE (VM_NORESERVE) nothing is charged at mmap; shmem_acct_block()
        charges each page as it is allocated."""
        steps = run_json(capsys, "show meminfo; a = mmap 400K rw shared,anon,noreserve; "
                                 "show meminfo; write a 40K; show meminfo; munmap a 400K; "
                                 "show meminfo")
        base = _kb(steps[0], "Committed_AS")
        assert _kb(steps[2], "Committed_AS") == base
        assert _kb(steps[4], "Committed_AS") == base + 40
        assert _kb(steps[6], "Committed_AS") == base

    def test_strict_overcommit_refuses_a_shared_mapping_too_big(self, capsys):
        """Under vm.overcommit_memory=2 a shared anonymous mapping larger than CommitLimit
        fails with ENOMEM at mmap time, as a private one does."""
        steps = run_json(capsys, "sysctl vm.overcommit_memory=2; a = mmap 300M rw shared,anon")
        assert steps[1]["result"]["errno"] == "ENOMEM"
