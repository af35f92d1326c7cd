"""Page reclaim: swappiness, mlock, the OOM killer, page cache and writeback, LRU aging."""

from __future__ import annotations

from tests.engine.conftest import checked, do, machine
from vmtui.engine.check.reclaim_check import value_at
from vmtui.engine.include.events import Event
from vmtui.engine.include.fs import File
from vmtui.engine.include.machine import Machine
from vmtui.engine.include.mmzone import PG_mlocked, PG_unevictable
from vmtui.engine.include.pgtable import is_swap_pte, pte_pfn
from vmtui.scenario.execute import Result, run_command
from vmtui.scenario.lang import parse_command

MB = 1 << 20


def events(m: Machine, line: str) -> tuple[Result, list[Event]]:
    return run_command(m, parse_command(line, 1))


def ptes(m: Machine, name: str, size: int) -> list[int]:
    task = m.current
    assert task.mm.pgd is not None
    base = m.names[name]
    out = []
    for addr in range(base, base + size, 4096):
        t = m.pt.pte_table(task.mm.pgd, addr, False)
        out.append(0 if t is None else t.entries.get(m.pt.index(m.layout.levels - 1, addr), 0))
    return out


# a page-cache working set read again between anonymous allocations, so its pages are
# referenced through their PTEs and the inactive file list runs low: then get_scan_count
# weighs anon against file by swappiness (with plenty of inactive file, 5.4 reclaims file only)
MIXED = ["file data 24M", "f = mmap 24M r private file=data", "read f 24M",
         "a = mmap 24M rw private,anon", "write a 24M = 1", "read f 24M",
         "b = mmap 16M rw private,anon", "write b 16M = 2", "read f 24M",
         "c = mmap 16M rw private,anon", "write c 16M = 3", "read f 24M", "read a 24M"]


def mixed(swappiness: int) -> Machine:
    m = machine(ram="64M", swap="64M", swappiness=swappiness)
    for line in MIXED:
        res = do(m, line)
        assert res.ok, (line, res.summary())
        checked(m)
    return m


class TestSwappiness:
    def test_swappiness_weighs_anon_against_file(self) -> None:
        """The same mixed anon/file workload: swappiness 0 reclaims page cache only, 60
        swaps anon out too, 100 (the most 5.4 allows) more so."""
        none, even, anon = mixed(0).vmstat, mixed(60).vmstat, mixed(100).vmstat
        def get(c: dict[str, int], k: str) -> int:
            return c.get(k, 0)

        assert none["pswpout"] == 0 and get(none, "pgsteal_anon") == 0
        assert get(none, "pgsteal_file") > 0
        assert even["pswpout"] > 0 and get(even, "pgsteal_file") > 0
        assert get(anon, "pgsteal_anon") > get(even, "pgsteal_anon") > get(none, "pgsteal_anon")
        assert get(anon, "pgsteal_file") < get(none, "pgsteal_file")

    def test_sysctl_swappiness_takes_effect(self) -> None:
        m = machine(ram="64M", swap="64M")
        assert do(m, "sysctl vm.swappiness=0").ok
        for line in MIXED:
            do(m, line)
        assert m.vmstat["pswpout"] == 0

    def test_swappiness_zero_still_swaps_when_page_cache_is_gone(self) -> None:
        """5.4 keeps swapping at swappiness 0 once free + file pages fall below the high
        watermarks (get_scan_count's SCAN_ANON), rather than killing."""
        m = machine(ram="32M", swap="64M", swappiness=0)
        do(m, "a = mmap 48M rw private,anon")
        assert do(m, "write a 48M = 3").ok
        assert m.vmstat["pswpout"] > 0 and m.vmstat["oom_kill"] == 0
        checked(m)


class TestMlock:
    def test_mlocked_pages_are_never_swapped(self) -> None:
        m = machine(ram="32M", swap="64M")
        do(m, "a = mmap 12M rw private,anon")
        do(m, "write a 12M = 7")
        assert do(m, "mlock a 12M").ok
        do(m, "b = mmap 48M rw private,anon")
        for i in range(3):
            assert do(m, f"write b 48M = {i}").ok
        assert m.vmstat["pswpout"] > 0
        locked = ptes(m, "a", 12 * MB)
        assert all(p and not is_swap_pte(p) for p in locked)
        for p in locked:
            page = m.mem.pages[pte_pfn(p)]
            assert page.flags & PG_mlocked and page.flags & PG_unevictable
        assert m.mem.nodes[0].lru.sizes()["unevictable"] >= len(locked)
        assert all(value_at(m, m.current, m.names["a"] + i * 4096) == 7 for i in range(3072))
        checked(m)

    def test_munlock_makes_them_evictable_again(self) -> None:
        m = machine(ram="32M", swap="64M")
        do(m, "a = mmap 12M rw private,anon")
        do(m, "mlock a 12M")
        do(m, "write a 12M = 7")
        do(m, "munlock a 12M")
        do(m, "b = mmap 40M rw private,anon")
        do(m, "write b 40M = 1")
        do(m, "write b 40M = 2")
        assert any(is_swap_pte(p) for p in ptes(m, "a", 12 * MB))
        assert do(m, "read a 12M").value == 7
        checked(m)

    def test_mlockall_new_pages_go_to_the_unevictable_list(self) -> None:
        m = machine(ram="32M", swap="64M")
        assert do(m, "mlockall").ok
        do(m, "a = mmap 4M rw private,anon")
        do(m, "write a 4M = 1")
        assert m.mem.nodes[0].lru.sizes()["unevictable"] >= 1024
        assert m.vmstat["unevictable_pgs_mlocked"] >= 1024
        checked(m)


class TestOOM:
    def test_without_swap_anon_pressure_ends_in_the_oom_killer(self) -> None:
        m = machine(ram="64M", swap="0")
        do(m, "a = mmap 60M rw private,anon")
        res, evs = events(m, "write a 60M = 5")
        assert not res.ok and res.signal == "SIGKILL" and res.code == "OOM"
        assert "oom_badness" in res.why
        text = "\n".join(e.text for e in evs)
        assert "invoked oom-killer" in text
        assert "Out of memory: Killed process 1 (demo)" in text
        assert m.vmstat["oom_kill"] == 1
        assert not m.tasks[1].alive and m.tasks[1].exit_code == "SIGKILL"
        assert m.oom_victims and m.oom_victims[0][0] == 1
        checked(m)
        # the machine carries on: a new process runs
        assert do(m, "spawn").ok
        assert do(m, "b = mmap 4M rw private,anon").ok and do(m, "write b 4M = 1").ok
        checked(m)

    def test_swapoff_then_pressure_kills_rather_than_crashes(self) -> None:
        m = machine(ram="32M", swap="64M")
        assert do(m, "swapoff").ok
        do(m, "a = mmap 40M rw private,anon,noreserve")
        res = do(m, "write a 40M = 1")
        assert res.signal == "SIGKILL"
        checked(m)

    def test_the_biggest_process_is_killed_not_the_one_asking(self) -> None:
        m = machine(ram="64M", swap="0")
        do(m, "a = mmap 40M rw private,anon")
        do(m, "write a 40M = 1")
        do(m, "c = fork")
        do(m, "switch c")  # the child: writes copy the parent's pages
        do(m, "b = mmap 4M rw private,anon")
        res, evs = events(m, "write b 4M = 2")
        assert res.ok, res.summary()
        do(m, "write a 16M = 3")  # COW copies: memory runs out
        do(m, "write a+16M 16M = 3")
        victims = [v[0] for v in m.oom_victims]
        assert victims, "nothing was killed"
        assert m.vmstat["oom_kill"] == len(victims)
        checked(m)

    def test_oom_score_adj_protects_a_process(self) -> None:
        m = machine(ram="64M", swap="0")
        do(m, "a = mmap 36M rw private,anon")
        do(m, "write a 36M = 1")
        child = do(m, "c = fork").value
        m.tasks[1].oom_score_adj = -1000  # OOM_SCORE_ADJ_MIN: never chosen
        do(m, f"switch {child}")
        do(m, "b = mmap 40M rw private,anon")
        res = do(m, "write b 40M = 2")
        assert res.signal == "SIGKILL"
        assert m.tasks[1].alive and not m.tasks[child].alive
        checked(m)


class TestPageCache:
    def test_clean_file_pages_are_dropped_and_read_again(self) -> None:
        m = machine(ram="32M", swap="0")
        do(m, "file big 24M")
        do(m, "f = mmap 24M r private file=big")
        do(m, "read f 24M")
        cached = len(m.files["big"].pages)
        do(m, "munmap f 24M")
        do(m, "a = mmap 16M rw private,anon")
        assert do(m, "write a 16M = 1").ok
        assert len(m.files["big"].pages) < cached
        assert m.vmstat["pgsteal_file"] > 0 and m.vmstat["oom_kill"] == 0
        checked(m)

    def test_dirty_shared_file_pages_are_written_back_not_lost(self) -> None:
        m = machine(ram="32M", swap="0")
        do(m, "file log 24M")
        do(m, "f = mmap 24M rw shared file=log")
        for i in range(6):
            assert do(m, f"write f+{4 * i}M 4M = {i + 10}").ok
        do(m, "a = mmap 20M rw private,anon")
        assert do(m, "write a 20M = 1").ok
        f: File = m.files["log"]
        assert f.disk, "nothing was written back"
        assert m.vmstat["pgpgout"] > 0
        for i in range(6):
            assert do(m, f"read f+{4 * i}M 4M").value == i + 10
        checked(m)

    def test_tick_runs_the_flusher_threads(self) -> None:
        m = machine(ram="64M", swap="64M")
        do(m, "file log 1M")
        do(m, "f = mmap 1M rw shared file=log")
        do(m, "write f 1M = 42")
        f = m.files["log"]
        assert not f.disk
        res, evs = events(m, "tick")
        assert any(e.fn == "wakeup_flusher_threads" for e in evs)
        assert f.disk and set(f.disk.values()) == {42}
        # the PTEs were cleaned: the next write faults and dirties the page again
        assert do(m, "write f = 43").ok
        assert f.pages[0].flags & 0x4  # PG_dirty
        checked(m)

    def test_drop_caches_frees_only_clean_unmapped_pages(self) -> None:
        m = machine(ram="64M", swap="64M")
        do(m, "file a 1M")
        do(m, "file b 1M")
        do(m, "x = mmap 1M r private file=a")
        do(m, "read x 1M")
        do(m, "munmap x 1M")
        do(m, "y = mmap 1M r private file=b")
        do(m, "read y 1M")
        res = do(m, "drop_caches")
        assert res.ok and res.value == len(range(0, 256))
        assert not m.files["a"].pages and m.files["b"].pages
        checked(m)

    def test_refault_of_a_recently_evicted_page_is_counted(self) -> None:
        m = machine(ram="32M", swap="0")
        do(m, "file big 40M")
        do(m, "f = mmap 40M r private file=big")
        for _ in range(2):
            do(m, "read f 40M")
        assert m.vmstat["workingset_refault"] > 0
        assert m.mem.nodes[0].stat.get("workingset_refault", 0) > 0
        checked(m)


class TestLruAging:
    def test_new_anon_pages_start_active_and_age_to_inactive(self) -> None:
        m = machine(ram="32M", swap="64M")
        before = m.mem.nodes[0].lru.sizes()["active_anon"]
        do(m, "a = mmap 8M rw private,anon")
        do(m, "write a 8M = 1")
        sizes = m.mem.nodes[0].lru.sizes()
        # 5.4 mm/swap.c: the 2048 new pages go through CPU 0's lru_add_pvec, which moves
        # them to the active list 15 (PAGEVEC_SIZE) at a time: 2048 = 136 * 15 + 8, so the
        # last 8 still wait in the batch
        assert sizes["active_anon"] == before + 2048 - 8 and sizes["inactive_anon"] == 0
        assert len(m.lru_pvecs[0].pvecs[0]) == 8
        do(m, "b = mmap 30M rw private,anon")
        do(m, "write b 30M = 2")
        assert m.vmstat["pgdeactivate"] > 0 and m.vmstat["pgrefill"] > 0
        assert m.mem.nodes[0].lru.sizes()["inactive_anon"] > 0
        checked(m)

    def test_referenced_pages_are_kept(self) -> None:
        """A page touched since the last scan has its accessed bit set: shrink_page_list
        activates it instead of swapping it out (page_referenced)."""
        m = machine(ram="32M", swap="64M")
        do(m, "hot = mmap 2M rw private,anon")
        do(m, "cold = mmap 40M rw private,anon")
        do(m, "write hot 2M = 1")
        for i in range(30):
            do(m, f"write cold+{4 * (i % 10)}M 4M = 2")
            do(m, "read hot 2M")  # keeps setting the accessed bits
        hot = ptes(m, "hot", 2 * MB)
        cold = ptes(m, "cold", 40 * MB)
        swapped_hot = sum(1 for p in hot if is_swap_pte(p)) / len(hot)
        swapped_cold = sum(1 for p in cold if is_swap_pte(p)) / len(cold)
        assert swapped_hot < swapped_cold
        assert m.vmstat["pgactivate"] > 0
        checked(m)

    def test_madvise_free_pages_are_dropped_without_swap(self) -> None:
        m = machine(ram="32M", swap="64M")
        do(m, "a = mmap 8M rw private,anon")
        do(m, "write a 8M = 5")
        assert do(m, "madvise a 8M free").ok
        do(m, "b = mmap 40M rw private,anon")
        do(m, "write b 40M = 1")
        assert m.vmstat.get("pglazyfreed", 0) > 0
        gone = [p for p in ptes(m, "a", 8 * MB) if not p]
        assert gone  # discarded: a read finds a fresh zero page
        checked(m)
