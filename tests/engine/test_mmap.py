"""mmap(2) argument handling as Linux 5.4 has it (ksys_mmap_pgoff, do_mmap, round_hint_to_min,
arch_get_unmapped_area_topdown)."""

from __future__ import annotations

from tests.conftest import run_json


def _r(step: dict) -> dict:
    r = dict(step["result"])
    r.pop("why", None)
    return r


class TestHint:
    def test_unaligned_hint_is_rounded_down(self, capsys):
        """arch_get_unmapped_area_topdown(): addr &= PAGE_MASK, so a free hint 0x200000123
        gives 0x200000000 (not the page above)."""
        steps = run_json(capsys, "a = mmap 4K rw private,anon addr=0x200000123")
        assert _r(steps[0]) == {"ok": True, "value": "0x200000000"}

    def test_hint_below_mmap_min_addr_is_raised_to_it(self, capsys):
        """round_hint_to_min(): a hint below vm.mmap_min_addr (64K) becomes mmap_min_addr,
        and that address is used when it is free."""
        steps = run_json(capsys, "a = mmap 4K rw private,anon addr=0x1000")
        assert _r(steps[0]) == {"ok": True, "value": "0x10000"}


class TestFlags:
    def test_growsdown_file_mapping_is_einval(self, capsys):
        """do_mmap(): a file mapping may not have VM_GROWSDOWN."""
        steps = run_json(capsys, "file f 8K; a = mmap 8K rw private,growsdown file=f")
        assert _r(steps[1]) == {"ok": False, "errno": "EINVAL"}

    def test_growsdown_shared_anonymous_is_einval(self, capsys):
        """do_mmap(): MAP_SHARED|MAP_ANONYMOUS with MAP_GROWSDOWN is EINVAL."""
        steps = run_json(capsys, "a = mmap 8K rw shared,anon,growsdown")
        assert _r(steps[0]) == {"ok": False, "errno": "EINVAL"}

    def test_anonymous_ignores_the_file(self, capsys):
        """ksys_mmap_pgoff() does not look at fd when MAP_ANONYMOUS is given: the mapping is
        anonymous (no file name in /proc/PID/maps)."""
        steps = run_json(capsys, "file f 8K; a = mmap 8K r private,anon file=f")
        a = int(steps[1]["result"]["value"], 16)
        line = next(ln for ln in steps[1]["maps"]["1"] if ln.startswith(f"{a:x}-"))
        assert line.split()[3:] == ["00:00", "0"]

    def test_shared_validate_maps_a_file_shared(self, capsys):
        """MAP_SHARED|MAP_PRIVATE is MAP_SHARED_VALIDATE: valid for a file (a shared
        mapping), EINVAL for anonymous memory."""
        steps = run_json(capsys, "file f 8K; a = mmap 8K rw shared,private file=f; "
                                 "b = mmap 8K rw shared,private,anon")
        a = int(steps[1]["result"]["value"], 16)
        line = next(ln for ln in steps[1]["maps"]["1"] if ln.startswith(f"{a:x}-"))
        assert line.split()[1] == "rw-s"
        assert _r(steps[2]) == {"ok": False, "errno": "EINVAL"}

    def test_shared_validate_refuses_a_non_legacy_flag(self, capsys):
        """With MAP_SHARED_VALIDATE, a flag outside LEGACY_MAP_MASK (MAP_FIXED_NOREPLACE)
        is EOPNOTSUPP rather than silently dropped."""
        steps = run_json(capsys, "file f 8K; "
                                 "a = mmap 4K rw shared,private,fixed_noreplace file=f "
                                 "addr=0x10000000")
        assert _r(steps[1]) == {"ok": False, "errno": "EOPNOTSUPP"}
