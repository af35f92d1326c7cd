"""Shared anonymous memory (MAP_SHARED|MAP_ANONYMOUS) as Linux 5.4 does it: a tmpfs file made
by shmem_zero_setup(), faulted by shmem_fault() (mm/shmem.c) and mapped by alloc_set_pte()
with the VMA's vm_page_prot; and what MADV_DONTNEED does to its dirty pages, checked against
what 6.18 printed for a C probe kept in tests/kernel_probes/ (shmem_zap_dirty.c and .out)."""

from __future__ import annotations

import re

from tests.conftest import PROBES, run_json
from tests.engine.conftest import faults_of, step_kb


class TestShmemFault:
    def test_reading_fresh_shared_anon_pages_is_a_minor_fault_each(self, capsys):
        """GIVEN a fresh 40K shared anonymous mapping WHEN every page is read
        THEN each page is a minor fault (shmem_getpage_gfp allocates a zeroed page; there is
        no disk to read ahead from), and pgmajfault stays 0."""
        steps = run_json(capsys, "a = mmap 40K rw shared,anon; read a 40K")
        assert faults_of(steps[1]) == (faults_of(steps[0])[0] + 10, 0)
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
        assert faults_of(steps[4], child) == (1, 0)
        assert faults_of(steps[5], child) == (1, 0)
        assert steps[7]["result"]["value"] == 2


class TestShmemObjectLifetime:
    def test_last_munmap_frees_the_pages(self, capsys):
        """GIVEN 400K of shared anonymous memory, written WHEN the only mapping is unmapped
        THEN the tmpfs object is evicted (shmem_evict_inode): Shmem and Cached go back to
        0 kB instead of keeping 400K of unreachable pages."""
        steps = run_json(capsys, "a = mmap 400K rw shared,anon; write a 400K; show meminfo; "
                                 "munmap a 400K; show meminfo")
        assert step_kb(steps[2], "Shmem") == 400
        assert step_kb(steps[4], "Shmem") == 0 and step_kb(steps[4], "Cached") == 0

    def test_pages_live_while_a_child_still_maps_them(self, capsys):
        """The object lives while any VMA maps it: the parent's munmap leaves the child's
        view intact; the child's exit frees the pages."""
        steps = run_json(capsys, "a = mmap 40K rw shared,anon; write a 40K = 6; c = fork; "
                                 "munmap a 40K; switch c; x = read a+8K; exit; show meminfo")
        assert steps[5]["result"]["value"] == 6
        assert step_kb(steps[7], "Shmem") == 0

    def test_size_is_charged_to_committed_as_until_eviction(self, capsys):
        """shmem_acct_size(): MAP_SHARED|MAP_ANONYMOUS charges its whole size to Committed_AS
        when it is made, and shmem_unacct_size() gives it back at eviction."""
        steps = run_json(capsys, "show meminfo; a = mmap 400K rw shared,anon; show meminfo; "
                                 "munmap a 400K; show meminfo")
        base = step_kb(steps[0], "Committed_AS")
        assert step_kb(steps[2], "Committed_AS") == base + 400
        assert step_kb(steps[4], "Committed_AS") == base

    def test_noreserve_is_charged_per_page(self, capsys):
        """With MAP_NORESERVE (VM_NORESERVE) nothing is charged at mmap; shmem_acct_block()
        charges each page as it is allocated."""
        steps = run_json(capsys, "show meminfo; a = mmap 400K rw shared,anon,noreserve; "
                                 "show meminfo; write a 40K; show meminfo; munmap a 400K; "
                                 "show meminfo")
        base = step_kb(steps[0], "Committed_AS")
        assert step_kb(steps[2], "Committed_AS") == base
        assert step_kb(steps[4], "Committed_AS") == base + 40
        assert step_kb(steps[6], "Committed_AS") == base

    def test_strict_overcommit_refuses_a_shared_mapping_too_big(self, capsys):
        """Under vm.overcommit_memory=2 a shared anonymous mapping larger than CommitLimit
        fails with ENOMEM at mmap time, as a private one does."""
        steps = run_json(capsys, "sysctl vm.overcommit_memory=2; a = mmap 300M rw shared,anon")
        assert steps[1]["result"]["errno"] == "ENOMEM"


def _smaps_fields(text: str, start: int) -> dict[str, int]:
    """The kB fields of the smaps entry of the VMA starting at `start`."""
    lines = text.splitlines()
    head = f"{start:x}-"
    for i, line in enumerate(lines):
        if line.startswith(head):
            out: dict[str, int] = {}
            for field in lines[i + 1:]:
                m = re.match(r"(\w+):\s+(\d+) kB", field)
                if m is None:
                    if field.startswith("VmFlags"):
                        break
                    continue
                out[m.group(1)] = int(m.group(2))
            return out
    raise AssertionError(f"no smaps entry starts at {start:#x}")


def _probe_fields(name: str) -> dict[str, int]:
    out = {}
    for line in (PROBES / name).read_text().splitlines():
        m = re.match(r"(\w+):\s+(\d+) kB", line)
        if m:
            out[m.group(1)] = int(m.group(2))
    return out


class TestZapDirtyShmem:
    CMDS = ("a = mmap 40K rw shared,anon; read a 40K; write a 40K = 1; "
            "madvise a 40K dontneed; read a 40K; show smaps")

    def test_dontneed_of_dirty_shmem_pages_leaves_them_dirty(self, capsys):
        """GIVEN 40K of shared anonymous memory, read then written (writable PTEs, dirty)
        WHEN MADV_DONTNEED zaps the PTEs and the pages are read again
        THEN smaps shows them Private_Dirty, not Private_Clean.

        5.4 mm/memory.c zap_pte_range(): `if (!PageAnon(page)) { if (pte_dirty(ptent)) {
        force_flush = 1; set_page_dirty(page); } ...}` - a shmem page is not PageAnon, so its
        dirty PTE is moved into PG_dirty before the PTE goes; smaps_account() then counts
        the page dirty through PageDirty() once it is mapped again by the clean read PTE.
        Linux 6.18 (shmem_zap_dirty.c / .out): Private_Dirty 40 kB, Private_Clean 0 kB."""
        steps = run_json(capsys, self.CMDS, swap=0)
        base = int(steps[0]["result"]["value"], 16)
        got = _smaps_fields(steps[-1]["result"]["text"], base)
        kernel = _probe_fields("shmem_zap_dirty.out")
        assert (kernel["Private_Dirty"], kernel["Private_Clean"]) == (40, 0)
        assert (got["Rss"], got["Private_Dirty"], got["Private_Clean"]) == (40, 40, 0)
        assert got["Shared_Dirty"] == kernel["Shared_Dirty"] == 0

    def test_shmem_dirtying_is_not_accounted_as_dirty_page_cache(self, capsys):
        """shmem's address_space_operations use __set_page_dirty_no_writeback (5.4
        mm/shmem.c shmem_aops .set_page_dirty): PG_dirty only, no NR_FILE_DIRTY; so
        /proc/meminfo's Dirty stays 0 kB after the zap, as it does on Linux."""
        steps = run_json(capsys, self.CMDS.replace("show smaps", "show meminfo"), swap=0)
        m = re.search(r"^Dirty:\s+(\d+) kB", steps[-1]["result"]["text"], re.M)
        assert m is not None and int(m.group(1)) == 0
