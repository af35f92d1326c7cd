"""Who owns each physical frame: the map `show frames` prints and the TUI's frame map draws.

The teaching OSes' memory viewers draw RAM one glyph per frame, coloured by
its owner. Here the owner is read from the page tables and struct page:

- a frame some process maps (a present user PTE points at it) belongs to that
  process; mapped by several (after fork, before copy on write), it is shared;
- a page-table page, the kernel's own pages (vmalloc, the zero page), the
  page cache (a file page nobody maps) and the swap cache (an anonymous page
  nobody maps, waiting for its swap slot) are classes of their own;
- a frame without a struct page is free (in a buddy block) or reserved at boot
  (the kernel image, the memmap of struct pages, the BIOS page).

Runtime complexity: O(PTEs + pages in use) for the owner map of a whole machine;
O(frames in the window) per window once the owners are known.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from vmtui.engine.include.fs import File
from vmtui.engine.include.layout import PAGE_SHIFT
from vmtui.engine.include.mmzone import (
    ZONE_NAMES,
    PG_kernel,
    PG_pgtable,
    PG_reserved,
    PG_swapcache,
    PG_zero,
)
from vmtui.engine.include.pgtable import is_swap_pte, pte_pfn, pte_present, swp_offset, swp_type
from vmtui.engine.mm import rmap
from vmtui.engine.views.frames_base import (
    CLASS_GLYPHS,
    CLASS_NAMES,
    CLASSES,
    Owner,
    owner_glyph,
    owner_name,
    owner_sort_key,
    parse_range,
)

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine, Task

ROW = 64
"""Frames per row of the text map: 64 frames = 256 KiB, so rows start at round addresses."""


# ---------------------------------------------------------------------------- owners


def user_ptes(m: Machine, task: Task) -> Iterator[tuple[int, int]]:
    """Every (va, entry) of the task's user page tables that is not none, in address order."""
    mm = task.mm
    if mm.pgd is None:
        return
    for table, i, va in m.pt.iter_ptes(mm.pgd, 0, mm.task_size):
        pte = table.entries[i]
        if isinstance(pte, int) and pte:
            yield va, pte


def mappers(m: Machine) -> dict[int, set[int] | int]:
    """pfn -> the pid mapping it (an int), or the set of pids when several do."""
    out: dict[int, set[int] | int] = {}
    for task in m.live_tasks():
        pid = task.pid
        for _va, pte in user_ptes(m, task):
            if not pte_present(pte):
                continue
            pfn = pte_pfn(pte)
            cur = out.get(pfn)
            if cur is None:
                out[pfn] = pid
            elif isinstance(cur, int):
                if cur != pid:
                    out[pfn] = {cur, pid}
            else:
                cur.add(pid)
    return out


def _reserved_at(m: Machine, pfn: int) -> bool:
    return any(a <= pfn < b for a, b, _what in m.reserved)


def frame_owner(m: Machine, pfn: int, who: dict[int, set[int] | int]) -> Owner:
    """The owner of one frame, given `mappers(m)` (read through FrameTable.peek: drawing
    the map makes no Page for a frame the frame table holds only in its arrays)."""
    page = m.mem.pages.peek(pfn)
    if page is None:
        return "reserved" if _reserved_at(m, pfn) else "free"
    f = page.flags
    if f & PG_pgtable:
        return "pagetable"
    if f & (PG_kernel | PG_reserved | PG_zero):
        return "kernel"
    mapped = who.get(pfn)
    if isinstance(mapped, int):
        return mapped
    if mapped:
        return "shared"
    if isinstance(page.mapping, File):
        return "pagecache"
    if f & PG_swapcache:
        return "swapcache"
    return "kernel"


def used_owners(m: Machine, who: dict[int, set[int] | int] | None = None) -> dict[int, Owner]:
    """pfn -> owner of every frame in use (those with a struct page)."""
    who = mappers(m) if who is None else who
    return {pfn: frame_owner(m, pfn, who) for pfn in m.mem.pages}


def swap_slots(m: Machine) -> dict[tuple[int, int], int]:
    """(swap type, offset) -> its swap_map count, for every slot in use."""
    out: dict[tuple[int, int], int] = {}
    for t, si in enumerate(m.swap.areas):
        for off, count in enumerate(si.swap_map):
            if count and off:  # slot 0 holds the swap header
                out[(t, off)] = count
    return out


def swap_of(pte: int) -> tuple[int, int] | None:
    return (swp_type(pte), swp_offset(pte)) if is_swap_pte(pte) else None


# ---------------------------------------------------------------------------- the text map


@dataclass(frozen=True)
class Span:
    """A stretch of frames `show frames` draws: [lo, hi) with a heading."""

    lo: int
    hi: int
    title: str


class FramesSpecError(ValueError):
    """A NODE, ZONE or PFN-RANGE that does not name frames of this machine."""


def spans(m: Machine, spec: str | None) -> list[Span]:
    """The stretches `spec` names: every zone of every node (None), a node (`0`, `node1`),
    a zone (`Normal`, `1:Normal` on node 1) or a PFN range (`0xfc00-0xfd00`)."""
    zones = [z for z in m.mem.zones if z.spanned]

    def zone_span(z) -> Span:  # type: ignore[no-untyped-def]
        return Span(z.start_pfn, z.end_pfn,
                    f"node {z.node.id} {z.name}: pfn {z.start_pfn:#x}-{z.end_pfn:#x} "
                    f"({z.spanned:,} frames, {_mib(z.spanned)})")

    if spec is None or spec == "":
        return [zone_span(z) for z in zones]
    s = spec.strip()
    rng = parse_range(s)
    if rng is not None:
        lo, hi = rng
        if not 0 <= lo < hi <= m.mem.max_pfn:
            raise FramesSpecError(f"pfn range {s}: expected LO-HI with "
                                  f"0 <= LO < HI <= {m.mem.max_pfn:#x}")
        return [Span(lo, hi, f"pfn {lo:#x}-{hi:#x} ({hi - lo:,} frames)")]
    low = s.lower()
    node_text = low.removeprefix("node").removeprefix("n")
    if node_text.isdigit():
        nid = int(node_text)
        picked = [z for z in zones if z.node.id == nid]
        if not picked:
            n = len(m.mem.nodes)
            raise FramesSpecError(f"no node {nid}: this machine has " +
                                  ("node 0 only" if n == 1 else f"nodes 0-{n - 1}"))
        return [zone_span(z) for z in picked]
    nid_s, colon, zname = low.rpartition(":")
    names = [n.lower() for n in ZONE_NAMES]
    if zname in names:
        picked = [z for z in zones if z.name.lower() == zname]
        if colon:
            nid_s = nid_s.removeprefix("node").removeprefix("n")
            if not nid_s.isdigit():
                raise FramesSpecError(f"{s!r}: expected NODE:ZONE, e.g. 1:Normal")
            picked = [z for z in picked if z.node.id == int(nid_s)]
        if not picked:
            raise FramesSpecError(f"no zone {s} on this machine")
        return [zone_span(z) for z in picked]
    raise FramesSpecError(f"{s!r}: expected a node (0, node1), a zone "
                          f"({', '.join(ZONE_NAMES)}, or 1:Normal) or a pfn range "
                          "(0xfc00-0xfd00)")


def _mib(frames: int) -> str:
    kib = frames << (PAGE_SHIFT - 10)
    return f"{kib / 1024:,.1f} MiB" if kib % 1024 else f"{kib // 1024:,} MiB"


def row_glyphs(m: Machine, lo: int, hi: int, owners: dict[int, Owner]) -> str:
    """The glyphs of frames [lo, hi): in-use frames from `owners`, the rest free/reserved."""
    out = []
    for pfn in range(lo, hi):
        o = owners.get(pfn)
        if o is None:
            o = "reserved" if _reserved_at(m, pfn) else "free"
        out.append(owner_glyph(o))
    return "".join(out)


def _rows(m: Machine, span: Span, owners: dict[int, Owner],
          used_rows: set[int]) -> Iterator[tuple[int, int, str]]:
    """(row start, row end, glyphs) of the span; rows with nothing in use and no reserved
    frame are made without looking at each frame (they are all free)."""
    resv = [(a, b) for a, b, _w in m.reserved if a < span.hi and b > span.lo]
    row = span.lo - span.lo % ROW
    while row < span.hi:
        a, b = max(row, span.lo), min(row + ROW, span.hi)
        if row // ROW in used_rows or any(ra < b and rb > a for ra, rb in resv):
            yield a, b, row_glyphs(m, a, b, owners)
        else:
            yield a, b, "." * (b - a)
        row += ROW


def frames_text(m: Machine, spec: str | None = None) -> str:
    """`show frames [NODE|ZONE|PFN-RANGE]`: one glyph per frame, 64 to a row, each row
    headed by its first pfn; runs of rows that hold one owner only are folded to a line."""
    chosen = spans(m, spec)
    owners = used_owners(m)
    used_rows = {pfn // ROW for pfn in owners}
    comms = {t.pid: t.comm for t in m.live_tasks()}
    width = max(5, len(f"{m.mem.max_pfn:#x}"))
    lines = [f"physical frames, one glyph per frame ({ROW} per row = "
             f"{ROW << (PAGE_SHIFT - 10)} KiB); rows of a single owner folded"]
    legend = [f"{owner_glyph(p)} {owner_name(p, comms)}" for p in sorted(comms)]
    legend += [f"{CLASS_GLYPHS[c]} {CLASS_NAMES[c]}" for c in CLASSES]
    lines.append("legend: " + " · ".join(legend))
    for span in chosen:
        lines.append("")
        lines.append(span.title)
        lines.extend(_span_lines(m, span, owners, used_rows, comms, width))
        lines.append("  frames: " + " · ".join(
            f"{owner_name(o, comms)} {n:,}" for o, n in span_counts(m, span, owners)))
    return "\n".join(lines) + "\n"


def _span_lines(m: Machine, span: Span, owners: dict[int, Owner], used_rows: set[int],
                comms: dict[int, str], width: int) -> list[str]:
    """The rows of one span; a run of whole rows of one glyph becomes one line."""
    out: list[str] = []
    fold: list[tuple[int, int, str]] = []

    def flush() -> None:
        if len(fold) == 1:
            out.append(f"  {fold[0][0]:#0{width}x} {fold[0][2]}")
        elif fold:
            a, b, g = fold[0][0], fold[-1][1], fold[0][2][0]
            o = owners.get(a) or ("reserved" if _reserved_at(m, a) else "free")
            out.append(f"  {a:#0{width}x} {g * 8}… {b - a:,} frames, all "
                       f"{owner_name(o, comms)} (to {b - 1:#x})")
        fold.clear()

    for a, b, glyphs in _rows(m, span, owners, used_rows):
        uniform = glyphs == glyphs[0] * len(glyphs) and b - a == ROW
        if uniform and fold and fold[-1][2][0] == glyphs[0]:
            fold.append((a, b, glyphs))
            continue
        flush()
        if uniform:
            fold.append((a, b, glyphs))
        else:
            out.append(f"  {a:#0{width}x} {glyphs}")
    flush()
    return out


def span_counts(m: Machine, span: Span, owners: dict[int, Owner]) -> list[tuple[Owner, int]]:
    """How many frames of the span each owner has (free and reserved included)."""
    counts: dict[Owner, int] = {}
    for pfn, o in owners.items():
        if span.lo <= pfn < span.hi:
            counts[o] = counts.get(o, 0) + 1
    resv = 0
    for a, b, _w in m.reserved:
        lo, hi = max(a, span.lo), min(b, span.hi)
        if lo < hi:
            resv += (hi - lo) - sum(1 for p in range(lo, hi) if p in owners)
    if resv:
        counts["reserved"] = counts.get("reserved", 0) + resv
    free = (span.hi - span.lo) - sum(counts.values())
    if free:
        counts["free"] = free
    return sorted(counts.items(), key=lambda kv: owner_sort_key(kv[0]))


# ---------------------------------------------------------------------------- windows


def window(m: Machine, lo: int, hi: int, who: dict[int, set[int] | int] | None = None
           ) -> tuple[Owner, ...]:
    """The owner of every frame in [lo, hi) (for the TUI's frame map).

    Without `who` (a machine too big to read every PTE at each step), a mapped frame's
    owners come from the reverse map (rmap_walk) instead, checked against the PTEs.
    """
    pages = m.mem.pages
    out: list[Owner] = []
    if who is None:
        who = _rmap_mappers(m, (p for p in (pages.peek(pfn) for pfn in range(lo, hi))
                                if p is not None and p.mapcount > 0))
    for pfn in range(lo, hi):
        out.append(frame_owner(m, pfn, who))
    return tuple(out)


def _rmap_mappers(m: Machine, pages: Iterable) -> dict[int, set[int] | int]:  # type: ignore[type-arg]

    pid_of = {id(t.mm): t.pid for t in m.live_tasks()}
    out: dict[int, set[int] | int] = {}
    for page in pages:
        pids: set[int] = set()
        for vma, addr in rmap.rmap_walk(page):
            pid = pid_of.get(id(vma.vm_mm))
            if pid is None or vma.vm_mm.pgd is None:
                continue
            pte = m.pt.leaf(vma.vm_mm.pgd, addr)
            if pte_present(pte) and pte_pfn(pte) == page.pfn:
                pids.add(pid)
        if len(pids) == 1:
            out[page.pfn] = next(iter(pids))
        elif pids:
            out[page.pfn] = pids
    return out
