"""fork(2) as Linux 5.4's dup_mm()/dup_mmap() (kernel/fork.c) does it: the child's VmHWM and
VmPeak start at its own values, and every VM_ACCOUNT VMA copied is charged (so strict
overcommit can refuse a fork)."""

from __future__ import annotations

import re

from tests.helpers import run_json


def _kb(step: dict, name: str) -> int:
    m = re.search(rf"^{name}:\s+(\d+) kB", step["result"]["text"], re.M)
    assert m is not None, name
    return int(m.group(1))


class TestDupMm:
    def test_child_peaks_start_at_its_own_size(self, capsys):
        """GIVEN a parent whose RSS and size peaked at +1M before an munmap WHEN it forks
        THEN the child's VmHWM equals its VmRSS and its VmPeak its VmSize (dup_mm sets
        hiwater_rss = get_mm_rss(), hiwater_vm = total_vm), not the parent's peaks."""
        steps = run_json(capsys, "a = mmap 1M rw private,anon; write a 1M; munmap a 1M; "
                                 "c = fork; show status c")
        st = steps[4]
        assert _kb(st, "VmHWM") == _kb(st, "VmRSS")
        assert _kb(st, "VmPeak") == _kb(st, "VmSize")

    def test_strict_overcommit_can_refuse_a_fork(self, capsys):
        """Under vm.overcommit_memory=2 a parent with 200M of private writable memory cannot
        fork on a 256M machine without swap headroom: dup_mmap's charge for the copy is
        refused, fork returns ENOMEM, and Committed_AS is as before."""
        steps = run_json(capsys, "a = mmap 200M rw private,anon; sysctl vm.overcommit_memory=2; "
                                 "show meminfo; c = fork; show meminfo")
        assert steps[3]["result"]["errno"] == "ENOMEM"
        assert _kb(steps[4], "Committed_AS") == _kb(steps[2], "Committed_AS")
        assert list(steps[3]["maps"]) == ["1"]
