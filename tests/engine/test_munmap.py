"""munmap(2) at the map-count limit as Linux 5.4 has it: __do_munmap() splits with
__split_vma(), which does not check vm.max_map_count (only a split in the middle does)."""

from __future__ import annotations

from tests.conftest import run_json


class TestMunmapAtTheLimit:
    def test_unmapping_the_head_or_tail_at_max_map_count_works(self, capsys):
        """GIVEN map_count == vm.max_map_count WHEN munmap cuts the first or the last 8K of a
        VMA THEN it succeeds: the VMA count does not grow (__split_vma has no limit check;
        only a hole in the middle, which adds a VMA, is refused)."""
        steps = run_json(capsys, "a = mmap 40K rw private,anon; sysctl vm.max_map_count=20; "
                                 "munmap a 8K; munmap a+32K 8K; munmap a+16K 4K")
        assert steps[2]["result"]["ok"] and steps[3]["result"]["ok"]
        assert steps[4]["result"]["errno"] == "ENOMEM"

