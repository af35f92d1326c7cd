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

