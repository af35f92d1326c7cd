"""Hypothesis: under 3x overcommit every value written is read back, under both kernels.

A 48 MiB anonymous region and a 16 MiB file mapping on a 24 MiB machine (the region alone
is three times the RAM left to processes) see random writes, reads, aging and eviction
through the debugfs commands (6.18) and ticks; a model keeps what each chunk last held.
After every step check_invariants holds (with the multi-gen LRU's: every evictable page
on one generation list of its type, min_seq <= gen <= max_seq, the window within
MIN_NR_GENS..MAX_NR_GENS, nr_pages equal to the lists) and a read gives the model's value.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.engine.conftest import do, machine
from vmtui.engine.check.invariants import check_invariants

REGION_MB = 48
CHUNK_MB = 4
NCHUNKS = REGION_MB // CHUNK_MB

op = st.one_of(
    st.tuples(st.just("write"), st.integers(0, NCHUNKS - 1), st.integers(1, 1 << 20)),
    st.tuples(st.just("read"), st.integers(0, NCHUNKS - 1), st.just(0)),
    st.tuples(st.just("readfile"), st.integers(0, 3), st.just(0)),
    st.tuples(st.just("age"), st.just(0), st.just(0)),
    st.tuples(st.just("evict"), st.just(0), st.just(0)),
    st.tuples(st.just("tick"), st.integers(1, 200), st.just(0)),
)


@pytest.mark.parametrize("kernel", ["5.4", "6.18"])
@settings(max_examples=8, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(ops=st.lists(op, min_size=4, max_size=12))
def test_values_survive_reclaim_at_3x_overcommit(kernel: str,
                                                 ops: list[tuple[str, int, int]]) -> None:
    m = machine(kernel=kernel, ram="24M", swap="96M")
    assert do(m, f"a = mmap {REGION_MB}M rw private,anon").ok
    assert do(m, "file data.bin 16M").ok
    assert do(m, "f = mmap 16M r private file=data.bin").ok
    model = [i + 1 for i in range(NCHUNKS)]
    for i in range(NCHUNKS):
        assert do(m, f"write a+{i * CHUNK_MB}M {CHUNK_MB}M = {i + 1}").ok
    check_invariants(m)
    assert m.vmstat["pswpout"] > 0
    g = m.mem.nodes[0].lru.lrugen
    for kind, arg, value in ops:
        if kind == "write":
            assert do(m, f"write a+{arg * CHUNK_MB}M {CHUNK_MB}M = {value}").ok
            model[arg] = value
        elif kind == "read":
            res = do(m, f"read a+{arg * CHUNK_MB}M {CHUNK_MB}M")
            assert res.ok and res.value == model[arg]
        elif kind == "readfile":
            assert do(m, f"read f+{arg * 4}M 4M").ok
        elif kind == "age" and g is not None:
            assert do(m, f"lru_gen + 0 0 {g.max_seq}").ok
        elif kind == "evict" and g is not None:
            res = do(m, f"lru_gen - 0 0 {min(g.min_seq)}")
            assert res.ok or res.errno == "EINVAL"  # fewer than MIN_NR_GENS would be left
        elif kind == "tick":
            assert do(m, f"tick {arg}").ok
        check_invariants(m)
    for i in range(NCHUNKS):
        res = do(m, f"read a+{i * CHUNK_MB}M {CHUNK_MB}M")
        assert res.ok and res.value == model[i], i
        check_invariants(m)
