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

The two kernels build different process images (5.4 and 6.18 place ld.so, libc,
[vvar], [vvar_vclock] and the TLS mapping differently), so every mmap lands at another
address on each. That difference is told once (`KernelComparison.image_diff`, before
step 1); each step is then compared in relative form: the maps lines of the process
image as it was at boot are left out, and an address is written from the names the
scenario holds (`c`, `c+8K`, `b-4K`: the nearest name at or below it, else the nearest
above), or, in a line of a mapping the image had (`[stack]`, `[heap]`, `libc.so.6`),
from that mapping's first start at boot. Results, printed text and maps lines are
compared in that form; fault counts and counter deltas as they are.

Runtime complexity: the two runs, plus O(lines of the maps a step changed) per step.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vmtui.engine.fs.procfs import maps_lines
from vmtui.engine.include.layout import PAGE_SHIFT
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


USER_TOP = 1 << 47
"""Names whose values lie in [PAGE, USER_TOP) are addresses a relative form can use."""

NEAR = 1 << 30
"""A number in printed text is taken for an address only this close to a name."""

_HEX = re.compile(r"0x[0-9a-f]{5,}")
_MAPS = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) (\S+ \S+ \S+ \S+)(?:\s+(\S.*?))?\s*$")


def size_text(n: int) -> str:
    """A distance as a scenario writes one: 8K, 2M, else hex."""
    if n and n % (1 << 20) == 0:
        return f"{n >> 20}M"
    if n % 1024 == 0:
        return f"{n >> 10}K"
    return hex(n)


def label_of(path: str | None) -> str:
    """A mapping's label in the relative form: the file's base name, or [stack] etc."""
    if not path:
        return ""
    return path if path.startswith("[") else path.rsplit("/", 1)[-1]


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
    """One process's own maps (the lines not of its boot image), in relative form, on
    the two kernels (None: no such live process there). `where` gives each name and
    label the first kernel's address, to group the lines by overlap."""

    a: Lines | None
    b: Lines | None
    where: dict[str, int] = field(default_factory=dict, compare=False, hash=False)
    before: MapsDiff | None = field(default=None, compare=False, hash=False, repr=False)

    def groups(self) -> list[MapsGroup]:
        """The lines that differ, grouped as `vmtui diff` groups a VMA change."""
        return maps_groups(self.a or (), self.b or (), self.where)

    def new_groups(self) -> list[MapsGroup]:
        """The groups not already told at an earlier step (`before`: the difference
        as last told)."""
        if self.before is None:
            return self.groups()
        told = self.before.groups()
        return [g for g in self.groups() if g not in told]


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


@dataclass(frozen=True)
class ImagePart:
    """One label of a boot image (a file's base name, [vvar], ..., or "" for anonymous
    memory): its VMAs and their total size, on each kernel (0, 0: none there)."""

    label: str
    a: tuple[int, int]  # VMAs, bytes
    b: tuple[int, int]


@dataclass(frozen=True)
class ImageDiff:
    """How the two kernels' processes differ at boot: the parts that differ, the VMA
    counts, and the first name the scenario set that lands at another address on each."""

    parts: tuple[ImagePart, ...]
    vmas: tuple[int, int]
    moved: tuple[str, int, int] | None = None  # name, its address on each kernel


@dataclass
class KernelComparison:
    """Every step compared, in order; `kernels` are (first, second)."""

    scenario: str
    kernels: tuple[str, str]
    steps: list[StepDiff] = field(default_factory=list)
    total: int = 0  # the scenario's steps (more than `steps` when compared part-way)
    image_diff: ImageDiff | None = None  # None: both kernels boot the same processes

    @property
    def differing(self) -> list[StepDiff]:
        return [s for s in self.steps if not s.same]

    def at(self, number: int) -> StepDiff | None:
        return self.steps[number - 1] if 1 <= number <= len(self.steps) else None


_REL = re.compile(r"^([^+-]*)(?:([+-])(\S+))?$")


def _resolve(text: str, where: dict[str, int]) -> int:
    """A relative address back to a number (`c+8K` with c at `where["c"]`), for grouping."""
    if text.startswith("0x"):
        return int(text, 16)
    m = _REL.match(text)
    if m is None or m.group(1) not in where:
        try:
            return int(text, 16)
        except ValueError:
            return 0
    base = where[m.group(1)]
    if not m.group(2):
        return base
    off = m.group(3)
    n = int(off, 16) if off.startswith("0x") else int(off[:-1]) << (
        20 if off.endswith("M") else 10)
    return base + n if m.group(2) == "+" else base - n


def _row(line: str, where: dict[str, int]) -> tuple[int, int, str, str]:
    rng, perms = line.split()[:2]
    if ".." in rng:
        start, _, end = rng.partition("..")
        return _resolve(start, where), _resolve(end, where), perms, line
    start, _, end = rng.partition("-")
    return int(start, 16), int(end, 16), perms, line


def maps_groups(a: Lines, b: Lines, where: dict[str, int] | None = None) -> list[MapsGroup]:
    """The lines of `a` and `b` that are not in both, grouped and named by statediff's
    compare() (the same grouping `vmtui diff` makes of the VMAs of two steps). Lines
    in relative form (`c..c+8K rw-p ...`) are placed by `where`."""
    if a == b:
        return []
    w = where or {}
    ca = Capture({0: ""}, {0: tuple(_row(ln, w) for ln in a)}, {}, {}, {}, {})
    cb = Capture({0: ""}, {0: tuple(_row(ln, w) for ln in b)}, {}, {}, {}, {})
    return [MapsGroup(c.kind, tuple(r[3] for r in c.before), tuple(r[3] for r in c.after))
            for c in compare(ca, cb).vmas]


def _result(rec: StepRecord, rel: Callable[[int], str]) -> dict[str, Any]:
    """The result as --json gives it, less vmtui's wording (`why`) and printed text, its
    addresses in relative form."""
    out = rec.result.to_json()
    out.pop("why", None)
    out.pop("text", None)
    for key in ("value", "addr"):
        v = out.get(key)
        if isinstance(v, str) and _HEX.fullmatch(v):
            out[key] = rel(int(v, 16))
    return out


def _image_parts(lines: Lines) -> dict[str, tuple[int, int]]:
    parts: dict[str, tuple[int, int]] = {}
    for ln in lines:
        m = _MAPS.match(ln)
        if m is None:
            continue
        size = int(m.group(2), 16) - int(m.group(1), 16)
        n, total = parts.get(label_of(m.group(4)), (0, 0))
        parts[label_of(m.group(4))] = (n + 1, total + size)
    return parts


class _Side:
    """One kernel's run: its runner and the per-process state carried from its --json
    lines (maps and fault counts), as docs/commands.md tells a consumer to carry it;
    the process image at boot, and the relative form of an address on this kernel."""

    def __init__(self, sc: Scenario) -> None:
        self.runner = Runner(sc, json=True)
        m = self.runner.machine
        self.image: dict[int, Lines] = {t.pid: tuple(maps_lines(m, t))
                                        for t in m.live_tasks()}
        self.image_lines = {ln for lines in self.image.values() for ln in lines}
        self.spans = sorted({(int(mm.group(1), 16), int(mm.group(2), 16))
                             for ln in self.image_lines if (mm := _MAPS.match(ln))})
        self.anchors: dict[str, int] = {}  # label -> its first start at boot
        for lines in self.image.values():
            for ln in lines:
                mm = _MAPS.match(ln)
                lab = label_of(mm.group(4)) if mm else ""
                if lab and lab not in self.anchors:
                    assert mm is not None
                    self.anchors[lab] = int(mm.group(1), 16)
        self.maps: dict[int, Lines] = {}
        self.faults: dict[int, Faults] = {}
        self.counters: dict[str, int] = dict(self.runner.machine.vmstat)
        self.rec: StepRecord | None = None
        self.error: ScriptError | None = None
        self.result_names: dict[str, int] = {}
        self.pt_delta = 0  # page-table pages the last step added (less those it freed)

    def pgtables(self) -> int:
        return sum(t.mm.pgtables_bytes for t in self.machine.live_tasks()
                   if t.mm is not None) >> PAGE_SHIFT

    @property
    def stopped(self) -> str:
        return self.error.err.msg if self.error is not None else ""

    @property
    def machine(self) -> Machine:
        return self.runner.machine

    def names(self) -> dict[str, int]:
        """The scenario's names that hold a user address, in the order first set."""
        return {k: v for k, v in self.machine.names.items()
                if isinstance(v, int) and 0x1000 <= v < USER_TOP}

    def rel(self, addr: int, label: str = "", names: dict[str, int] | None = None,
            latest: bool = True, near: int = 0) -> str:
        """`addr` in relative form: from `label`'s start at boot when the image had that
        label, else from the nearest name at or below (else above), else in hex. On a
        tie the name set last (a VMA where b was mapped after d's was unmapped: b), or
        with `latest` False the first (a result: `e = mremap d ...` returns d). `near`:
        only a name that close, else hex (a number in printed text may be no address)."""
        if label and label in self.anchors:
            base, name = self.anchors[label], label
        else:
            names = self.names() if names is None else names
            items = list(names.items())
            if latest:
                items.reverse()
            if near:
                items = [(k, v) for k, v in items if abs(addr - v) <= near]
            below = [(addr - v, k) for k, v in items if v <= addr]
            above = [(v - addr, k) for k, v in items if v > addr]
            if below:
                d, name = min(below, key=lambda x: x[0])
                base = addr - d
            elif above:
                d, name = min(above, key=lambda x: x[0])
                base = addr + d
            else:
                return hex(addr)
        off = addr - base
        return name if off == 0 else f"{name}{'+' if off > 0 else '-'}{size_text(abs(off))}"

    def rel_line(self, line: str, names: dict[str, int],
                 span: tuple[int, int] | None = None) -> str:
        """A maps line in relative form, `c..c+40K rw-p 00000000 00:00 0 [path]`: both
        ends from the start's name (`span`: only that part of the VMA)."""
        m = _MAPS.match(line)
        if m is None:
            return line
        lab = label_of(m.group(4))
        start, end = span or (int(m.group(1), 16), int(m.group(2), 16))
        head = self.rel(start, lab, names)
        base = head.split("+")[0].split("-")[0] if not head.startswith("0x") else ""
        where = self.anchors.get(base) if lab and base == lab else names.get(base)
        if where is None:
            tail_end = self.rel(end, lab, names)
        else:
            off = end - where
            tail_end = base if off == 0 else \
                f"{base}{'+' if off > 0 else '-'}{size_text(abs(off))}"
        tail = " ".join(m.group(3).split()) + (f" {m.group(4)}" if m.group(4) else "")
        return f"{head}..{tail_end} {tail}"

    def own(self, pid: int, where: dict[str, int]) -> Lines | None:
        """The process's own maps lines, in relative form: those not in the boot image,
        less any part of them the image covered at boot (a VMA that merged with one of
        the image's shows only the scenario's part), in the order of their places on
        the first kernel (`where`)."""
        lines = self.maps.get(pid)
        if lines is None:
            return None
        return self.own_lines(lines, where)

    def own_lines(self, lines: Lines, where: dict[str, int]) -> Lines:
        names = self.names()
        out = []
        for ln in lines:
            if ln in self.image_lines:
                continue
            m = _MAPS.match(ln)
            if m is None:
                out.append(ln)
                continue
            pieces = [(int(m.group(1), 16), int(m.group(2), 16))]
            for lo, hi in self.spans:
                if not pieces:
                    break
                if hi <= pieces[0][0] or lo >= pieces[-1][1]:
                    continue
                cut = []
                for s0, e0 in pieces:
                    if hi <= s0 or lo >= e0:
                        cut.append((s0, e0))
                        continue
                    if s0 < lo:
                        cut.append((s0, lo))
                    if hi < e0:
                        cut.append((hi, e0))
                pieces = cut
            out += [self.rel_line(ln, names, p) for p in pieces]
        return tuple(sorted(out, key=lambda ln: (_row(ln, where)[:2], ln)))

    def where(self) -> dict[str, int]:
        return {**self.anchors, **self.names()}

    def rel_text(self, text: str, where: dict[str, int]) -> str:
        """Printed text in relative form: the image's maps lines left out, a maps line's
        range and every other address relative."""
        names = self.names()
        out: list[str] = []
        block: list[str] = []  # a run of maps lines, put in relative form together
        for ln in text.splitlines():
            if _MAPS.match(ln):
                block.append(ln)
                continue
            if block:
                out += self.own_lines(tuple(block), where)
                block = []
            out.append(_HEX.sub(lambda mo: self.rel(int(mo.group(0), 16), "", names,
                                                    near=NEAR), ln))
        if block:
            out += self.own_lines(tuple(block), where)
        return "\n".join(out)

    def rel_result(self, addr: int) -> str:
        return self.rel(addr, "", self.result_names, latest=False)

    def summary(self) -> str:
        assert self.rec is not None
        return _HEX.sub(lambda mo: self.rel_result(int(mo.group(0), 16)),
                        self.rec.result.summary())

    def step(self) -> tuple[set[int], dict[int, Faults], dict[str, int]]:
        """Run the next step: the pids whose maps it reported, the faults taken by each
        process during it, and the counters' deltas (non-zero)."""
        before = self.names()
        pt = self.pgtables()
        try:
            rec = self.runner.step()
        except ScriptError as e:
            self.error = e
            self.rec = None
            return set(), {}, {}
        self.rec = rec
        self.pt_delta = self.pgtables() - pt
        held = self.names()
        fresh = {k: v for k, v in held.items() if before.get(k) != v}
        # a result is told from the names it did not itself set (e = mremap d ...: d)
        self.result_names = {**{k: v for k, v in held.items() if k not in fresh}, **fresh}
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


def image_diff(a: _Side, b: _Side) -> ImageDiff | None:
    """How the two boot images differ (None: alike, line for line)."""
    if a.image == b.image:
        return None
    pa = _image_parts(tuple(ln for lines in a.image.values() for ln in lines))
    pb = _image_parts(tuple(ln for lines in b.image.values() for ln in lines))
    parts = tuple(ImagePart(lab, pa.get(lab, (0, 0)), pb.get(lab, (0, 0)))
                  for lab in list(pa) + [x for x in pb if x not in pa]
                  if pa.get(lab) != pb.get(lab))
    return ImageDiff(parts, (sum(len(v) for v in a.image.values()),
                             sum(len(v) for v in b.image.values())))


PAGE_TABLE_COUNTERS = (("numa_hit",), ("numa_local",),
                       ("pgalloc_dma", "pgalloc_dma32", "pgalloc_normal", "pgalloc_movable"))
"""The counters a page-table page moves (per group: the pages it allocates)."""


def _drop_pgtable_pages(counters: dict[str, tuple[int, int]], k: int) -> None:
    """Leave out the counters' differences that are exactly `k` page-table pages: one
    kernel needed a new page table where the other's process image already had one,
    which is where the mappings land, not a rule of either kernel."""
    if k == 0:
        return
    for group in PAGE_TABLE_COUNTERS:
        diff = sum(counters[c][0] - counters[c][1] for c in group if c in counters)
        if any(c in counters for c in group) and diff == k:
            for c in group:
                counters.pop(c, None)


def compare_runs(sc: Scenario, kernels: tuple[str, str], upto: int | None = None,
                 check: Callable[[Machine], None] | None = None) -> KernelComparison:
    """Run `sc` on both kernels, step by step (the first `upto` steps), and compare.

    `check` (check_invariants) runs on both machines after every step. A run that stops
    (a step of its own that refers to a name an earlier failure left without a value)
    ends the comparison at that step; when both stop alike, the ScriptError is raised,
    as a single run would raise it."""
    a, b = _Side(with_kernel(sc, kernels[0])), _Side(with_kernel(sc, kernels[1]))
    comp = KernelComparison(sc.name, (kernels[0], kernels[1]), total=len(sc.steps),
                            image_diff=image_diff(a, b))
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
                                       (a.summary() if a.rec else a.stopped,
                                        b.summary() if b.rec else b.stopped),
                                       stopped=(a.stopped, b.stopped)))
            break
        if check is not None:
            check(a.machine)
            check(b.machine)
        ra, rb = a.rec, b.rec
        assert ra is not None and rb is not None
        if comp.image_diff is not None and comp.image_diff.moved is None:
            na, nb = a.names(), b.names()
            for k in na:
                if k in nb and na[k] != nb[k]:
                    comp.image_diff = dataclasses.replace(comp.image_diff,
                                                          moved=(k, na[k], nb[k]))
                    break
        results = (_result(ra, a.rel_result), _result(rb, b.rel_result))
        where = {**b.where(), **a.where()}
        texts = (a.rel_text("\n".join(ra.texts), where),
                 b.rel_text("\n".join(rb.texts), where))
        maps: dict[int, MapsDiff] = {}
        again = []
        for pid in sorted(ta | tb):
            pair = MapsDiff(a.own(pid, where), b.own(pid, where), where)
            if pair.a == pair.b:
                if differ.pop(pid, None) is not None:
                    again.append(pid)
            elif differ.get(pid) != pair:
                was = differ.get(pid)
                pair = dataclasses.replace(pair, before=None if was is None else
                                           dataclasses.replace(was, before=None))
                differ[pid] = pair
                if was is None or pair.new_groups():  # else: the same difference goes on
                    maps[pid] = pair
        faults = {pid: (fa.get(pid, (0, 0)), fb.get(pid, (0, 0)))
                  for pid in sorted(set(fa) | set(fb)) if fa.get(pid) != fb.get(pid)}
        counters = {k: (ca.get(k, 0), cb.get(k, 0)) for k in sorted(set(ca) | set(cb))
                    if ca.get(k, 0) != cb.get(k, 0)}
        _drop_pgtable_pages(counters, a.pt_delta - b.pt_delta)
        comp.steps.append(StepDiff(
            number, step.do, ra.pid, (a.summary(), b.summary()),
            results=results if results[0] != results[1] else None,
            texts=texts if texts[0] != texts[1] else None,
            maps=maps, maps_again=tuple(again), maps_differ=tuple(sorted(differ)),
            faults=faults, counters=counters))
    return comp
