"""What a step changed in the panes statediff's capture does not cover: the VMA rbtree's
nodes, the fields of every vm_area_struct and mm_struct, the TLB's flush count and the
zones' watermarks.

`capture_marks()` reads them on the engine's thread with the rest of a step's state
(snapshot.step_state); the panes compare the state before a step with the state after
it (StepChanges.marks). Both come from the driver's states of the two positions, so
going back or jumping to a step shows the same marks as stepping forward to it.

A VMA's fields are kept as the text the vm_area_struct pane shows (snapshot.vma_detail):
a field is marked exactly when what it shows differs from the step before.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from vmtui.engine.include.layout import PAGE_SHIFT
from vmtui.view.i18n import human

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine, Task
    from vmtui.engine.views.statediff import Capture
    from vmtui.view.snapshot import Snapshot, TreeNode

MARK_VMAS = 4096
"""Machines with up to this many VMAs (over all processes) have the fields of every
vm_area_struct kept at each step; above it the vm_area_struct pane marks nothing."""

KSWAPD_COUNTS = ("wakeups", "scanned", "reclaimed")
"""The counts of a node's kswapd the reclaim pane shows."""

TreeEntry = tuple[int, bool, int | None]
"""A VMA's rbtree node: (vm_end, red, the parent node's vm_start or None at the root)."""


@dataclass(frozen=True)
class MarkState:
    """The figures of one moment the change marks compare."""

    tree: dict[int, dict[int, TreeEntry]]  # pid -> vm_start -> its node
    fields: dict[int, dict[int, dict[str, str]]] | None  # pid -> vm_start -> field -> text
    mm: dict[int, dict[str, str]]  # pid -> mm_struct field -> text
    tlb_stats: tuple[int, int, int]  # machine.tlb_stats: hits, misses, flushes
    wmarks: dict[tuple[int, str], tuple[int, int, int]]  # (node, zone) -> min, low, high
    kswapd: dict[int, dict[str, int]] = field(default_factory=dict)  # node -> its counts


def _pages(n: int) -> str:
    return f"{n:,} ({human(n << PAGE_SHIFT)})" if n else "0"


def mm_fields(task: Task) -> tuple[tuple[str, str], ...]:
    """The fields of the task's struct mm_struct (include/linux/mm_types.h) the lessons
    are about, as the engine holds them: counts in pages, addresses in hex."""
    mm = task.mm
    return (
        ("mm_users", f"{mm.mm_users}"),
        ("map_count", f"{mm.map_count:,}"),
        ("total_vm", _pages(mm.total_vm)),
        ("locked_vm", _pages(mm.locked_vm)),
        ("data_vm", _pages(mm.data_vm)),
        ("exec_vm", _pages(mm.exec_vm)),
        ("stack_vm", _pages(mm.stack_vm)),
        ("hiwater_rss", _pages(mm.hiwater_rss)),
        ("hiwater_vm", _pages(mm.hiwater_vm)),
        # rss_stat, read as get_mm_counter(mm, MM_...) reads it
        ("MM_ANONPAGES", _pages(mm.rss_anon)),
        ("MM_FILEPAGES", _pages(mm.rss_file)),
        ("MM_SWAPENTS", f"{mm.rss_swap:,}"),
        ("MM_SHMEMPAGES", _pages(mm.rss_shmem)),
        ("pgtables_bytes", f"{mm.pgtables_bytes:,}"),
        ("mmap_base", f"{mm.mmap_base:#x}"),
        ("start_brk", f"{mm.start_brk:#x}"),
        ("brk", f"{mm.brk:#x}"),
        ("start_stack", f"{mm.start_stack:#x}"),
    )


def _tree(task: Task) -> dict[int, TreeEntry]:
    out = {}
    for v in task.mm.vmas.index:
        rb = v.vm_rb
        parent = rb.parent.vma.vm_start if rb.parent is not None else None
        out[v.vm_start] = (v.vm_end, bool(rb.red), parent)
    return out


def _fields(m: Machine, task: Task, cap: Capture) -> dict[int, dict[str, str]]:
    """Every VMA's fields as the pane shows them, Rss counted from the capture's PTEs
    (present ones, the zero page aside: smaps' Rss, procfs.rss_pages)."""
    from vmtui.engine.include.pgtable import pte_pfn, pte_present
    from vmtui.view.snapshot import vma_detail

    zero = m.zero_page.pfn
    resident = sorted(va for va, e in cap.ptes.get(task.pid, {}).items()
                      if pte_present(e) and pte_pfn(e) != zero)
    out = {}
    for v in task.mm.vmas.index:
        rss = bisect_left(resident, v.vm_end) - bisect_left(resident, v.vm_start)
        out[v.vm_start] = dict(vma_detail(m, task, v, True, rss))
    return out


def capture_marks(m: Machine, cap: Capture) -> MarkState:
    """The figures the change marks compare, read from the machine after a step."""
    live = m.live_tasks()
    many = sum(len(t.mm.vmas) for t in live) > MARK_VMAS
    zones = {(z.node.id, z.name): tuple(z.watermark[:3]) for z in m.mem.zones if z.spanned}
    return MarkState(
        tree={t.pid: _tree(t) for t in live},
        fields=None if many else {t.pid: _fields(m, t, cap) for t in live},
        mm={t.pid: dict(mm_fields(t)) for t in live},
        tlb_stats=tuple(m.tlb_stats.get(k, 0) for k in ("hits", "misses", "flushes")),  # type: ignore[arg-type]
        wmarks=zones,  # type: ignore[arg-type]
        kswapd={n.id: {k: getattr(n.kswapd, k, 0) for k in KSWAPD_COUNTS}
                for n in m.mem.nodes if n.kswapd is not None},
    )


# ------------------------------------------------------------------ for the panes


def _states(snap: Snapshot) -> tuple[MarkState, MarkState] | None:
    ch = snap.changes
    return ch.marks if ch is not None else None


def tree_marks(snap: Snapshot, nodes: dict[tuple[int, int], TreeNode]
               ) -> tuple[dict[tuple[int, int], str], tuple[int, ...]]:
    """The rbtree nodes this step changed, by (depth, slot): `+` inserted, `~` its VMA's
    range changed, `↻` moved (its parent is another node), `◐` recoloured; and the
    vm_start of every node it removed."""
    st = _states(snap)
    if st is None or snap.pid not in st[0].tree or snap.pid not in st[1].tree:
        return {}, ()
    was, now = st[0].tree[snap.pid], st[1].tree[snap.pid]
    if was == now:
        return {}, ()
    # a node whose VMA kept its end but not its start (a stack grown down) is the same
    # node with a new range, not an insertion
    ends = {e[0]: s for s, e in was.items() if s not in now}
    same: dict[int, int] = {}  # vm_start now -> vm_start before
    for s, e in now.items():
        if s in was:
            same[s] = s
        elif e[0] in ends:
            same[s] = ends.pop(e[0])
    marks: dict[tuple[int, int], str] = {}
    for key, n in nodes.items():
        old_start = same.get(n.start)
        if old_start is None:
            marks[key] = "+"
            continue
        end, red, parent = was[old_start]
        _end, _red, parent_now = now.get(n.start, (n.end, n.red, None))
        mark = ""
        if old_start != n.start or end != n.end:
            mark += "~"
        if parent != (same.get(parent_now) if parent_now is not None else None):
            mark += "↻"
        if red != n.red:
            mark += "◐"
        if mark:
            marks[key] = mark
    gone = tuple(sorted(s for s in was if s not in set(same.values())))
    return marks, gone


def field_marks(snap: Snapshot) -> tuple[dict[str, str], bool]:
    """The selected VMA's fields this step changed, each with the text it showed before;
    and whether the VMA is new this step (no VMA before started or ended where it does)."""
    st = _states(snap)
    if st is None or st[0].fields is None or not snap.detail:
        return {}, False
    d = dict(snap.detail)
    try:
        start = int(d.get("vm_start", ""), 16)
    except ValueError:
        return {}, False
    was = st[0].fields.get(snap.pid)
    after = (st[1].fields or {}).get(snap.pid)
    if was is None or after is None:
        return {}, False
    now = after.get(start)
    before = was.get(start)
    if before is None:
        # the same VMA with another start (grown down, or the upper part of a split)
        end = d.get("vm_end", "").split(" ")[0]
        before = next((f for f in was.values() if f["vm_end"].split(" ")[0] == end), None)
    if before is None or now is None:
        return {}, now is not None
    return {k: before[k] for k, v in now.items() if k in before and before[k] != v}, False


def mm_marks(snap: Snapshot) -> dict[str, str]:
    """The shown process's mm_struct fields this step changed, with their text before."""
    st = _states(snap)
    if st is None:
        return {}
    was, now = st[0].mm.get(snap.pid), st[1].mm.get(snap.pid)
    if was is None or now is None:
        return {}
    return {k: was[k] for k, v in now.items() if k in was and was[k] != v}


def tlb_stats_before(snap: Snapshot) -> tuple[int, int, int] | None:
    """The TLB's hits, misses and flushes before the step."""
    st = _states(snap)
    return st[0].tlb_stats if st is not None else None


def wmarks_before(snap: Snapshot, nid: int, zone: str) -> tuple[int, int, int] | None:
    st = _states(snap)
    return st[0].wmarks.get((nid, zone)) if st is not None else None


def kswapd_before(snap: Snapshot, nid: int) -> dict[str, int] | None:
    """Node `nid`'s kswapd counts (wakeups, scanned, reclaimed) before the step."""
    st = _states(snap)
    return st[0].kswapd.get(nid) if st is not None else None
