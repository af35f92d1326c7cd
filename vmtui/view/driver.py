"""The engine side of the app: a Player behind a lock, turning requests into snapshots.

Every method runs on a worker thread, never on the UI's thread; the lock
keeps two workers (a step and a scroll of the VMA list, say) from touching
the engine at once. No Textual import: the app posts the results.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace

from vmtui.scenario.compare import (
    KernelComparison,
    StepDiff,
    compare_runs,
    other_kernel,
    with_kernel,
)
from vmtui.scenario.execute import ScriptError
from vmtui.scenario.lang import ParseError
from vmtui.scenario.loader import Scenario
from vmtui.scenario.player import Player
from vmtui.view.ops import Op
from vmtui.view.snapshot import (
    Snapshot,
    SnapshotBuilder,
    StepChanges,
    StepState,
    View,
    free_pages,
    step_changes,
    step_state,
)

__all__ = ["Driver", "Op", "ProgressFn"]

ProgressFn = Callable[[int, int, int, tuple[tuple[int, str, int], ...]], None]


class Driver:
    """Owns the Player; `run(op, view)` moves it and returns a snapshot."""

    def __init__(self, scenario: Scenario) -> None:
        # snapshots for stepping back are pickled by a forked child: not on a key press
        self.player = Player(scenario, background=True)
        self.lock = threading.Lock()
        self.builder = SnapshotBuilder()
        self.progress: ProgressFn | None = None
        self._last_report = 0.0
        # the state after step N (for what step N+1 changed), a few positions at a time
        self._states: dict[int, StepState | None] = {}
        self._changes: tuple[int, StepChanges | None] = (0, None)  # position, its changes
        self._mark: tuple[int, str, StepState | None] | None = None  # position, do, state
        self.kdiff: KernelComparison | None = None  # the last comparison of two kernels

    @property
    def scenario(self) -> Scenario:
        return self.player.scenario

    def _on_progress(self, done: int, total: int) -> None:
        # called by the engine, on this thread, during bulk work: throttle to ~15 a second
        now = time.monotonic()
        if self.progress is None or now - self._last_report < 0.066 and done < total:
            return
        self._last_report = now
        m = self.player.machine
        ks = tuple((n.id, getattr(n.kswapd, "state", "?"), getattr(n.kswapd, "reclaimed", 0))
                   for n in m.mem.nodes if n.kswapd is not None)
        self.progress(done, total, free_pages(m), ks)

    # --------------------------------------------------------------- step changes
    def _state(self) -> StepState | None:
        """The state after the player's current position (captured once per position)."""
        pos = self.player.position
        if pos not in self._states:
            if len(self._states) >= 4:
                del self._states[max(self._states, key=lambda k: abs(k - pos))]
            self._states[pos] = step_state(self.player.machine)
        return self._states[pos]

    def _forget_after(self, pos: int) -> None:
        """Steps after `pos` changed (a command typed there): their states are stale."""
        for k in [k for k in self._states if k > pos]:
            del self._states[k]
        if self._mark is not None and self._mark[0] > pos:
            self._mark = None  # that step is one further now: the mark would name another

    def _goto(self, target: int) -> StepState | None:
        """Make `target` steps done, stepping the last one forward; returns the state
        before that last step (None at the start or on a machine too big to capture)."""
        p = self.player
        target = max(0, min(target, p.total))
        if target == 0:
            p.goto(0)
            return None
        if target <= p.position:
            p.goto(target - 1)  # the same replay as going to target, one step short
        # forward one step at a time: the free-memory sparkline gets a point for every
        # step, not only the one shown
        history = self.builder.free_history
        history.setdefault(p.position, free_pages(p.machine))
        before = None
        while p.position < target:
            if p.position == target - 1:
                before = self._state()
            p.forward()
            history[p.position] = free_pages(p.machine)
        return before

    def _measure(self, before: StepState | None) -> StepChanges | None:
        """What the step at the current position changed, given the state before it."""
        pos = self.player.position
        after = self._state()
        changes = step_changes(before, after) if before is not None and after is not None \
            else None
        self._changes = (pos, changes)
        return changes

    def _mark_text(self) -> tuple[int, str] | None:
        return (self._mark[0], self._mark[1]) if self._mark is not None else None

    def diff_lines(self) -> tuple[str, ...]:
        """statediff's text between the marked step and the current one (as `vmtui diff`
        prints it), or why there is none."""
        from vmtui.engine.views.statediff import changes_text, compare

        p = self.player
        if self._mark is None:
            return ("!diff_no_mark",)
        a, a_do, a_state = self._mark
        b_state = self._state()
        if a_state is None or b_state is None:
            return ("!diff_too_big",)
        if a <= p.position:
            ca, cb, la, lb = a_state.cap, b_state.cap, (a, a_do), (p.position, self._do())
        else:
            ca, cb, la, lb = b_state.cap, a_state.cap, (p.position, self._do()), (a, a_do)
        ch = compare(ca, cb)
        head = [f"after step {la[0]} -> after step {lb[0]}",
                f"  step {la[0]}: {la[1]}", f"  step {lb[0]}: {lb[1]}", ""]
        return tuple(head + changes_text(ch, ca, cb))

    def switch_kernel(self) -> KernelComparison:
        """Re-run the scenario (with any steps typed) to the current step on the other
        kernel, which the machine runs from now on; compare the two runs up to here."""
        p = self.player
        here = p.machine.kmodel.name
        there = other_kernel(here)
        comp = compare_runs(p.scenario, (here, there), upto=p.position)
        new = Player(with_kernel(p.scenario, there), p.snapshot_every, p.background)
        new.goto(p.position)
        self.player = new
        self._states.clear()
        self._changes = (0, None)
        self._mark = None  # its state is the other kernel's
        self.kdiff = comp
        return comp

    def _kstep(self) -> tuple[tuple[str, str], StepDiff] | None:
        comp = self.kdiff
        s = comp.at(self.player.position) if comp is not None else None
        return (comp.kernels, s) if comp is not None and s is not None and not s.same \
            else None

    def _do(self) -> str:
        rec = self.player.last
        return rec.do if rec is not None else "(the start)"

    def run(self, op: Op, view: View) -> Snapshot:
        """Apply `op`; a failure the lecturer should see becomes the snapshot's `error`."""
        with self.lock:
            p = self.player
            if op.kind == "rss":
                snap = self.builder.refresh_rss(p, view)
                if snap is not None:
                    return snap
                op = Op("refresh")
            p.machine.progress = self._on_progress
            error = ""
            where: tuple[int, str] | None = None  # column and message of a refused command
            before = p.position
            moved = True
            prior: StepState | None = None
            diff: tuple[str, ...] = ()
            kdiff: KernelComparison | None = None
            try:
                if op.kind == "next":
                    prior = self._goto(p.position + 1)
                elif op.kind == "back":
                    prior = self._goto(p.position - 1)
                elif op.kind == "goto":
                    prior = self._goto(int(op.arg))
                elif op.kind == "restart":
                    p.restart()
                elif op.kind == "end":
                    prior = self._goto(p.total)
                elif op.kind == "improvise":
                    prior = self._state()
                    # a failed step is taken out again by the Player
                    p.improvise(str(op.arg))
                    self._forget_after(before)
                    self.kdiff = None  # the steps compared are not the scenario's now
                else:
                    moved = False
                    if op.kind == "mark":
                        self._mark = (p.position, self._do(), self._state())
                    elif op.kind == "diff":
                        diff = self.diff_lines()
                    elif op.kind == "kernel":
                        kdiff = self.switch_kernel()
                        p = self.player
            except ParseError as e:
                error = e.render()
                where = (e.col, e.msg)
                moved = False
            except ScriptError as e:
                error = e.err.render(f"step {before + 1}")
                where = (e.err.col, e.err.msg)
                moved = False
                self._states.pop(p.position, None)  # the machine may be part-way through
            finally:
                p.machine.progress = None
            if moved:
                changes = self._measure(prior)
            else:
                pos, changes = self._changes
                if pos != p.position:
                    changes = None
            snap = self.builder.build(p, view, error=error, changes=changes,
                                      state=self._state(), mark=self._mark_text())
            if where is not None:
                snap = replace(snap, error_col=where[0], error_msg=where[1])
            if diff:
                snap = replace(snap, diff=diff)
            return replace(snap, kernel=p.machine.kmodel.name, kdiff=kdiff,
                           kstep=self._kstep())
