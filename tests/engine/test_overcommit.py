"""Strict overcommit (vm.overcommit_memory=2) as Linux 5.4's __vm_enough_memory() (mm/util.c)
decides it: Committed_AS must stay strictly below CommitLimit less min(total_vm / 32,
vm.user_reserve_kbytes)."""

from __future__ import annotations

from tests.conftest import run_json
from tests.engine.conftest import step_kb


def _limits(capsys) -> tuple[int, int, int]:
    steps = run_json(capsys, "show meminfo; show status")
    return (step_kb(steps[0], "CommitLimit"), step_kb(steps[0], "Committed_AS"),
            step_kb(steps[1], "VmSize"))


class TestStrictOvercommit:
    def test_a_mapping_that_just_reaches_the_limit_is_refused(self, capsys):
        """A private writable mapping that would make Committed_AS equal CommitLimit exactly
        is refused: the test is committed + pages < allowed."""
        limit, committed, _ = _limits(capsys)
        steps = run_json(capsys, f"sysctl vm.overcommit_memory=2; "
                                 f"a = mmap {limit - committed}K rw private,anon")
        assert steps[1]["result"]["errno"] == "ENOMEM"

    def test_the_user_reserve_is_kept_back(self, capsys):
        """Of what is left under CommitLimit, min(total_vm / 32, user_reserve) pages stay out
        of reach of this process: a mapping 4K short of the reserve's edge is refused, one
        that leaves the reserve and one page is allowed."""
        limit, committed, vmsize = _limits(capsys)
        reserve = (vmsize // 4 // 32) * 4
        room = limit - committed - reserve
        steps = run_json(capsys, f"sysctl vm.overcommit_memory=2; "
                                 f"a = mmap {room}K rw private,anon; "
                                 f"b = mmap {room - 4}K rw private,anon")
        assert steps[1]["result"]["errno"] == "ENOMEM"
        assert steps[2]["result"]["ok"]

    def test_reserves_are_sysctls(self, capsys):
        """vm.user_reserve_kbytes and vm.admin_reserve_kbytes exist, as init_user_reserve()
        and init_admin_reserve() set them from the free memory at boot (at most 128M and
        8M)."""
        steps = run_json(capsys, "sysctl vm.user_reserve_kbytes=0; "
                                 "sysctl vm.admin_reserve_kbytes=0")
        assert steps[0]["result"]["ok"] and steps[1]["result"]["ok"]
