"""Stack growth as Linux 5.4 does it (mm/mmap.c expand_downwards, acct_stack_growth): the
growth is charged to Committed_AS and counted in VmLck of a locked stack."""

from __future__ import annotations

from tests.conftest import run_json
from tests.engine.conftest import kb

BELOW_STACK = "0x7ffffffd0000"  # 56K below the [stack] VMA the default machine starts with


class TestExpandDownwards:
    def test_growth_is_charged_to_committed_as(self, capsys):
        """GIVEN the initial stack WHEN a write 56K below it makes the stack grow
        THEN Committed_AS rises by the 56K of growth (acct_stack_growth ->
        security_vm_enough_memory_mm), and VmStk by as much."""
        steps = run_json(capsys, f"show meminfo; show status; write {BELOW_STACK}; "
                                 "show meminfo; show status")
        before, after = steps[0]["result"]["text"], steps[3]["result"]["text"]
        assert kb(after, "Committed_AS") - kb(before, "Committed_AS") == 56
        stk = kb(steps[4]["result"]["text"], "VmStk") - \
            kb(steps[1]["result"]["text"], "VmStk")
        assert stk == 56

    def test_exit_gives_back_exactly_what_was_charged(self, capsys):
        """A grown stack is uncharged as a whole at exit: Committed_AS of a forked child that
        grew its stack returns to the value before the fork once the child exits."""
        steps = run_json(capsys, f"show meminfo; c = fork; switch c; write {BELOW_STACK}; "
                                 "exit; show meminfo")
        assert kb(steps[5]["result"]["text"], "Committed_AS") == \
            kb(steps[0]["result"]["text"], "Committed_AS")

    def test_locked_stack_growth_counts_in_vmlck(self, capsys):
        """With mlockall, the pages the stack grows by are locked too: VmLck rises by 56K
        (expand_downwards: mm->locked_vm += grow for a VM_LOCKED stack)."""
        steps = run_json(capsys, f"mlockall; show status; write {BELOW_STACK}; show status")
        assert kb(steps[3]["result"]["text"], "VmLck") - \
            kb(steps[1]["result"]["text"], "VmLck") == 56
