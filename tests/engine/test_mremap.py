"""mremap(2) as Linux 5.4 does it (mm/mremap.c: vma_to_resize, vma_expandable, move_vma,
copy_vma in mm/mmap.c): the commit charge, the errnos, where a moved VMA may merge, and
MREMAP_FIXED, checked against what 6.18 printed for a C probe kept in tests/kernel_probes/
(mremap_fixed.c and .out)."""

from __future__ import annotations

from tests.conftest import PROBES, run_json
from tests.engine.conftest import hexval, step_kb


class TestMoveKeepsTheCommitCharge:
    def test_moving_grow_charges_only_the_growth(self, capsys):
        """GIVEN a 16K private writable mapping (charged 16K to Committed_AS)
        WHEN mremap moves it to grow it to 32K
        THEN Committed_AS grows by 16K (vma_to_resize charges new - old; move_vma hides
        VM_ACCOUNT of the old range while do_munmap unmaps it), and munmap gives all back."""
        steps = run_json(capsys, "show meminfo; a = mmap 16K rw private,anon; show meminfo; "
                                 "b = mremap a 16K 32K maymove; show meminfo; "
                                 "munmap b 32K; show meminfo")
        base, mapped, moved, unmapped = (step_kb(steps[i], "Committed_AS") for i in (0, 2, 4, 6))
        assert hexval(steps[3]) != hexval(steps[1]), "the mapping had to move"
        assert mapped == base + 16
        assert moved == base + 32
        assert unmapped == base

    def test_moving_the_middle_of_a_vma_keeps_the_rest_charged(self, capsys):
        """Moving 8K out of the middle of a touched 40K mapping to grow it to 16K: the two
        pieces left behind stay charged (VM_ACCOUNT restored on both), the moved one is
        charged 16K; unmapping everything gives the exact charge back."""
        steps = run_json(capsys, "show meminfo; a = mmap 40K rw private,anon; write a 40K; "
                                 "b = mremap a+8K 8K 16K maymove; show meminfo; "
                                 "munmap a 40K; munmap b 16K; show meminfo")
        base, moved, unmapped = (step_kb(steps[i], "Committed_AS") for i in (0, 4, 7))
        assert moved == base + 32 + 16
        assert unmapped == base

    def test_failed_move_gives_the_charge_back(self, capsys):
        """A move refused (map_count within 3 of vm.max_map_count: ENOMEM from move_vma)
        leaves Committed_AS as it was (mremap's vm_unacct_memory(charged))."""
        steps = run_json(capsys, "a = mmap 16K rw private,anon; show meminfo; "
                                 "sysctl vm.max_map_count=22; b = mremap a 16K 32K maymove; "
                                 "show meminfo")
        assert steps[3]["result"] == {"ok": False, "errno": "ENOMEM",
                                      "why": steps[3]["result"]["why"]}
        assert step_kb(steps[4], "Committed_AS") == step_kb(steps[1], "Committed_AS")


class TestMremapErrnos:
    def test_old_len_zero_on_a_private_mapping_is_einval(self, capsys):
        """vma_to_resize(): old_len 0 would duplicate a private mapping: EINVAL, and no new
        mapping is left behind."""
        steps = run_json(capsys, "a = mmap 8K rw private,anon; b = mremap a 0 8K maymove")
        assert steps[1]["result"]["errno"] == "EINVAL"
        assert steps[1]["maps"] == steps[0]["maps"]

    def test_old_len_zero_on_a_shared_mapping_duplicates_it(self, capsys):
        """old_len 0 on a shared mapping makes a second mapping of the same pages; the
        original stays (do_munmap of 0 bytes fails and move_vma ignores it)."""
        steps = run_json(capsys, "a = mmap 8K rw shared,anon; write a = 5; "
                                 "b = mremap a 0 8K maymove; x = read b; y = read a")
        assert steps[2]["result"]["ok"]
        assert steps[3]["result"]["value"] == 5 and steps[4]["result"]["value"] == 5

    def test_move_refused_near_max_map_count(self, capsys):
        """move_vma(): map_count >= vm.max_map_count - 3 gives ENOMEM before anything moves."""
        steps = run_json(capsys, "a = mmap 16K rw private,anon; sysctl vm.max_map_count=23; "
                                 "b = mremap a 16K 32K maymove")
        # 20 VMAs: 22 is within 3 of 23
        assert steps[2]["result"]["errno"] == "ENOMEM"
        assert steps[2]["maps"] == steps[1]["maps"]

    def test_grow_in_place_may_use_the_stack_guard_gap(self, capsys):
        """vma_expandable() bounds the growth by vm_next->vm_start, not by the stack guard
        gap below a VM_GROWSDOWN VMA: a mapping 8K below a growsdown one grows by 4K in place."""
        steps = run_json(capsys, "s = mmap 64K rw private,anon,growsdown; "
                                 "a = mmap 4K rw private,anon,fixed addr=s-8K; "
                                 "b = mremap a 4K 8K")
        assert steps[2]["result"] == {"ok": True, "value": steps[1]["result"]["value"]}


class TestCopyVmaPgoff:
    def test_an_unfaulted_move_can_merge_at_its_new_place(self, capsys):
        """copy_vma(): an anonymous VMA with no anon_vma takes the pgoff of its new address,
        so a later mmap right below it merges with it: one VMA, not two."""
        steps = run_json(capsys, "a = mmap 16K rw private,anon; b = mremap a 16K 32K maymove; "
                                 "c = mmap 8K rw private,anon addr=b-8K")
        b, c = hexval(steps[1]), hexval(steps[2])
        assert c == b - 8192
        lines = [ln for ln in steps[2]["maps"]["1"] if ln.startswith(f"{c:x}-")]
        assert lines and lines[0].startswith(f"{c:x}-{b + 32768:x} rw-p")


def _probe_lines(name: str) -> dict[str, str]:
    out = {}
    for line in (PROBES / name).read_text().splitlines():
        key, sep, val = line.partition(": ")
        if sep and not line.startswith("#"):
            out[key] = val
    return out


class TestMremapFixed:
    """MREMAP_FIXED: 5.4 mm/mremap.c SYSCALL_DEFINE5(mremap): `if (flags & MREMAP_FIXED &&
    !(flags & MREMAP_MAYMOVE)) return ret;` (-EINVAL), then mremap_to(): `if
    (offset_in_page(new_addr)) goto out;` and `if (addr + old_len > new_addr && new_addr +
    new_len > addr) goto out;` (both -EINVAL), `do_munmap(mm, new_addr, new_len, ...)`, a
    shrink unmaps the old tail, then move_vma() to new_addr. Linux 6.18: mremap_fixed.c/.out."""

    KERNEL = _probe_lines("mremap_fixed.out")

    def _errno(self, capsys, cmd: str) -> str:
        steps = run_json(capsys, "a = mmap 16K rw private,anon; write a 16K = 3; " + cmd)
        return steps[-1]["result"].get("errno", "ok")

    def test_fixed_without_maymove_is_einval(self, capsys):
        assert self.KERNEL["fixed without maymove"] == "EINVAL"
        assert self._errno(capsys, "c = mremap a 16K 16K fixed=a-64K") == "EINVAL"

    def test_overlapping_ranges_are_einval(self, capsys):
        assert self.KERNEL["new range overlaps old"] == "EINVAL"
        assert self._errno(capsys, "c = mremap a 16K 16K maymove fixed=a+8K") == "EINVAL"

    def test_unaligned_new_address_is_einval(self, capsys):
        assert self.KERNEL["new address unaligned"] == "EINVAL"
        assert self._errno(capsys, "c = mremap a 16K 16K maymove fixed=a-65280") == "EINVAL"

    def test_move_onto_a_mapping_replaces_it(self, capsys):
        """GIVEN 16K written with 3 and an 8K read-only mapping at a-64K WHEN mremap moves the
        16K to exactly a-64K THEN the result is a-64K, one rw-p VMA a-64K..a-48K replaces the
        read-only one, the values moved with the pages, and the old range is unmapped."""
        assert self.KERNEL["move onto a mapping"] == "a-64K"
        assert self.KERNEL["VMA at the new place"] == "a-64K..a-48K rw-p"
        assert self.KERNEL["old range still mapped"] == "no (ENOMEM)"
        steps = run_json(capsys, "a = mmap 16K rw private,anon; write a 16K = 3; "
                                 "t = mmap 8K r private,anon,fixed addr=a-64K; "
                                 "c = mremap a 16K 16K maymove fixed=t; x = read c+12K; "
                                 "y = read a")
        a = int(steps[0]["result"]["value"], 16)
        assert int(steps[3]["result"]["value"], 16) == a - (64 << 10)
        assert steps[4]["result"]["value"] == 3
        assert steps[5]["result"]["signal"] == "SIGSEGV"
        vmas = [ln.split()[:2] for ln in steps[3]["maps"]["1"]]
        assert [f"{a - (64 << 10):x}-{a - (48 << 10):x}", "rw-p"] in vmas
        assert not any(int(r.split("-")[0], 16) <= a < int(r.split("-")[1], 16)
                       for r, _ in vmas)

    def test_shrinking_move(self, capsys):
        """mremap(a, 16K, 8K, MAYMOVE|FIXED, a-8K): the ranges touch but do not overlap; the
        old tail is unmapped and the first 8K move below a."""
        assert self.KERNEL["shrink and move to a-8K"] == "a-8K"
        steps = run_json(capsys, "a = mmap 16K rw private,anon; write a 16K = 3; "
                                 "c = mremap a 16K 8K maymove fixed=a-8K; x = read c+4K; "
                                 "y = read a+8K")
        a = int(steps[0]["result"]["value"], 16)
        assert int(steps[2]["result"]["value"], 16) == a - (8 << 10)
        assert steps[3]["result"]["value"] == 3
        assert steps[4]["result"]["signal"] == "SIGSEGV"
