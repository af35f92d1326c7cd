"""Linux 6.18 (`kernel = "6.18"`) where it behaves differently from 5.4, each case against
what the real 6.18 kernel printed for a C probe kept in tests/kernel_probes/ (named beside
each test), and the same commands on 5.4 as 5.4 does them.

VMAs are compared relative to a base A in KiB, as the probes print them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_checked, run_json, vmas_near
from tests.engine.conftest import faults_of, hexval

K618 = {"kernel": "6.18"}
K54 = {"kernel": "5.4"}


def last_step_faults(capsys, commands: str, **machine: str) -> int:
    steps = run_json(capsys, commands, **machine)
    return faults_of(steps[-1])[0] - faults_of(steps[-2])[0]


class TestMprotectKeepsPtesWritable:
    """mm/mprotect.c can_change_pte_writable(): tests/kernel_probes/mprotect_writable.c/.out,
    each case the minor faults of writing 10 pages after mprotect r then rw."""

    CYCLE = "mprotect a 40K r; mprotect a 40K rw; write a 40K = 2"

    def test_private_anon_written_no_faults_in_618_ten_in_54(self, capsys):
        """probe: "private anon, written: minflt 0"."""
        cmds = "a = mmap 40K rw private,anon; write a 40K = 1; " + self.CYCLE
        assert last_step_faults(capsys, cmds, **K618) == 0
        assert last_step_faults(capsys, cmds, **K54) == 10

    def test_zero_page_is_never_made_writable(self, capsys):
        """probe: "private anon, zero page read: minflt 10"."""
        cmds = "a = mmap 40K rw private,anon; read a 40K; " + self.CYCLE
        assert last_step_faults(capsys, cmds, **K618) == 10

    def test_shared_anon_no_faults(self, capsys):
        """probe: "shared anon (shmem, no dirty tracking): minflt 0"."""
        cmds = "a = mmap 40K rw shared,anon; write a 40K = 1; " + self.CYCLE
        assert last_step_faults(capsys, cmds, **K618) == 0

    def test_shared_file_dirty_ptes_stay_writable(self, capsys):
        """probe: "shared file (dirty tracking): minflt 0": the PTEs are dirty, the file
        system already knows."""
        cmds = "file f 40K; a = mmap 40K rw shared file=f; write a 40K = 1; " + self.CYCLE
        assert last_step_faults(capsys, cmds, **K618) == 0

    def test_private_file_cow_copies_stay_writable(self, capsys):
        """probe: "private file, written (COW copies): minflt 0"."""
        cmds = "file f 40K; a = mmap 40K rw private file=f; write a 40K = 1; " + self.CYCLE
        assert last_step_faults(capsys, cmds, **K618) == 0

    def test_child_pages_shared_with_parent_fault_then_not(self, capsys):
        """probe: "child, pages shared with the parent: minflt 10", then "again: 0"."""
        steps = run_json(capsys, "a = mmap 40K rw private,anon; write a 40K = 1; c = fork; "
                         "switch c; " + self.CYCLE + "; " + self.CYCLE, **K618)
        child = str(steps[2]["result"]["value"])
        f = [faults_of(s, child)[0] for s in steps[4:]]
        assert f[2] - f[1] == 10
        assert f[5] - f[4] == 0

    def test_values_survive(self, capsys):
        steps = run_json(capsys, "a = mmap 40K rw private,anon; write a 40K = 1; "
                         + self.CYCLE + "; x = read a+36K", **K618)
        assert steps[-1]["result"]["value"] == 2


class TestAnonExclusive:
    """PageAnonExclusive (5.19): fork clears it on every anonymous page the parent shares,
    and only a write fault gives it back, so a page mapped once again after the child let
    go is still not exclusive: mprotect back to writable leaves its PTE read-only.
    Expected values from tests/kernel_probes/anon_exclusive.out (the real 6.18 kernel)."""

    CYCLE = "mprotect a 40K r; mprotect a 40K rw; write a 40K = 2"

    @staticmethod
    def probe() -> list[int]:
        out = Path(__file__).resolve().parent.parent / "kernel_probes" / "anon_exclusive.out"
        return [int(line.rsplit(" ", 1)[1]) for line in out.read_text().splitlines()
                if "minflt" in line]

    def parent_faults(self, capsys, child_cmd: str) -> list[int]:
        steps = run_json(capsys, "a = mmap 40K rw private,anon; write a 40K = 1; c = fork; "
                         + child_cmd + "; switch 1; kill c; " + self.CYCLE + "; " + self.CYCLE,
                         **K618)
        f = [faults_of(s, "1")[0] for s in steps]
        return [f[-4] - f[-5], f[-1] - f[-2]]

    def test_child_exited_pages_mapped_once_but_not_exclusive(self, capsys):
        want = self.probe()
        assert self.parent_faults(capsys, "switch c") == want[:2]

    def test_child_copied_then_exited(self, capsys):
        want = self.probe()
        assert self.parent_faults(capsys, "switch c; write a 40K = 3")[0] == want[2]

    def test_54_faults_every_time(self, capsys):
        """5.4's change_pte_range() never makes a private PTE writable (no
        can_change_pte_writable()): both cycles fault on every page."""
        steps = run_json(capsys, "a = mmap 40K rw private,anon; write a 40K = 1; c = fork; "
                         "switch c; switch 1; kill c; " + self.CYCLE + "; " + self.CYCLE, **K54)
        f = [faults_of(s, "1")[0] for s in steps]
        assert [f[-4] - f[-5], f[-1] - f[-2]] == [10, 10]


class TestMremapEfault:
    """mremap looks the VMA at addr up first: tests/kernel_probes/mremap_efault.c/.out.
    A = a 64K mapping with 64K free on each side."""

    SETUP = "r = mmap 256K none private,anon; munmap r 256K; " \
            "a = mmap 64K rw private,anon,fixed addr=r+64K"

    def run(self, capsys, cmds: str, **machine: str):
        steps = run_json(capsys, self.SETUP + "; " + cmds, **machine)
        a = hexval(steps[2])
        return steps[-1], a

    @pytest.mark.parametrize("cmd", [
        "x = mremap a-32K 16K 8K",    # "shrink at an unmapped address: EFAULT"
        "x = mremap a-8K 16K 8K",     # "shrink 16K->8K from unmapped a-8K into a: EFAULT"
        "x = mremap a-32K 16K 16K",   # "same size 16K->16K at an unmapped address: EFAULT"
        "x = mremap a-32K 16K 32K",   # "grow 16K->32K at an unmapped address: EFAULT"
    ])
    def test_nothing_mapped_at_addr_is_efault_and_changes_nothing(self, capsys, cmd):
        last, a = self.run(capsys, cmd, **K618)
        assert last["result"]["errno"] == "EFAULT"
        assert vmas_near(last, a, window=0)[0] == (0, 64, "rw-p")

    def test_54_shrinks_what_it_finds(self, capsys):
        """5.4 do_mremap(): old_len >= new_len unmaps [addr + new_len, addr + old_len)
        without looking for a VMA at addr, and returns addr."""
        last, a = self.run(capsys, "x = mremap a-8K 16K 8K", **K54)
        assert hexval(last) == a - 8192
        assert vmas_near(last, a, window=0)[0] == (8, 64, "rw-p")

    @pytest.mark.parametrize(("cmd", "left"), [
        # "shrink 64K->8K over a hole: a+0K", "shrink 64K->8K over two VMAs: a+0K"
        ("munmap a+16K 16K; x = mremap a 64K 8K", [(0, 8, "rw-p")]),
        ("mprotect a+32K 32K r; x = mremap a 64K 8K", [(0, 8, "rw-p")]),
        # "shrink 96K->8K, the last 32K unmapped: a+0K"
        ("x = mremap a 96K 8K", [(0, 8, "rw-p")]),
    ])
    def test_a_mapped_addr_shrinks_over_holes_in_both(self, capsys, cmd, left):
        for km in (K618, K54):
            last, a = self.run(capsys, cmd, **km)
            assert hexval(last) == a
            assert vmas_near(last, a, window=0) == left

    def test_grow_over_two_vmas_is_efault_in_both(self, capsys):
        """"grow 64K->96K over two VMAs, maymove: EFAULT"."""
        for km in (K618, K54):
            last, _a = self.run(capsys, "mprotect a+32K 32K r; x = mremap a 64K 96K maymove",
                                **km)
            assert last["result"]["errno"] == "EFAULT"


BASE = "r = mmap 384K none private,anon; munmap r 384K"


def at(off: int, size: int, prot: str = "rw") -> str:
    return f"mmap {size}K {prot} private,anon,fixed addr=r+{64 + off}K"


def vmas(capsys, cmds: str, **machine: str) -> list[tuple[int, int, str]]:
    steps = run_json(capsys, BASE + "; " + cmds, **machine)
    a = hexval(steps[0]) + (64 << 10)
    return [v for v in vmas_near(steps[-1], a, window=256 << 10) if 0 <= v[0] < 256]


class TestRelaxedAnonMerge:
    """mm/vma.c is_mergeable_anon_vma() since 6.16: tests/kernel_probes/merge_anon.c/.out,
    each case's probe line quoted. "touch": write every page (the VMA gets an anon_vma)."""

    def test_mmap_new_beside_faulted(self, capsys):
        """"mmap: new 16K below a faulted 16K": one VMA (5.4 too: the faulted one's
        anon_vma_chain is singular)."""
        cmds = at(16, 16) + "; write r+80K 16K; " + at(0, 16)
        for km in (K618, K54):
            assert vmas(capsys, cmds, **km) == [(0, 32, "rw-p")]

    def test_mprotect_faulted_into_unfaulted(self, capsys):
        """"mprotect: the faulted one back to rw-": +0..+32; 5.4 keeps two."""
        cmds = at(16, 16) + "; write r+80K 16K; mprotect r+80K 16K r; " + at(0, 16) + \
            "; mprotect r+80K 16K rw"
        assert vmas(capsys, cmds, **K618) == [(0, 32, "rw-p")]
        assert vmas(capsys, cmds, **K54) == [(0, 16, "rw-p"), (16, 32, "rw-p")]

    def test_mprotect_unfaulted_into_faulted(self, capsys):
        """"mprotect: the unfaulted r-- below a faulted rw- made rw-": one VMA (5.4 too)."""
        cmds = at(16, 16) + "; write r+80K 16K; " + at(0, 16, "r") + "; mprotect r+64K 16K rw"
        for km in (K618, K54):
            assert vmas(capsys, cmds, **km) == [(0, 32, "rw-p")]

    def test_mprotect_faulted_between_unfaulted(self, capsys):
        """"mprotect: faulted r-- between unfaulted rw- made rw-": +0..+48. 5.4: neither
        unfaulted neighbour takes it (their anon_vma_chains are empty, not singular)."""
        cmds = at(16, 16) + "; write r+80K 16K; mprotect r+80K 16K r; " + at(0, 16) + "; " + \
            at(32, 16) + "; mprotect r+80K 16K rw"
        assert vmas(capsys, cmds, **K618) == [(0, 48, "rw-p")]
        assert vmas(capsys, cmds, **K54) == [(0, 16, "rw-p"), (16, 32, "rw-p"),
                                             (32, 48, "rw-p")]

    def test_mprotect_faulted_sharing_the_neighbours_anon_vma(self, capsys):
        """"mprotect: faulted rwx beside a faulted rw- made rw- (the fault reused its
        anon_vma)": one VMA (anon_vma_prepare() took the neighbour's)."""
        cmds = at(16, 16, "rwx") + "; write r+80K 16K; " + at(0, 16) + \
            "; write r+64K 16K; mprotect r+80K 16K rw"
        for km in (K618, K54):
            assert vmas(capsys, cmds, **km) == [(0, 32, "rw-p")]

    def test_munlock(self, capsys):
        """"munlock: faulted middle beside unfaulted bottom": +0..+32, +32..+48; then
        "munlock: the rest": +0..+48. 5.4 keeps the unfaulted bottom apart."""
        cmds = at(0, 48) + "; mlock r+80K 32K; munlock r+80K 16K"
        assert vmas(capsys, cmds, **K618) == [(0, 32, "rw-p"), (32, 48, "rw-p")]
        assert vmas(capsys, cmds + "; munlock r+96K 16K", **K618) == [(0, 48, "rw-p")]
        assert vmas(capsys, cmds + "; munlock r+96K 16K", **K54) == [(0, 16, "rw-p"),
                                                                      (16, 48, "rw-p")]

    def test_mremap_move_faulted_beside_unfaulted(self, capsys):
        """"mremap move: a faulted 16K moved away from an unfaulted 16K" (+0..+16,
        +128..+144), "and moved back above it": +0..+32. 5.4 keeps two."""
        cmds = at(0, 32) + "; mprotect r+64K 16K r; write r+80K 16K = 5; " \
            "x = mremap r+80K 16K 16K maymove fixed=r+192K; mprotect r+64K 16K rw"
        assert vmas(capsys, cmds, **K618) == [(0, 16, "rw-p"), (128, 144, "rw-p")]
        back = cmds + "; y = mremap r+192K 16K 16K maymove fixed=r+80K; v = read r+92K"
        steps = run_json(capsys, BASE + "; " + back, **K618)
        a = hexval(steps[0]) + (64 << 10)
        assert [v for v in vmas_near(steps[-1], a, window=0) if v[0] >= 0][:1] == \
            [(0, 32, "rw-p")]
        assert steps[-1]["result"]["value"] == 5
        assert vmas(capsys, back, **K54)[:2] == [(0, 16, "rw-p"), (16, 32, "rw-p")]

    def test_mremap_move_unfaulted_beside_faulted(self, capsys):
        """"mremap move: unfaulted 16K moved above a faulted 16K": +0..+32 (5.4 too)."""
        cmds = at(0, 16) + "; write r+64K 16K; " + at(128, 16) + \
            "; x = mremap r+192K 16K 16K maymove fixed=r+80K"
        for km in (K618, K54):
            assert vmas(capsys, cmds, **km) == [(0, 32, "rw-p")]

    def test_fork_child_does_not_merge(self, capsys):
        """"child: faulted (forked) r-- made rw- above an unfaulted rw-": +0..+16,
        +16..+32; "child: new unfaulted 16K below a faulted (forked) 16K": stays apart."""
        cmds = at(16, 16) + "; write r+80K 16K; mprotect r+80K 16K r; " + at(64, 16) + \
            "; write r+128K 16K; c = fork; switch c; " + at(0, 16) + \
            "; mprotect r+80K 16K rw; " + at(48, 16)
        steps = run_json(capsys, BASE + "; " + cmds, **K618)
        a = hexval(steps[0]) + (64 << 10)
        child = str(steps[7]["result"]["value"])
        near = [v for v in vmas_near(steps[-1], a, child, window=256 << 10) if 0 <= v[0] < 256]
        assert near == [(0, 16, "rw-p"), (16, 32, "rw-p"), (48, 64, "rw-p"), (64, 80, "rw-p")]

    def test_narrated_as_mainline_names(self, capsys):
        cmds = at(16, 16) + "; write r+80K 16K; mprotect r+80K 16K r; " + at(0, 16) + \
            "; mprotect r+80K 16K rw"
        steps = run_json(capsys, BASE + "; " + cmds, **K618)
        fns = [(e["fn"], e["file"]) for e in steps[-1]["events"]]
        assert ("vma_merge_existing_range", "mm/vma.c") in fns
        fns = [(e["fn"], e["file"]) for e in steps[-2]["events"]]
        assert ("vma_merge_new_range", "mm/vma.c") not in fns  # r-- beside rw-: no merge
        steps = run_json(capsys, BASE + "; " + at(16, 16) + "; " + at(0, 16), **K618)
        assert ("vma_merge_new_range", "mm/vma.c") in [(e["fn"], e["file"])
                                                       for e in steps[-1]["events"]]
        steps = run_json(capsys, BASE + "; " + at(16, 16) + "; " + at(0, 16), **K54)
        assert ("vma_merge", "mm/mmap.c") in [(e["fn"], e["file"]) for e in steps[-1]["events"]]


class TestMremapGrowMergesNext:
    """mm/mremap.c -> vma_merge_extend() (6.1): tests/kernel_probes/merge_anon.c/.out,
    "mremap grow" cases: a 16K VMA grown to 32K up to a 16K VMA at +32K."""

    @pytest.mark.parametrize(("touch", "merged"), [
        ("write r+64K 16K; ", True),            # "faulted ... up to an unfaulted": +0..+48
        ("write r+96K 16K; ", True),            # "unfaulted ... up to a faulted": +0..+48
        ("", True),                             # "unfaulted ... up to an unfaulted": +0..+48
        ("write r+64K 16K; write r+96K 16K; ", False),  # "faulted ... faulted": two VMAs
    ])
    def test_grow_in_place(self, capsys, touch, merged):
        cmds = at(0, 16) + "; " + at(32, 16) + "; " + touch + "x = mremap r+64K 16K 32K"
        want = [(0, 48, "rw-p")] if merged else [(0, 32, "rw-p"), (32, 48, "rw-p")]
        assert vmas(capsys, cmds, **K618) == want
        # 5.4 grows the VMA (vma_adjust) and leaves its neighbour alone
        assert vmas(capsys, cmds, **K54) == [(0, 32, "rw-p"), (32, 48, "rw-p")]

    def test_values_and_narration(self, capsys):
        cmds = at(0, 16) + "; " + at(32, 16) + "; write r+64K 16K = 3; write r+96K 16K = 4; " \
            "x = mremap r+64K 16K 32K; u = read r+76K; v = read r+100K"
        steps = run_json(capsys, BASE + "; " + cmds.replace("write r+96K 16K = 4; ", ""),
                         **K618)
        assert steps[-2]["result"]["value"] == 3 and steps[-1]["result"]["value"] == 0
        assert "vma_merge_extend" in [e["fn"] for e in steps[-3]["events"]]


def cited(step: dict) -> list[tuple[str, str]]:
    return [(e["fn"], e["file"]) for e in step["events"]]


class TestFaultPathNames:
    """The fault path as 6.18 names it (arch/x86/mm/fault.c, mm/memory.c, mm/rmap.c,
    mm/swap.c of v6.18); the work, and so the counts, are 5.4's."""

    def test_anonymous_write_fault(self, capsys):
        steps = run_json(capsys, "a = mmap 8K rw private,anon,fixed addr=0x100000000; write a",
                         **K618)
        assert [fn for fn, _f in cited(steps[1])] == [
            "exc_page_fault", "handle_page_fault", "lock_vma_under_rcu", "handle_mm_fault",
            "__handle_mm_fault", "anon_vma_prepare", "do_anonymous_page",
            "folio_add_new_anon_rmap", "folio_add_lru_vma"]
        assert ("exc_page_fault", "arch/x86/mm/fault.c") in cited(steps[1])
        assert ("lock_vma_under_rcu", "mm/memory.c") in cited(steps[1])
        assert ("folio_add_new_anon_rmap", "mm/rmap.c") in cited(steps[1])
        assert ("folio_add_lru_vma", "mm/swap.c") in cited(steps[1])
        assert "folio" in steps[1]["events"][6]["text"]

    def test_54_names_unchanged(self, capsys):
        steps = run_json(capsys, "a = mmap 8K rw private,anon,fixed addr=0x100000000; write a",
                         **K54)
        assert [fn for fn, _f in cited(steps[1])] == [
            "__do_page_fault", "find_vma", "handle_mm_fault", "__handle_mm_fault",
            "anon_vma_prepare", "do_anonymous_page"]

    def test_stack_expansion_falls_back_to_mmap_lock(self, capsys):
        steps = run_json(capsys, "b = mmap 4K rw private,anon,growsdown,fixed "
                         "addr=0x100000000; write b-4K = 1; x = read b-4K", **K618)
        fns = cited(steps[1])
        assert fns[2:5] == [("lock_vma_under_rcu", "mm/memory.c"),
                            ("lock_mm_and_find_vma", "mm/memory.c"),
                            ("anon_vma_prepare", "mm/rmap.c")]
        assert ("expand_downwards", "mm/vma.c") in fns
        assert "fall back to mmap_lock" in steps[1]["events"][2]["text"]
        assert steps[2]["result"]["value"] == 1

    def test_segv_falls_back_too(self, capsys):
        steps = run_json(capsys, "x = read 0x1000", **K618)
        assert steps[0]["result"]["code"] == "SEGV_MAPERR"
        assert ("lock_mm_and_find_vma", "mm/memory.c") in cited(steps[0])

    def test_cow_after_fork_and_counts_as_54(self, capsys):
        cmds = "a = mmap 40K rw private,anon; write a 40K = 7; c = fork; write a 40K = 8"
        new, old = run_json(capsys, cmds, **K618), run_json(capsys, cmds, **K54)
        assert [s["counters"]["pgfault"] for s in new] == [s["counters"]["pgfault"]
                                                           for s in old]
        assert ("folio_add_new_anon_rmap", "mm/rmap.c") in cited(new[3])

    def test_file_read_retry_goes_to_mmap_lock(self, capsys):
        """A page read from disk drops the lock (VM_FAULT_RETRY): 6.18 retries under
        mmap_lock; one major fault either way."""
        cmds = "file f 40K; a = mmap 40K r private file=f; x = read a"
        new, old = run_json(capsys, cmds, **K618), run_json(capsys, cmds, **K54)
        assert new[-1]["counters"]["pgmajfault"] == old[-1]["counters"]["pgmajfault"] == 1
        assert [fn for fn, _f in cited(new[-1])].count("lock_mm_and_find_vma") == 1


class TestMremapMoveMultipleVmas:
    """mm/mremap.c remap_move() (6.17): tests/kernel_probes/mremap_multi.c/.out. a: 64K
    in a free area, page i written with i + 1; the target is a+192K."""

    SETUP = "r = mmap 512K none private,anon; munmap r 512K; " \
            "a = mmap 64K rw private,anon,fixed addr=r+64K"
    WRITE = "; " + "; ".join(f"write a+{4 * i}K = {i + 1}" for i in range(16))

    def run(self, capsys, cmds: str, **machine: str):
        steps = run_json(capsys, self.SETUP + self.WRITE + "; " + cmds, **machine)
        a = hexval(steps[2])
        return steps, a

    def near(self, step: dict, a: int) -> list[tuple[int, int, str]]:
        return [v for v in vmas_near(step, a + (320 << 10), window=384 << 10)
                if -64 <= v[0] + 320 < 320]

    def test_same_size_over_a_hole(self, capsys):
        """"same size over a hole: a+192K", +192..+208, +224..+256, values 1 4 9 16."""
        steps, a = self.run(capsys, "munmap a+16K 16K; t = mremap a 64K 64K maymove "
                            "fixed=a+192K; u = read t; v = read t+12K; w = read t+32K; "
                            "x = read t+60K", **K618)
        t = steps[-5]
        assert hexval(t) == a + (192 << 10)
        assert [(s + 320, e + 320, p) for s, e, p in self.near(t, a)] == \
            [(192, 208, "rw-p"), (224, 256, "rw-p")]
        assert [s["result"]["value"] for s in steps[-4:]] == [1, 4, 9, 16]

    def test_same_size_over_two_vmas(self, capsys):
        """"same size over two VMAs (rw-, r--): a+192K": +192..+224 rw-p, +224..+256 r--p."""
        steps, a = self.run(capsys, "mprotect a+32K 32K r; t = mremap a 64K 64K maymove "
                            "fixed=a+192K", **K618)
        assert [(s + 320, e + 320, p) for s, e, p in self.near(steps[-1], a)] == \
            [(192, 224, "rw-p"), (224, 256, "r--p")]

    @pytest.mark.parametrize("new", ["48K", "80K"])
    def test_other_size_over_two_vmas_is_efault(self, capsys, new):
        """"shrink 64K->48K over two VMAs: EFAULT", "grow 64K->80K over two VMAs: EFAULT"."""
        steps, _a = self.run(capsys, f"mprotect a+32K 32K r; t = mremap a 64K {new} maymove "
                             "fixed=a+192K", **K618)
        assert steps[-1]["result"]["errno"] == "EFAULT"

    def test_range_ending_in_a_hole(self, capsys):
        """"same size 96K, the last 32K unmapped: a+192K": +192..+256."""
        steps, a = self.run(capsys, "t = mremap a 96K 96K maymove fixed=a+192K", **K618)
        assert [(s + 320, e + 320, p) for s, e, p in self.near(steps[-1], a)] == \
            [(192, 256, "rw-p")]

    def test_54_needs_one_vma(self, capsys):
        steps, _a = self.run(capsys, "munmap a+16K 16K; t = mremap a 64K 64K maymove "
                             "fixed=a+192K", **K54)
        assert steps[-1]["result"]["errno"] == "EFAULT"


class TestNoVmallocFault:
    """arch/x86/mm/init_64.c preallocate_vmalloc_pages() (5.8) and "x86/mm: remove vmalloc
    faulting" (5.9): on x86-64 the vmalloc area's PGD entries all exist from boot, each with
    its next-level table, and pgd_alloc() copies them into every process, so a kernel access
    to a vmalloc address never faults for a missing PGD entry; on i386,
    arch_sync_kernel_mappings() copies a new entry into every PGD when vmalloc() makes one.
    The 4-level vmalloc area is VMALLOC_SIZE_TB = 32 TiB (pgtable_64_types.h) from
    0xffffc90000000000: 32 TiB / 512 GiB per PGD entry = 64 entries, indices 402 to 465."""

    def test_every_process_shares_the_64_preallocated_entries(self):
        m = run_checked("c = fork", **K618).machine
        init = m.init_mm.pgd.entries
        want = list(range(402, 466))
        assert [i for i in want if i in init] == want
        for t in m.tasks.values():
            assert all(t.mm.pgd.entries[i] is init[i] for i in want)

    def test_5_4_makes_them_on_demand(self):
        m = run_checked("c = fork", **K54).machine
        assert not [i for i in range(402, 466) if i in m.init_mm.pgd.entries]

    @pytest.mark.parametrize("arch", ["x86_64", "i386"])
    def test_kernel_read_of_a_new_area_takes_no_fault(self, capsys, arch):
        """Both processes existed before the vmalloc(): neither faults reading it."""
        steps = run_json(capsys, "c = fork; v = vmalloc 8K; kwrite v = 7; x = kread v; "
                         "switch c; y = kread v", kernel="6.18", arch=arch)
        for step in steps[2:]:
            assert step["result"]["ok"], step
            fns = {e["fn"] for e in step["events"]}
            assert not fns & {"vmalloc_fault", "do_kern_addr_fault", "exc_page_fault"}
        assert [steps[3]["result"]["value"], steps[5]["result"]["value"]] == [7, 7]

    def test_5_4_child_still_takes_vmalloc_fault(self, capsys):
        steps = run_json(capsys, "c = fork; v = vmalloc 8K; switch c; y = kread v", **K54)
        assert "vmalloc_fault" in {e["fn"] for e in steps[-1]["events"]}
