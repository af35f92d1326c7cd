"""NUMA: memory policies, their counters, and reclaim that stays on the node asked for."""

from __future__ import annotations

from tests.engine.conftest import do, machine
from vmtui.engine.check.invariants import check_invariants
from vmtui.engine.check.reclaim_check import check_reclaim
from vmtui.engine.include.machine import Machine
from vmtui.engine.include.pgtable import is_swap_pte, pte_pfn
from vmtui.scenario.execute import run_command
from vmtui.scenario.lang import parse_command

MB = 1 << 20


def nodes_of(m: Machine, name: str, pages: int) -> list[int]:
    """The node of each page of the mapping NAME (resident pages only)."""
    task = m.current
    assert task.mm.pgd is not None
    base = m.names[name]
    out = []
    for i in range(pages):
        t = m.pt.pte_table(task.mm.pgd, base + i * 4096, False)
        pte = t.entries.get(m.pt.index(m.layout.levels - 1, base + i * 4096), 0) if t else 0
        if pte and not is_swap_pte(pte):
            out.append(m.mem.pages[pte_pfn(pte)].zone.node.id)
    return out


def two_nodes() -> Machine:
    return machine(nodes=2, ram="128M", swap="64M")


class TestPolicies:
    def test_interleave_alternates_pages_between_nodes(self) -> None:
        m = two_nodes()
        assert do(m, "numa interleave=0,1").ok
        do(m, "a = mmap 1M rw private,anon")
        do(m, "write a 1M = 3")
        got = nodes_of(m, "a", 256)
        assert got == [0, 1] * 128
        assert m.vmstat["numa_interleave"] >= 256
        # one page at a time goes on alternating too
        do(m, "b = mmap 16K rw private,anon")
        for i in range(4):
            do(m, f"write b+{4 * i}K = 1")
        assert nodes_of(m, "b", 4) in ([0, 1, 0, 1], [1, 0, 1, 0])
        check_invariants(m)

    def test_local_policy_first_touch_and_cpu_moves_it(self) -> None:
        m = two_nodes()
        do(m, "a = mmap 1M rw private,anon")
        do(m, "write a 1M = 1")
        assert set(nodes_of(m, "a", 256)) == {0}
        assert do(m, "cpu 1").ok
        do(m, "b = mmap 1M rw private,anon")
        do(m, "write b 1M = 1")
        assert set(nodes_of(m, "b", 256)) == {1}
        assert m.mem.nodes[1].stat.get("numa_local", 0) >= 256
        check_invariants(m)

    def test_local_node_full_spills_to_the_other_node(self) -> None:
        """zone_reclaim_mode 0: when node 0 is below its low watermark the allocator takes
        node 1's memory (numa_miss on node 1, numa_foreign on node 0) before reclaiming."""
        m = two_nodes()
        do(m, "a = mmap 80M rw private,anon")
        do(m, "write a 80M = 1")
        got = nodes_of(m, "a", 80 * 256)
        assert got.count(0) > 0 and got.count(1) > 0
        assert m.vmstat["numa_miss"] > 0 and m.vmstat["numa_foreign"] > 0
        assert m.mem.nodes[0].stat.get("numa_foreign", 0) > 0
        assert m.mem.nodes[1].stat.get("numa_miss", 0) > 0
        assert m.vmstat["pswpout"] == 0  # both nodes together hold it
        check_invariants(m)

    def test_preferred_node(self) -> None:
        m = two_nodes()
        assert do(m, "numa preferred=1").ok
        do(m, "a = mmap 1M rw private,anon")
        do(m, "write a 1M = 1")
        assert set(nodes_of(m, "a", 256)) == {1}
        check_invariants(m)

    def test_bad_policies_are_errors(self) -> None:
        m = two_nodes()
        assert do(m, "numa bind=2").errno == "EINVAL"
        assert do(m, "numa preferred=0,1").errno == "EINVAL"
        assert do(m, "cpu 5").errno == "EINVAL"


class TestReclaimPerNode:
    def test_bind_reclaims_on_its_node_not_the_other(self) -> None:
        """numa bind=1 with node 1 full: kswapd1 and swap, while node 0 stays idle and
        free (MPOL_BIND never falls back)."""
        m = two_nodes()
        n0, n1 = m.mem.nodes
        free0 = n0.free_pages()
        assert do(m, "numa bind=1").ok
        do(m, "a = mmap 100M rw private,anon")
        assert do(m, "write a 100M = 7").ok
        assert n1.kswapd.runs > 0 and n1.kswapd.reclaimed > 0
        assert n0.kswapd.runs == 0 and n0.kswapd.wakeups == 0
        assert n0.free_pages() >= free0 - 64  # untouched but for page tables (node-local)
        assert m.vmstat["pswpout"] > 0
        assert set(nodes_of(m, "a", 100 * 256)) == {1}
        assert m.vmstat["numa_miss"] == 0
        assert do(m, "read a 100M").value == 7
        check_invariants(m)
        check_reclaim(m)

    def test_bind_oom_is_constrained_to_its_node(self) -> None:
        m = machine(nodes=2, ram="128M", swap="0")
        do(m, "numa bind=1")
        do(m, "a = mmap 70M rw private,anon,noreserve")
        res, events = run_command(m, parse_command("write a 70M = 1", 1))
        assert res.signal == "SIGKILL"
        assert any("CONSTRAINT_MEMORY_POLICY" in e.text for e in events)
        assert m.mem.nodes[0].kswapd.runs == 0
        check_invariants(m)

    def test_bind_oom_spares_a_process_bound_elsewhere(self) -> None:
        """mempolicy_nodemask_intersects(): the biggest process is bound to node 0, so an
        OOM on node 1 kills the one that is using node 1."""
        m = machine(nodes=2, ram="128M", swap="0")
        big = do(m, "big = fork").value
        do(m, "switch big")
        do(m, "numa bind=0")
        do(m, "a = mmap 50M rw private,anon,noreserve")
        assert do(m, "write a 50M = 1").ok
        do(m, "switch 1")
        do(m, "numa bind=1")
        do(m, "b = mmap 70M rw private,anon,noreserve")
        res = do(m, "write b 70M = 2")
        assert res.signal == "SIGKILL"
        assert m.tasks[big].alive and not m.tasks[1].alive
        check_invariants(m)

    def test_kswapd_per_node_in_show_lru(self) -> None:
        m = two_nodes()
        do(m, "numa bind=0")
        do(m, "a = mmap 80M rw private,anon")
        do(m, "write a 80M = 1")
        assert m.mem.nodes[0].kswapd.runs > 0 and m.mem.nodes[1].kswapd.runs == 0
        text = do(m, "show lru").text or ""
        assert "kswapd0" in text and "kswapd1" in text
