"""do_swap_page() (mm/memory.c, 5.4): a write fault on a swapped-out page that another process
still shares is resolved in one fault: do_swap_page() maps it and calls do_wp_page() itself."""

from __future__ import annotations

from tests.helpers import run_json


class TestSwapInWriteShared:
    def test_write_to_a_shared_swapped_page_is_one_fault(self, capsys):
        """GIVEN 40M written on a 32M machine (the first page is in swap) and a fork (both
        processes hold the swap entry) WHEN the parent writes the first page
        THEN that is one fault (a major one): pgfault +1, maj_flt +1, min_flt +0; and the
        child still reads the old value."""
        steps = run_json(capsys, "a = mmap 40M rw private,anon; write a 40M = 7; c = fork; "
                                 "write a = 9; switch c; x = read a", ram="32M", swap="64M")
        before, after = steps[2], steps[3]
        assert after["counters"]["pgfault"] - before["counters"]["pgfault"] == 1
        assert after["faults"]["1"]["maj_flt"] - before["faults"]["1"]["maj_flt"] == 1
        assert after["faults"]["1"]["min_flt"] == before["faults"]["1"]["min_flt"]
        assert steps[5]["result"]["value"] == 7
