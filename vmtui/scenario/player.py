"""The scenario player: forward, back, go to step N, restart, improvise.

Stepping back restores the nearest snapshot (taken every `snapshot_every`
steps, as a pickle of the machine) and replays from there; the engine is
deterministic, so the replayed state is exactly the state stepping forward
gave.
"""

from __future__ import annotations

import copy
import pickle
import time

from vmtui.engine.boot import new_machine
from vmtui.scenario.execute import ScriptError
from vmtui.scenario.lang import ParseError, parse_command
from vmtui.scenario.loader import Scenario, Step
from vmtui.scenario.runner import StepRecord, run_step


class Player:
    """Steps a scenario on a machine, able to go back to any earlier step."""

    def __init__(self, scenario: Scenario, snapshot_every: int = 16) -> None:
        self.scenario = copy.copy(scenario)
        self.scenario.steps = list(scenario.steps)
        self.snapshot_every = max(1, snapshot_every)
        self.machine = new_machine(scenario.config)
        self.position = 0  # steps done
        self.records: list[StepRecord] = []
        self.dump_seconds = 0.0  # what the last snapshot cost
        self.since_snapshot = 0.0  # seconds of stepping since the last snapshot
        self.snapshots: dict[int, bytes] = {0: self._dump()}

    # --------------------------------------------------------------- state
    def _dump(self) -> bytes:
        t0 = time.perf_counter()
        data = pickle.dumps(self.machine, protocol=pickle.HIGHEST_PROTOCOL)
        self.dump_seconds = time.perf_counter() - t0
        self.since_snapshot = 0.0
        return data

    def _want_snapshot(self, n: int) -> bool:
        """Every `snapshot_every` steps, but never more often than stepping pays for it:
        a snapshot costs what it takes to pickle the machine, so on a big machine they
        come only once replaying from the last one would take about as long."""
        if n in self.snapshots or n % self.snapshot_every:
            return False
        return self.since_snapshot >= self.dump_seconds

    @property
    def total(self) -> int:
        return len(self.scenario.steps)

    @property
    def last(self) -> StepRecord | None:
        return self.records[self.position - 1] if self.position else None

    @property
    def at_end(self) -> bool:
        return self.position >= self.total

    def step_at(self, n: int) -> Step | None:
        """The n-th step (1-based), or None."""
        return self.scenario.steps[n - 1] if 1 <= n <= self.total else None

    # --------------------------------------------------------------- moves
    def forward(self) -> StepRecord | None:
        """Run the next step; None at the end."""
        if self.at_end:
            return None
        n = self.position + 1
        t0 = time.perf_counter()
        rec = run_step(self.machine, n, self.scenario.steps[n - 1])
        self.since_snapshot += time.perf_counter() - t0
        del self.records[self.position:]
        self.records.append(rec)
        self.position = n
        if self._want_snapshot(n):
            self.snapshots[n] = self._dump()
        return rec

    def goto(self, n: int) -> StepRecord | None:
        """Make `n` steps done (0 = the start); back goes through the nearest snapshot."""
        n = max(0, min(n, self.total))
        if n < self.position:
            base = max(k for k in self.snapshots if k <= n)
            self.machine = pickle.loads(self.snapshots[base])
            self.position = base
            self.since_snapshot = 0.0
        while self.position < n:
            self.forward()
        return self.last

    def back(self) -> StepRecord | None:
        """One step back."""
        return self.goto(self.position - 1)

    def restart(self) -> None:
        self.goto(0)

    def run_to_end(self) -> None:
        while not self.at_end:
            self.forward()

    def improvise(self, text: str) -> StepRecord:
        """A command typed by the lecturer: inserted after the current step, then run.

        Later snapshots are dropped: the future after this point has changed.
        Raises ParseError for a line the language cannot parse.
        """
        cmd = parse_command(text, 1)
        if cmd is None:
            raise ParseError("empty command", 1, 1, text)
        step = Step([cmd], text.strip(), {}, None, {}, None, 0)
        self.scenario.steps.insert(self.position, step)
        for k in [k for k in self.snapshots if k > self.position]:
            del self.snapshots[k]
        del self.records[self.position:]
        try:
            rec = self.forward()
        except ScriptError:
            del self.scenario.steps[self.position]  # the step never ran: take it out again
            raise
        assert rec is not None
        return rec
