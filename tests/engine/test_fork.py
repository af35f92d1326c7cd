"""fork(2) (issue 11 and the 5.4 review): fork under memory pressure, fork's error path,
the child's peaks and commit charge, and a property test of fork/munmap/swap at many
working-set sizes.

Expected values come from Linux 5.4: copy_pte_range() allocates the child's table before it
reads the parent's PTEs (mm/memory.c), dup_mm() tears a failed child down and copy_mm()
returns -ENOMEM (kernel/fork.c); dup_mm()/dup_mmap() start the child's VmHWM and VmPeak at
its own values, and every VM_ACCOUNT VMA copied is charged (so strict overcommit can refuse
a fork).
"""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import run_json
from tests.engine.conftest import do_checked, machine, step_kb
from vmtui.engine.check.reclaim_check import value_at
from vmtui.engine.include.errors import KernelError
from vmtui.engine.include.machine import Machine
from vmtui.engine.include.mmzone import PG_kernel, PG_pgtable
from vmtui.engine.mm import kswapd

MB = 1 << 20
PAGE = 4096


def _all_pages_hold(m: Machine, pid: int, base: int, size: int, want: int) -> None:
    """Every page of [base, base + size) of `pid` holds `want`, wherever it is (frame,
    swap cache or swap slot), found without faulting."""
    task = m.tasks[pid]
    bad = [a for a in range(base, base + size, PAGE) if value_at(m, task, a) != want]
    assert not bad, f"pid {pid}: {len(bad)} page(s) lost their value, first at {bad[0]:#x}"


def _free_pages(m: Machine) -> int:
    return sum(z.nr_free for z in m.mem.zones)


# ---------------------------------------------------------------- fork under pressure
class TestForkUnderPressure:
    """`a = mmap S rw private,anon; write a S = 1; fork` on 64M of RAM and 256M of swap.

    Before the fix, copy_page_range read a parent PTE, then allocated the child's table,
    whose reclaim swapped that very page out: the child got a PTE to a freed frame
    (KeyError for about half of the sizes from 168M to 256M)."""

    @pytest.mark.parametrize("size_mb", [168, 192, 216, 256])
    def test_fork_keeps_every_value_in_both_processes(self, size_mb: int) -> None:
        m = machine(ram="64M", swap="256M")
        size = size_mb * MB
        assert do_checked(m, f"a = mmap {size_mb}M rw private,anon").ok
        base = m.names["a"]
        assert do_checked(m, f"write a {size_mb}M = 1").value == 1
        assert m.vmstat["pswpout"] > 0  # three times RAM: most of it went to swap
        res = do_checked(m, "c = fork")
        assert res.ok, res.summary()
        child = res.value
        assert sorted(t.pid for t in m.live_tasks()) == [1, child]
        for pid in (1, child):
            _all_pages_hold(m, pid, base, size, 1)
        # real accesses in both: the first, a middle and the last MB, through the faults
        for who in ("1", "c"):
            assert do_checked(m, f"switch {who}").ok
            for off in (0, size_mb // 2, size_mb - 1):
                assert do_checked(m, f"read a+{off}M 1M").value == 1
        # the child writes its own values; the parent keeps its own (copy on write)
        assert do_checked(m, "write a+8M 4M = 2").ok
        _all_pages_hold(m, child, base + 8 * MB, 4 * MB, 2)
        _all_pages_hold(m, 1, base, size, 1)


# ---------------------------------------------------------------- fork's error path
def _fail_table_alloc_after(m: Machine, n: int) -> list[int]:
    """Fault injection (as fail_page_alloc): the n-th page-table allocation from now
    fails with ENOMEM. Returns a counter of the allocations made."""
    real = m.pt._alloc
    calls = [0]

    def alloc(kernel: bool) -> int:
        calls[0] += 1
        if calls[0] == n:
            raise KernelError("ENOMEM", "injected page-table allocation failure")
        return real(kernel)

    m.pt._alloc = alloc  # type: ignore[method-assign]
    return calls


class TestForkErrorPath:
    """A fork that cannot allocate fails with ENOMEM and leaves the parent as it was."""

    @pytest.mark.parametrize("nth", [1, 2, 5, 9])
    def test_failed_fork_unwinds_the_half_built_child(self, nth: int) -> None:
        m = machine(ram="64M", swap="64M")
        assert do_checked(m, "a = mmap 16M rw private,anon").ok
        assert do_checked(m, "write a 16M = 7").ok
        base = m.names["a"]
        free, committed = _free_pages(m), m.committed_as
        maps_before = [(v.vm_start, v.vm_end, v.vm_flags) for v in m.current.mm.vmas]
        real = m.pt._alloc
        calls = _fail_table_alloc_after(m, nth)
        res = do_checked(m, "c = fork")
        assert calls[0] == nth
        assert not res.ok and res.errno == "ENOMEM", res.summary()
        assert [t.pid for t in m.tasks.values()] == [1]
        assert _free_pages(m) == free  # every table of the child went back
        assert m.committed_as == committed
        assert [(v.vm_start, v.vm_end, v.vm_flags) for v in m.current.mm.vmas] == maps_before
        _all_pages_hold(m, 1, base, 16 * MB, 7)
        # no page stayed shared with the torn-down child: the parent's writes reuse every
        # page in place (wp_page_reuse, mapcount 1) and allocate nothing
        assert do_checked(m, "write a 16M = 8").ok
        assert _free_pages(m) == free
        assert m.fault_kinds.get("do_wp_page (wp_page_copy)", 0) == 0
        m.pt._alloc = real
        res = do_checked(m, "c = fork")
        assert res.ok and res.value == 2  # no PID was used by the failed fork

    def test_oom_killer_choosing_the_parent_fails_the_fork(self) -> None:
        m = machine(ram="64M", swap="64M")
        assert do_checked(m, "a = mmap 16M rw private,anon").ok
        assert do_checked(m, "write a 16M = 7").ok
        real = m.pt._alloc
        calls = [0]

        def alloc(kernel: bool) -> int:
            calls[0] += 1
            if calls[0] == 3:  # oom_kill_process() of the allocating task queues SIGKILL
                kswapd.driver(m).oom_pending.append(1)
            return real(kernel)

        m.pt._alloc = alloc  # type: ignore[method-assign]
        res = do_checked(m, "c = fork")
        assert res.signal == "SIGKILL", res.summary()
        assert not m.tasks[1].alive and len(m.tasks) == 1
        # parent and half-built child are gone: only the kernel's pages stay in use
        left = [p for p in m.mem.pages.values() if not p.flags & (PG_pgtable | PG_kernel)]
        assert left == [] and m.swap.cache == {}


# ---------------------------------------------------------------- dup_mm
class TestDupMm:
    def test_child_peaks_start_at_its_own_size(self, capsys):
        """GIVEN a parent whose RSS and size peaked at +1M before an munmap WHEN it forks
        THEN the child's VmHWM equals its VmRSS and its VmPeak its VmSize (dup_mm sets
        hiwater_rss = get_mm_rss(), hiwater_vm = total_vm), not the parent's peaks."""
        steps = run_json(capsys, "a = mmap 1M rw private,anon; write a 1M; munmap a 1M; "
                                 "c = fork; show status c")
        st = steps[4]
        assert step_kb(st, "VmHWM") == step_kb(st, "VmRSS")
        assert step_kb(st, "VmPeak") == step_kb(st, "VmSize")

    def test_strict_overcommit_can_refuse_a_fork(self, capsys):
        """Under vm.overcommit_memory=2 a parent with 200M of private writable memory cannot
        fork on a 256M machine without swap headroom: dup_mmap's charge for the copy is
        refused, fork returns ENOMEM, and Committed_AS is as before."""
        steps = run_json(capsys, "a = mmap 200M rw private,anon; sysctl vm.overcommit_memory=2; "
                                 "show meminfo; c = fork; show meminfo")
        assert steps[3]["result"]["errno"] == "ENOMEM"
        assert step_kb(steps[4], "Committed_AS") == step_kb(steps[2], "Committed_AS")
        assert list(steps[3]["maps"]) == ["1"]


# ---------------------------------------------------------------- property test
RAM_MB = 16
EXAMPLES = int(os.environ.get("VMTUI_HARDENING_EXAMPLES", "20"))
NCHUNKS = 6
MAX_PROCS = 3

op = st.one_of(
    st.tuples(st.just("write"), st.integers(0, NCHUNKS - 1), st.integers(1, 1 << 30)),
    st.tuples(st.just("write"), st.integers(0, NCHUNKS - 1), st.integers(1, 1 << 30)),
    st.tuples(st.just("read"), st.integers(0, NCHUNKS - 1), st.just(0)),
    st.tuples(st.just("fork"), st.just(0), st.just(0)),
    st.tuples(st.just("fork"), st.just(0), st.just(0)),
    st.tuples(st.just("munmap"), st.integers(0, NCHUNKS - 1), st.just(0)),
    st.tuples(st.just("switch"), st.integers(0, MAX_PROCS - 1), st.just(0)),
    st.tuples(st.just("exit"), st.just(0), st.just(0)),
)


def _check_model(m: Machine, model: dict[int, list[int | None]], base: int, chunk: int
                 ) -> None:
    """Every mapped chunk of every live process holds what the model says, page by page
    (one pass over the page tables; value_at for the pages without a PTE); unmapped
    chunks have no VMA."""
    from vmtui.engine.include.pgtable import is_swap_pte, pte_pfn

    end = base + chunk * len(next(iter(model.values()), []))
    for pid, values in model.items():
        task = m.tasks[pid]
        assert task.mm.pgd is not None
        for i, want in enumerate(values):
            start = base + i * chunk
            vma = task.mm.find_vma(start)
            if want is None:
                assert vma is None or vma.vm_start >= start + chunk, f"pid {pid} chunk {i}"
            else:
                assert vma is not None and vma.vm_start <= start, f"pid {pid} chunk {i}"
        seen: set[int] = set()
        for table, idx, va in m.pt.iter_ptes(task.mm.pgd, base, end):
            pte = table.entries[idx]
            if is_swap_pte(pte):
                page = m.swap.cache.get(pte)
                got = page.value if page is not None else m.swap.read(pte)
            else:
                got = m.page_of(pte_pfn(pte)).value
            want = values[(va - base) // chunk]
            assert got == want, f"pid {pid} at {va:#x}: {got} != {want}"
            seen.add(va)
        for i, want in enumerate(values):
            if want is None:
                continue
            for va in range(base + i * chunk, base + (i + 1) * chunk, PAGE):
                if va not in seen:
                    assert value_at(m, task, va) == want, f"pid {pid} at {va:#x}"


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.integers(RAM_MB // 2, 3 * RAM_MB), st.lists(op, min_size=6, max_size=14))
def test_fork_munmap_swap_keep_every_value(ws_mb: int, ops: list[tuple[str, int, int]]
                                           ) -> None:
    """GIVEN a working set from half of RAM to three times RAM, written chunk by chunk
    WHEN processes fork, write, read, munmap chunks and exit under swap
    THEN the invariants hold after every step and every mapped page of every live
    process holds what that process last wrote (or inherited); only the OOM killer may
    take a process."""
    m = machine(ram=f"{RAM_MB}M", swap=f"{4 * RAM_MB}M")
    chunk = max(1, ws_mb * MB // NCHUNKS // PAGE) * PAGE
    assert do_checked(m, f"a = mmap {chunk * NCHUNKS} rw private,anon").ok
    base = m.names["a"]
    for i in range(NCHUNKS):
        assert do_checked(m, f"write a+{i * chunk} {chunk} = {i + 1}").ok
    model: dict[int, list[int | None]] = {m.current_pid: [i + 1 for i in range(NCHUNKS)]}
    _check_model(m, model, base, chunk)
    for kind, arg, value in ops:
        if not model:
            break
        cur = m.current_pid
        values = model[cur]
        where = f"a+{arg * chunk} {chunk}"
        if kind in ("write", "read") and values[arg] is None:
            continue  # a SIGSEGV is not what this test is about
        if kind == "write":
            line = f"write {where} = {value}"
        elif kind == "read":
            line = f"read {where}"
        elif kind == "fork":
            if len(model) >= MAX_PROCS:
                continue
            line = "fork"
        elif kind == "munmap":
            line = f"munmap {where}"
        elif kind == "switch":
            line = f"switch {sorted(model)[arg % len(model)]}"
        else:
            if len(model) < 2:
                continue
            line = "exit"
        res = do_checked(m, line)
        if res.ok:
            if kind == "write":
                values[arg] = value
            elif kind == "read":
                assert res.value == values[arg], line
            elif kind == "fork":
                model[res.value] = list(values)
            elif kind == "munmap":
                values[arg] = None
            elif kind == "exit":
                del model[cur]
        else:
            assert res.signal == "SIGKILL" or res.errno == "ENOMEM", (line, res.summary())
        for pid in [p for p in model if not m.tasks[p].alive]:
            del model[pid]
        _check_model(m, model, base, chunk)
