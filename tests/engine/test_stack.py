"""Stack growth as Linux 5.4 does it (mm/mmap.c expand_downwards, acct_stack_growth): the
growth is charged to Committed_AS and counted in VmLck of a locked stack."""

from __future__ import annotations

import re

from tests.helpers import run_json

BELOW_STACK = "0x7ffffffd0000"  # 56K below the [stack] VMA the default machine starts with


def _field(text: str, name: str) -> int:
    m = re.search(rf"^{name}:\s+(\d+) kB", text, re.M)
    assert m is not None, name
    return int(m.group(1))


class TestExpandDownwards:
    def test_growth_is_charged_to_committed_as(self, capsys):
        """GIVEN the initial stack WHEN a write 56K below it makes the stack grow
        THEN Committed_AS rises by the 56K of growth (acct_stack_growth ->
        security_vm_enough_memory_mm), and VmStk by as much."""
        steps = run_json(capsys, f"show meminfo; show status; write {BELOW_STACK}; "
                                 "show meminfo; show status")
        before, after = steps[0]["result"]["text"], steps[3]["result"]["text"]
        assert _field(after, "Committed_AS") - _field(before, "Committed_AS") == 56
        stk = _field(steps[4]["result"]["text"], "VmStk") - \
            _field(steps[1]["result"]["text"], "VmStk")
        assert stk == 56

    def test_exit_gives_back_exactly_what_was_charged(self, capsys):
        """A grown stack is uncharged as a whole at exit: Committed_AS of a forked child that
        grew its stack returns to the value before the fork once the child exits."""
        steps = run_json(capsys, f"show meminfo; c = fork; switch c; write {BELOW_STACK}; "
                                 "exit; show meminfo")
        assert _field(steps[5]["result"]["text"], "Committed_AS") == \
            _field(steps[0]["result"]["text"], "Committed_AS")

    def test_locked_stack_growth_counts_in_vmlck(self, capsys):
        """With mlockall, the pages the stack grows by are locked too: VmLck rises by 56K
        (expand_downwards: mm->locked_vm += grow for a VM_LOCKED stack)."""
        steps = run_json(capsys, f"mlockall; show status; write {BELOW_STACK}; show status")
        assert _field(steps[3]["result"]["text"], "VmLck") - \
            _field(steps[1]["result"]["text"], "VmLck") == 56
