"""Two kernels, one scenario: run it on each kernel model and say where the runs differ.

`vmtui run --kernel 5.4,6.18 SCENARIO` and the TUI's kernel key (`k`) both come here.
Each kernel gets a fresh machine from the scenario's own [machine] table with only its
`kernel` key changed; the two runs go step by step side by side, and each step is
compared on what `vmtui run --json` carries: the result (value, errno or signal, and
what a `show` or Linux command printed), every process's /proc/PID/maps lines, the
minor and major faults taken during the step, and the /proc/vmstat counters' deltas.

Maps are compared as the `--json` lines report them, sparsely: a process is looked at
only in a step that changed its maps on one kernel or the other, so a difference made
at step 3 is reported at step 3 (and when it changes or goes away), not at every later
step; `maps_differ` still names every process whose maps differ after each step. The
VMA groups of a difference (one VMA on one kernel where the other has two, a VMA only
one kernel has) are statediff's, the comparison `vmtui diff` makes between two steps.

Runtime complexity: the two runs, plus O(lines of the maps a step changed) per step.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vmtui.engine.include.machine import Machine
from vmtui.engine.kmodel import MODELS
from vmtui.engine.views.statediff import Capture, compare
from vmtui.scenario.execute import ScriptError
from vmtui.scenario.loader import Scenario
from vmtui.scenario.runner import Runner, StepRecord

KERNELS: tuple[str, ...] = tuple(MODELS)
"""The kernel models a machine can run, in the order `--kernel` lists them."""

Lines = tuple[str, ...]
Faults = tuple[int, int]  # minor, major faults taken during a step


class KernelChoiceError(ValueError):
    """A bad `--kernel` value; the message names the option and the choices."""


def parse_kernels(text: str, option: str = "--kernel") -> tuple[str, ...]:
    """`5.4` or `5.4,6.18` -> the kernels, each one of KERNELS, none twice."""
    parts = [p.strip() for p in text.split(",")]
    choices = ", ".join(KERNELS)
    if any(not p for p in parts):
        raise KernelChoiceError(f"{option} {text!r}: expected a kernel or two kernels "
                                f"separated by a comma, e.g. {option} 5.4,6.18 "
                                f"(kernels: {choices})")
    for p in parts:
        if p not in KERNELS:
            raise KernelChoiceError(f"{option} {text!r}: unknown kernel {p!r}; the kernels "
                                    f"are {choices}")
    if len(set(parts)) != len(parts):
        raise KernelChoiceError(f"{option} {text!r}: the same kernel twice; give one kernel "
                                f"to run on, or two different ones to compare "
                                f"(e.g. {option} 5.4,6.18)")
    if len(parts) > 2:
        raise KernelChoiceError(f"{option} {text!r}: at most two kernels are compared")
    return tuple(parts)


def other_kernel(kernel: str) -> str:
    """The kernel the TUI switches to from `kernel`: the next one of KERNELS."""
    i = KERNELS.index(kernel) if kernel in KERNELS else -1
    return KERNELS[(i + 1) % len(KERNELS)]


def with_kernel(sc: Scenario, kernel: str) -> Scenario:
    """The scenario on kernel `kernel`: the same steps and [machine] table but that key."""
    return dataclasses.replace(sc, machine={**sc.machine, "kernel": kernel},
                               config=dataclasses.replace(sc.config, kernel=kernel),
                               steps=list(sc.steps))


# ------------------------------------------------------------------ what a step differs in
@dataclass(frozen=True)
class MapsGroup:
    """Maps lines of one process that only one kernel has, grouped by address overlap:
    `kind` (statediff's word, from the first kernel to the second) is added (only the
    second has them), removed (only the first), split (one VMA on the first, several on
    the second), merged (several on the first, one on the second) or changed."""

    kind: str
    a: Lines
    b: Lines


@dataclass(frozen=True)
class MapsDiff:
    """One process's maps on the two kernels (None: no such live process there)."""

    a: Lines | None
    b: Lines | None

    def groups(self) -> list[MapsGroup]:
        """The lines that differ, grouped as `vmtui diff` groups a VMA change."""
        return maps_groups(self.a or (), self.b or ())


@dataclass(frozen=True)
class StepDiff:
    """Step `number` run on both kernels: what differs (empty fields: nothing)."""

    number: int
    do: str
    pid: int
    summaries: tuple[str, str]  # each kernel's result, as `vmtui run` prints it
    results: tuple[dict[str, Any], dict[str, Any]] | None = None  # when they differ
    texts: tuple[str, str] | None = None  # what the step printed, when it differs
    maps: dict[int, MapsDiff] = field(default_factory=dict)  # a difference new or changed
    maps_again: tuple[int, ...] = ()  # processes whose maps agree again after this step
    maps_differ: tuple[int, ...] = ()  # every process whose maps differ after this step
    faults: dict[int, tuple[Faults, Faults]] = field(default_factory=dict)
    counters: dict[str, tuple[int, int]] = field(default_factory=dict)  # deltas that differ
    stopped: tuple[str, str] = ("", "")  # a run that could not go on: why, per kernel

    @property
    def same(self) -> bool:
        return not (self.results or self.texts or self.maps or self.maps_again or
                    self.faults or self.counters or any(self.stopped))


@dataclass
class KernelComparison:
    """Every step compared, in order; `kernels` are (first, second)."""

    scenario: str
    kernels: tuple[str, str]
    steps: list[StepDiff] = field(default_factory=list)
    total: int = 0  # the scenario's steps (more than `steps` when compared part-way)

    @property
    def differing(self) -> list[StepDiff]:
        return [s for s in self.steps if not s.same]

    def at(self, number: int) -> StepDiff | None:
        return self.steps[number - 1] if 1 <= number <= len(self.steps) else None


def _row(line: str) -> tuple[int, int, str, str]:
    rng, perms = line.split()[:2]
    start, _, end = rng.partition("-")
    return int(start, 16), int(end, 16), perms, line


def maps_groups(a: Lines, b: Lines) -> list[MapsGroup]:
    """The lines of `a` and `b` that are not in both, grouped and named by statediff's
    compare() (the same grouping `vmtui diff` makes of the VMAs of two steps)."""
    if a == b:
        return []
    ca = Capture({0: ""}, {0: tuple(_row(ln) for ln in a)}, {}, {}, {}, {})
    cb = Capture({0: ""}, {0: tuple(_row(ln) for ln in b)}, {}, {}, {}, {})
    return [MapsGroup(c.kind, tuple(r[3] for r in c.before), tuple(r[3] for r in c.after))
            for c in compare(ca, cb).vmas]


def _result(rec: StepRecord) -> dict[str, Any]:
    """The result as --json gives it, less vmtui's wording (`why`) and printed text."""
    out = rec.result.to_json()
    out.pop("why", None)
    out.pop("text", None)
    return out


class _Side:
    """One kernel's run: its runner and the per-process state carried from its --json
    lines (maps and fault counts), as docs/commands.md tells a consumer to carry it."""

    def __init__(self, sc: Scenario) -> None:
        self.runner = Runner(sc, json=True)
        self.maps: dict[int, Lines] = {}
        self.faults: dict[int, Faults] = {}
        self.counters: dict[str, int] = dict(self.runner.machine.vmstat)
        self.rec: StepRecord | None = None
        self.error: ScriptError | None = None

    @property
    def stopped(self) -> str:
        return self.error.err.msg if self.error is not None else ""

    @property
    def machine(self) -> Machine:
        return self.runner.machine

    def step(self) -> tuple[set[int], dict[int, Faults], dict[str, int]]:
        """Run the next step: the pids whose maps it reported, the faults taken by each
        process during it, and the counters' deltas (non-zero)."""
        try:
            rec = self.runner.step()
        except ScriptError as e:
            self.error = e
            self.rec = None
            return set(), {}, {}
        self.rec = rec
        st = rec.state
        touched = set()
        for key, lines in st["maps"].items():
            pid = int(key)
            touched.add(pid)
            if lines is None:
                self.maps.pop(pid, None)
            else:
                self.maps[pid] = tuple(lines)
        faults: dict[int, Faults] = {}
        for key, f in st["faults"].items():
            pid = int(key)
            if f is None:
                self.faults.pop(pid, None)
                continue
            now = (f["min_flt"], f["maj_flt"])
            was = self.faults.get(pid, (0, 0))
            self.faults[pid] = now
            if now != was:
                faults[pid] = (now[0] - was[0], now[1] - was[1])
        counters = {k: v - self.counters.get(k, 0) for k, v in st["counters"].items()
                    if v != self.counters.get(k, 0)}
        self.counters = dict(st["counters"])
        return touched, faults, counters


def compare_runs(sc: Scenario, kernels: tuple[str, str], upto: int | None = None,
                 check: Callable[[Machine], None] | None = None) -> KernelComparison:
    """Run `sc` on both kernels, step by step (the first `upto` steps), and compare.

    `check` (check_invariants) runs on both machines after every step. A run that stops
    (a step of its own that refers to a name an earlier failure left without a value)
    ends the comparison at that step; when both stop alike, the ScriptError is raised,
    as a single run would raise it."""
    a, b = _Side(with_kernel(sc, kernels[0])), _Side(with_kernel(sc, kernels[1]))
    comp = KernelComparison(sc.name, (kernels[0], kernels[1]), total=len(sc.steps))
    n = len(sc.steps) if upto is None else max(0, min(upto, len(sc.steps)))
    differ: dict[int, MapsDiff] = {}  # the maps difference of each process, as last said
    for number in range(1, n + 1):
        step = sc.steps[number - 1]
        ta, fa, ca = a.step()
        tb, fb, cb = b.step()
        if a.error is not None or b.error is not None:
            if a.error is not None and a.stopped == b.stopped:
                # the same mistake on both: the scenario's, not a difference of kernels
                raise a.error
            comp.steps.append(StepDiff(number, step.do, a.machine.current_pid,
                                       (a.rec.result.summary() if a.rec else a.stopped,
                                        b.rec.result.summary() if b.rec else b.stopped),
                                       stopped=(a.stopped, b.stopped)))
            break
        if check is not None:
            check(a.machine)
            check(b.machine)
        ra, rb = a.rec, b.rec
        assert ra is not None and rb is not None
        results = (_result(ra), _result(rb))
        texts = ("\n".join(ra.texts), "\n".join(rb.texts))
        maps: dict[int, MapsDiff] = {}
        again = []
        for pid in sorted(ta | tb):
            pair = MapsDiff(a.maps.get(pid), b.maps.get(pid))
            if pair.a == pair.b:
                if differ.pop(pid, None) is not None:
                    again.append(pid)
            elif differ.get(pid) != pair:
                differ[pid] = maps[pid] = pair
        faults = {pid: (fa.get(pid, (0, 0)), fb.get(pid, (0, 0)))
                  for pid in sorted(set(fa) | set(fb)) if fa.get(pid) != fb.get(pid)}
        counters = {k: (ca.get(k, 0), cb.get(k, 0)) for k in sorted(set(ca) | set(cb))
                    if ca.get(k, 0) != cb.get(k, 0)}
        comp.steps.append(StepDiff(
            number, step.do, ra.pid, (ra.result.summary(), rb.result.summary()),
            results=results if results[0] != results[1] else None,
            texts=texts if texts[0] != texts[1] else None,
            maps=maps, maps_again=tuple(again), maps_differ=tuple(sorted(differ)),
            faults=faults, counters=counters))
    return comp
