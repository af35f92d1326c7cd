"""Hypothesis: random writes, reads, mlock, fork and swapoff under memory pressure.

A model keeps what every process last wrote to every chunk of one mapping;
after every step the engine's invariants hold (check_invariants and
check_reclaim) and every page of every live process, resident, in the swap
cache or in a swap slot, holds what the model says. Processes the OOM killer
takes leave the model; nothing else may be lost.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.engine.conftest import do
from vmtui.engine.boot import new_machine
from vmtui.engine.check.invariants import check_invariants
from vmtui.engine.check.reclaim_check import check_reclaim, value_at
from vmtui.engine.include.machine import Machine, MachineConfig

MB = 1 << 20
REGION_MB = 32
CHUNK_MB = 4
NCHUNKS = REGION_MB // CHUNK_MB
MAX_PROCS = 3

chunk = st.integers(0, NCHUNKS - 1)
op = st.one_of(
    st.tuples(st.just("write"), chunk, st.integers(1, 1 << 30)),
    st.tuples(st.just("write"), chunk, st.integers(1, 1 << 30)),
    st.tuples(st.just("write"), chunk, st.integers(1, 1 << 30)),
    st.tuples(st.just("read"), chunk, st.just(0)),
    st.tuples(st.just("mlock"), chunk, st.just(0)),
    st.tuples(st.just("munlock"), chunk, st.just(0)),
    st.tuples(st.just("fork"), st.just(0), st.just(0)),
    st.tuples(st.just("switch"), st.integers(0, MAX_PROCS - 1), st.just(0)),
    st.tuples(st.just("swapoff"), st.just(0), st.just(0)),
    st.tuples(st.just("swapon"), st.just(0), st.just(0)),
    st.tuples(st.just("exit"), st.just(0), st.just(0)),
)


def _check_values(m: Machine, model: dict[int, list[int]], base: int) -> None:
    """Every page of every live process holds what the model says (one pass over each
    process's page tables; value_at for the pages that have no PTE)."""
    from vmtui.engine.include.pgtable import is_swap_pte, pte_pfn

    pages, cache, zero = m.mem.pages, m.swap.cache, m.zero_page.pfn
    end = base + REGION_MB * MB
    for pid, values in model.items():
        task = m.tasks[pid]
        assert task.mm.pgd is not None
        seen = 0
        for table, idx, va in m.pt.iter_ptes(task.mm.pgd, base, end):
            pte = table.entries[idx]
            if is_swap_pte(pte):
                page = cache.get(pte)
                got = page.value if page is not None else m.swap.read(pte)
            else:
                pfn = pte_pfn(pte)
                got = 0 if pfn == zero else pages[pfn].value
            want = values[(va - base) // (CHUNK_MB * MB)]
            assert got == want, f"pid {pid} at {va:#x}: {got} != {want}"
            seen += 1
        if seen < REGION_MB * MB // 4096:
            for addr in range(base, end, 4096):
                assert value_at(m, task, addr) == values[(addr - base) // (CHUNK_MB * MB)]


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(op, min_size=8, max_size=24))
def test_nothing_is_lost_under_memory_pressure(ops: list[tuple[str, int, int]]) -> None:
    m = new_machine(MachineConfig.from_dict({"ram": "24M", "swap": "48M"}))
    assert do(m, f"a = mmap {REGION_MB}M rw private,anon").ok
    base = m.names["a"]
    # fill it first: the region alone is bigger than RAM, so reclaim starts at once
    for i in range(NCHUNKS):
        assert do(m, f"write a+{i * CHUNK_MB}M {CHUNK_MB}M = {i + 1}").ok
    model: dict[int, list[int]] = {m.current_pid: [i + 1 for i in range(NCHUNKS)]}
    check_invariants(m)
    check_reclaim(m)
    assert m.vmstat["pswpout"] > 0
    for kind, arg, value in ops:
        if not model:
            break
        cur = m.current_pid
        off = f"a+{arg * CHUNK_MB}M {CHUNK_MB}M"
        if kind == "write":
            line = f"write {off} = {value}"
        elif kind in ("read", "mlock", "munlock"):
            line = f"{kind} {off}"
        elif kind == "fork":
            if len(model) >= MAX_PROCS:
                continue
            line = "fork"
        elif kind == "switch":
            line = f"switch {sorted(model)[arg % len(model)]}"
        elif kind == "exit":
            if len(model) < 2:
                continue
            line = "exit"
        else:
            line = kind
        res = do(m, line)
        if res.ok:
            if kind == "write":
                model[cur][arg] = value
            elif kind == "read":
                assert res.value == model[cur][arg], line
            elif kind == "fork":
                model[res.value] = list(model[cur])
            elif kind == "exit":
                del model[cur]
        else:
            # what may fail: OOM (SIGKILL), swapoff that does not fit (ENOMEM), turning
            # swap on or off twice (EBUSY/EINVAL), mlock that cannot populate (ENOMEM)
            assert res.signal == "SIGKILL" or res.errno in ("ENOMEM", "EBUSY", "EINVAL",
                                                              "EAGAIN"), res.summary()
        for pid in [p for p in model if not m.tasks[p].alive]:
            del model[pid]
        check_invariants(m)
        check_reclaim(m)
        _check_values(m, model, base)
