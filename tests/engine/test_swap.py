"""Swap: pages written beyond RAM go to the swap area and come back with their values.

The acceptance scenario of issue 4 (64M of RAM, 64M of swap, 96M written with
distinct values and read back), swap-cache hits, fork sharing swap entries,
swapoff/swapon, a trace that is the same on every run, and a write fault on a shared
swapped-out page (do_swap_page).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import pickle
import subprocess
import sys
import threading

import pytest

from tests.conftest import run_json
from tests.engine.conftest import checked, do, machine
from vmtui.cli import main
from vmtui.engine.check.reclaim_check import value_at
from vmtui.engine.include.machine import Machine
from vmtui.engine.include.pgtable import is_swap_pte
from vmtui.scenario.execute import run_command
from vmtui.scenario.lang import parse_command
from vmtui.scenario.loader import from_commands
from vmtui.scenario.runner import Runner

MB = 1 << 20

# 96 distinct values, one per megabyte, written and then read back
SWAP_SCENARIO = "; ".join(
    ["a = mmap 96M rw private,anon"]
    + [f"write a+{i}M 1M = {1000 + i}" for i in range(96)]
    + [f"read a+{i}M 1M" for i in range(96)])
SWAP_MACHINE = {"ram": "64M", "swap": "64M"}


class TestSwapScenario:
    """The 96M-on-64M scenario: kswapd swaps out, reads swap back in, nothing is lost."""

    def test_every_value_read_is_the_value_written(self) -> None:
        runner = Runner(from_commands(SWAP_SCENARIO, SWAP_MACHINE))
        m = runner.machine
        for rec in runner:
            assert rec.result.ok, (rec.do, rec.result.summary())
            if rec.number > 97:
                i = rec.number - 98
                assert rec.result.value == 1000 + i, rec.do
            if rec.number % 8 == 1:
                checked(m)
        checked(m)
        c = m.vmstat
        assert c["pswpout"] > 0
        assert c["pswpin"] > 0
        assert c["pgscan_kswapd"] > 0
        assert c["pgsteal_kswapd"] > 0
        # swap_cluster_readahead() (5.4): a major fault reads its own page plus the window's
        # others, each of those counting SWAP_RA, so every page read is one or the other
        assert c["pswpin"] > 0 and c["swap_ra"] > 0
        assert c["pgmajfault"] + c["swap_ra"] == c["pswpin"]
        assert c["oom_kill"] == 0
        # every page, resident or not, still holds what was written to it
        task = m.current
        base = m.names["a"]
        for i in range(96):
            for off in range(0, MB, 64 << 10):
                assert value_at(m, task, base + i * MB + off) == 1000 + i

    def test_kswapd_narrates_its_work(self) -> None:
        m = machine(**SWAP_MACHINE)
        do(m, "a = mmap 96M rw private,anon")
        _res, events = run_command(m, parse_command("write a 96M = 5", 1))
        text = " ".join(e.text for e in events)
        assert "kswapd0 was woken and ran" in text
        ks = m.mem.nodes[0].kswapd
        assert ks.runs > 0 and ks.reclaimed > 0 and ks.state == "sleeping"
        # a single fault that needs kswapd shows balance_pgdat at work
        _res, events = run_command(m, parse_command("read a", 1))
        fns = [e.fn for e in events]
        assert "do_swap_page" in fns

    def test_trace_is_identical_on_20_runs(self) -> None:
        """Same scenario, same `--json` trace, byte for byte, 20 times over (two of them in
        fresh interpreters with different hash seeds)."""
        args = ["run", "-c", SWAP_SCENARIO, "-m", "ram=64M", "-m", "swap=64M", "--json"]
        digests = set()
        first = ""
        for _ in range(18):
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):
                assert main(list(args)) == 0
            out = buf.getvalue()
            first = first or out
            digests.add(hashlib.sha256(out.encode()).hexdigest())
        for seed in ("1", "2"):
            env = dict(os.environ, PYTHONHASHSEED=seed)
            out = subprocess.run([sys.executable, "-m", "vmtui.cli", *args], env=env,
                                 capture_output=True, text=True, check=True).stdout
            digests.add(hashlib.sha256(out.encode()).hexdigest())
        assert len(digests) == 1
        steps = [json.loads(line) for line in first.splitlines()]
        last = steps[-1]["counters"]
        assert last["pswpout"] > 0 and last["pswpin"] > 0 and last["pgscan_kswapd"] > 0


class TestSwapCache:
    def test_swap_entry_in_pte_and_major_fault_back(self) -> None:
        m = machine(ram="32M", swap="64M")
        do(m, "a = mmap 40M rw private,anon")
        do(m, "write a 40M = 9")
        task = m.current
        base = m.names["a"]
        swapped = [a for a in range(base, base + 40 * MB, 4096)
                   if _pte(m, task, a) and is_swap_pte(_pte(m, task, a))]
        assert swapped, "nothing went to swap"
        assert task.mm.rss_swap >= len(swapped)
        maj = task.maj_flt
        assert do(m, f"read {swapped[0]:#x}").value == 9
        assert task.maj_flt == maj + 1
        checked(m)

    def test_swap_cache_hit_is_a_minor_fault(self) -> None:
        """After fork a swapped page is held by two PTEs: the first fault reads it into the
        swap cache (major), the other process finds it there (minor)."""
        m = machine(ram="32M", swap="64M")
        do(m, "a = mmap 8M rw private,anon")
        do(m, "write a 8M = 4")
        child = do(m, "c = fork").value
        do(m, "b = mmap 40M rw private,anon")
        do(m, "write b 40M = 1")  # pushes a's pages out, shared entries and all
        parent = m.current
        base = m.names["a"]
        shared = [a for a in range(base, base + 8 * MB, 4096)
                  if is_swap_pte(_pte(m, parent, a))]
        assert shared
        entry = _pte(m, parent, shared[0])
        assert m.swap.count(entry) == 2  # both processes hold it
        maj = parent.maj_flt
        assert do(m, f"read {shared[0]:#x}").value == 4
        assert parent.maj_flt == maj + 1
        assert entry in m.swap.cache  # the child still needs the slot
        do(m, f"switch {child}")
        kid = m.current
        maj, mnr = kid.maj_flt, kid.min_flt
        assert do(m, f"read {shared[0]:#x}").value == 4
        assert kid.maj_flt == maj and kid.min_flt == mnr + 1
        checked(m)

    def test_write_after_swapin_keeps_both_processes_values(self) -> None:
        m = machine(ram="32M", swap="64M")
        do(m, "a = mmap 8M rw private,anon")
        do(m, "write a 8M = 4")
        child = do(m, "c = fork").value
        do(m, "b = mmap 40M rw private,anon")
        do(m, "write b 40M = 1")
        do(m, "write a 8M = 5")
        checked(m)
        do(m, f"switch {child}")
        assert do(m, "read a 8M").value == 4
        kid = m.current
        base = m.names["a"]
        assert all(value_at(m, kid, a) == 4 for a in range(base, base + 8 * MB, 4096))
        checked(m)


class TestSwapoff:
    def test_swapoff_reads_everything_back(self) -> None:
        m = machine(ram="64M", swap="64M")
        do(m, "a = mmap 40M rw private,anon")
        for i in range(0, 40, 8):
            do(m, f"write a+{i}M 8M = {i}")
        do(m, "b = mmap 40M rw private,anon")
        do(m, "write b 40M = 99")  # pushes some of a out to swap
        do(m, "munmap b 40M")  # and leaves room to bring it back
        task = m.current
        assert task.mm.rss_swap > 0
        pswpin, majflt = m.vmstat["pswpin"], m.vmstat["pgmajfault"]
        res = do(m, "swapoff")
        assert res.ok, res.summary()
        assert task.mm.rss_swap == 0
        assert m.swap.used() == 0 and not m.swap.cache
        assert m.vmstat["pswpin"] > pswpin
        assert m.vmstat["pgmajfault"] == majflt  # try_to_unuse is not a fault
        checked(m)
        base = m.names["a"]
        for i in range(0, 40, 8):
            assert value_at(m, task, base + i * MB) == i
        # swap off: anon pages can no longer be reclaimed, swap on again: they can
        assert do(m, "swapon").ok
        do(m, "b = mmap 16M rw private,anon")
        assert do(m, "write b 16M = 3").ok
        checked(m)

    def test_swapoff_fails_with_enomem_when_memory_cannot_hold_it(self) -> None:
        m = machine(ram="32M", swap="64M")
        do(m, "a = mmap 60M rw private,anon")
        do(m, "write a 60M = 6")
        used = m.swap.used()
        assert used > 0
        res = do(m, "swapoff")
        assert not res.ok and res.errno == "ENOMEM"
        assert m.swap.enabled and m.swap.total() > 0  # still on
        checked(m)
        task = m.current
        base = m.names["a"]
        assert all(value_at(m, task, a) == 6 for a in range(base, base + 60 * MB, 16 << 10))
        assert m.vmstat["oom_kill"] == 0  # swapoff does not kill to make room


class TestKswapdThread:
    def test_kswapd_is_a_real_thread_per_node(self) -> None:
        from vmtui.engine.mm import kswapd

        m = machine(nodes=2, ram="128M", swap="64M")
        do(m, "numa bind=1")
        do(m, "a = mmap 80M rw private,anon")
        do(m, "write a 80M = 1")
        names = kswapd.thread_names(m)
        assert names == ["kswapd1"]
        live = {t.name: t for t in threading.enumerate()}
        assert live["kswapd1"].daemon
        assert m.mem.nodes[1].kswapd.runs > 0 and m.mem.nodes[0].kswapd.runs == 0

    def test_a_ui_thread_sees_kswapd_running(self) -> None:
        """While a long step runs, another thread reading node.kswapd sees it at work."""
        m = machine(ram="64M", swap="128M")
        do(m, "a = mmap 120M rw private,anon")
        ks = m.mem.nodes[0].kswapd
        seen: set[str] = set()
        done = threading.Event()

        def watch() -> None:
            while not done.is_set():
                seen.add(ks.state)
                done.wait(0.0005)

        watcher = threading.Thread(target=watch)
        interval = sys.getswitchinterval()
        sys.setswitchinterval(1e-4)  # hand the GIL round often, as a busy UI would get it
        watcher.start()
        try:
            assert do(m, "write a 120M = 1").ok
            assert do(m, "write a 120M = 2").ok
        finally:
            done.set()
            watcher.join()
            sys.setswitchinterval(interval)
        assert "running" in seen and ks.state == "sleeping"

    def test_machine_pickles_and_kswapd_comes_back(self) -> None:
        m = machine(ram="32M", swap="64M")
        do(m, "a = mmap 40M rw private,anon")
        do(m, "write a 40M = 2")
        copy = pickle.loads(pickle.dumps(m))
        assert copy.reclaim_hook is None
        checked(copy)
        do(copy, "b = mmap 24M rw private,anon")
        assert do(copy, "write b 24M = 3").ok
        assert do(copy, "read a 40M").value == 2
        checked(copy)
        # the original is untouched by what the copy did
        assert m.vmstat["pswpout"] < copy.vmstat["pswpout"]

    def test_error_in_kswapd_reaches_the_caller(self) -> None:
        from vmtui.engine.mm import kswapd

        m = machine(ram="32M", swap="64M")
        node = m.mem.nodes[0]

        def boom() -> None:
            raise RuntimeError("in kswapd")

        with pytest.raises(RuntimeError, match="in kswapd"):
            kswapd.driver(m).kthread(node.id).run(boom)
        # the thread lives on
        ran = []
        kswapd.driver(m).kthread(node.id).run(lambda: ran.append(threading.current_thread()))
        assert ran[0].name == "kswapd0"


def _pte(m: Machine, task: object, addr: int) -> int:
    from vmtui.engine.include.machine import Task

    assert isinstance(task, Task)
    assert task.mm.pgd is not None
    t = m.pt.pte_table(task.mm.pgd, addr, False)
    return 0 if t is None else int(t.entries.get(m.pt.index(m.layout.levels - 1, addr), 0))


class TestSwapInWriteShared:
    """do_swap_page() (mm/memory.c, 5.4): a write fault on a swapped-out page that another
    process still shares is resolved in one fault: do_swap_page() maps it and calls
    do_wp_page() itself."""

    def test_write_to_a_shared_swapped_page_is_one_fault(self, capsys):
        """GIVEN 40M written on a 32M machine (the first page is in swap) and a fork (both
        processes hold the swap entry) WHEN the parent writes the first page
        THEN that is one fault (a major one): pgfault +1, maj_flt +1, min_flt +0; and the
        child still reads the old value."""
        steps = run_json(capsys, "a = mmap 40M rw private,anon; write a 40M = 7; c = fork; "
                                 "write a = 9; switch c; x = read a", ram="32M", swap="64M")
        before, after = steps[2], steps[3]
        assert after["counters"]["pgfault"] - before["counters"]["pgfault"] == 1
        assert after["faults"]["1"]["maj_flt"] - before["faults"]["1"]["maj_flt"] == 1
        assert after["faults"]["1"]["min_flt"] == before["faults"]["1"]["min_flt"]
        assert steps[5]["result"]["value"] == 7
