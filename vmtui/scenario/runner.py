"""Run a scenario step by step and record what each step did (the `--json` contract).

A step's record costs what the step changed, not processes x VMAs: `--json`
reports the maps, rss and fault counts of the processes the step changed
(every live one at the first step; `null` for one that ended), so 5,000 forks
write 5,000 maps, not 12.5 million. A consumer rebuilds every process's state
at every step by carrying each entry forward until a later step replaces it
(docs/commands.md, `vmtui run --json`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from vmtui.engine.boot import new_machine
from vmtui.engine.fs.procfs import maps_lines
from vmtui.engine.include.events import Event
from vmtui.engine.include.layout import PAGE_SHIFT
from vmtui.engine.include.machine import Machine, Task
from vmtui.scenario.execute import Result, run_command
from vmtui.scenario.loader import Scenario, Step


@dataclass
class StepRecord:
    """What one step did: its result, its events, and the machine's state after it."""

    number: int
    pid: int
    do: str
    result: Result
    events: list[Event]
    expect: str | None = None
    expect_ok: bool | None = None
    texts: list[str] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)
    walked: bool = False  # the step made the machine's last walk (access.mmu_walk)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"step": self.number, "pid": self.pid, "do": self.do,
                               "result": self.result.to_json(),
                               "events": [e.to_json() for e in self.events]}
        out.update(self.state)
        if self.expect is not None:
            out["expect"] = self.expect
            out["expect_ok"] = self.expect_ok
        return out


def _rss(t: Task) -> dict[str, int]:
    mm = t.mm
    kb = (1 << PAGE_SHIFT) >> 10
    return {"anon_kb": mm.rss_anon * kb, "file_kb": mm.rss_file * kb,
            "shmem_kb": mm.rss_shmem * kb, "swap_kb": mm.rss_swap * kb}


def _faults(t: Task) -> dict[str, int]:
    return {"min_flt": t.min_flt, "maj_flt": t.maj_flt}


def machine_state(m: Machine) -> dict[str, Any]:
    """maps, rss, fault counts and counters of every live process, in full (what a
    `--json` consumer rebuilds at each step). Runtime: O(processes x VMAs)."""
    live = m.live_tasks()
    return {"maps": {str(t.pid): maps_lines(m, t) for t in live},
            "rss": {str(t.pid): _rss(t) for t in live}, "counters": dict(m.vmstat),
            "faults": {str(t.pid): _faults(t) for t in live}}


class JsonState:
    """The state part of each `--json` line, sparse: per process, its maps, rss and
    fault counts only when they differ from what an earlier line said; `null` for all
    three when the process has ended. The counters are always all there."""

    def __init__(self) -> None:
        self.tasks: dict[int, Task] | None = None  # the task table followed (reboot: anew)
        self.said: dict[int, tuple[list[str], dict[str, int], dict[str, int]]] = {}

    def report(self, m: Machine, changed: Iterable[int]) -> dict[str, Any]:
        """What changed since the last report, given the pids that may have (changed)."""
        said = self.said
        if m.tasks is not self.tasks:  # the first step, or a new boot: everything
            self.tasks = m.tasks
            changed = set(said) | set(m.tasks)
        maps: dict[str, list[str] | None] = {}
        rss: dict[str, dict[str, int] | None] = {}
        faults: dict[str, dict[str, int] | None] = {}
        for pid in sorted(changed):
            key = str(pid)
            t = m.tasks.get(pid)
            old = said.get(pid)
            if t is None or not t.alive:
                if old is not None:
                    del said[pid]
                    maps[key] = rss[key] = faults[key] = None
                continue
            now = (maps_lines(m, t), _rss(t), _faults(t))
            if old is None or now[0] != old[0]:
                maps[key] = now[0]
            if old is None or now[1] != old[1]:
                rss[key] = now[1]
            if old is None or now[2] != old[2]:
                faults[key] = now[2]
            said[pid] = now
        return {"maps": maps, "rss": rss, "counters": dict(m.vmstat), "faults": faults}


def run_step(m: Machine, number: int, step: Step, json: JsonState | None = None
             ) -> StepRecord:
    """Every command of the step in order; the step's result is the first failure or the last.

    The record's state is the counters, plus with `json` what `--json` reports."""
    pid = m.current_pid
    events: list[Event] = []
    result: Result | None = None
    texts = []
    changed: set[int] = set()
    walks = m.walks
    for cmd in step.commands:
        ran_as, first_new = m.current_pid, m.next_pid
        res, evs = run_command(m, cmd)
        if json is not None:
            changed.update(t.pid for t in m.changed_tasks((ran_as, m.current_pid), first_new))
        events.extend(evs)
        if res.text:
            texts.append(res.text)
        if result is None or result.ok:
            result = res
    assert result is not None
    state = json.report(m, changed) if json is not None else {"counters": dict(m.vmstat)}
    rec = StepRecord(number, pid, step.do, result, events, step.expect, None, texts, state,
                     m.walks != walks)
    if step.expect is not None:
        rec.expect_ok = result.matches(step.expect)
    return rec


class Runner:
    """A scenario on a fresh machine, stepped forward."""

    def __init__(self, scenario: Scenario, json: bool = False) -> None:
        self.scenario = scenario
        self.machine = new_machine(scenario.config)
        self.done = 0
        self.json = JsonState() if json else None  # records carry what --json reports

    def step(self) -> StepRecord:
        step = self.scenario.steps[self.done]
        self.done += 1
        return run_step(self.machine, self.done, step, self.json)

    def __iter__(self) -> Runner:
        return self

    def __next__(self) -> StepRecord:
        if self.done >= len(self.scenario.steps):
            raise StopIteration
        return self.step()
