"""`vmtui run --json` reports per process only what a step changed (docs/commands.md).

The first line has every live process; a later line has the maps, rss and
fault counts of a process only where they differ from what an earlier line
said, and `null` for a process that ended. Rebuilding (tests/conftest.py
rebuild, the rule docs/commands.md gives a consumer) must give, at every
step, exactly the full state: every live process's /proc/PID/maps lines, rss
and faults as machine_state renders them.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import rebuild, run_json
from vmtui.cli import main
from vmtui.engine.check.invariants import check_invariants
from vmtui.scenario.loader import Scenario, builtin_names, from_commands, load_scenario
from vmtui.scenario.runner import Runner, machine_state

PER_PROCESS = ("maps", "rss", "faults")


def sparse_and_full(sc: Scenario) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Each step's --json line (through a JSON round trip) and the full state after it."""
    runner = Runner(sc, json=True)
    lines, full = [], []
    for rec in runner:
        check_invariants(runner.machine)
        # reclaim and the report find a task from its mm (mm->owner)
        assert all(t.mm.owner is t for t in runner.machine.tasks.values())
        lines.append(json.loads(json.dumps(rec.to_json())))
        full.append(machine_state(runner.machine))
    return lines, full


def assert_rebuilds(lines: list[dict[str, Any]], full: list[dict[str, Any]]) -> None:
    for n, (got, want) in enumerate(zip(rebuild(lines), full, strict=True), 1):
        for key in PER_PROCESS:
            assert got[key] == want[key], f"step {n}: {key}"
        assert got["counters"] == want["counters"], f"step {n}: counters"


class TestSparse:
    """What the lines hold, from the kernel's behaviour: fork leaves the parent's maps,
    rss and fault counts as they were; a read of a present page changes nothing."""

    def test_forks_report_only_the_child(self, capsys: pytest.CaptureFixture[str]) -> None:
        steps = run_json(capsys, "; ".join(["c = fork"] * 20), raw=True)
        assert set(steps[0]["maps"]) == {"1", "2"}
        for n, step in enumerate(steps[1:], 2):
            child = str(n + 1)
            for key in PER_PROCESS:
                assert set(step[key]) == {child}, (n, key)
            assert step["maps"][child] == steps[0]["maps"]["1"]  # a copy of the parent

    def test_only_what_changed(self, capsys: pytest.CaptureFixture[str]) -> None:
        steps = run_json(capsys, "a = mmap 8K rw private,anon; write a 8K = 1; x = read a; "
                         "c = fork; switch c; write a = 2; exit; munmap a 8K", raw=True)
        mmap_, write, read, fork, switch, cow, exit_, munmap = steps
        assert set(mmap_["maps"]) == {"1"}
        assert write["maps"] == {}  # the VMA is as it was
        assert write["rss"]["1"]["anon_kb"] - mmap_["rss"]["1"]["anon_kb"] == 8
        assert write["faults"]["1"]["min_flt"] - mmap_["faults"]["1"]["min_flt"] == 2
        assert read["maps"] == read["rss"] == read["faults"] == {}
        assert set(fork["maps"]) == {"2"}
        assert switch["maps"] == switch["rss"] == switch["faults"] == {}
        assert cow["maps"] == {} and set(cow["faults"]) == {"2"}
        # the COW copy: still 8K of anon in the child (one page is its own now)
        assert cow["faults"]["2"]["min_flt"] == fork["faults"]["2"]["min_flt"] + 1
        assert "2" not in cow["rss"]
        assert exit_["maps"] == {"2": None} and exit_["rss"] == {"2": None}
        assert exit_["faults"] == {"2": None}
        assert set(munmap["maps"]) == {"1"}
        assert not any(ln.startswith(f"{int(mmap_['result']['value'], 16):012x}-")
                       for ln in munmap["maps"]["1"])
        assert munmap["rss"]["1"]["anon_kb"] == mmap_["rss"]["1"]["anon_kb"]

    def test_without_json_no_state_is_kept(self) -> None:
        runner = Runner(from_commands("c = fork; a = mmap 8K rw private,anon; write a 8K"))
        for rec in runner:
            assert set(rec.state) == {"counters"}
            assert "maps" not in rec.to_json()


# scenarios where a step changes a process that is not the one running
OTHERS = {
    "kill": ("c = fork; d = fork; kill c; switch d; exit; e = fork", {}),
    "reclaim": ("a = mmap 40M rw private,anon; write a 40M = 1; b = spawn; "
                "x = mmap 48M rw private,anon; write x 48M = 2; tick 5",
                {"ram": "64M", "swap": "128M"}),
    "oom": ("a = mmap 40M rw private,anon; write a 40M = 1; b = spawn; "
            "x = mmap 60M rw private,anon; write x 60M = 2; y = read x",
            {"ram": "64M", "swap": "0"}),
    "swapoff": ("a = mmap 40M rw private,anon; write a 40M = 1; b = spawn; "
                "x = mmap 40M rw private,anon; write x 40M = 2; munmap x 40M; swapoff; "
                "switch 1; y = read a",
                {"ram": "64M", "swap": "128M"}),
    "reboot": ("c = fork; a = mmap 8K rw private,anon; reboot; d = fork; exit", {}),
    "sigsegv": ("c = fork; switch c; read 0x10; d = fork", {}),
}


class TestRebuild:
    """Carrying entries forward gives the full state at every step."""

    @pytest.mark.parametrize("name", sorted(OTHERS))
    def test_other_processes(self, name: str) -> None:
        commands, machine = OTHERS[name]
        lines, full = sparse_and_full(from_commands(commands, machine))
        assert_rebuilds(lines, full)

    def test_reclaim_reports_the_process_that_lost_pages(self) -> None:
        commands, machine = OTHERS["reclaim"]
        lines, full = sparse_and_full(from_commands(commands, machine))
        # pid 1 does not run after step 3, yet reclaim takes its pages: its rss is told
        told = [n for n, line in enumerate(lines[3:], 4) if "1" in line["rss"]]
        assert told, "pid 1's rss changed but no line says so"
        assert full[-1]["rss"]["1"]["anon_kb"] < 40 << 10

    def test_oom_victim_ends_with_null(self) -> None:
        commands, machine = OTHERS["oom"]
        lines, full = sparse_and_full(from_commands(commands, machine))
        assert "1" not in full[-1]["maps"], "the OOM killer took pid 1 (the biggest)"
        assert any(line["maps"].get("1", 0) is None for line in lines)

    @pytest.mark.parametrize("name", builtin_names())
    def test_builtin(self, name: str) -> None:
        lines, full = sparse_and_full(load_scenario(name))
        assert_rebuilds(lines, full)


def test_json_size_is_linear_in_forks(capsys: pytest.CaptureFixture[str]) -> None:
    """Each fork's line holds one process: the output grows by a near-constant size per
    fork (before: every line held every process, 300 forks gave 96 MB)."""
    sizes = []
    for n in (50, 100):
        assert main(["run", "--json", "-c", "; ".join(["c = fork"] * n)]) == 0
        sizes.append(len(capsys.readouterr().out))
    per_fork = (sizes[1] - sizes[0]) / 50
    assert per_fork < 3 * sizes[0] / 50
