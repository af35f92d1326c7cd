"""Frozen views of the engine's state after a step: plain data the panes render from.

A worker thread builds a `Snapshot` right after the engine ran (holding the
engine lock), then posts it to the app. Panes never see engine objects, so
the UI thread never reads state the engine may be changing.

Nothing here decides anything about memory: every figure is read from the
engine (its structures, its events, the step record). Where a figure would
cost more than a key press may take (kinds of 16 million frames), it is
read at a coarser grain and the snapshot says so (`ZoneView.sampled`).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field, replace
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from vmtui.engine.fs.procfs import maps_line, maps_lines, rss_pages
from vmtui.engine.include.layout import PAGE_SHIFT
from vmtui.engine.include.mm_types import VM_EXEC, VM_GROWSDOWN, VM_WRITE, vm_flags_text
from vmtui.engine.include.pgtable import WalkStep, pte_flags_text
from vmtui.view.i18n import human

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine, Task
    from vmtui.engine.include.mm_types import VmArea
    from vmtui.engine.views.frames import Owner
    from vmtui.engine.views.statediff import Capture, PteChange, VmaChange
    from vmtui.scenario.player import Player
    from vmtui.scenario.runner import StepRecord
    from vmtui.ui.marks import MarkState

KINDS = ("free", "anon", "file", "pagetable", "kernel", "unevictable", "reserved")
"""What a frame holds, in the order buckets count them (Page.kind() plus free/reserved)."""
KIND_INDEX = {k: i for i, k in enumerate(KINDS)}

EXACT_PAGES = 65536  # up to this many pages in use, every frame is classified
SAMPLES = 8  # above it, this many frames per bucket are looked at
BUCKETS = 1024  # resolution of a zone's histogram; the pane merges buckets to its cells
SAMPLED_BUCKETS = 512  # ... and when sampling


@dataclass(frozen=True, slots=True)
class EventRow:
    """One engine event: `fn` in `file` did `text`, `depth` calls deep; `kind` is the
    engine's (events.KINDS: fault, walk, mmap, reclaim, ...)."""

    fn: str
    file: str
    text: str
    depth: int
    kind: str


@dataclass(frozen=True, slots=True)
class Band:
    """A piece of the address-space bar: a VMA, a run of VMAs, a gap or a fixed region."""

    lo: int
    hi: int
    label: str
    kind: str  # kernel hole gap text data bss heap mmap file stack special many
    count: int = 1
    grows: str = ""  # "up" (heap) or "down" (stack, mmap area)
    wx: bool = False


@dataclass(frozen=True, slots=True)
class TreeNode:
    """One node of the VMA rbtree's top levels."""

    depth: int
    slot: int
    start: int
    end: int
    red: bool
    gap: int
    has_left: bool
    has_right: bool


@dataclass(frozen=True, slots=True)
class MapleSlotView:
    """One slot of a maple node: its range [lo, hi] (hi is the slot's pivot, or the node's
    maximum for the last slot) and what it holds: a child node of type `node_type`
    ("node", with the child's largest gap, maple_arange_64's gap[]), a VMA ("vma"), or
    NULL, a free range ("null", `gap` its size)."""

    lo: int
    hi: int
    kind: str
    gap: int = 0
    node_type: int = 0


@dataclass(frozen=True, slots=True)
class MapleNodeView:
    """A node on the path of the last look-up: depth, type (1 maple_leaf_64,
    2 maple_range_64, 3 maple_arange_64), its range, its slots and the slot the walk took
    (`on`; in the leaf, the one holding the address)."""

    depth: int
    type: int
    lo: int
    hi: int
    slots: tuple[MapleSlotView, ...]
    on: int


@dataclass(frozen=True, slots=True)
class MapleView:
    """mm->mm_mt seen along one walk: the nodes mas_walk() visits for `find`, the address
    of the last find_vma() (None: none yet, and the path is the root alone)."""

    height: int
    size: int  # VMAs in the tree
    find: int | None
    path: tuple[MapleNodeView, ...]


@dataclass(frozen=True, slots=True)
class WalkView:
    """machine.last_walk, and whether this step made it."""

    va: int
    levels: tuple[WalkStep, ...]  # the engine's, level by level (never changed once made)
    stopped: str
    pfn: int | None
    pte: int
    phys: int | None
    fresh: bool
    va_bits: int
    split: tuple[tuple[str, int, int, int], ...] = ()  # layout.index_bits(va): every level


@dataclass(frozen=True, slots=True)
class TlbView:
    """machine.tlb (newest last) and machine.tlb_stats."""

    entries: tuple[tuple[int, int, int], ...]  # (pid, virtual page number, pfn)
    capacity: int
    hits: int
    misses: int
    flushes: int


@dataclass(frozen=True, slots=True)
class ZoneView:
    """One zone: its watermarks and a histogram of frame kinds in BUCKETS pieces."""

    nid: int
    name: str
    start_pfn: int
    spanned: int
    managed: int
    free: int
    wmark: tuple[int, int, int]
    buckets: tuple[tuple[int, ...], ...]  # per bucket, a count per KINDS entry
    bucket_pages: float
    sampled: bool


@dataclass(frozen=True, slots=True)
class NodeView:
    """One NUMA node: zones, LRU list sizes and its kswapd."""

    nid: int
    cpus: tuple[int, ...]
    zones: tuple[ZoneView, ...]
    lru: tuple[tuple[str, int], ...]
    kswapd: tuple[tuple[str, Any], ...]
    # the multi-gen LRU (6.18): (seq, anon pages, file pages) oldest to youngest, then
    # (min_seq anon, min_seq file, max_seq); empty with the two-list LRU
    lrugen: tuple[tuple[int, int, int], ...] = ()
    lrugen_seqs: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class SwapView:
    enabled: bool
    total: int
    used: int
    cache: int
    areas: tuple[tuple[str, int, int], ...]  # (name, usable slots, in use)


@dataclass(frozen=True)
class StepState:
    """The state a step's changes are measured against: statediff's capture (VMAs, PTEs,
    frame owners, swap slots, counters) and the figures of the panes that mark changes."""

    cap: Capture
    tlb: frozenset[tuple[int, int, int]]  # (pid, virtual page, pfn) of every TLB entry
    zones: dict[tuple[int, str], int]  # (node, zone name) -> free pages
    lru: dict[int, dict[str, int]]  # node -> LRU list sizes
    swap: tuple[int, int]  # slots in use, pages in the swap cache
    marks: MarkState | None = None  # the rbtree, vm_area_struct and mm_struct fields (marks.py)


@dataclass(frozen=True)
class StepChanges:
    """What one step changed (statediff.compare of the states before and after it), with
    the before-figures of the panes that mark a change."""

    vmas: tuple[VmaChange, ...]
    ptes: tuple[PteChange, ...]  # at most PTE_ROWS per process, in address order
    pte_counts: dict[int, int]  # pid -> PTEs changed (all of them)
    pte_kinds: dict[int, dict[str, int]]  # pid -> how they changed (pte_change_kind) -> count
    frames: dict[int, tuple[Owner, Owner]]  # pfn -> (owner before, owner after)
    touched: frozenset[int]  # frames whose owner changed or that a changed PTE points at
    born: tuple[int, ...]
    gone: tuple[int, ...]
    tlb_before: frozenset[tuple[int, int, int]]
    zones_before: dict[tuple[int, str], int]
    lru_before: dict[int, dict[str, int]]
    swap_before: tuple[int, int]
    marks: tuple[MarkState, MarkState] | None = None  # before and after (marks.py)


@dataclass(frozen=True)
class FrameMapView:
    """The owner of every frame in use (frames.used_owners) within `known`: a frame there
    that has no entry is free, or reserved at boot (Snapshot.reserved says which)."""

    owners: dict[int, Owner]
    known: tuple[tuple[int, int], ...]  # pfn ranges [lo, hi) whose owners are all here
    exact: bool  # the whole of RAM is known
    comms: dict[int, str]  # pid -> comm of every live process
    focus: frozenset[int] = frozenset()  # frames to zoom to when nothing was touched


@dataclass(frozen=True)
class View:
    """What the panes want to see: sent with every request to the engine thread."""

    pid: int | None = None  # None: the current process
    vma_top: int = 0
    vma_rows: int = 40
    selected: int | None = None  # a VMA index; None follows the touched VMA
    full_rss: bool = False  # count the RSS of big VMAs too (a follow-up to a step)


@dataclass(frozen=True)
class Snapshot:
    """Everything the panes show after one step."""

    scenario: str
    title: dict[str, str]
    position: int
    total: int
    pid: int
    pids: tuple[tuple[int, str, str], ...]  # (pid, comm, state) of every task
    arch: str
    do: str
    say: dict[str, str]
    step_title: dict[str, str]
    next_do: str
    result: str
    result_kind: str  # ok / errno / signal / none
    expect: str | None
    expect_ok: bool | None
    texts: tuple[str, ...]
    events: tuple[EventRow, ...]
    maps: list[str]
    rss: dict[int, int]  # VMA index -> resident pages, for the rows asked for
    proc: tuple[tuple[str, str], ...]  # figures of the viewed process (VmSize, RSS...)
    touched: int | None
    touched_index: int | None
    selected: int | None
    detail: tuple[tuple[str, str], ...]
    bands: tuple[Band, ...]
    tree: tuple[TreeNode, ...]  # the top levels
    tree_size: int
    walk: WalkView | None
    tlb: TlbView
    nodes: tuple[NodeView, ...]
    reserved: tuple[tuple[int, int, str], ...]
    swap: SwapView
    vmstat: tuple[tuple[str, int], ...]
    vmstat_delta: dict[str, int]
    free_history: tuple[int, ...]
    total_ram: int
    layout: tuple[tuple[int, int, str], ...] = field(default=())  # layout.regions()
    kernel_map: tuple[tuple[int, int, str], ...] = field(default=())  # .kernel_regions()
    error: str = ""
    gone: tuple[tuple[int, str], ...] = ()  # (pid, how it ended) of every dead process
    walk_owner: int = 0  # the pid whose page tables the walk went through (0: unknown)
    error_col: int = 0  # a refused command: the column of the error (1-based) ...
    error_msg: str = ""  # ... and what is wrong there
    rss_pending: bool = False  # some rows shown wait for the RSS of a big VMA
    summary: dict[str, str] = field(default_factory=dict)  # the scenario's summary
    tree_path: tuple[TreeNode, ...] = ()  # root down to the touched VMA's node
    host: bool = False  # a real process read from /proc (vmtui attach), not the engine's
    changes: StepChanges | None = None  # what this step changed (None: not measured)
    frame_map: FrameMapView | None = None  # owners of the frames, one glyph each
    mark: tuple[int, str] | None = None  # the step marked for a diff (`m`), and its command
    diff: tuple[str, ...] = ()  # the answer to a diff request: statediff's text
    kernel: str = ""  # the kernel model the machine runs (5.4, 6.18)
    # two kernels (the `k` key): the comparison made (only in the answer to that request),
    # and this step's part of the last one made, with its kernels (None: not compared)
    kdiff: Any = None  # vmtui.scenario.compare.KernelComparison
    kstep: Any = None  # (kernels, vmtui.scenario.compare.StepDiff)
    # the VMA list's change marks: maps index -> "+" (added) or "~" (split, merged,
    # changed); and the rows the step removed, each before the maps index it goes before
    vma_marks: dict[int, str] = field(default_factory=dict)
    ghosts: tuple[tuple[int, tuple[int, int, str, str], str], ...] = ()
    # PTEs this step changed, side by side: the processes (columns), then per virtual
    # address an entry (before, after) for each column (None: not mapped there)
    pte_pids: tuple[int, ...] = ()
    pte_roles: tuple[str, ...] = ()  # "parent" or "child" of the other column, or ""
    pte_rows: tuple[tuple[int, tuple[tuple[int, int] | None, ...]], ...] = ()
    mm: tuple[tuple[str, str], ...] = ()  # the shown process's mm_struct (marks.mm_fields)
    maple: MapleView | None = None  # 6.18 mode: mm->mm_mt along the last look-up


# ---------------------------------------------------------------------------- builders


def _events(rec: StepRecord | None) -> tuple[EventRow, ...]:
    if rec is None:
        return ()
    return tuple(EventRow(e.fn, e.file, e.text, e.depth, e.kind) for e in rec.events)


def _result(rec: StepRecord | None) -> tuple[str, str]:
    if rec is None:
        return "", "none"
    r = rec.result
    kind = "ok" if r.ok else ("signal" if r.signal else "errno")
    return r.summary(), kind


def _task_of(m: Machine, pid: int | None) -> Task | None:
    if pid is not None and pid in m.tasks and m.tasks[pid].alive:
        return m.tasks[pid]
    if m.tasks and m.current_pid in m.tasks:
        t = m.tasks[m.current_pid]
        if t.alive:
            return t
    live = m.live_tasks()
    return live[0] if live else None


def vma_kind(vma: VmArea, program: str) -> tuple[str, str, str]:
    """(kind, label, grows) of a VMA for the bar, from its mm's fields and its name."""
    from vmtui.engine.fs.procfs import vma_name

    mm = vma.vm_mm
    name = vma_name(vma)
    s, e = vma.vm_start, vma.vm_end
    if name == "[heap]":
        return "heap", "[heap]", "up"
    if name == "[stack]" or vma.vm_flags & VM_GROWSDOWN:
        return "stack", name or "stack", "down"
    if name.startswith("["):
        return "special", name, ""
    if vma.vm_file is not None:
        base = name.rsplit("/", 1)[-1]
        if name == program:
            if s < mm.end_code and e > mm.start_code:
                return "text", f"text {base}", ""
            if s < mm.end_data and e > mm.start_data:
                return "data", f"data {base}", ""
            return "text", f"{base} ({vma.perms()[:3]})", ""
        return "file", base, "down"
    if mm.end_data <= s and e <= mm.start_brk:
        return "bss", "bss", ""
    return "mmap", "anon", "down"


BAND_CHECKPOINT = 512
"""_bands() keeps the state of its scan every this many VMAs, to start again there."""

_VMA_FIELDS = attrgetter("vm_start", "vm_end", "vm_flags", "vm_pgoff", "vm_file", "name")
"""What a VMA's line of /proc/PID/maps (procfs.maps_line) and its band of the address bar
are made of, besides the mm's marks (heap, stack, code and data bounds)."""


_VMA_START = attrgetter("vm_start")

FIELDS_SPLICED = 4096
"""VMAs a change to the VMA set may span and VmaFields still read only those (else all)."""


class VmaFields:
    """Every VMA's _VMA_FIELDS, of one mm, in address order, for both the maps lines and
    the bands: read once per change of its VMA set (seq), and how a reading differs from
    the one before it, worked out once.

    Reading the fields of 60,000 VMAs takes ~20 ms. A step that changed a few reads only
    theirs: the VMA objects and their starts (a cheap reading) are compared with the last
    ones, and between the first and the last VMA that differ (a new one, one gone, one
    whose start moved) the fields are read again. That is all that changed when every
    increment of the set's seq since is one of those VMAs': the set bumps it once for
    each VMA it links, unlinks or adjusts, and vma_modify_flags() once for the VMA whose
    flags it changes; nothing else changes what maps or the bands show of a VMA (its file
    and name are set when it is made). When the count does not add up (a VMA whose end or
    flags changed in place away from the rest), every VMA's fields are read again.
    """

    __slots__ = ("mm", "vmas", "seq", "objs", "starts", "sigs", "prev", "alike", "read_last")

    def __init__(self) -> None:
        self.mm: Any = None
        self.vmas: Any = None
        self.seq = -1
        self.objs: list[Any] = []
        self.starts: list[int] = []
        self.sigs: list[tuple[Any, ...]] = []
        self.prev: list[tuple[Any, ...]] | None = None
        self.alike: tuple[int | None, int | None] = (None, None)
        self.read_last = 0  # VMAs whose fields the last reading read

    def read(self, mm: Any) -> list[tuple[Any, ...]]:
        """The fields of the mm's VMAs now (the same list while its VMA set is the same)."""
        vmas = mm.vmas
        if self.mm is mm and self.vmas is vmas and self.seq == vmas.seq:
            return self.sigs
        objs = list(vmas.index)
        starts = list(map(_VMA_START, objs))
        same = self.mm is mm and self.vmas is vmas
        got = self._spliced(objs, starts, vmas.seq - self.seq) \
            if same and vmas.seq > self.seq else None
        if got is None:
            sigs = list(map(_VMA_FIELDS, objs))
            self.read_last = len(sigs)
            alike = _alike(self.sigs, sigs) if same else (None, None)
        else:
            sigs, alike = got
        self.prev = self.sigs if same else None
        self.alike = alike
        self.mm, self.vmas, self.seq = mm, vmas, vmas.seq
        self.objs, self.starts, self.sigs = objs, starts, sigs
        return sigs

    def _spliced(self, objs: list[Any], starts: list[int], bumps: int
                 ) -> tuple[list[tuple[Any, ...]], tuple[int, int]] | None:
        """The fields now, those of the VMAs that differ read again, and how many are
        alike at the bottom and at the top; None when that may not be all that changed."""
        was_objs, was = self.objs, self.sigs
        na, nb = len(was_objs), len(objs)
        bottom = min(_first_unlike(was_objs, objs), _first_unlike(self.starts, starts))
        top = min(_first_unlike(was_objs, objs, True), _first_unlike(self.starts, starts, True),
                  na - bottom, nb - bottom)
        if na + nb - 2 * (bottom + top) > FIELDS_SPLICED:
            return None
        old_w, new_w = was_objs[bottom:na - top], objs[bottom:nb - top]
        fresh = list(map(_VMA_FIELDS, new_w))
        had = {id(v): f for v, f in zip(old_w, was[bottom:na - top], strict=True)}
        kept = {id(v) for v in new_w}
        # the VMAs that changed, each by one increment at least: gone, new, or other fields
        changed = sum(1 for v in old_w if id(v) not in kept)
        changed += sum(1 for v, f in zip(new_w, fresh, strict=True) if had.get(id(v)) != f)
        if changed != bumps:
            return None
        self.read_last = len(fresh)
        return was[:bottom] + fresh + was[na - top:], (bottom, top)

    def compare(self, old: list[tuple[Any, ...]], new: list[tuple[Any, ...]]
                ) -> tuple[int | None, int | None]:
        """_alike(old, new), worked out once for the last two readings."""
        if old is self.prev and new is self.sigs:
            return self.alike
        return _alike(old, new)


def _first_unlike(a: list[Any], b: list[Any], from_end: bool = False,
                  chunk: int = 2048) -> int:
    """How many items two lists have alike from their start (or their end), compared a
    chunk at a time (list equality, in C, that takes an item for itself as alike)."""
    na, nb = len(a), len(b)
    n = min(na, nb)
    i = 0
    while i < n:
        j = min(n, i + chunk)
        x, y = (a[na - j:na - i], b[nb - j:nb - i]) if from_end else (a[i:j], b[i:j])
        if x != y:
            if from_end:
                x.reverse()
                y.reverse()
            return i + next(k for k, (p, q) in enumerate(zip(x, y, strict=True))
                            if p is not q and p != q)
        i = j
    return n


def _alike(old: list[Any], new: list[Any]) -> tuple[int | None, int | None]:
    """How many items two lists have alike from their start and from their end (None for
    both: they are equal)."""
    if old == new:
        return None, None
    return _first_unlike(old, new), _first_unlike(old, new, True)


class BandCache:
    """What _bands() found the last time, for one mm: a step that changed a few of its
    60,000 VMAs scans again only from the checkpoint before the first VMA it changed to
    one after the last (where the scan's state is again what it was), not every VMA.

    `sigs` holds every VMA's _VMA_FIELDS in address order. The scan runs top-down: its
    index i is the VMA n-1-i, and a checkpoint is (that index, items made before it, the
    open run of anonymous mappings: lo, hi, count, wx)."""

    __slots__ = ("marks", "sigs", "items", "ck_at", "ck_items", "ck_run", "scanned")

    def __init__(self) -> None:
        self.marks: tuple[Any, ...] | None = None
        self.sigs: list[tuple[Any, ...]] = []
        self.items: list[Band] = []
        self.ck_at: list[int] = []
        self.ck_items: list[int] = []
        self.ck_run: list[tuple[int, ...]] = []
        self.scanned = 0  # VMAs the last call looked at


def _bands(m: Machine, task: Task, cache: BandCache | None = None,
           fields: VmaFields | None = None) -> tuple[Band, ...]:
    """The bar top (highest address) first: the fixed regions of layout.regions() above
    the user half (kernel half, non-canonical hole, the guard page below it), then the
    user half's VMAs.

    VMAs separated by more than a gap worth drawing are split into clusters; the
    gaps between clusters are `gap` bands, so the bar can compress them. With a
    `cache`, only the VMAs changed since the last call are scanned (BandCache); `fields`
    has the VMAs' fields read already.
    """
    bands: list[Band] = []
    top = m.layout.task_size
    for lo, hi, name in reversed(m.layout.regions()):
        if name == "user":
            top = hi
        elif name == "kernel":
            bands.append(Band(lo, hi, "kernel half (shared by all)", "kernel"))
        elif "hole" in name and "guard" not in name:
            bands.append(Band(lo, hi, name, "hole"))
        else:
            bands.append(Band(lo, hi, name.split(" below")[0], "guard"))
    items = _band_items(m, task, cache if cache is not None else BandCache(), fields)
    cursor = top
    for b in items:
        if cursor - b.hi > 0:
            bands.append(Band(b.hi, cursor, "", "gap"))
        bands.append(b)
        cursor = b.lo
    if cursor > 0:
        bands.append(Band(0, cursor, "", "gap"))
    return tuple(bands)


def _band_items(m: Machine, task: Task, cache: BandCache,
                fields: VmaFields | None = None) -> list[Band]:
    """The VMAs' bands, top-down, without the gaps (see _bands)."""
    program = m.config.program
    mm = task.mm
    vmas = mm.vmas.index
    sigs = fields.read(mm) if fields is not None else list(map(_VMA_FIELDS, vmas))
    n = len(sigs)
    many = n > 48
    marks = (mm.start_code, mm.end_code, mm.start_data, mm.end_data, mm.start_brk,
             mm.brk, mm.start_stack, program, many)
    items: list[Band] = []
    run: list[int] = []  # lo, hi, count, wx of a run of plain anonymous mappings
    ck_at: list[int] = []
    ck_items: list[int] = []
    ck_run: list[tuple[int, ...]] = []
    start = 0
    resume: list[int] = []  # the old checkpoints after the VMAs changed (in new indices)
    delta = 0
    if cache.marks == marks:
        old = cache.sigs
        same_tail, first = fields.compare(old, sigs) if fields is not None else \
            _alike(old, sigs)
        if first is None or same_tail is None:
            cache.scanned = 0
            cache.sigs = sigs
            return cache.items
        end = n - (same_tail if same_tail is not None else min(n, len(old)))
        end = max(end, first + 1)  # one past the last VMA changed (or where one went)
        delta = n - len(old)
        ci = bisect_right(cache.ck_at, first) - 1
        start = cache.ck_at[ci]
        items = cache.items[:cache.ck_items[ci]]
        run = list(cache.ck_run[ci])
        ck_at, ck_items, ck_run = cache.ck_at[:ci], cache.ck_items[:ci], cache.ck_run[:ci]
        resume = list(range(bisect_left(cache.ck_at, end - delta), len(cache.ck_at)))
    wx_mask = VM_WRITE | VM_EXEC
    near = 64 << 20
    start_brk, brk, start_code, start_stack = mm.start_brk, mm.brk, mm.start_code, \
        mm.start_stack
    step = BAND_CHECKPOINT
    r = 0  # the next of `resume`
    next_resume = cache.ck_at[resume[0]] + delta if resume else -1
    i = start
    while i < n:
        if i == next_resume:
            k = resume[r]
            o_run = cache.ck_run[k]
            if tuple(run) == o_run or (run and o_run and run[0] == o_run[0] and
                                       run[3] == o_run[3]):
                # the scan is where the last one was: its items from here on stand (the
                # open run's top and count aside, if a VMA was added to or taken from it)
                tail = cache.items[cache.ck_items[k]:]
                dc = run[2] - o_run[2] if run else 0
                if run and (dc or run[1] != o_run[1]):
                    b = tail[0]
                    c = b.count + dc
                    tail[0] = replace(b, hi=run[1], count=c, kind="many" if c > 1 else "mmap")
                shift = len(items) - cache.ck_items[k]
                for j in range(k, len(cache.ck_at)):
                    ck_at.append(cache.ck_at[j] + delta)
                    ck_items.append(cache.ck_items[j] + shift)
                    o = cache.ck_run[j]
                    if run and cache.ck_items[j] == cache.ck_items[k]:  # the same open run
                        o = (o[0], run[1], o[2] + dc, o[3])
                    ck_run.append(o)
                items.extend(tail)
                run = []
                break
            r += 1
            next_resume = cache.ck_at[resume[r]] + delta if r < len(resume) else -1
        if (i - start) % step == 0:
            ck_at.append(i)
            ck_items.append(len(items))
            ck_run.append(tuple(run))
        s_, e_, f, _pgoff, file, name = sigs[n - 1 - i]
        if many and file is None and not name and not f & VM_GROWSDOWN and \
                (s_ >= start_brk or e_ <= start_code) and e_ <= start_stack and \
                not (s_ <= brk and e_ >= start_brk):
            # the common case, an anonymous mapping in the mmap area: runs of them merge
            wx = f & wx_mask == wx_mask
            if run and run[0] - e_ < near:
                run[0] = s_
                run[2] += 1
                run[3] = run[3] or wx
            else:
                if run:
                    items.append(_run_band(run))
                    run.clear()
                run.extend((s_, e_, 1, wx))
        else:
            if run:
                items.append(_run_band(run))
                run.clear()
            kind, label, grows = vma_kind(vmas[n - 1 - i], program)
            items.append(Band(s_, e_, label, kind, 1, grows, f & wx_mask == wx_mask))
        i += 1
    if run:
        items.append(_run_band(run))
    if not ck_at:
        ck_at, ck_items, ck_run = [0], [0], [()]
    cache.marks, cache.sigs, cache.items = marks, sigs, items
    cache.ck_at, cache.ck_items, cache.ck_run = ck_at, ck_items, ck_run
    cache.scanned = i - start
    return items


def _run_band(run: list[int]) -> Band:
    lo, hi, n, wx = run
    return Band(lo, hi, "anon", "many" if n > 1 else "mmap", n, "down", bool(wx))


def _tree_node(depth: int, slot: int, node: Any) -> TreeNode:
    v = node.vma
    return TreeNode(depth, slot, v.vm_start, v.vm_end, node.red, node.subtree_gap,
                    node.left is not None, node.right is not None)


def _tree(task: Task, depth: int = 5) -> tuple[tuple[TreeNode, ...], int]:
    rb = getattr(task.mm.vmas, "rb", None)
    if rb is None:  # Linux 6.1+: the maple tree, mm->mm_mt
        return (), len(task.mm.vmas)
    out = [_tree_node(d, slot, node) for d, slot, node in rb.levels(depth)]
    return tuple(out), len(task.mm.vmas)


def maple_view(vmas: Any) -> MapleView:
    """mm->mm_mt along the walk of the last find_vma() (MapleVmaSet.last_find; the root
    alone before any): the nodes on the path, each with its slots (16 at most), so the
    cost is the tree's height, never its size."""
    mt = vmas.mt
    find = vmas.last_find
    nodes = []
    if mt.root is not None:
        steps = mt.path(find) if find is not None else [(mt.root, 0, (1 << 64) - 1)]
        for depth, (node, lo, hi) in enumerate(steps):
            slots = []
            on = -1
            for i, (a, b, entry) in enumerate(mt.slots_of(node, lo, hi)):
                if find is not None and a <= find <= b:
                    on = i
                if node.leaf:
                    kind = "null" if entry is None else "vma"
                    slots.append(MapleSlotView(a, b, kind, b - a + 1 if entry is None else 0))
                else:
                    gap = node.gaps[i] if node.gaps is not None else 0
                    slots.append(MapleSlotView(a, b, "node", gap, entry.type))
            nodes.append(MapleNodeView(depth, node.type, lo, hi, tuple(slots), on))
    return MapleView(mt.height, len(vmas), find, tuple(nodes))


def _tree_path(vma: VmArea) -> tuple[TreeNode, ...]:
    """The rbtree nodes from the root down to `vma`'s (vm_rb.parent links), root first."""
    chain = []
    node: Any = vma.vm_rb
    while node is not None:
        chain.append(node)
        node = node.parent
    chain.reverse()
    out = []
    slot = 0
    for d, node in enumerate(chain):
        if d:
            slot = slot * 2 + (0 if chain[d - 1].left is node else 1)
        out.append(_tree_node(d, slot, node))
    return tuple(out)


def _walk(m: Machine, fresh: bool) -> WalkView | None:
    w = m.last_walk
    if w is None:
        return None
    return WalkView(w.va, tuple(w.steps), w.stopped, w.pfn, w.pte, w.phys(), fresh,
                    m.layout.va_bits, tuple(m.layout.index_bits(w.va)))


def _tlb(m: Machine) -> TlbView:
    owner = {t.mm.ctx_id: t.pid for t in m.tasks.values() if t.alive and t.mm.ctx_id}
    ents = tuple((owner.get(k[0], 0), k[1], pfn) for k, pfn in list(m.tlb.items())[-256:])
    st = m.tlb_stats
    return TlbView(ents, m.config.tlb_entries, st.get("hits", 0), st.get("misses", 0),
                   st.get("flushes", 0))


def _zone_view(m: Machine, zone: Any, resv: list[tuple[int, int, str]]) -> ZoneView:
    pages = m.mem.pages
    sampled = len(pages) > EXACT_PAGES
    nb = max(1, min(SAMPLED_BUCKETS if sampled else BUCKETS, zone.spanned))
    span = zone.spanned or 1
    per = span / nb
    counts = [[0] * len(KINDS) for _ in range(nb)]
    lo, hi = zone.start_pfn, zone.end_pfn
    free_i, resv_i = KIND_INDEX["free"], KIND_INDEX["reserved"]

    def add_range(a: int, b: int, k: int, scale: float = 1.0) -> None:
        a, b = max(a, lo), min(b, hi)
        while a < b:
            i = min(nb - 1, int((a - lo) / per))
            end = min(b, lo + int((i + 1) * per) if i < nb - 1 else hi)
            if end <= a:
                end = a + 1
            counts[i][k] += end - a
            a = end

    if not sampled:
        for start, order in zone.free_blocks():
            add_range(start, start + (1 << order), free_i)
        for a, b, _what in resv:
            add_range(a, b, resv_i)
        kind_index = KIND_INDEX
        for pfn, page in pages.items():
            if lo <= pfn < hi:
                counts[min(nb - 1, int((pfn - lo) / per))][kind_index[page.kind()]] += 1
    else:
        # read SAMPLES frames of each bucket: a page in use says its kind, a reserved range
        # says reserved, anything else is in a free buddy block
        for i in range(nb):
            a = lo + int(i * per)
            b = lo + int((i + 1) * per) if i < nb - 1 else hi
            n = b - a
            step = max(1, n // SAMPLES)
            seen = [0] * len(KINDS)
            probes = 0
            near = [(ra, rb) for ra, rb, _w in resv if ra < b and rb > a]
            for pfn in range(a, b, step):
                probes += 1
                page = pages.get(pfn)
                if page is not None:
                    seen[KIND_INDEX[page.kind()]] += 1
                elif near and any(ra <= pfn < rb for ra, rb in near):
                    seen[resv_i] += 1
                else:
                    seen[free_i] += 1
            counts[i] = [round(c * n / probes) for c in seen] if probes else seen
    return ZoneView(zone.node.id, zone.name, zone.start_pfn, zone.spanned, zone.managed,
                    zone.nr_free, tuple(zone.watermark[:3]), tuple(tuple(c) for c in counts),
                    per, sampled)


def _nodes(m: Machine, kept: dict[int, tuple[Any, ...]] | None = None
           ) -> tuple[NodeView, ...]:
    """Every node's zones, LRU sizes and kswapd. `kept` (id(zone) -> (zone, key, view))
    keeps a zone's view while what it is read from stands (_zone_key)."""
    out = []
    resv = list(m.reserved)
    counters = tuple(m.vmstat.items())
    for node in m.mem.nodes:
        zones = tuple(_kept_zone_view(m, z, resv, counters, kept) for z in node.zones
                      if z.spanned)
        lru = tuple(node.lru.sizes().items()) if node.lru is not None else ()
        ks = node.kswapd
        kstate: tuple[tuple[str, Any], ...] = ()
        if ks is not None:
            kstate = tuple((k, getattr(ks, k)) for k in ("state", "wakeups", "scanned",
                                                         "reclaimed", "runs")
                           if hasattr(ks, k))
        g = node.lru.lrugen if node.lru is not None else None
        gens: tuple[tuple[int, int, int], ...] = ()
        seqs: tuple[int, ...] = ()
        if g is not None:
            gens = tuple((a, b, c) for a, b, c in g.sizes())
            seqs = (g.min_seq[0], g.min_seq[1], g.max_seq)
        out.append(NodeView(node.id, tuple(node.cpus), zones, lru, kstate, gens, seqs))
    return tuple(out)


def _kept_zone_view(m: Machine, zone: Any, resv: list[tuple[int, int, str]],
                    counters: tuple[Any, ...], kept: dict[int, tuple[Any, ...]] | None
                    ) -> ZoneView:
    """_zone_view(), or the one made for an earlier snapshot while it cannot have changed.

    The histogram counts frames by Page.kind(): a frame comes into use or goes with an
    allocation or a free (PGALLOC_*, PGFREE, the zone's free pages), and a page changes
    kind by being mlocked or rescued (UNEVICTABLE_PGS_*), which the counters say; the
    head has the zone's free pages, managed pages and watermarks (a sysctl moves them).
    """
    if kept is None:
        return _zone_view(m, zone, resv)
    key = (zone.nr_free, zone.managed, tuple(zone.watermark[:3]), zone.start_pfn,
           zone.spanned, len(m.mem.pages), tuple(resv), counters)
    hit = kept.get(id(zone))
    if hit is not None and hit[0] is zone and hit[1] == key:
        return hit[2]  # type: ignore[no-any-return]
    view = _zone_view(m, zone, resv)
    if hit is None and len(kept) >= 64:
        kept.clear()
    kept[id(zone)] = (zone, key, view)  # the zone is held: its id is not reused
    return view


def _swap(m: Machine) -> SwapView:
    sw = m.swap
    areas = tuple((si.name, si.usable, si.inuse_pages) for si in sw.areas)
    return SwapView(sw.enabled, sw.total(), sw.used(), len(sw.cache), areas)


def free_pages(m: Machine) -> int:
    return sum(z.nr_free for z in m.mem.zones)


RSS_SYNC_PAGES = 1 << 20
"""VMAs up to this many pages get their RSS with the step; bigger ones a moment later."""


def vma_detail(m: Machine, task: Task, vma: VmArea, full: bool = True,
               rss: int | None = None) -> tuple[tuple[str, str], ...]:
    """Every field of the vm_area_struct, as text (`rss`: its resident pages, if counted)."""
    from vmtui.engine.fs.procfs import vma_name

    def rng(v: VmArea | None) -> str:
        return "NULL" if v is None else f"{v.vm_start:#x}-{v.vm_end:#x}"

    def size(n: int) -> str:
        return human(n) if n else "0"

    av = vma.anon_vma
    f = vma.vm_file
    pages = vma.pages()
    out = [
        ("vm_start", f"{vma.vm_start:#x}"),
        ("vm_end", f"{vma.vm_end:#x} ({size(vma.vm_end - vma.vm_start)}, "
                   f"{pages:,} page{'s' if pages != 1 else ''})"),
    ]
    if m.kmodel.maple_tree:
        # 6.1+: no list or rbtree links (mm->mm_mt holds the VMA); the per-VMA lock (6.4)
        out += [
            ("vm_lock_seq", "not modelled"),  # mm_lock_seq at the last vma_start_write
            ("vm_refcnt", "1 (attached)"),  # no reader holds the per-VMA lock between steps
        ]
    else:
        rb = vma.vm_rb
        parent = rb.parent.vma if rb.parent is not None else None
        out += [
            ("vm_next", rng(vma.vm_next)),
            ("vm_prev", rng(vma.vm_prev)),
            ("vm_rb", f"{'red' if rb.red else 'black'}, parent {rng(parent)}"),
            ("rb_subtree_gap", f"{vma.rb_subtree_gap:#x} ({size(vma.rb_subtree_gap)})"),
        ]
    out += [
        ("vm_mm", f"mm of pid {task.pid}"),
        ("vm_page_prot", f"{vma.vm_page_prot:#x} [{pte_flags_text(vma.vm_page_prot)}]"),
        ("vm_flags", f"{vma.vm_flags:#x} [{vm_flags_text(vma.vm_flags)}]"),
        ("anon_vma", "NULL" if av is None else
         f"anon_vma {av.id} ({len(av.vmas)} VMA{'s' if len(av.vmas) != 1 else ''})"),
        ("anon_vma_chain", ", ".join(f"anon_vma {a.id}" for a in vma.anon_vma_chain) or
         "empty"),
        ("vm_ops", vma.vm_ops or "NULL (anonymous)"),
        ("vm_pgoff", f"{vma.vm_pgoff:#x}"),
        ("vm_file", "NULL" if f is None else f"{f.name} (inode {f.ino}, dev {f.dev})"),
        ("vm_policy", "NULL (default)" if vma.vm_policy is None else str(vma.vm_policy)),
        ("name", vma_name(vma) or "(anonymous)"),
    ]
    if rss is None and (full or vma.pages() <= RSS_SYNC_PAGES):
        rss = rss_pages(m, task, vma.vm_start, vma.vm_end)
    if rss is not None:
        out.append(("Rss", f"{rss << (PAGE_SHIFT - 10):,} kB"))
    else:
        out.append(("Rss", "counting..."))
    return tuple(out)


def _touched(m: Machine, rec: StepRecord | None, fresh_walk: bool,
             step: Any = None) -> int | None:
    """The address this step was about: an access's, else the address a call returned or
    an event names, else the address argument of its last command (`mprotect big 4K`)."""
    if rec is None:
        return None
    if fresh_walk and m.last_walk is not None:
        return int(m.last_walk.va)
    r = rec.result
    if r.ok and isinstance(r.value, str) and r.value.startswith("0x"):
        return int(r.value, 16)
    if r.addr:
        return int(r.addr)
    for e in rec.events:
        a = e.data.get("addr") if e.data else None
        if isinstance(a, str) and a.startswith("0x"):
            return int(a, 16)
        if isinstance(a, int):
            return a
    from vmtui.scenario.execute import ScriptError, resolve
    from vmtui.scenario.lang import Addr

    for cmd in reversed(step.commands if step is not None else ()):
        for arg in cmd.args.values():
            if isinstance(arg, Addr):
                try:
                    return resolve(m, cmd, arg)
                except ScriptError:
                    return None
    return None


def _proc(m: Machine, task: Task | None) -> tuple[tuple[str, str], ...]:
    if task is None:
        return ()
    mm = task.mm
    kb = 1 << (PAGE_SHIFT - 10)
    return (
        ("VmSize", f"{mm.total_vm * kb:,} kB"),
        ("VmRSS", f"{mm.rss() * kb:,} kB"),
        ("RssAnon", f"{mm.rss_anon * kb:,} kB"),
        ("RssFile", f"{mm.rss_file * kb:,} kB"),
        ("VmSwap", f"{mm.rss_swap * kb:,} kB"),
        ("VmPTE", f"{mm.pgtables_bytes >> 10:,} kB"),
        ("map_count", f"{mm.map_count:,}"),
        ("faults", f"min {task.min_flt:,} maj {task.maj_flt:,}"),
    )


CHANGE_PAGES = EXACT_PAGES
"""Machines with up to this many frames in use have each step's changes measured (two
captures of every PTE and frame owner); bigger ones show the step without them."""
CHANGE_PTES = 1 << 18
"""... and up to this many user PTEs (present or swapped) over all processes."""
CHANGE_VMAS = 1 << 14
"""... and up to this many VMAs over all processes (a capture reads every VMA twice a step:
at 60,000 that alone is 0.3 s a key press)."""
PTE_ROWS = 64
"""Changed PTEs a snapshot keeps per process (the walk pane shows a handful; the count
says how many there were)."""
WINDOW = 1024
"""Frames read around the walked frame on a machine too big to know every owner."""


def step_state(m: Machine) -> StepState | None:
    """The machine's state for measuring a step's changes; None on a machine too big to
    capture at every step (CHANGE_PAGES, CHANGE_PTES)."""
    from vmtui.engine.views.statediff import capture
    from vmtui.ui.marks import capture_marks

    if len(m.mem.pages) > CHANGE_PAGES:
        return None
    live = m.live_tasks()
    if sum(t.mm.rss() + t.mm.rss_swap for t in live) > CHANGE_PTES:
        return None
    if sum(len(t.mm.vmas) for t in live) > CHANGE_VMAS:
        return None
    zones = {(z.node.id, z.name): z.nr_free for z in m.mem.zones if z.spanned}
    lru = {n.id: dict(n.lru.sizes()) for n in m.mem.nodes if n.lru is not None}
    sw = m.swap
    cap = capture(m)
    return StepState(cap, frozenset(_tlb(m).entries), zones, lru,
                     (sw.used(), len(sw.cache)), capture_marks(m, cap))


def step_changes(before: StepState, after: StepState) -> StepChanges:
    """statediff.compare() of two states, kept to what the panes show."""
    from vmtui.engine.views.statediff import compare

    ch = compare(before.cap, after.cap)
    counts: dict[int, int] = {}
    kinds: dict[int, dict[str, int]] = {}
    kept = []
    for c in ch.ptes:
        n = counts.get(c.pid, 0)
        if n < PTE_ROWS:
            kept.append(c)
        counts[c.pid] = n + 1
        k = kinds.setdefault(c.pid, {})
        k[c.kind] = k.get(c.kind, 0) + 1
    return StepChanges(tuple(ch.vmas), tuple(kept), counts, kinds, dict(ch.frames),
                       ch.touched_pfns(), tuple(p for p, _c in ch.born),
                       tuple(p for p, _c in ch.gone), before.tlb, before.zones, before.lru,
                       before.swap, (before.marks, after.marks)
                       if before.marks is not None and after.marks is not None else None)


def frame_map(m: Machine, state: StepState | None, walk: WalkView | None,
              pid: int) -> FrameMapView:
    """Owners for the frame map: every frame's when the state was captured (the same
    classification as `show frames`, frames.py), else a window around the walked frame."""
    from vmtui.engine.views import frames

    comms = {t.pid: t.comm for t in m.live_tasks()}
    if state is not None:
        from vmtui.engine.include.pgtable import pte_pfn, pte_present

        owners = state.cap.owners
        # the frames the shown process maps (its own and those it shares)
        mine = frozenset(pte_pfn(e) for e in state.cap.ptes.get(pid, {}).values()
                         if pte_present(e))
        span = tuple((z.start_pfn, z.end_pfn) for z in m.mem.zones if z.spanned)
        return FrameMapView(owners, span, True, comms, mine)
    if walk is None or walk.pfn is None:
        return FrameMapView({}, (), False, comms)
    lo = max(0, walk.pfn - WINDOW // 2) // 64 * 64
    hi = min(m.mem.max_pfn, lo + WINDOW)
    got = frames.window(m, lo, hi)
    owners = {lo + i: o for i, o in enumerate(got) if o not in ("free", "reserved")}
    return FrameMapView(owners, ((lo, hi),), False, comms, frozenset({walk.pfn}))


def vma_changes(changes: StepChanges | None, task: Task | None
                ) -> tuple[dict[int, str], tuple[tuple[int, tuple[int, int, str, str], str], ...]]:
    """The shown process's VMA rows this step added ("+") or changed ("~"), by maps index,
    and the rows it removed (ghosts: the index they go before, the row, how it went)."""
    if changes is None or task is None:
        return {}, ()
    idx = task.mm.vmas.index
    marks: dict[int, str] = {}
    ghosts = []
    for c in changes.vmas:
        if c.pid != task.pid:
            continue
        for r in c.after:
            i = idx.bisect_key_left(r[0])
            if i < len(idx) and idx[i].vm_start == r[0]:
                marks[i] = "+" if c.kind == "added" else "~"
        if c.kind != "added":
            # the rows of a split or a merge go together, before the rows that replaced them
            at = idx.bisect_key_left(min(r[0] for r in c.before + c.after))
            ghosts.extend((at, r, c.kind) for r in c.before)
    ghosts.sort(key=lambda g: (g[0], g[1][0]))
    return marks, tuple(ghosts)


PTE_TABLE_ROWS = 16
"""Virtual pages the before -> after table keeps."""


PteRow = tuple[int, tuple[tuple[int, int] | None, ...]]
"""A virtual address and, for each column's process, its entry (before, after) or None."""


def pte_table(m: Machine, changes: StepChanges | None, pid: int
              ) -> tuple[tuple[int, ...], tuple[PteRow, ...], tuple[str, ...]]:
    """The step's PTE changes as a table: at most two processes side by side, the shown
    one first among those whose PTEs changed; a single one is joined by its parent or
    child (fork), whose entry at the same address did not change: copy on write's two
    sides. Columns in pid order (the parent left)."""
    if changes is None or not changes.pte_counts:
        return (), (), ()
    by_pid: dict[int, dict[int, tuple[int, int]]] = {}
    for c in changes.ptes:
        by_pid.setdefault(c.pid, {})[c.va] = (c.before, c.after)
    order = sorted(by_pid, key=lambda p: (p != pid, -changes.pte_counts.get(p, 0), p))
    cols = order[:2]
    if len(cols) == 1:
        me = m.tasks.get(cols[0])
        kin = [t for t in m.live_tasks() if me is not None and t.pid != me.pid and
               (t.pid == me.ppid or t.ppid == me.pid) and t.mm.pgd is not None]
        for t in kin:
            entries = {va: m.pt.leaf(t.mm.pgd, va) for va in sorted(by_pid[cols[0]])
                       [:PTE_TABLE_ROWS]}
            if any(entries.values()):
                by_pid[t.pid] = {va: (e, e) for va, e in entries.items() if e}
                cols.append(t.pid)
                break
    cols.sort()
    vas = sorted({va for p in cols for va in by_pid[p]})[:PTE_TABLE_ROWS]
    rows = tuple((va, tuple(by_pid[p].get(va) for p in cols)) for va in vas)
    roles = [""] * len(cols)
    if len(cols) == 2:
        a, b = (m.tasks.get(p) for p in cols)
        if a is not None and b is not None and b.ppid == a.pid:
            roles = ["parent", "child"]
        elif a is not None and b is not None and a.ppid == b.pid:
            roles = ["child", "parent"]
    return tuple(cols), rows, tuple(roles)


MAPS_REMADE = 256
"""Lines of /proc/PID/maps a step may make one by one (SnapshotBuilder._maps); more, and
procfs.maps_lines() makes them all."""

RSS_CACHE_PAGES = 512
"""VMAs of more than this many pages (a PTE table's worth) keep their counted RSS from one
snapshot to the next while nothing that could change it did (SnapshotBuilder._rss):
counting the ~500,000 PTEs of a big mapping takes ~100 ms, more than a key press may."""


class SnapshotBuilder:
    """Builds snapshots on the engine's thread; caches what only changes with the maps."""

    def __init__(self) -> None:
        self._bands_key: tuple[Any, ...] | None = None
        self._bands: tuple[Band, ...] = ()
        self._band_cache = BandCache()
        self.free_history: dict[int, int] = {}
        self.last: Snapshot | None = None
        # id(vma) -> (vma, mm, pgd, counters, start, end, resident pages), for the VMAs
        # above RSS_CACHE_PAGES
        self._rss_cache: dict[int, tuple[Any, ...]] = {}
        self.rss_counted = 0  # VMAs whose PTEs were counted (not taken from the cache)
        # /proc/PID/maps of the shown process (_maps), and a line per VMA's fields
        self._maps_of: Any = None
        self._maps_key: tuple[Any, ...] = ()
        self._maps_list: list[str] = []
        self._maps_tail: list[str] = []
        self._maps_sigs: list[tuple[Any, ...]] = []  # the VMAs' fields the lines show
        self.fields = VmaFields()  # the shown process's VMAs' fields, for maps and bands
        self.maps_made = 0  # maps lines made (not taken from the cache)
        self._zones: dict[int, tuple[Any, ...]] = {}  # id(zone) -> (zone, key, ZoneView)

    def _nodes(self, m: Machine) -> tuple[NodeView, ...]:
        """_nodes() with the zones' views kept while they stand (of this machine only: a
        machine restored for a step back has zones of its own)."""
        zones = {id(z) for z in m.mem.zones}
        if any(k not in zones for k in self._zones):
            self._zones.clear()
        return _nodes(m, self._zones)

    def _maps(self, m: Machine, task: Task) -> list[str]:
        """maps_lines() of the task, the same list object while its VMAs are the same.

        procfs.maps_lines() makes every line again when any VMA changed: 60,000 lines
        take ~150 ms. Here the fields a line shows (bounds, flags, offset, file, name;
        VmaFields, read once for the bands too) are compared with those the lines on hand
        were made from: the lines of the VMAs alike at the bottom and at the top are
        kept, and procfs.maps_line() makes those between, unless more than MAPS_REMADE
        lie between (changes far apart), where the line of a VMA whose fields are the
        same is looked up by its fields. The rows after the VMAs (the gate VMA) are
        maps_lines()' own, which also makes everything when the heap or stack marks
        (that name VMAs) or the process changed.
        """
        mm = task.mm
        column = 25 + m.layout.pte_bytes * 6 - 1
        names = (mm.brk, mm.start_brk, mm.start_stack, column)
        key = (mm.vmas.seq, names)
        if self._maps_of is mm and self._maps_key == key:
            return self._maps_list
        vmas = mm.vmas.index
        sigs = self.fields.read(mm)
        lines: list[str] | None = None
        if self._maps_of is mm and self._maps_key[1] == names:
            had, old = self._maps_sigs, self._maps_list
            n_old, n = len(had), len(sigs)
            bottom, top = self.fields.compare(had, sigs)
            if bottom is None or top is None:
                lines = old  # the same lines
            else:
                top = min(top, n_old - bottom, n - bottom)
                # the lines of the VMAs between those alike: kept by their fields
                # when many lie between, else made
                got: list[str | None] = [None] * (n - top - bottom)
                if len(got) > MAPS_REMADE:
                    by_fields = dict(zip(had[bottom:n_old - top], old[bottom:n_old - top],
                                         strict=True))
                    got = list(map(by_fields.get, sigs[bottom:n - top]))
                missing = got.count(None)
                if missing <= MAPS_REMADE:
                    i = -1
                    for _ in range(missing):
                        i = got.index(None, i + 1)
                        got[i] = maps_line(vmas[bottom + i], 8, column)
                    self.maps_made += missing
                    lines = old[:bottom] + got + old[n_old - top:n_old] + \
                        self._maps_tail  # type: ignore[operator]
        if lines is None:
            lines = maps_lines(m, task)
            self._maps_tail = lines[len(vmas):]
            self.maps_made += len(vmas)
        self._maps_sigs = sigs
        self._maps_of, self._maps_key, self._maps_list = mm, key, lines
        return lines

    def _rss(self, m: Machine, task: Task, v: VmArea, counters: tuple[Any, ...]) -> int:
        """rss_pages() of a VMA, or the count made for an earlier snapshot when it cannot
        have changed.

        A page mapped in comes through a fault (PGFAULT, PGALLOC_*) or a swap-in (PSWPIN);
        one taken out changes the process's rss_stat, unless another comes in in the same
        step, which the counters say. So while the mm's rss_stat and every vmstat counter
        are what they were, no PTE of the mm went or came; PTEs moved by mremap land
        outside every old VMA. The count of the VMA's old range stands, and a VMA that
        grew (a new mapping merged into it) needs only its new part counted.
        """
        if v.pages() <= RSS_CACHE_PAGES:
            self.rss_counted += 1
            return rss_pages(m, task, v.vm_start, v.vm_end)
        mm = task.mm
        key = (mm.rss_anon, mm.rss_file, mm.rss_shmem, mm.rss_swap, counters)
        start, end = v.vm_start, v.vm_end
        hit = self._rss_cache.get(id(v))
        if hit is not None and hit[0] is v and hit[1] is mm and hit[2] is mm.pgd and \
                hit[3] == key and start <= hit[4] and hit[5] <= end:
            n = hit[6]
            if (start, end) == (hit[4], hit[5]):
                return n
            n += rss_pages(m, task, start, hit[4]) if start < hit[4] else 0
            n += rss_pages(m, task, hit[5], end) if hit[5] < end else 0
        else:
            n = rss_pages(m, task, start, end)
            self.rss_counted += 1
        if hit is None and len(self._rss_cache) >= 64:
            self._rss_cache.clear()
        # the entry holds the VMA and mm: their ids cannot be reused while it is here
        self._rss_cache[id(v)] = (v, mm, mm.pgd, key, start, end, n)
        return n

    def _rows(self, m: Machine, task: Task | None, view: View, touched_index: int | None,
              selected: int | None) -> tuple[dict[int, int], tuple[tuple[str, str], ...], bool]:
        """RSS of the VMA rows on screen (and around the touched one), the selected VMA's
        fields, and whether a big VMA's RSS was left for a follow-up."""
        vmas = task.mm.vmas if task is not None else None
        n_vmas = len(vmas) if vmas is not None else 0
        rss: dict[int, int] = {}
        detail: tuple[tuple[str, str], ...] = ()
        pending = False
        if task is not None and vmas is not None:
            if any(e[1] is not task.mm for e in self._rss_cache.values()):
                # another process, or a machine restored for a step back: the old one's
                # VMAs would be kept alive by their entries
                self._rss_cache.clear()
            counters = tuple(m.vmstat.items())
            rows = set(range(max(0, view.vma_top), min(n_vmas, view.vma_top + view.vma_rows)))
            if view.selected is None and touched_index is not None:
                # the list will scroll to the touched VMA: count the rows around it too
                top = max(0, touched_index - view.vma_rows // 3)
                rows |= set(range(top, min(n_vmas, top + view.vma_rows)))
            for i in sorted(rows):
                v = vmas.index[i]
                if view.full_rss or v.pages() <= RSS_SYNC_PAGES:
                    rss[i] = self._rss(m, task, v, counters)
                else:
                    pending = True
            if selected is not None:
                v = vmas.index[selected]
                counted = rss.get(selected)
                if counted is None and (view.full_rss or v.pages() <= RSS_SYNC_PAGES):
                    counted = self._rss(m, task, v, counters)
                detail = vma_detail(m, task, v, view.full_rss, counted)
                pending = pending or (not view.full_rss and v.pages() > RSS_SYNC_PAGES)
        return rss, detail, pending

    def refresh_rss(self, player: Player, view: View) -> Snapshot | None:
        """The last snapshot with every RSS counted (the follow-up of a step)."""
        last = self.last
        if last is None or last.position != player.position:
            return None
        m = player.machine
        task = _task_of(m, view.pid)
        if task is None or task.pid != last.pid:
            return None
        full = View(view.pid, view.vma_top, view.vma_rows, view.selected, True)
        selected = view.selected if view.selected is not None else last.selected
        if selected is not None and not 0 <= selected < len(task.mm.vmas):
            selected = None
        rss, detail, pending = self._rows(m, task, full, last.touched_index, selected)
        snap = replace(last, rss=rss, detail=detail, selected=selected, rss_pending=pending)
        self.last = snap
        return snap

    def build(self, player: Player, view: View, error: str = "",
              changes: StepChanges | None = None, state: StepState | None = None,
              mark: tuple[int, str] | None = None) -> Snapshot:
        """The snapshot of the player's position; `changes` what its step changed,
        `state` the state captured after it (the frame map's owners)."""
        from vmtui.ui.marks import mm_fields

        m = player.machine
        pos = player.position
        rec = player.last
        step = player.step_at(pos)
        # the walk is this step's when the engine walked during it (an access, `walk`)
        fresh_walk = m.last_walk is not None and rec is not None and rec.walked
        task = _task_of(m, view.pid)
        pid = task.pid if task is not None else 0
        gone = tuple((t.pid, str(t.exit_code or "exit")) for t in m.tasks.values()
                     if not t.alive)
        maps: list[str] = []
        if task is not None:
            if rec is not None and str(pid) in rec.state.get("maps", {}):
                maps = rec.state["maps"][str(pid)]
            else:
                maps = self._maps(m, task)
        vmas = task.mm.vmas if task is not None else None
        # bands depend only on the VMAs and the heap/stack marks: rebuild them when those
        # changed (the key procfs.maps_lines caches by; the mm itself after a step back)
        key: tuple[Any, ...] = (pid,)
        if task is not None:
            mm = task.mm
            key = (pid, id(mm), mm.vmas.seq, mm.brk, mm.start_brk, mm.start_stack, len(maps))
        if self._bands_key != key:
            self._bands = _bands(m, task, self._band_cache, self.fields) \
                if task is not None else ()
            self._bands_key = key
        touched = _touched(m, rec, fresh_walk, step)
        touched_index = None
        if touched is not None and vmas is not None:
            last_find = getattr(vmas, "last_find", None)
            v = vmas.find_vma(touched)
            if hasattr(vmas, "last_find"):
                vmas.last_find = last_find  # the pane shows the kernel's look-up, not ours
            if v is not None and v.vm_start <= touched:
                touched_index = vmas.index.bisect_key_left(v.vm_start)
        n_vmas = len(vmas) if vmas is not None else 0
        selected = view.selected if view.selected is not None else touched_index
        if selected is not None and not 0 <= selected < n_vmas:
            selected = None
        rss, detail, pending = self._rows(m, task, view, touched_index, selected)
        tree, tree_size = _tree(task) if task is not None else ((), 0)
        path = _tree_path(vmas.index[touched_index]) \
            if vmas is not None and touched_index is not None and tree else ()
        free = free_pages(m)
        self.free_history[pos] = free
        for k in [k for k in self.free_history if k > pos]:
            del self.free_history[k]
        history = tuple(self.free_history[k] for k in sorted(self.free_history))
        counters = dict(rec.state["counters"]) if rec is not None else dict(m.vmstat)
        prev = player.records[pos - 2].state["counters"] if pos >= 2 and \
            len(player.records) >= pos - 1 else {}
        delta = {k: v - prev.get(k, 0) for k, v in counters.items() if v != prev.get(k, 0)}
        vmstat = (("nr_free_pages", free),) + tuple(counters.items())
        nxt = player.step_at(pos + 1)
        summary, kind = _result(rec)
        sc = player.scenario
        layout = tuple(m.layout.regions())
        walk = _walk(m, fresh_walk)
        marks, ghosts = vma_changes(changes, task)
        pte_pids, pte_rows, pte_roles = pte_table(m, changes, pid)
        snap = Snapshot(
            scenario=sc.name, title=dict(sc.title), position=pos, total=player.total,
            pid=pid, pids=tuple((t.pid, t.comm, t.state) for t in m.tasks.values()),
            arch=m.layout.arch,
            do=rec.do if rec is not None else "", say=dict(step.say) if step else {},
            step_title=dict(step.title) if step else {},
            next_do=nxt.do if nxt is not None else "",
            result=summary, result_kind=kind,
            expect=rec.expect if rec is not None else None,
            expect_ok=rec.expect_ok if rec is not None else None,
            texts=tuple(rec.texts) if rec is not None else (),
            events=_events(rec), maps=maps, rss=rss, proc=_proc(m, task),
            touched=touched, touched_index=touched_index, selected=selected, detail=detail,
            bands=self._bands, tree=tree, tree_size=tree_size, walk=walk,
            tlb=_tlb(m), nodes=self._nodes(m), reserved=tuple(m.reserved), swap=_swap(m),
            vmstat=vmstat, vmstat_delta=delta, free_history=history,
            total_ram=m.mem.totalram, layout=layout,
            kernel_map=tuple(m.layout.kernel_regions()), error=error, rss_pending=pending,
            summary=dict(sc.summary), tree_path=path, gone=gone,
            walk_owner=m.last_walk_pid, changes=changes, mark=mark,
            frame_map=frame_map(m, state, walk, pid), vma_marks=marks, ghosts=ghosts,
            pte_pids=pte_pids, pte_rows=pte_rows, pte_roles=pte_roles,
            mm=mm_fields(task) if task is not None else (),
            maple=maple_view(vmas) if vmas is not None and hasattr(vmas, "mt") else None,
        )
        self.last = snap
        return snap
