"""The scenario player: forward, back, go to step N, restart, improvise.

Stepping back restores the nearest snapshot (taken every `snapshot_every`
steps, as a pickle of the machine) and replays from there; the engine is
deterministic, so the replayed state is exactly the state stepping forward
gave.

A Player made with `background=True` (the TUI's) takes its snapshots in a
forked child: the child has the machine as it is after the step (its memory is
the parent's, copy on write), pickles it to a file and exits, while the parent
goes on. Pickling a machine of 60,000 VMAs and 500,000 pages takes seconds; a
key press must not wait for it. The parent reads the file only to restore it.
"""

from __future__ import annotations

import copy
import gc
import os
import pickle
import signal
import struct
import tempfile
import time
import warnings
import weakref
from dataclasses import dataclass

from vmtui.engine.boot import new_machine
from vmtui.scenario.execute import ScriptError
from vmtui.scenario.lang import ParseError, parse_command
from vmtui.scenario.loader import Scenario, Step
from vmtui.scenario.runner import StepRecord, run_step

_DONE = b"VMCK"  # a child's file ends its header with this once the pickle is whole
_HEADER = struct.Struct("<4sd")  # _DONE and the seconds the pickle took


@dataclass
class Checkpoint:
    """A snapshot pickled by a forked child into the file open as `fd` (a file already
    removed: nothing is left behind, however the program ends); `pid` 0 once the child
    is reaped."""

    pid: int
    fd: int

    def read(self, n: int = -1, at: int = 0) -> bytes:
        """n bytes of the file from `at` (all the rest with n = -1)."""
        if n < 0:
            n = os.fstat(self.fd).st_size - at
        parts = []
        while n > 0:  # one pread returns at most ~2 GiB
            part = os.pread(self.fd, n, at)
            if not part:
                break
            parts.append(part)
            n -= len(part)
            at += len(part)
        return b"".join(parts)


def _forget(ck: Checkpoint) -> None:
    """Stop the child if it still runs, and remove its file."""
    if ck.pid:
        try:
            os.kill(ck.pid, signal.SIGKILL)
            os.waitpid(ck.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        ck.pid = 0
    if ck.fd >= 0:
        os.close(ck.fd)
        ck.fd = -1


def _forget_all(snapshots: dict[int, bytes | Checkpoint]) -> None:
    for ck in snapshots.values():
        if isinstance(ck, Checkpoint):
            _forget(ck)


class Player:
    """Steps a scenario on a machine, able to go back to any earlier step."""

    def __init__(self, scenario: Scenario, snapshot_every: int = 16,
                 background: bool = False) -> None:
        self.scenario = copy.copy(scenario)
        self.scenario.steps = list(scenario.steps)
        self.snapshot_every = max(1, snapshot_every)
        self.background = background and hasattr(os, "fork")
        self.machine = new_machine(scenario.config)
        self.position = 0  # steps done
        self.records: list[StepRecord] = []
        self.dump_seconds = 0.0  # what the last snapshot cost
        self.since_snapshot = 0.0  # seconds of stepping since the last snapshot
        # bytes of a pickle, or (background) a child's file
        self.snapshots: dict[int, bytes | Checkpoint] = {0: self._dump()}
        # the children's files go with the player (or at exit)
        self._finalizer = weakref.finalize(self, _forget_all, self.snapshots)

    # --------------------------------------------------------------- state
    def _dump(self) -> bytes:
        t0 = time.perf_counter()
        data = pickle.dumps(self.machine, protocol=pickle.HIGHEST_PROTOCOL)
        self.dump_seconds = time.perf_counter() - t0
        self.since_snapshot = 0.0
        return data

    def _fork_dump(self) -> Checkpoint | None:
        """The machine pickled by a forked child into a file; None when fork fails."""
        fd, path = tempfile.mkstemp(prefix="vmtui-step-", suffix=".pickle")
        os.unlink(path)
        try:
            with warnings.catch_warnings():
                # 3.12+ warns of fork() in a process with threads (the TUI's): the child
                # takes no lock, it only pickles and leaves by os._exit
                warnings.simplefilter("ignore", DeprecationWarning)
                pid = os.fork()
        except OSError:
            os.close(fd)
            return None
        if pid == 0:  # the child: nothing but the pickle, then out without cleanup
            code = 1
            try:
                gc.disable()  # its collections would copy every page they touch
                # the lowest priority: the key presses the parent answers meanwhile come
                # first (on a machine with few cores the pickle would take one of them)
                os.nice(19)
                t0 = time.perf_counter()
                with os.fdopen(os.dup(fd), "wb") as f:
                    f.write(bytes(_HEADER.size))
                    pickle.dump(self.machine, f, protocol=pickle.HIGHEST_PROTOCOL)
                    f.seek(0)
                    f.write(_HEADER.pack(_DONE, time.perf_counter() - t0))
                code = 0
            finally:
                os._exit(code)
        self.since_snapshot = 0.0
        return Checkpoint(pid, fd)

    def _reap(self, ck: Checkpoint, wait: bool) -> bool | None:
        """Whether the child's file is whole, None while the child runs (never with
        `wait`); reaps the child once it is done. A child that failed leaves a file
        without the header's mark."""
        if ck.pid:
            try:
                pid, _status = os.waitpid(ck.pid, 0 if wait else os.WNOHANG)
            except ChildProcessError:  # reaped by someone else: the file tells
                pid = ck.pid
            if pid == 0:
                return None
            ck.pid = 0
            head = ck.read(_HEADER.size)
            if len(head) == _HEADER.size and head[:4] == _DONE:
                self.dump_seconds = _HEADER.unpack(head)[1]
        return ck.read(4) == _DONE

    def collect(self, wait: bool = False) -> None:
        """Reap the children that are done (with `wait`, all of them); drop the snapshots
        whose child failed."""
        for n, ck in list(self.snapshots.items()):
            if isinstance(ck, Checkpoint) and ck.pid and self._reap(ck, wait) is False:
                _forget(ck)
                del self.snapshots[n]

    def _load(self, n: int) -> bool:
        """Restore the snapshot after step n; False if its child failed (then it is gone)."""
        ck = self.snapshots[n]
        if isinstance(ck, Checkpoint):
            if not self._reap(ck, True):
                _forget(ck)
                del self.snapshots[n]
                return False
            data = ck.read(at=_HEADER.size)
        else:
            data = ck
        was = gc.isenabled()
        gc.disable()  # unpickling makes millions of objects: no collection in between
        try:
            self.machine = pickle.loads(data)
        finally:
            if was:
                gc.enable()
        # the machine replaced may have been frozen (gc.freeze, the TUI after loading):
        # its objects go back to the collector, or their cycles would stay for good
        gc.unfreeze()
        return True

    def _want_snapshot(self, n: int) -> bool:
        """Every `snapshot_every` steps, but never more often than stepping pays for it:
        a snapshot costs what it takes to pickle the machine, so on a big machine they
        come only once replaying from the last one would take about as long. In the
        background, one child at a time."""
        if n in self.snapshots or n % self.snapshot_every:
            return False
        if self.background:
            self.collect()
            if any(isinstance(ck, Checkpoint) and ck.pid for ck in self.snapshots.values()):
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
            ck = self._fork_dump() if self.background else None
            self.snapshots[n] = ck if ck is not None else self._dump()
        return rec

    def goto(self, n: int) -> StepRecord | None:
        """Make `n` steps done (0 = the start); back goes through the nearest snapshot."""
        n = max(0, min(n, self.total))
        if n < self.position:
            while True:
                base = max(k for k in self.snapshots if k <= n)
                if self._load(base):  # step 0's is always in memory
                    break
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
            ck = self.snapshots.pop(k)
            if isinstance(ck, Checkpoint):
                _forget(ck)
        del self.records[self.position:]
        try:
            rec = self.forward()
        except ScriptError:
            del self.scenario.steps[self.position]  # the step never ran: take it out again
            raise
        assert rec is not None
        return rec
