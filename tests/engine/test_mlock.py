"""mlock(2) over PROT_NONE as Linux 5.4 has it (mm/mlock.c do_mlock, mm/gup.c __mm_populate,
populate_vma_page_range, check_vma_flags): no FOLL_FORCE for a PROT_NONE VMA, so GUP fails
with EFAULT and mlock() returns ENOMEM, the VMAs staying VM_LOCKED."""

from __future__ import annotations

from tests.conftest import run_json
from tests.engine.conftest import step_kb


class TestMlockProtNone:
    def test_mlock_of_prot_none_is_enomem_but_locks(self, capsys):
        """GIVEN an 8K PROT_NONE mapping WHEN mlock covers it THEN ENOMEM (the EFAULT from
        __get_user_pages, mapped by __mlock_posix_error_return), yet VmLck counts the 8K:
        apply_vma_lock_flags() had already set VM_LOCKED."""
        steps = run_json(capsys, "show status; a = mmap 8K none private,anon; mlock a 8K; "
                                 "show status")
        assert steps[2]["result"]["errno"] == "ENOMEM"
        assert step_kb(steps[3], "VmLck") == step_kb(steps[0], "VmLck") + 8

    def test_the_accessible_part_before_it_is_populated(self, capsys):
        """mlock over an rw page then a PROT_NONE page: the rw page is faulted in (and
        locked), then the PROT_NONE one fails the call with ENOMEM."""
        steps = run_json(capsys, "a = mmap 8K rw private,anon; mprotect a+4K 4K none; "
                                 "mlock a 8K")
        assert steps[2]["result"]["errno"] == "ENOMEM"
        assert steps[2]["rss"]["1"]["anon_kb"] == steps[1]["rss"]["1"]["anon_kb"] + 4

    def test_map_locked_prot_none_ignores_the_error(self, capsys):
        """mmap(MAP_LOCKED) populates with ignore_errors: a PROT_NONE MAP_LOCKED mmap works."""
        steps = run_json(capsys, "a = mmap 8K none private,anon,locked")
        assert steps[0]["result"]["ok"]


class TestAnonVmaCompatible:
    def test_a_locked_neighbour_does_not_lend_its_anon_vma(self, capsys):
        """anon_vma_compatible() (mm/mmap.c, 5.4) ignores only rwx and VM_SOFTDIRTY: a VMA
        next to a VM_LOCKED one with an anon_vma gets an anon_vma of its own on its first
        write fault. So after munlock of the neighbour the two cannot merge
        (is_mergeable_anon_vma: different anon_vmas): /proc/PID/maps shows two rw-p VMAs."""
        steps = run_json(capsys, "a = mmap 16K rw private,anon; mlock a+8K 8K; write a = 1; "
                                 "munlock a+8K 8K")
        a = int(steps[0]["result"]["value"], 16)
        lines = [ln.split()[0] for ln in steps[3]["maps"]["1"]
                 if a <= int(ln.split("-")[0], 16) < a + 16384]
        assert lines == [f"{a:x}-{a + 8192:x}", f"{a + 8192:x}-{a + 16384:x}"]
