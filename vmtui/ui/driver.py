"""The engine side of the app: a Player behind a lock, turning requests into snapshots.

Every method runs on a worker thread, never on the UI's thread; the lock
keeps two workers (a step and a scroll of the VMA list, say) from touching
the engine at once. No Textual import: the app posts the results.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from vmtui.scenario.execute import ScriptError
from vmtui.scenario.lang import ParseError
from vmtui.scenario.loader import Scenario
from vmtui.scenario.player import Player
from vmtui.ui.snapshot import Snapshot, SnapshotBuilder, View, free_pages

ProgressFn = Callable[[int, int, int, tuple[tuple[int, str, int], ...]], None]


@dataclass(frozen=True)
class Op:
    """A request: `kind` is next, back, goto, restart, improvise, refresh, rss or end."""

    kind: str
    arg: Any = None


class Driver:
    """Owns the Player; `run(op, view)` moves it and returns a snapshot."""

    def __init__(self, scenario: Scenario) -> None:
        self.player = Player(scenario)
        self.lock = threading.Lock()
        self.builder = SnapshotBuilder()
        self.progress: ProgressFn | None = None
        self._last_report = 0.0

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
            try:
                if op.kind == "next":
                    p.forward()
                elif op.kind == "back":
                    p.back()
                elif op.kind == "goto":
                    target = max(0, min(int(op.arg), p.total))
                    if target < p.position:
                        p.goto(target)
                    # forward one step at a time: the free-memory sparkline gets a point
                    # for every step, not only the one shown
                    history = self.builder.free_history
                    history.setdefault(p.position, free_pages(p.machine))
                    while p.position < target:
                        p.forward()
                        history[p.position] = free_pages(p.machine)
                elif op.kind == "restart":
                    p.restart()
                elif op.kind == "end":
                    p.run_to_end()
                elif op.kind == "improvise":
                    p.improvise(str(op.arg))  # a failed step is taken out again by the Player
            except ParseError as e:
                error = e.render()
                where = (e.col, e.msg)
            except ScriptError as e:
                error = e.err.render(f"step {before + 1}")
                where = (e.err.col, e.err.msg)
            finally:
                p.machine.progress = None
            snap = self.builder.build(p, view, error=error)
            if where is not None:
                snap = replace(snap, error_col=where[0], error_msg=where[1])
            return snap
