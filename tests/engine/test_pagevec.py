"""Per-CPU LRU batches (issue 19): pages reach their LRU list, and MADV_FREE'd pages become
LazyFree, only when the CPU's batch fills or is drained.

Every expected number is computed by hand from Linux 5.4's mm/swap.c:
- include/linux/pagevec.h: PAGEVEC_SIZE 15.
- __lru_cache_add(): `if (!pagevec_add(pvec, page) || PageCompound(page))
  __pagevec_lru_add(pvec);` - the 15th page added moves all 15 to their lists.
- mark_page_lazyfree(): the same with lru_lazyfree_pvecs; lru_lazyfree_fn() clears
  PG_swapbacked (smaps counts LazyFree for an anonymous page without it,
  fs/proc/task_mmu.c smaps_account()) and counts PGLAZYFREE.
- madvise_free_single_vma() calls lru_add_drain() before marking; so do
  shrink_inactive_list()/shrink_active_list() (mm/vmscan.c), zap_page_range()
  (mm/memory.c) and free_pages_and_swap_cache() (mm/swap_state.c, munmap's page release).
- follow_page_pte() with FOLL_MLOCK (mm/gup.c) drains before mlock_vma_page(), which puts
  the page back through lru_cache_add() (putback_lru_page, mm/mlock.c).

Linux 6.18 works the same way with folio batches of 31: tests/kernel_probes/lru_batches.c
and its .out show the LRU count stepping by 31, and MADV_FREE of 10 pages showing
LazyFree 0 kB until a drain (lru_add_drain_all, through /proc/sys/vm/compact_memory),
then 40 kB; of 40 pages, 124 kB (31 pages) then 160 kB.
"""

from __future__ import annotations

import re

from tests.conftest import PROBES
from tests.engine.conftest import do_checked, machine
from vmtui.cli import main
from vmtui.engine.fs import meminfo, task_mmu
from vmtui.engine.include.machine import Machine
from vmtui.engine.mm import swap, vmscan, vmstat


def do(m: Machine, *lines: str) -> None:
    """Run commands as a scenario step does, with every invariant checked after each."""
    for line in lines:
        do_checked(m, line)


def _meminfo(m: Machine) -> dict[str, int]:
    out = {}
    for line in meminfo.meminfo_text(m, m.current).splitlines():
        mt = re.match(r"(\S+):\s+(\d+) kB", line)
        if mt:
            out[mt.group(1)] = int(mt.group(2))
    return out


def _lazyfree_kb(text: str, start: int) -> int:
    lines = [x.strip() for x in text.splitlines()]
    for i, line in enumerate(lines):
        if line.startswith(f"{start:x}-"):
            for field in lines[i + 1:]:
                mt = re.match(r"LazyFree:\s+(\d+) kB", field)
                if mt:
                    return int(mt.group(1))
    raise AssertionError(f"no LazyFree for the VMA at {start:#x}")


class TestLruAddBatch:
    def test_fourteen_new_pages_wait_the_fifteenth_moves_all(self) -> None:
        m = machine()
        do(m, "a = mmap 64K rw private,anon")
        before = _meminfo(m)
        do(m, "write a 56K = 1")  # 14 pages: the batch holds 14 of 15
        mid = _meminfo(m)
        assert mid["Active(anon)"] == before["Active(anon)"]
        assert mid["Inactive(anon)"] == before["Inactive(anon)"]
        assert mid["AnonPages"] == before["AnonPages"] + 56  # rss counts them at once
        assert len(m.lru_pvecs[0].pvecs[swap.LRU_ADD]) == 14
        do(m, "write a+56K 4K = 1")  # the 15th fills it: __pagevec_lru_add
        after = _meminfo(m)
        assert after["Active(anon)"] == before["Active(anon)"] + 15 * 4
        assert after["Inactive(anon)"] == before["Inactive(anon)"]
        assert swap.pagevec_text(m) == "every CPU's batches are empty"

    def test_tick_drains_and_vmstat_lags_until_then(self) -> None:
        m = machine()
        do(m, "a = mmap 64K rw private,anon")
        nr = vmstat.vmstat_values(m)["nr_active_anon"]
        do(m, "write a 20K = 1")  # 5 pages wait
        assert vmstat.vmstat_values(m)["nr_active_anon"] == nr
        do(m, "tick")
        assert vmstat.vmstat_values(m)["nr_active_anon"] == nr + 5
        assert m.lru_pvecs[0].total() == 0

    def test_reclaim_drains_this_cpu_before_isolating(self) -> None:
        m = machine()
        do(m, "a = mmap 64K rw private,anon", "write a 20K = 1")
        node = m.mem.nodes[0]
        anon = node.lru.sizes()["active_anon"] + node.lru.sizes()["inactive_anon"]
        assert len(m.lru_pvecs[0].pvecs[swap.LRU_ADD]) == 5
        sc = vmscan.ScanControl(nr_to_reclaim=32, reclaim_idx=3)
        vmscan.shrink_inactive_list(m, node, 32, vmscan.LRU_INACTIVE_FILE, sc)
        assert m.lru_pvecs[0].total() == 0
        sizes = node.lru.sizes()
        assert sizes["active_anon"] + sizes["inactive_anon"] == anon + 5

    def test_munmap_drains_this_cpu(self) -> None:
        """free_pages_and_swap_cache() drains this CPU before releasing the zapped pages:
        the 3 pages of `b` still waiting reach the active list when `a` is unmapped."""
        m = machine()
        do(m, "a = mmap 8K rw private,anon", "b = mmap 16K rw private,anon", "write a 8K = 1",
           "tick")
        active = m.mem.nodes[0].lru.sizes()["active_anon"]
        do(m, "write b 12K = 2")
        assert m.mem.nodes[0].lru.sizes()["active_anon"] == active
        do(m, "munmap a 8K")
        assert m.mem.nodes[0].lru.sizes()["active_anon"] == active - 2 + 3


class TestLazyFreeBatch:
    def test_madv_free_of_ten_pages_is_lazyfree_after_tick(self, capsys) -> None:
        code = main(["run", "-m", "swap=0", "--check-invariants", "-c",
                     "a = mmap 40K rw private,anon; write a 40K = 1; madvise a 40K free; "
                     "show smaps; show vmstat; tick; show smaps; show vmstat"])
        out = capsys.readouterr().out
        assert code == 0, out
        start = int(re.search(r"-> ok: (0x[0-9a-f]+)", out).group(1), 16)
        first, second = out.split("] tick", 1)
        assert _lazyfree_kb(first, start) == 0
        assert re.search(r"^\s*pglazyfree 0$", first, re.M)
        assert _lazyfree_kb(second, start) == 40
        assert re.search(r"^\s*pglazyfree 10$", second, re.M)

    def test_madv_free_of_forty_pages_moves_two_batches(self) -> None:
        """40 pages: the lazyfree batch fills at the 15th and the 30th page (5.4); 10 wait.
        (6.18, batches of 31: 124 kB then 160 kB, tests/kernel_probes/lru_batches.out.)"""
        m = machine(swap="0")
        do(m, "a = mmap 160K rw private,anon", "write a 160K = 1", "madvise a 160K free")
        assert _lazyfree_kb(task_mmu.smaps_text(m, m.current), m.names["a"]) == 30 * 4
        assert m.vmstat["pglazyfree"] == 30
        assert len(m.lru_pvecs[0].pvecs[swap.LRU_LAZYFREE]) == 10
        do(m, "tick")
        assert m.vmstat["pglazyfree"] == 40
        assert _lazyfree_kb(task_mmu.smaps_text(m, m.current), m.names["a"]) == 40 * 4
        sizes = m.mem.nodes[0].lru.sizes()
        assert sizes["inactive_file"] >= 40  # lru_lazyfree_fn: to the inactive file list


class TestElsewhere:
    def test_mlock_of_present_pages_leaves_the_last_one_in_the_batch(self) -> None:
        """FOLL_MLOCK: each page's follow_page_pte() drains (moving the page before it to
        the unevictable list), then mlock_vma_page() puts it back through lru_cache_add():
        of 10 pages, 9 are Unevictable until the batch drains; all 10 are Mlocked at once."""
        m = machine()
        do(m, "a = mmap 40K rw private,anon", "write a 40K = 1", "tick")
        before = _meminfo(m)
        do(m, "mlock a 40K")
        mid = _meminfo(m)
        assert mid["Mlocked"] == before["Mlocked"] + 40
        assert mid["Unevictable"] == before["Unevictable"] + 36
        do(m, "tick")
        assert _meminfo(m)["Unevictable"] == before["Unevictable"] + 40

    def test_a_page_freed_while_another_cpu_batches_it_is_freed_at_the_drain(self) -> None:
        """The task writes 3 pages on CPU 0, moves to node 1 (CPU 2) and unmaps them: CPU 2's
        drain does not reach CPU 0's batch, whose references keep the 3 frames in use until
        `tick` drains every CPU (release_pages frees them)."""
        m = machine(nodes=2, ram="256M")
        do(m, "a = mmap 12K rw private,anon", "write a 12K = 1")
        assert len(m.lru_pvecs[0].pvecs[swap.LRU_ADD]) == 3
        do(m, "cpu 1")
        free = _meminfo(m)["MemFree"]
        do(m, "munmap a 12K")
        assert _meminfo(m)["MemFree"] == free
        assert len(m.lru_released) == 3
        do(m, "tick")
        assert _meminfo(m)["MemFree"] == free + 12
        assert not m.lru_released


def test_probe_is_kept_with_its_output() -> None:
    out = (PROBES / "lru_batches.out").read_text()
    assert "MADV_FREE of 10 pages: LazyFree 0 kB" in out
    assert "after a drain LazyFree 40 kB" in out
    assert "MADV_FREE of 40 pages: LazyFree 124 kB (31 not swap-backed)" in out
    assert (PROBES / "lru_batches.c").exists()
