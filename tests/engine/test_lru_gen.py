"""The multi-gen LRU of kernel 6.18 (mm/lru_gen.py).

Expected values come from the kernel source, worked by hand: lru_gen_init_lruvec() starts
max_seq at MIN_NR_GENS + 1 = 3 with every birth time at boot; lru_gen_distance() puts a
page faulted in (PG_active, no PG_workingset) in max_seq - 1; folio_update_gen() only
sets PG_referenced the first time it finds a PTE young and promotes to max_seq the
second time; lru_gen_seq_show() prints "memcg %5hu %s\\n", " node %5d\\n", then
" %10lu %10u" and " %10lu%c" per type for each generation from the oldest evictable;
run_aging() gives EINVAL for a generation above max_seq, run_eviction() for one with
seq + MIN_NR_GENS > max_seq; run_cmd() gives EINVAL for a memcg id other than
mem_cgroup_id(NULL) = 0 and for a node without memory.
"""

from __future__ import annotations

import json

import pytest

from tests.engine.conftest import do, machine
from vmtui.engine.check.invariants import check_invariants
from vmtui.engine.include.machine import MachineConfig
from vmtui.engine.include.settings import SettingError
from vmtui.engine.mm import lru_gen
from vmtui.scenario.loader import load_scenario
from vmtui.scenario.runner import Runner


def gen618(**cfg: object):  # type: ignore[no-untyped-def]
    return machine(kernel="6.18", **cfg)


def run_ok(m, line: str):  # type: ignore[no-untyped-def]
    res = do(m, line)
    assert res.ok, (line, res.summary())
    check_invariants(m)
    return res


class TestGenerations:
    """The window of generations and where pages join it."""

    def test_boot_window(self) -> None:
        m = gen618(ram="64M")
        g = m.mem.nodes[0].lru.lrugen
        assert g.max_seq == 3 and g.min_seq == [0, 0]
        assert m.mem.nodes[0].lru.lists[0:4] == [{}, {}, {}, {}]

    def test_5_4_has_no_lrugen(self) -> None:
        m = machine(ram="64M")
        assert m.mem.nodes[0].lru.lrugen is None

    def test_faulted_pages_join_max_seq_minus_one(self) -> None:
        m = gen618(ram="64M")
        run_ok(m, "tick")  # drain the per-CPU batches
        g = m.mem.nodes[0].lru.lrugen
        before = g.nr_pages[2][0]  # the first process's own anon pages
        run_ok(m, "a = mmap 24M rw private,anon")
        run_ok(m, "write a 24M = 1")
        run_ok(m, "tick")
        assert g.nr_pages[2][0] == before + 24 * 256  # generation 2 = max_seq - 1, anon
        assert m.mem.nodes[0].lru.sizes()["active_anon"] == before + 24 * 256

    def test_seq_show_format(self) -> None:
        m = gen618(ram="64M")
        do(m, "tick")  # 1 ms (HZ=1000); the per-CPU batches drained
        before = m.mem.nodes[0].lru.lrugen.nr_pages[2][0]  # the first process's pages
        run_ok(m, "a = mmap 4M rw private,anon")
        run_ok(m, "write a 4M = 1")
        run_ok(m, "tick")  # 2 ms since boot, when every generation was born
        res = run_ok(m, "show lru_gen")

        def gen_line(seq: int, age: int, anon: int, file: int) -> str:
            # " %10lu %10u", then " %10lu%c" per type with the mark ' ' (not lru_gen_full)
            return " " + str(seq).rjust(10) + " " + str(age).rjust(10) + \
                " " + str(anon).rjust(10) + " " + " " + str(file).rjust(10) + " " + "\n"

        assert res.text == ("memcg     0 \n node     0\n" + gen_line(0, 2, 0, 0) +
                            gen_line(1, 2, 0, 0) + gen_line(2, 2, before + 1024, 0) +
                            gen_line(3, 2, 0, 0))


class TestAging:
    """try_to_inc_max_seq: the page-table walk and folio_update_gen."""

    def test_second_young_walk_promotes(self) -> None:
        m = gen618(ram="64M")
        run_ok(m, "a = mmap 24M rw private,anon")
        run_ok(m, "write a 24M = 1")
        run_ok(m, "tick")
        assert run_ok(m, "lru_gen + 0 0 3").value == 0
        g = m.mem.nodes[0].lru.lrugen
        assert g.max_seq == 4 and g.min_seq == [1, 1]  # inc_min_seq: the window was full
        assert g.nr_pages[lru_gen.lru_gen_from_seq(4)][0] == 0  # first young: referenced only
        run_ok(m, "read a 8M")
        run_ok(m, "lru_gen + 0 0 4")
        assert g.max_seq == 5
        assert g.nr_pages[lru_gen.lru_gen_from_seq(4)][0] == 8 * 256  # promoted to seq 4

    def test_aging_errors(self) -> None:
        m = gen618(ram="64M")
        assert do(m, "lru_gen + 0 0 4").errno == "EINVAL"  # above max_seq 3
        assert do(m, "lru_gen + 1 0 3").errno == "EINVAL"  # no memcg 1
        assert do(m, "lru_gen + 0 1 3").errno == "EINVAL"  # no node 1
        assert do(m, "lru_gen + 0 0 3 202").errno == "EINVAL"  # swappiness > 201
        assert do(m, "lru_gen + 0 0 2").ok  # run_aging ages max_seq whatever seq <= it


class TestEviction:
    """run_eviction / evict_folios."""

    def test_evict_oldest_keeps_promoted(self) -> None:
        m = gen618(ram="64M", swap="64M")
        run_ok(m, "a = mmap 24M rw private,anon")
        run_ok(m, "write a 24M = 1")
        run_ok(m, "tick")
        run_ok(m, "lru_gen + 0 0 3")
        run_ok(m, "read a 8M")
        run_ok(m, "lru_gen + 0 0 4")
        assert do(m, "lru_gen - 0 0 4").errno == "EINVAL"  # 4 + MIN_NR_GENS > max_seq 5
        res = run_ok(m, "lru_gen - 0 0 3")
        # the 16M not read again are swapped out (with the first process's own idle page)
        assert 16 * 256 <= res.value == m.vmstat["pswpout"] <= 16 * 256 + 8
        g = m.mem.nodes[0].lru.lrugen
        assert min(g.min_seq) == 4
        assert run_ok(m, "read a 8M").value == 1
        assert m.vmstat["pswpin"] == 0  # the promoted 8M stayed
        assert run_ok(m, "read a+8M 16M").value == 1
        assert m.vmstat["pswpin"] > 0

    def test_5_4_refuses(self) -> None:
        m = machine(ram="64M")
        assert do(m, "lru_gen + 0 0 3").errno == "ENOENT"
        assert do(m, "show lru_gen").errno == "ENOENT"

    def test_parse_errors(self) -> None:
        from vmtui.scenario.lang import ParseError, parse_command

        for line in ("lru_gen", "lru_gen + 0 0", "lru_gen ++ 0 0 3", "lru_gen + 0 0 x",
                     "lru_gen - 0 0 3 1 2 3"):
            with pytest.raises(ParseError):
                parse_command(line)


class TestSwappiness:
    """vm.swappiness: 0..100 in 5.4 (extra2 = one_hundred), 0..200 since 5.8."""

    def test_ranges(self) -> None:
        assert do(machine(ram="64M"), "sysctl vm.swappiness=101").errno == "EINVAL"
        m = gen618(ram="64M")
        assert do(m, "sysctl vm.swappiness=200").ok
        assert do(m, "sysctl vm.swappiness=201").errno == "EINVAL"
        assert MachineConfig.from_dict({"kernel": "6.18", "swappiness": 200}).swappiness == 200
        with pytest.raises(SettingError):
            MachineConfig.from_dict({"swappiness": 150})
        with pytest.raises(SettingError):
            MachineConfig.from_dict({"lru_gen": False})  # 5.4 has none to switch off

    def test_two_list_618_balances_by_cost(self) -> None:
        m = gen618(ram="64M", swap="64M", lru_gen=False)
        assert m.mem.nodes[0].lru.lrugen is None
        run_ok(m, "a = mmap 80M rw private,anon")
        run_ok(m, "write a 80M = 5")
        assert m.vmstat["pswpout"] > 0
        assert run_ok(m, "read a 80M").value == 5


class TestThrashingProtection:
    """min_ttl_ms: lru_gen_age_node() calls out_of_memory() when every generation is
    younger than it."""

    def test_min_ttl_kills_instead_of_thrashing(self) -> None:
        m = gen618(ram="64M", swap="64M", min_ttl_ms=1000)
        run_ok(m, "a = mmap 80M rw private,anon")
        do(m, "write a 80M = 5")
        assert m.vmstat["oom_kill"] >= 1
        check_invariants(m)

    def test_without_min_ttl_it_swaps(self) -> None:
        m = gen618(ram="64M", swap="64M")
        run_ok(m, "a = mmap 80M rw private,anon")
        run_ok(m, "write a 80M = 5")
        assert m.vmstat["oom_kill"] == 0 and m.vmstat["pswpout"] > 0


def _json_run(name: str, kernel: str | None = None) -> str:
    sc = load_scenario(name)
    if kernel is not None:
        sc.config = MachineConfig.from_dict({**sc.machine, "kernel": kernel})
    return "".join(json.dumps(rec.to_json()) + "\n" for rec in Runner(sc, json=True))


@pytest.mark.parametrize(("name", "kernel"), [("lru-gen", None), ("one-time-scan", None),
                                              ("one-time-scan", "6.18")])
def test_twenty_runs_are_byte_identical(name: str, kernel: str | None) -> None:
    first = _json_run(name, kernel)
    assert first
    for _ in range(19):
        assert _json_run(name, kernel) == first
