"""IncrementalCheck finds what a step breaks, and agrees with the full check.

Each damage test arms the check, runs one command, then breaks one thing by hand while
the step is still armed (as a bug inside the step would, through the paths the engine
writes by), and expects InvariantError naming that thing. The damage is chosen by hand,
so what must fail does not depend on the engine. The agreement test runs every built-in
scenario on both kernels with the incremental check and the full check after every step:
neither may report anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.engine.conftest import Session, do, machine
from vmtui.cli import main
from vmtui.engine.check.incremental import IncrementalCheck
from vmtui.engine.check.invariants import InvariantError, check_invariants
from vmtui.engine.include.layout import PAGE_SHIFT, PAGE_SIZE
from vmtui.engine.include.mmzone import PG_anon_exclusive, PG_lru, PG_pgtable
from vmtui.engine.include.pgtable import is_swap_pte, pte_pfn, swp_offset, swp_type
from vmtui.engine.mm.vmscan import page_lru
from vmtui.scenario.compare import with_kernel
from vmtui.scenario.loader import builtin_names, load_scenario
from vmtui.scenario.runner import Runner


def _setup(commands: str) -> Any:
    """A 64M machine that ran `commands`, the invariants checked after each."""
    s = Session(ram="64M")
    s.do(commands)
    return s.m


def _armed(m: Any, command: str) -> IncrementalCheck:
    """A check armed over `command` (run, still armed: the caller adds the damage)."""
    inc = IncrementalCheck(m)
    inc.arm()
    do(m, command)
    return inc


def _pte(m: Any, va: int) -> tuple[Any, int]:
    """The PTE table covering `va` (taken as the engine takes it) and the PTE's index."""
    table = m.pt.pte_table(m.current.mm.pgd, va, False)
    assert table is not None
    return table, m.pt.index(m.layout.levels - 1, va)


def _mapped(m: Any, vma: Any) -> list[tuple[int, Any]]:
    """(address, page) of every present PTE in `vma` mapping a page in use."""
    out = []
    for table, idx, va in m.pt.iter_ptes(m.current.mm.pgd, vma.vm_start, vma.vm_end):
        pte = table.entries[idx]
        if not is_swap_pte(pte) and pte_pfn(pte) in m.mem.pages:
            out.append((va, m.mem.pages[pte_pfn(pte)]))
    return out


def _anon_vma(m: Any) -> Any:
    """The current process's anonymous VMA that has pages (the one the test wrote)."""
    for vma in m.current.mm.vmas:
        if vma.vm_file is None and vma.anon_vma is not None and _mapped(m, vma):
            return vma
    raise AssertionError("no written anonymous VMA")


def test_nothing_broken_nothing_reported_and_the_hooks_are_off_after() -> None:
    m = machine(ram="64M")
    inc = _armed(m, "a = mmap 64K rw private,anon")
    assert m.pt.touched is not None and m.mem.touched is not None
    inc.check()
    assert m.pt.touched is None and m.mem.touched is None
    inc.arm()
    do(m, "write a 64K = 7")
    inc.check()
    check_invariants(m)


def test_a_bumped_mapcount_is_found() -> None:
    m = _setup("a = mmap 40K rw private,anon")
    inc = _armed(m, "write a 40K = 1")
    va, page = _mapped(m, _anon_vma(m))[3]
    page.mapcount += 1
    with pytest.raises(InvariantError, match=f"frame {page.pfn:#x}: mapcount 2 but 1 PTE"):
        inc.check()


def test_a_shared_page_marked_exclusive_is_found() -> None:
    """PageAnonExclusive on a page two processes map (fork shares it, so the kernel clears
    the flag: copy_present_pte()); both checks name it."""
    s = Session(ram="64M", kernel="6.18")
    s.do("a = mmap 40K rw private,anon; write a 40K = 1")
    inc = _armed(s.m, "c = fork")
    va, page = _mapped(s.m, _anon_vma(s.m))[0]
    assert page.mapcount == 2 and not page.flags & PG_anon_exclusive
    page.flags |= PG_anon_exclusive
    want = f"frame {page.pfn:#x} has PG_anon_exclusive but 2 PTEs map it"
    with pytest.raises(InvariantError, match=want):
        inc.check()
    with pytest.raises(InvariantError, match=want):
        check_invariants(s.m)


def test_a_pte_dropped_without_the_rmap_update_is_found() -> None:
    """zap without page_remove_rmap(): the page still counts a mapping it lost (the RSS
    counter kept right, so only the mapcount is wrong)."""
    m = _setup("a = mmap 40K rw private,anon; write a 40K = 1")
    inc = _armed(m, "read a")
    va, page = _mapped(m, _anon_vma(m))[2]
    table, idx = _pte(m, va)
    del table.entries[idx]
    m.current.mm.rss_anon -= 1
    with pytest.raises(InvariantError, match=f"frame {page.pfn:#x}: mapcount 1 but 0 PTE"):
        inc.check()


def test_a_pte_dropped_without_the_rss_update_is_found() -> None:
    m = _setup("a = mmap 40K rw private,anon; write a 40K = 1")
    inc = _armed(m, "read a")
    va, page = _mapped(m, _anon_vma(m))[2]
    table, idx = _pte(m, va)
    del table.entries[idx]
    page.mapcount -= 1  # the rmap update done, the rss_anon one forgotten
    with pytest.raises(InvariantError, match=r"rss anon/file/shmem/swap moved by \(0, 0, 0, 0\) "
                       r"but the PTEs the step changed move them by \(-1, 0, 0, 0\)"):
        inc.check()


def test_a_pte_of_a_page_not_in_use_is_found() -> None:
    m = _setup("a = mmap 40K rw private,anon; write a 40K = 1")
    inc = _armed(m, "read a")
    va, page = _mapped(m, _anon_vma(m))[1]
    table, idx = _pte(m, va)
    free_pfn = next(iter(next(a for a in page.zone.free_area if a)))
    table.entries[idx] = (free_pfn << PAGE_SHIFT) | (table.entries[idx] & 0xFFF)
    page.mapcount -= 1
    with pytest.raises(InvariantError, match=f"maps frame {free_pfn:#x}, which is not in use"):
        inc.check()


def test_an_lru_page_unlinked_from_its_list_is_found() -> None:
    m = _setup("a = mmap 128K rw private,anon")
    inc = _armed(m, "write a 128K = 1")
    page = next(p for _va, p in _mapped(m, _anon_vma(m)) if p.flags & PG_lru)
    del page.zone.node.lru.lists[page_lru(page)][page.pfn]
    with pytest.raises(InvariantError, match=f"frame {page.pfn:#x} has PG_lru but is on 0 LRU"):
        inc.check()


def test_a_page_on_the_wrong_lru_list_is_found() -> None:
    m = _setup("a = mmap 128K rw private,anon")
    inc = _armed(m, "write a 128K = 1")
    page = next(p for _va, p in _mapped(m, _anon_vma(m)) if p.flags & PG_lru)
    lists = page.zone.node.lru.lists
    right = page_lru(page)
    del lists[right][page.pfn]
    lists[right ^ 1][page.pfn] = None  # the other of active / inactive
    with pytest.raises(InvariantError, match=f"frame {page.pfn:#x} on LRU list {right ^ 1} "
                       f"but its flags say {right}"):
        inc.check()


def test_two_overlapping_vmas_are_found() -> None:
    m = _setup("a = mmap 16K rw private,anon")
    inc = _armed(m, "b = mmap 16K r private,anon")
    vmas = list(m.current.mm.vmas)
    prev, nxt = next((x, y) for x, y in zip(vmas, vmas[1:], strict=False)
                     if x.vm_end == y.vm_start)
    prev.vm_end += PAGE_SIZE  # a vma_adjust() that forgot its neighbour
    with pytest.raises(InvariantError, match="overlaps"):
        inc.check()


def test_a_vma_shrunk_over_its_ptes_is_found() -> None:
    """mprotect/munmap that moves vm_end without zapping: the page left outside is found,
    though its PTE was not touched (the VMA's change is)."""
    m = _setup("a = mmap 40K rw private,anon; write a 40K = 1")
    inc = _armed(m, "read a")
    vma = _anon_vma(m)
    mm = m.current.mm
    mm.vmas.adjust(vma, vma.vm_start, vma.vm_end - PAGE_SIZE, vma.vm_pgoff)
    mm.total_vm -= 1
    with pytest.raises(InvariantError, match=f"PTE for {vma.vm_end:#x} outside every VMA"):
        inc.check()


def test_a_table_made_without_accounting_is_found() -> None:
    """A PTE table allocated for the first write of a 4M mapping, pgtables_bytes left as it
    was (pgtables_bytes itself did not move: the new table is what shows it)."""
    m = _setup("a = mmap 4M rw private,anon")
    mm = m.current.mm
    before = mm.pgtables_bytes
    inc = _armed(m, "write a+2M 4K = 1")
    assert mm.pgtables_bytes > before  # the write made at least one table
    mm.pgtables_bytes = before
    with pytest.raises(InvariantError, match=f"pgtables_bytes {before} != "):
        inc.check()


def test_a_wrong_total_vm_is_found() -> None:
    m = machine(ram="64M")
    inc = _armed(m, "a = mmap 16K rw private,anon")
    m.current.mm.total_vm += 1
    with pytest.raises(InvariantError, match="total_vm"):
        inc.check()


def test_a_frame_in_use_put_on_a_free_list_is_found() -> None:
    m = _setup("a = mmap 40K rw private,anon")
    inc = _armed(m, "write a 40K = 1")
    _va, page = _mapped(m, _anon_vma(m))[0]
    page.zone.free_area[0][page.pfn] = None
    page.zone.nr_free += 1
    page.zone.managed += 1  # so the counts still add up: only the overlap is wrong
    with pytest.raises(InvariantError, match=f"frame {page.pfn:#x} is in use and inside a "
                       "free block"):
        inc.check()


def test_a_wrong_free_count_is_found() -> None:
    m = _setup("a = mmap 40K rw private,anon")
    inc = _armed(m, "write a 40K = 1")
    _va, page = _mapped(m, _anon_vma(m))[0]
    page.zone.nr_free -= 1
    with pytest.raises(InvariantError, match="nr_free moved by"):
        inc.check()


def test_a_frame_leaked_by_the_allocator_is_found() -> None:
    """A block taken off the free lists (by rmqueue, so the step touched it) that nobody
    owns: neither in use nor free."""
    m = _setup("a = mmap 40K rw private,anon")
    inc = _armed(m, "write a 40K = 1")
    zone = _mapped(m, _anon_vma(m))[0][1].zone
    pfn = m.mem.rmqueue(zone, 0)
    with pytest.raises(InvariantError, match=f"frame {pfn:#x} is neither in use nor in a free "
                       "block"):
        inc.check()


def _swapped() -> Session:
    """A Session whose anonymous pages of `a` went to swap, but for the first."""
    s = Session(ram="64M", swap="16M")
    s.do("a = mmap 32K rw private,anon; write a 32K = 5")
    vma = _anon_vma(s.m)
    s.pageout([p for _va, p in _mapped(s.m, vma)[1:]])
    return s


def _swap_pte(m: Any, vma: Any) -> tuple[Any, int, int]:
    for table, idx, _va in m.pt.iter_ptes(m.current.mm.pgd, vma.vm_start, vma.vm_end):
        if is_swap_pte(table.entries[idx]):
            return table, idx, table.entries[idx]
    raise AssertionError("no swap PTE")


def test_a_bumped_swap_count_is_found() -> None:
    s = _swapped()
    m = s.m
    inc = _armed(m, "read a")
    _table, _idx, entry = _swap_pte(m, _anon_vma(m))
    si = m.swap.areas[swp_type(entry)]
    off = swp_offset(entry)
    si.swap_map[off] += 1
    with pytest.raises(InvariantError, match=f"swap slot {off}: count 2 but 1 PTE"):
        inc.check()


def test_a_swap_pte_dropped_without_swap_free_is_found() -> None:
    s = _swapped()
    m = s.m
    vma = _anon_vma(m)
    inc = _armed(m, "read a")
    entry = _swap_pte(m, vma)[2]
    for table, idx, _va in m.pt.iter_ptes(m.current.mm.pgd, vma.vm_start, vma.vm_end):
        if table.entries[idx] == entry:
            del table.entries[idx]  # through iter_ptes, as zap_pte_range takes the table
            break
    else:
        raise AssertionError("the swap PTE went")
    m.current.mm.rss_swap -= 1
    off = swp_offset(entry)
    with pytest.raises(InvariantError, match=f"swap slot {off}: count 1 but 0 PTE"):
        inc.check()


def test_a_wrong_rss_counter_is_found() -> None:
    m = _setup("a = mmap 16K rw private,anon")
    inc = _armed(m, "write a 16K = 2")
    m.current.mm.rss_file += 1
    with pytest.raises(InvariantError, match=r"rss anon/file/shmem/swap moved by \(4, 1, 0, 0\)"):
        inc.check()


def test_a_page_unlinked_from_its_generation_is_found() -> None:
    """The multi-gen LRU (6.18): a page taken off its generation list, nr_pages kept right,
    PG_lru left on."""
    s = Session(ram="64M", kernel="6.18")
    s.do("a = mmap 128K rw private,anon")
    m = s.m
    inc = _armed(m, "write a 128K = 1")
    page = next(p for _va, p in _mapped(m, _anon_vma(m)) if p.flags & PG_lru)
    g = page.zone.node.lru.lrugen
    gen, type_ = next((gen, t) for gen in range(len(g.folios)) for t in (0, 1)
                      if page.pfn in g.folios[gen][t])
    del g.folios[gen][type_][page.pfn]
    g.nr_pages[gen][type_] -= 1
    with pytest.raises(InvariantError, match=f"frame {page.pfn:#x} has PG_lru but is on 0 LRU"):
        inc.check()


# ---------------------------------------------------------------- agreement
CASES = [(k, n) for k in ("5.4", "6.18") for n in builtin_names()]


def _leaf_tables(m: Any) -> dict[Any, dict[int, int]]:
    """Every user PTE table of a live process, with a copy of its entries."""
    last = m.pt.levels - 1
    return {t: dict(t.entries) for task in m.live_tasks() if task.mm.pgd is not None
            for t in m.pt.tables(task.mm.pgd) if t.level == last}


def _lru_members(m: Any) -> set[tuple[int, int, int]]:
    return {(node.id, i, pfn) for node in m.mem.nodes for i, lst in enumerate(node.lru.lists)
            for pfn in lst}


@pytest.mark.parametrize(("kernel", "name"), CASES)
def test_incremental_and_full_checks_agree_on_every_builtin(kernel: str, name: str) -> None:
    """After every step of every built-in, on both kernels, the incremental check and the
    full check both report nothing, and the hooks are off between steps. And the hooks
    mark what the docstring says: every PTE table whose entries changed, every frame taken
    or freed, every page that joined or left a two-list LRU list (found by comparing
    copies of the whole state from before and after the step)."""
    sc = with_kernel(load_scenario(name), kernel)
    r = Runner(sc)
    m = r.machine
    inc = IncrementalCheck(m)
    for n, st in enumerate(sc.steps, 1):
        tables0, pages0, lru0 = _leaf_tables(m), dict(m.mem.pages), _lru_members(m)
        inc.arm()
        r.step()
        if m.pt.touched is None:  # `reboot`: a new machine (the check then checks it whole)
            inc.check()
            check_invariants(m)
            continue
        tables, frames = set(m.pt.touched), set(m.mem.touched or ())
        unlinked = dict(m.mem.unlinked or {})
        tables1, pages1, lru1 = _leaf_tables(m), m.mem.pages, _lru_members(m)
        for t in tables0.keys() | tables1.keys():
            if tables0.get(t, {}) != tables1.get(t, t.entries):
                assert t in tables, f"step {n} `{st.do}`: {t!r} changed, unmarked"
        moved = {pfn for pfn in pages0.keys() | pages1.keys()
                 if pages0.get(pfn) is not pages1.get(pfn)}
        assert moved <= frames, f"step {n} `{st.do}`: frames {sorted(moved - frames)} unmarked"
        for pfn in moved:
            old = pages0.get(pfn)
            if old is not None and not old.flags & PG_pgtable:  # freed: its page recorded
                assert unlinked.get(pfn) is old, f"step {n} `{st.do}`: {old!r} unrecorded"
        relisted = {pfn for _nid, _i, pfn in lru0 ^ lru1}
        assert relisted <= frames, \
            f"step {n} `{st.do}`: LRU pages {sorted(relisted - frames)} unmarked"
        inc.check()
        check_invariants(m)
        assert m.pt.touched is None and m.mem.touched is None


# ---------------------------------------------------------------- vmtui check
SCENARIO = """\
[scenario]
title = { en = "Two pages", zh = "两页" }

[[step]]
do = "a = mmap 8K rw private,anon"
say = { en = "Map.", zh = "映射。" }
expect = "ok"

[[step]]
do = "write a 8K = 3"
say = { en = "Write.", zh = "写。" }
expect = "ok"
"""


@pytest.mark.parametrize("paranoid", [False, True])
def test_vmtui_check_runs_both_ways(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    paranoid: bool) -> None:
    path = tmp_path / "s.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    code = main(["check", str(path)] + (["--paranoid"] if paranoid else []))
    assert code == 0, capsys.readouterr().out
    assert "ok (2 steps, 2 expects)" in capsys.readouterr().out


def test_vmtui_check_reports_what_the_incremental_check_finds(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A broken invariant after step 2 is reported at that step's [[step]] line (9), exit 1;
    --paranoid does not use the incremental check."""
    calls = []

    def broken(self: IncrementalCheck) -> None:
        self.disarm()
        calls.append(1)
        if len(calls) == 2:
            raise InvariantError("frame 0x1234: mapcount 2 but 1 PTE(s) map it")

    monkeypatch.setattr(IncrementalCheck, "check", broken)
    path = tmp_path / "s.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}:9:1: step 2: engine invariant broken after `write a 8K = 3`: frame " \
           "0x1234: mapcount 2 but 1 PTE(s) map it" in out
    assert main(["check", "--paranoid", str(path)]) == 0


def test_vmtui_check_help_names_paranoid(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    assert "--paranoid" in capsys.readouterr().out
