"""`vmtui run --kernel A,B`: one scenario on two kernels, where the runs differ.

The expected differences between 5.4 and 6.18 are the real kernels' (mm/mprotect.c,
mm/mremap.c, mm/vma.c of each version, read by hand):

- mprotect r -> rw of ten written private anonymous pages, then a write of the ten:
  5.4's change_pte_range() leaves the PTEs read-only (its dirty_accountable upgrade is
  for shared mappings only), so the write takes 10 minor faults (do_wp_page() reuses
  each page); 6.x's change_pte_range() makes them writable at once
  (MM_CP_TRY_CHANGE_WRITABLE, can_change_pte_writable(): exclusive anonymous pages),
  so the write takes 0;
- mremap shrinking a range with no VMA: 5.4 unmaps the tail and returns the address
  (the shrink comes before the VMA look-up); 6.x looks the VMA up first: EFAULT;
- a faulted VMA made alike to its unfaulted neighbour (both charged, VM_ACCOUNT):
  5.4 keeps two maps lines, 6.16's is_mergeable_anon_vma() merges them (dup_anon_vma():
  one line; tests/kernel_probes/merge_anon.out, "mprotect: the faulted one back to rw-");
- mremap growing in place up to the next VMA: 5.4's vma_adjust() leaves two lines,
  6.x's vma_merge_extend() one (merge_anon.out, "mremap grow: faulted 16K grown ...").

The two kernels boot different process images (tests/data/oracle-6.18/), so every mmap
lands elsewhere: the comparison says so once, before step 1, and compares each step in
relative form (addresses from the scenario's names: x, x+4K). The pipeline itself is
also tested with a stand-in: 6.18 whose mprotect never merges.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import rebuild, run_cli_clean
from vmtui.engine import kmodel
from vmtui.engine.mm import vma as vma_ops
from vmtui.scenario.compare import (
    KernelChoiceError,
    compare_runs,
    maps_groups,
    other_kernel,
    parse_kernels,
)
from vmtui.scenario.loader import from_commands, load_scenario
from vmtui.view.kdiff import json_line, note, text_lines

BOTH = ("5.4", "6.18")


# ------------------------------------------------------------------ the option
@pytest.mark.parametrize(("value", "words"), [
    ("5.4,7.0", ["--kernel '5.4,7.0'", "unknown kernel '7.0'", "5.4, 6.18"]),
    ("6.18,6.18", ["--kernel '6.18,6.18'", "the same kernel twice"]),
    ("5.4,6.18,5.4", ["the same kernel twice"]),
    ("5.4,", ["--kernel '5.4,'", "e.g. --kernel 5.4,6.18"]),
    ("2.6", ["unknown kernel '2.6'"]),
])
def test_bad_kernel_values_are_usage_errors(capsys, value, words):
    code, out, err = run_cli_clean(capsys, ["run", "--kernel", value, "-c", "a = sbrk 0"])
    assert code == 2 and out == ""
    for w in words:
        assert w in err, err


def test_kernel_and_machine_key_together_and_from_pid_are_refused(capsys):
    code, _out, err = run_cli_clean(capsys, ["run", "--kernel", "6.18", "-m", "kernel=5.4",
                                             "-c", "a = sbrk 0"])
    assert code == 2 and "--kernel and -m kernel=" in err
    code, _out, err = run_cli_clean(capsys, ["run", "--kernel", "5.4,6.18", "--from-pid",
                                             "1", "-c", "a = sbrk 0"])
    assert code == 2 and "--from-pid" in err


def test_parse_kernels():
    assert parse_kernels("6.18") == ("6.18",)
    assert parse_kernels(" 5.4 , 6.18 ") == BOTH
    with pytest.raises(KernelChoiceError):
        parse_kernels("")
    assert other_kernel("5.4") == "6.18" and other_kernel("6.18") == "5.4"


def test_one_kernel_is_the_machine_key(capsys):
    cmds = "a = mmap 8K rw private,anon; write a 8K = 3; read a"
    a = run_cli_clean(capsys, ["run", "--kernel", "6.18", "-c", cmds, "--json"])
    b = run_cli_clean(capsys, ["run", "-m", "kernel=6.18", "-c", cmds, "--json"])
    assert a == b and a[0] == 0
    first = json.loads(a[1].splitlines()[1])
    assert first["events"][0]["fn"] == "exc_page_fault"  # 6.18's fault entry


def test_one_kernel_on_a_scenario_file(capsys):
    """A scenario whose expects hold on both kernels (munmap-mprotect's step 9 expects
    5.4's address, 0x7ffff7ddd000: on 6.18 its mmap lands elsewhere)."""
    code, out, _err = run_cli_clean(capsys, ["run", "--kernel", "6.18", "--json",
                                             "kernels-mprotect-mremap"])
    assert code == 0
    fns = [e["fn"] for line in out.splitlines() for e in json.loads(line)["events"]]
    assert "exc_page_fault" in fns and "__do_page_fault" not in fns


# ------------------------------------------------------------------ the pipeline
class NoMerge(kmodel.Linux618):
    """A stand-in second kernel: 6.18 (its process image too) whose mprotect never merges
    a range whose flags change: it splits as 5.4 does, but vma_merge() is never tried."""

    def vma_modify_flags(self, m, task, vma, prev, start, end, newflags, fn, fname):
        if newflags == vma.vm_flags:
            return vma, False
        task.mm.vmas.seq += 1  # the VMA set changed (what maps' cache keys on)
        if start != vma.vm_start:
            vma_ops.split_vma(m, task.mm, vma, start, True)
        if end != vma.vm_end:
            vma_ops.split_vma(m, task.mm, vma, end, False)
        vma.vm_flags = newflags
        return vma, True


@pytest.fixture
def no_merge_618(monkeypatch):
    monkeypatch.setitem(kmodel.MODELS, "6.18", NoMerge)
    monkeypatch.setattr(kmodel, "_INSTANCES", {})


SPLIT = "x = mmap 12K rw private,anon; mprotect x+4K 4K r; mprotect x+4K 4K rw; write x 12K"


def test_a_difference_in_maps_is_said_once_then_carried(no_merge_618):
    """GIVEN 6.18 that never merges WHEN the middle page goes r and back rw THEN step 3
    differs in maps (one VMA on 5.4, three on 6.18), and step 4 agrees, the maps still
    differing as after step 3."""
    comp = compare_runs(from_commands(SPLIT), BOTH)
    same = [s.same for s in comp.steps]
    assert same == [True, True, False, True]
    s3 = comp.at(3)
    assert s3 is not None and list(s3.maps) == [1]
    (g,) = s3.maps[1].groups()
    assert g.kind == "split"
    assert g.a == ("x..x+12K rw-p 00000000 00:00 0",)
    assert g.b == ("x..x+4K rw-p 00000000 00:00 0", "x+4K..x+8K rw-p 00000000 00:00 0",
                   "x+8K..x+12K rw-p 00000000 00:00 0")
    assert comp.at(4).maps_differ == (1,)
    lines = text_lines(comp)
    assert lines[0] == "-c: Linux 5.4 and Linux 6.18, step by step (4 steps)"
    # the process images, once: 6.18 has [vvar_vclock], libc one page longer, ...
    assert lines[1] == "the two kernels start with different process images: " \
                       "20 VMAs on 5.4, 23 on 6.18"
    assert "  [vvar_vclock]: only on 6.18 (1 VMA(s), 8K)" in lines
    assert "  libc.so.6: 5.4: 5 VMA(s), 1872K · 6.18: 5 VMA(s), 1876K" in lines
    i = lines.index("steps 1-2: the same on both kernels")
    assert lines[i - 3].startswith("  so the scenario's mappings land elsewhere: x = 0x")
    assert lines[i - 2] == "  below: addresses from the scenario's names (x, x+8K), without " \
                           "the image's maps lines"
    assert lines[i + 1:i + 6] == [
        "step 3 [pid 1] mprotect x+4K 4K rw",
        "  maps      pid 1: one VMA on 5.4, several on 6.18",
        "    5.4   x..x+12K rw-p 00000000 00:00 0",
        "    6.18  x..x+4K rw-p 00000000 00:00 0",
        "    6.18  x+4K..x+8K rw-p 00000000 00:00 0"]
    assert lines[-2] == "step 4: the same on both kernels (the maps of pid 1 still differ " \
                        "as before)"
    assert lines[-1] == "the kernels differ at 1 of 4 steps: 3"


def test_cli_text_and_json_are_deterministic(no_merge_618, capsys):
    runs = [run_cli_clean(capsys, ["run", "--kernel", "5.4,6.18", "-c", SPLIT, *extra])
            for extra in ([], [], ["--json"], ["--json"], ["--json", "--check-invariants"])]
    assert runs[0] == runs[1] and runs[2] == runs[3] == runs[4]
    assert runs[0][0] == 0
    steps = [json.loads(ln) for ln in runs[2][1].splitlines()]
    assert [s["step"] for s in steps] == [1, 2, 3, 4]
    image = steps[0]["image"]  # the images' difference, on the first line only
    assert image["vmas"] == {"5.4": 20, "6.18": 23}
    assert image["differ"]["[vvar_vclock]"] == {"5.4": None, "6.18": {"vmas": 1, "kb": 8}}
    assert image["moved"]["name"] == "x"
    assert all("image" not in s for s in steps[1:])
    s3 = steps[2]
    assert s3["same"] is False and s3["kernels"] == ["5.4", "6.18"]
    assert s3["result"] is None and s3["faults"] == {} and s3["counters"] == {}
    assert s3["maps"]["1"]["5.4"] == ["x..x+12K rw-p 00000000 00:00 0"]
    assert len(s3["maps"]["1"]["6.18"]) == 3
    assert s3["maps_differ"] == ["1"] and steps[3]["maps"] == {}
    assert steps[3]["maps_differ"] == ["1"]


def test_maps_agree_again(no_merge_618):
    comp = compare_runs(from_commands(SPLIT.replace("write x 12K", "munmap x 12K")), BOTH)
    s4 = comp.at(4)
    assert s4.maps_again == (1,) and s4.maps_differ == () and not s4.same
    assert "  maps      pid 1: the same on both kernels again" in text_lines(comp)
    assert json_line(s4, comp.kernels)["maps"] == {"1": None}


def test_a_run_stopped_by_a_name_left_without_value(capsys):
    """A step that fails on one kernel only leaves its NAME unset there; a later step
    using it stops that run: the comparison ends at that step, saying why. mremap of an
    unmapped range: 5.4 returns d, 6.18 fails with EFAULT (tests/kernel_probes/
    mremap_efault.out), so e has no value on 6.18."""
    cmds = "d = mmap 8K r private,anon; munmap d 8K; e = mremap d 8K 4K; read e; read d"
    comp = compare_runs(from_commands(cmds), BOTH)
    s3, s4 = comp.at(3), comp.at(4)
    assert s3.results == ({"ok": True, "value": "d"}, {"ok": False, "errno": "EFAULT"})
    assert s4.stopped[0] == "" and "'e' has no value" in s4.stopped[1]
    assert len(comp.steps) == 4 and comp.total == 5
    lines = text_lines(comp)
    assert lines[-2] == "compared up to step 4 of 5"
    assert any(ln.startswith("  stopped   5.4:  SIGSEGV (SEGV_MAPERR) at d") for ln in lines)
    code, out, _err = run_cli_clean(capsys, ["run", "--kernel", "5.4,6.18", "--json",
                                             "-c", cmds])
    last = json.loads(out.splitlines()[-1])
    assert code == 0 and last["step"] == 4 and last["stopped"]["5.4"] is None
    assert "'e' has no value" in last["stopped"]["6.18"]


def test_the_same_mistake_on_both_kernels_is_the_scenarios(capsys):
    code, _out, err = run_cli_clean(capsys, ["run", "--kernel", "5.4,6.18", "-c",
                                             "a = mmap 4K rw private,anon; read nosuch"])
    assert code == 2 and "nosuch" in err


def test_zh_text(no_merge_618):
    comp = compare_runs(from_commands(SPLIT), BOTH)
    lines = text_lines(comp, "zh")
    assert lines[1] == "两个内核启动时的进程映像不同：5.4 上 20 个 VMA，6.18 上 23 个"
    i = lines.index("第 1-2 步：两个内核相同")
    assert lines[i + 2] == "  maps      pid 1: 5.4 上是一个 VMA，6.18 上是多个"
    assert lines[-1] == "两个内核在 4 步中有 1 步不同：3"


def test_note_is_made_from_the_comparison(no_merge_618):
    comp = compare_runs(from_commands(SPLIT), BOTH)
    s3 = comp.at(3)
    assert note(comp.at(2), BOTH, "5.4") == ""
    assert note(s3, BOTH, "5.4") == ("On Linux 6.18 this step differs: the maps of pid 1: "
                                     "one VMA on 5.4, several on 6.18")
    assert note(s3, BOTH, "6.18").startswith("On Linux 5.4 this step differs: ")
    assert note(s3, BOTH, "5.4", "zh").startswith("在 Linux 6.18 上这一步不同：")


def test_maps_groups_reuse_statediffs_grouping():
    a = ("7000-9000 rw-p 00000000 00:00 0 ",)
    b = ("7000-8000 rw-p 00000000 00:00 0 ", "8000-9000 rw-p 00000000 00:00 0 ")
    assert [g.kind for g in maps_groups(a, b)] == ["split"]
    assert [g.kind for g in maps_groups(b, a)] == ["merged"]
    assert [g.kind for g in maps_groups(a, ())] == ["removed"]
    assert maps_groups(a, a) == []


def test_builtin_scenarios_compare_cleanly(capsys):
    for name in ("kernels-vma-tree", "kernels-mprotect-mremap"):
        code, out, _err = run_cli_clean(capsys, ["run", "--kernel", "5.4,6.18", name,
                                                 "--check-invariants"])
        assert code == 0 and out.startswith(f"{name}: Linux 5.4 and Linux 6.18")


# ------------------------------------------------------------------ 5.4 vs 6.18 itself
def _mm_steps():
    sc = load_scenario("kernels-mprotect-mremap")
    return sc, {st.do: i + 1 for i, st in enumerate(sc.steps)}


MERGE = ("b = mmap 4K rw private,anon,fixed addr=r+12K", "mprotect a 4K rw", 8 << 10)
GROW = ("g = mmap 12K rw private,anon,fixed addr=r+40K", "h = mremap g 4K 8K", 12 << 10)


def test_the_5_4_side_of_kernels_mprotect_mremap(capsys):
    """What 5.4 does at the steps where 6.18 differs (the real 5.4's behaviour)."""
    code, out, _err = run_cli_clean(capsys, ["run", "--json", "kernels-mprotect-mremap"])
    assert code == 0
    steps = rebuild([json.loads(ln) for ln in out.splitlines()])
    _sc, at = _mm_steps()
    n = at["write c 40K = 2"]
    assert steps[n - 1]["counters"]["pgfault"] - steps[n - 2]["counters"]["pgfault"] == 10
    assert steps[n - 1]["faults"]["1"]["min_flt"] - steps[n - 2]["faults"]["1"][
        "min_flt"] == 10
    n = at["e = mremap d 8K 4K"]
    assert steps[n - 1]["result"]["ok"] is True
    # two maps lines where 6.18 has one: b below a, and g grown up to its other piece
    for made, do, size in (MERGE, GROW):
        start = int(steps[at[made] - 1]["result"]["value"], 16)
        near = [ln.split()[:2] for ln in steps[at[do] - 1]["maps"]["1"]
                if start <= int(ln.split("-")[0], 16) < start + size]
        assert len(near) == 2 and near[0][1] == near[1][1] == "rw-p", near


def test_618_runs_kernels_mprotect_mremap_with_its_expects(capsys):
    """Every expect of the scenario holds on 6.18 too (the mremap of step 8 has none:
    it differs)."""
    code, _out, err = run_cli_clean(capsys, ["run", "--kernel", "6.18",
                                             "kernels-mprotect-mremap"])
    assert code == 0, err


def _compare_mm():
    sc, at = _mm_steps()
    return compare_runs(sc, BOTH), at


def _diff_at(do: str):
    comp, at = _compare_mm()
    return comp.at(at[do])


def test_the_process_image_does_not_swamp_the_comparison():
    """Only the steps where the kernels' rules differ are told: the write after mprotect
    r -> rw, the mremap of an unmapped range, the anon_vma merge, the grow in place, and
    the `show maps` at the end that prints the last two."""
    comp, at = _compare_mm()
    assert [s.number for s in comp.differing] == [
        at["write c 40K = 2"], at["e = mremap d 8K 4K"], at[MERGE[1]], at[GROW[1]],
        at["show maps"]]
    assert comp.image_diff is not None and comp.image_diff.moved[0] == "c"
    lines = text_lines(comp)
    assert lines[-1] == "the kernels differ at 5 of 18 steps: 5, 8, 14, 17-18"
    assert not any(ln.startswith("    ") and ("0x7ff" in ln or "libc" in ln)
                   for ln in lines)


def test_618_write_after_mprotect_r_to_rw_takes_no_fault():
    s = _diff_at("write c 40K = 2")
    assert s.faults == {1: ((10, 0), (0, 0))}
    assert s.counters == {"pgfault": (10, 0)}
    assert s.results is None and not s.maps


def test_618_mremap_of_an_unmapped_range_is_efault():
    s = _diff_at("e = mremap d 8K 4K")
    assert s.results == ({"ok": True, "value": "d"}, {"ok": False, "errno": "EFAULT"})
    assert s.summaries[0] == "ok: d"


def test_618_merges_a_faulted_vma_into_an_unfaulted_neighbour():
    s = _diff_at(MERGE[1])
    (g,) = s.maps[1].groups()
    assert g.kind == "merged"
    assert g.a == ("b..b+4K rw-p 00000000 00:00 0", "a..a+4K rw-p 00000000 00:00 0")
    assert g.b == ("b..b+8K rw-p 00000000 00:00 0",)


def test_618_mremap_grow_in_place_merges_with_the_next_vma():
    s = _diff_at(GROW[1])
    assert s.results is None  # grown in place on both: the same address
    (g,) = s.maps[1].new_groups()
    assert g.kind == "merged"
    assert g.a == ("h..h+8K rw-p 00000000 00:00 0", "h+8K..h+12K rw-p 00000000 00:00 0")
    assert g.b == ("h..h+12K rw-p 00000000 00:00 0",)


def test_618_fault_path_looks_the_vma_up_under_rcu(capsys):
    """6.x's do_user_addr_fault() tries lock_vma_under_rcu() (mm/memory.c) first."""
    code, out, _err = run_cli_clean(capsys, ["run", "--kernel", "6.18", "--json", "-c",
                                             "a = mmap 4K rw private,anon; write a"])
    cited = [(e["fn"], e["file"]) for e in json.loads(out.splitlines()[1])["events"]]
    assert ("exc_page_fault", "arch/x86/mm/fault.c") in cited
    assert ("lock_vma_under_rcu", "mm/memory.c") in cited
