"""Run a scenario step by step and record what each step did (the `--json` contract)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vmtui.engine.events import Event
from vmtui.engine.layout import PAGE_SHIFT
from vmtui.engine.machine import Machine
from vmtui.engine.procfs import maps_lines
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

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"step": self.number, "pid": self.pid, "do": self.do,
                               "result": self.result.to_json(),
                               "events": [e.to_json() for e in self.events]}
        out.update(self.state)
        if self.expect is not None:
            out["expect"] = self.expect
            out["expect_ok"] = self.expect_ok
        return out


def machine_state(m: Machine) -> dict[str, Any]:
    """maps, rss and counters of every live process, as `--json` shows them."""
    maps: dict[str, list[str]] = {}
    rss: dict[str, dict[str, int]] = {}
    kb = (1 << PAGE_SHIFT) >> 10
    for t in m.live_tasks():
        maps[str(t.pid)] = maps_lines(m, t)
        mm = t.mm
        rss[str(t.pid)] = {"anon_kb": mm.rss_anon * kb, "file_kb": mm.rss_file * kb,
                           "shmem_kb": mm.rss_shmem * kb, "swap_kb": mm.rss_swap * kb}
    faults = {str(t.pid): {"min_flt": t.min_flt, "maj_flt": t.maj_flt} for t in m.live_tasks()}
    return {"maps": maps, "rss": rss, "counters": dict(m.vmstat), "faults": faults}


def run_step(m: Machine, number: int, step: Step) -> StepRecord:
    """Every command of the step in order; the step's result is the first failure or the last."""
    pid = m.current_pid
    events: list[Event] = []
    result: Result | None = None
    texts = []
    for cmd in step.commands:
        res, evs = run_command(m, cmd)
        events.extend(evs)
        if res.text:
            texts.append(res.text)
        if result is None or result.ok:
            result = res
    assert result is not None
    rec = StepRecord(number, pid, step.do, result, events, step.expect, None, texts,
                     machine_state(m))
    if step.expect is not None:
        rec.expect_ok = result.matches(step.expect)
    return rec


class Runner:
    """A scenario on a fresh machine, stepped forward."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.machine = Machine(scenario.config)
        self.done = 0

    def step(self) -> StepRecord:
        step = self.scenario.steps[self.done]
        self.done += 1
        return run_step(self.machine, self.done, step)

    def __iter__(self) -> Runner:
        return self

    def __next__(self) -> StepRecord:
        if self.done >= len(self.scenario.steps):
            raise StopIteration
        return self.step()
