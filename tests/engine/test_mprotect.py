"""mprotect(2) as Linux 5.4 does it (mm/mprotect.c mprotect_fixup): VmData/VmExe follow the new
rights, a failed split gives the commit charge back, and a private locked mapping made
writable is populated (COW broken) at once."""

from __future__ import annotations

from tests.conftest import run_json
from tests.engine.conftest import step_kb


class TestVmStatAccount:
    def test_vmdata_follows_mprotect(self, capsys):
        """GIVEN a 40K rw private mapping (40K of VmData)
        WHEN mprotect makes it read-only THEN VmData drops by 40K (vm_stat_account(oldflags,
        -n) then (newflags, +n)), and munmap of the read-only mapping leaves VmData where it
        was before the mmap."""
        steps = run_json(capsys, "show status; a = mmap 40K rw private,anon; show status; "
                                 "mprotect a 40K r; show status; munmap a 40K; show status")
        before, mapped, ro, unmapped = (step_kb(steps[i], "VmData") for i in (0, 2, 4, 6))
        assert mapped == before + 40
        assert ro == before
        assert unmapped == before

    def test_vmexe_counts_pages_made_executable(self, capsys):
        """mprotect r-x of 8K of an rw mapping moves 8K from VmData to the exec side (VmLib,
        since VmExe is the program's text only)."""
        steps = run_json(capsys, "a = mmap 40K rw private,anon; show status; "
                                 "mprotect a 8K rx; show status")
        assert step_kb(steps[3], "VmData") == step_kb(steps[1], "VmData") - 8
        assert step_kb(steps[3], "VmLib") == step_kb(steps[1], "VmLib") + 8

    def test_growsdown_exec_mapping_is_stack_not_exec(self, capsys):
        """is_exec_mapping() masks VM_STACK too: an r-x MAP_GROWSDOWN mapping is counted in
        VmStk, not on the exec side."""
        steps = run_json(capsys, "show status; a = mmap 64K rx private,anon,growsdown; "
                                 "show status")
        assert step_kb(steps[2], "VmStk") == step_kb(steps[0], "VmStk") + 64
        assert step_kb(steps[2], "VmLib") == step_kb(steps[0], "VmLib")


class TestMprotectFailure:
    def test_split_refused_gives_the_charge_back(self, capsys):
        """A read-only private mapping made writable is charged first; when the split that
        follows fails (vm.max_map_count), mprotect_fixup's vm_unacct_memory gives it back."""
        steps = run_json(capsys, "a = mmap 40K r private,anon; show meminfo; "
                                 "sysctl vm.max_map_count=20; mprotect a+8K 8K rw; show meminfo")
        assert steps[3]["result"]["errno"] == "ENOMEM"
        assert step_kb(steps[4], "Committed_AS") == step_kb(steps[1], "Committed_AS")


class TestLockedMadeWritable:
    def test_private_locked_file_mapping_is_cowed_by_mprotect(self, capsys):
        """A MAP_LOCKED read-only private file mapping made writable: mprotect_fixup calls
        populate_vma_page_range(), which breaks COW for every page now, so the writes after it
        take no fault."""
        steps = run_json(capsys, "file f 16K; a = mmap 16K r private,locked file=f; "
                                 "mprotect a 16K rw; write a 16K = 3")
        assert steps[3]["counters"]["pgfault"] == steps[2]["counters"]["pgfault"]
        assert steps[2]["rss"]["1"]["anon_kb"] - steps[1]["rss"]["1"]["anon_kb"] == 16
