"""What changed between two moments of a machine: VMAs, PTEs, frames, swap slots, counters.

VMMap's "Show Changes" for Linux: `capture()` reads a machine's state (every
process's VMAs and user PTEs, the owner of every frame in use, the swap slots
in use, /proc/vmstat), `compare()` tells two captures apart, `changes_text()`
writes it as `vmtui diff` prints it. The TUI marks a step's changes with the
same comparison of the state before and after the step.

Runtime complexity: O(VMAs + PTEs + pages in use) per capture.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from vmtui.engine.fs import procfs
from vmtui.engine.include.pgtable import (
    _PAGE_RW,
    is_swap_pte,
    pte_flags_text,
    pte_pfn,
    pte_present,
)
from vmtui.engine.views.frames import (
    Owner,
    mappers,
    owner_name,
    owner_sort_key,
    swap_slots,
    used_owners,
    user_ptes,
)

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine

VmaRow = tuple[int, int, str, str]
"""(vm_start, vm_end, perms, name), as /proc/PID/maps shows a VMA."""


@dataclass(frozen=True)
class Capture:
    """A machine's state at one moment, as plain data."""

    comms: dict[int, str]
    vmas: dict[int, tuple[VmaRow, ...]]
    ptes: dict[int, dict[int, int]]  # pid -> va -> entry (present or swap)
    owners: dict[int, Owner]  # pfn -> owner of every frame in use
    swap: dict[tuple[int, int], int]  # (type, offset) -> swap_map count
    counters: dict[str, int]


def capture(m: Machine) -> Capture:
    """Read the machine's state (holding no reference to it)."""
    comms: dict[int, str] = {}
    vmas: dict[int, tuple[VmaRow, ...]] = {}
    ptes: dict[int, dict[int, int]] = {}
    for t in m.live_tasks():
        comms[t.pid] = t.comm
        vmas[t.pid] = tuple((v.vm_start, v.vm_end, v.perms(), procfs.vma_name(v))
                            for v in t.mm.vmas.index)
        ptes[t.pid] = dict(user_ptes(m, t))
    return Capture(comms, vmas, ptes, used_owners(m, mappers(m)), swap_slots(m),
                   dict(m.vmstat))


@dataclass(frozen=True)
class VmaChange:
    """VMAs of one process that changed: `kind` is added, removed, split, merged or changed."""

    pid: int
    kind: str
    before: tuple[VmaRow, ...]
    after: tuple[VmaRow, ...]


@dataclass(frozen=True)
class PteChange:
    """One user PTE of `pid` at `va`, before and after (0: none)."""

    pid: int
    va: int
    before: int
    after: int

    @property
    def kind(self) -> str:
        return pte_change_kind(self.before, self.after)


@dataclass
class Changes:
    """Everything `compare()` found, in the order `changes_text()` prints it."""

    born: list[tuple[int, str]] = field(default_factory=list)
    gone: list[tuple[int, str]] = field(default_factory=list)
    vmas: list[VmaChange] = field(default_factory=list)
    ptes: list[PteChange] = field(default_factory=list)
    frames: dict[int, tuple[Owner, Owner]] = field(default_factory=dict)  # pfn -> (was, is)
    swap_added: list[tuple[int, int]] = field(default_factory=list)
    swap_freed: list[tuple[int, int]] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)  # non-zero deltas
    comms: dict[int, str] = field(default_factory=dict)

    def touched_pfns(self) -> frozenset[int]:
        """Frames whose owner changed or that a changed PTE pointed at, before or after."""
        out = set(self.frames)
        for c in self.ptes:
            for pte in (c.before, c.after):
                if pte and pte_present(pte):
                    out.add(pte_pfn(pte))
        return frozenset(out)

    @property
    def empty(self) -> bool:
        return not (self.born or self.gone or self.vmas or self.ptes or self.frames or
                    self.swap_added or self.swap_freed or self.counters)


def pte_change_kind(before: int, after: int) -> str:
    """A name for what happened to a PTE, as a lecturer would say it."""
    if not before:
        return "swap entry" if is_swap_pte(after) else "new"
    if not after:
        return "cleared"
    if pte_present(before) and is_swap_pte(after):
        return "swapped out"
    if is_swap_pte(before) and pte_present(after):
        return "swapped in"
    if pte_present(before) and pte_present(after):
        if pte_pfn(before) != pte_pfn(after):
            return "new frame (copy)"
        if before & _PAGE_RW and not after & _PAGE_RW:
            return "write-protected"
        if after & _PAGE_RW and not before & _PAGE_RW:
            return "made writable"
        return "flags"
    return "changed"


def _vma_groups(before: tuple[VmaRow, ...], after: tuple[VmaRow, ...]
                ) -> list[tuple[list[VmaRow], list[VmaRow]]]:
    """The rows of one process that are not in both captures, grouped by overlap."""
    bset, aset = set(before), set(after)
    rows = [(r, 0) for r in before if r not in aset] + [(r, 1) for r in after if r not in bset]
    rows.sort(key=lambda x: (x[0][0], x[1]))
    groups: list[tuple[list[VmaRow], list[VmaRow]]] = []
    end = -1
    for r, side in rows:
        if not groups or r[0] >= end:
            groups.append(([], []))
            end = r[1]
        else:
            end = max(end, r[1])
        groups[-1][side].append(r)
    return groups


def compare(a: Capture, b: Capture) -> Changes:
    """What changed from capture `a` to capture `b`."""
    ch = Changes(comms={**a.comms, **b.comms})
    ch.born = [(p, b.comms[p]) for p in sorted(b.comms) if p not in a.comms]
    ch.gone = [(p, a.comms[p]) for p in sorted(a.comms) if p not in b.comms]
    for pid in sorted(set(a.vmas) | set(b.vmas)):
        before, after = a.vmas.get(pid, ()), b.vmas.get(pid, ())
        if before == after:
            continue
        for old, new in _vma_groups(before, after):
            if not old:
                kind = "added"
            elif not new:
                kind = "removed"
            elif len(old) == 1 and len(new) > 1:
                kind = "split"
            elif len(old) > 1 and len(new) == 1:
                kind = "merged"
            else:
                kind = "changed"
            ch.vmas.append(VmaChange(pid, kind, tuple(old), tuple(new)))
    for pid in sorted(set(a.ptes) | set(b.ptes)):
        pa, pb = a.ptes.get(pid, {}), b.ptes.get(pid, {})
        if pa == pb:
            continue
        for va in sorted(set(pa) | set(pb)):
            x, y = pa.get(va, 0), pb.get(va, 0)
            if x != y:
                ch.ptes.append(PteChange(pid, va, x, y))
    for pfn in sorted(set(a.owners) | set(b.owners)):
        was, now = a.owners.get(pfn, "free"), b.owners.get(pfn, "free")
        if was != now:
            ch.frames[pfn] = (was, now)
    ch.swap_added = sorted(s for s in b.swap if s not in a.swap)
    ch.swap_freed = sorted(s for s in a.swap if s not in b.swap)
    for k in sorted(set(a.counters) | set(b.counters)):
        d = b.counters.get(k, 0) - a.counters.get(k, 0)
        if d:
            ch.counters[k] = d
    return ch


# ---------------------------------------------------------------------------- text


def vma_row_text(r: VmaRow) -> str:
    return f"{r[0]:x}-{r[1]:x} {r[2]}" + (f" {r[3]}" if r[3] else "")


def pte_text(pte: int) -> str:
    """`pfn 0xfc0a P RW U A D`, `swap type=0 offset=3` or `none`."""
    if not pte:
        return "none"
    if pte_present(pte):
        return f"pfn {pte_pfn(pte):#x} {pte_flags_text(pte)}"
    return pte_flags_text(pte)


def pfn_ranges(pfns: list[int], limit: int = 6) -> str:
    """`0xfc19-0xfc22, 0xfc30` (runs of consecutive frames), the first `limit` runs."""
    runs: list[list[int]] = []
    for p in sorted(pfns):
        if runs and p == runs[-1][1] + 1:
            runs[-1][1] = p
        else:
            runs.append([p, p])
    parts = [f"{a:#x}" if a == b else f"{a:#x}-{b:#x}" for a, b in runs[:limit]]
    if len(runs) > limit:
        parts.append(f"… ({len(runs) - limit} more runs)")
    return ", ".join(parts)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def changes_text(ch: Changes, a: Capture, b: Capture, show: int = 8) -> list[str]:
    """The comparison as `vmtui diff` prints it: one section per kind of state."""
    def name(o: Owner) -> str:
        return owner_name(o, ch.comms)

    out: list[str] = []
    if ch.born or ch.gone:
        out.append("processes")
        out += [f"  + {name(p)} started" for p, _c in ch.born]
        out += [f"  - {name(p)} gone" for p, _c in ch.gone]
    out.append("VMAs")
    if not ch.vmas:
        out.append("  no change")
    born = {p for p, _c in ch.born}
    gone = {p for p, _c in ch.gone}
    for pid in sorted({c.pid for c in ch.vmas}):
        mine = [c for c in ch.vmas if c.pid == pid]
        if pid in born or pid in gone:
            rows = b.vmas.get(pid, ()) if pid in born else a.vmas.get(pid, ())
            out.append(f"  {name(pid)}: {_plural(len(rows), 'VMA')}, all "
                       f"{'new (a new process)' if pid in born else 'gone with the process'}")
            continue
        out.append(f"  {name(pid)}:")
        for c in mine:
            if c.kind == "added":
                out += [f"    added    {vma_row_text(r)}" for r in c.after]
            elif c.kind == "removed":
                out += [f"    removed  {vma_row_text(r)}" for r in c.before]
            else:
                out.append(f"    {c.kind:<8} " + ", ".join(vma_row_text(r) for r in c.before))
                out.append("          -> " + ", ".join(vma_row_text(r) for r in c.after))

    out.append("PTEs (by process)")
    if not ch.ptes:
        out.append("  no change")
    for pid in sorted({c.pid for c in ch.ptes}):
        pte_ch = [p for p in ch.ptes if p.pid == pid]
        kinds: dict[str, int] = {}
        for p in pte_ch:
            kinds[p.kind] = kinds.get(p.kind, 0) + 1
        out.append(f"  {name(pid)}: {_plural(len(pte_ch), 'PTE')} changed: " +
                   ", ".join(f"{n:,} {k}" for k, n in kinds.items()))
        for p in pte_ch[:show]:
            out.append(f"    {p.va:#x}  {pte_text(p.before)} -> {pte_text(p.after)}")
        if len(pte_ch) > show:
            out.append(f"    … {len(pte_ch) - show:,} more")
    out.append("frames (by owner)")
    if not ch.frames:
        out.append("  no change")
    else:
        before: dict[Owner, int] = {}
        after: dict[Owner, int] = {}
        for o in a.owners.values():
            before[o] = before.get(o, 0) + 1
        for o in b.owners.values():
            after[o] = after.get(o, 0) + 1
        moved = {o for pair in ch.frames.values() for o in pair}
        for o in sorted(moved, key=owner_sort_key):
            if o == "free":
                continue
            n0, n1 = before.get(o, 0), after.get(o, 0)
            out.append(f"  {name(o)}: {n0:,} -> {n1:,} ({n1 - n0:+,})")
        moves: dict[tuple[Owner, Owner], list[int]] = {}
        for pfn, pair in ch.frames.items():
            moves.setdefault(pair, []).append(pfn)
        out.append("  moves:")
        for (was, now), pfns in sorted(moves.items(), key=lambda kv: (
                owner_sort_key(kv[0][1]), owner_sort_key(kv[0][0]))):
            out.append(f"    {name(was)} -> {name(now)}: {_plural(len(pfns), 'frame')} "
                       f"{pfn_ranges(pfns)}")
    out.append("swap slots")
    if not (ch.swap_added or ch.swap_freed):
        out.append("  no change")
    if ch.swap_added:
        out.append(f"  + {_plural(len(ch.swap_added), 'slot')} in use: " +
                   _slots(ch.swap_added))
    if ch.swap_freed:
        out.append(f"  - {_plural(len(ch.swap_freed), 'slot')} freed: " +
                   _slots(ch.swap_freed))
    out.append("counters (/proc/vmstat, non-zero deltas)")
    if not ch.counters:
        out.append("  no change")
    for k, d in ch.counters.items():
        out.append(f"  {k:<24} {d:+,}")
    return out


def _slots(slots: list[tuple[int, int]], limit: int = 6) -> str:
    by_type: dict[int, list[int]] = {}
    for t, off in slots:
        by_type.setdefault(t, []).append(off)
    return "; ".join(f"swap {t} offset {_runs(offs, limit)}" for t, offs in by_type.items())


def _runs(nums: list[int], limit: int) -> str:
    runs: list[list[int]] = []
    for n in sorted(nums):
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    parts = [str(a) if a == b else f"{a}-{b}" for a, b in runs[:limit]]
    if len(runs) > limit:
        parts.append(f"… ({len(runs) - limit} more runs)")
    return ", ".join(parts)
