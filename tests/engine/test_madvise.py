"""madvise(2) edge cases as Linux 5.4 has them: sys_madvise() advises the mapped parts of a
range with holes, then returns ENOMEM."""

from __future__ import annotations

from tests.conftest import run_json


class TestMadviseHoles:
    def test_range_with_a_hole_is_advised_then_enomem(self, capsys):
        """MADV_DONTNEED over an 8K mapping and the unmapped 8K after it: the mapped pages are
        zapped (they read back as 0) and the call returns ENOMEM."""
        steps = run_json(capsys, "a = mmap 16K rw private,anon; write a 16K = 5; "
                                 "munmap a+8K 8K; madvise a 16K dontneed; x = read a")
        assert steps[3]["result"]["errno"] == "ENOMEM"
        assert steps[4]["result"]["value"] == 0

    def test_zero_length_is_a_no_op(self, capsys):
        """len 0 returns 0 before any VMA is looked at, mapped or not."""
        steps = run_json(capsys, "a = mmap 8K rw private,anon; munmap a 8K; "
                                 "madvise a 0 dontneed")
        assert steps[2]["result"]["ok"]

    def test_madv_free_on_a_locked_mapping_is_einval(self, capsys):
        """madvise_free: can_madv_lru_vma() refuses VM_LOCKED VMAs with EINVAL."""
        steps = run_json(capsys, "a = mmap 8K rw private,anon,locked; madvise a 8K free")
        assert steps[1]["result"]["errno"] == "EINVAL"

    def test_willneed_on_shared_anon_allocates_nothing(self, capsys):
        """MADV_WILLNEED on tmpfs (force_shm_swapin_readahead) reads swapped-out pages only;
        it does not fill the holes of a fresh shared anonymous mapping (Shmem stays 0)."""
        steps = run_json(capsys, "a = mmap 40K rw shared,anon; madvise a 40K willneed; "
                                 "show meminfo")
        assert "\nShmem:                 0 kB" in steps[2]["result"]["text"]
