"""The frame map: one glyph per physical frame, coloured by who owns it.

The physical-memory pane draws it under the zones' watermarks. The owners are
the engine's own classification (vmtui.engine.views.frames, the same as `show
frames`): a process's digit, `+` shared by several, `P` page table, `K`
kernel, `C` page cache, `S` swap cache, `R` reserved at boot, `.` free. The
frames the step touched (their owner changed, or a PTE it changed points at
them) are drawn in reverse video. When the whole of RAM does not fit, the map
zooms to the rows holding those frames (or, after a step that touched none,
the shown process's frames), with a `⋮` line for every stretch left out.

Everything here is plain data in, Rich Text out: it runs on the UI's thread.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text

from vmtui.engine.views.frames_base import CLASS_NAMES, CLASSES, Owner, owner_glyph, owner_sort_key
from vmtui.view.i18n import t, tr
from vmtui.view.snapshot import Snapshot

PID_STYLES = 6
"""Processes take the colours fm--pid0 .. fm--pid5 in turn (pid 1 the first)."""
ROW_ALIGN = 16
"""Frames per row are a multiple of this, so row labels go up in round numbers."""


def owner_class(owner: Owner) -> str:
    """The component class (suffix) of an owner's colour."""
    if isinstance(owner, int):
        return f"pid{(owner - 1) % PID_STYLES}"
    return owner


@dataclass(frozen=True)
class MapRow:
    """A row of the map: frames [lo, hi) of zone `zone` (an index into the zone list)."""

    lo: int
    hi: int
    zone: int


@dataclass(frozen=True)
class Plan:
    """What the map shows: rows, `None` for a `⋮` line standing for `skipped[i]` frames."""

    per_row: int
    rows: tuple[MapRow | None, ...]
    skipped: tuple[int, ...]
    zoomed: bool
    more: int  # rows with frames of interest that did not fit


def per_row(width: int, label: int) -> int:
    """Frames a row holds at this width: a multiple of ROW_ALIGN when there is room."""
    room = max(1, width - label - 1)
    return room // ROW_ALIGN * ROW_ALIGN if room >= ROW_ALIGN else room


def _layout(picked: list[int]) -> list[int | None]:
    """Sorted row indices as lines: a row left out between two shown is shown too (it
    takes the line a `⋮` would), a longer stretch becomes one `⋮` line (None)."""
    out: list[int | None] = []
    last = -1
    for i in picked:
        if last >= 0 and i == last + 2:
            out.append(last + 1)
        elif last >= 0 and i > last + 2:
            out.append(None)
        out.append(i)
        last = i
    return out


def plan(spans: list[tuple[int, int]], interest: set[int], n: int, height: int,
         in_use: Callable[[int, int], bool]) -> Plan:
    """Rows of `n` frames for each span [lo, hi); all of them when they fit in `height`
    lines, else the rows holding a frame of `interest` (else rows holding any frame in
    use), a `⋮` line for each stretch of rows between them, and as many rows around
    them as the lines left allow."""
    every: list[MapRow] = []
    first: list[int] = []  # the index of each span's first row
    for zi, (lo, hi) in enumerate(spans):
        first.append(len(every))
        every.extend(MapRow(a, min(a + n, hi), zi) for a in range(lo, hi, n))
    if len(every) <= height:
        return Plan(n, tuple(every), (), False, 0)
    los = [lo for lo, _hi in spans]

    def row_of(pfn: int) -> int | None:
        zi = bisect_right(los, pfn) - 1
        if zi < 0 or pfn >= spans[zi][1]:
            return None
        return first[zi] + (pfn - los[zi]) // n

    wanted = sorted({r for r in map(row_of, interest) if r is not None})
    if not wanted:
        wanted = [i for i, r in enumerate(every) if in_use(r.lo, r.hi)]
    picked: list[int] = []
    more = 0
    used = 0  # lines so far
    for i in wanted:
        cost = 1 if not picked or i == picked[-1] + 1 else 2  # a row between, or a ⋮ line
        if more or used + cost > height:
            more += 1
            continue
        picked.append(i)
        used += cost
    # context: the rows after each group, then before, while they fit
    grown = True
    while grown and not more:
        grown = False
        chosen = set(picked)
        for i in sorted(chosen):
            for c in (i + 1, i - 1):
                if 0 <= c < len(every) and c not in chosen:
                    trial = sorted(chosen | {c})
                    if len(_layout(trial)) <= height:
                        chosen.add(c)
                        grown = True
        picked = sorted(chosen)
    rows: list[MapRow | None] = []
    skipped: list[int] = []
    prev = -1
    for i in _layout(picked):
        if i is None:
            rows.append(None)
            continue
        if rows and rows[-1] is None:
            skipped.append(sum(x.hi - x.lo for x in every[prev + 1:i]))
        rows.append(every[i])
        prev = i
    return Plan(n, tuple(rows), tuple(skipped), True, more)


def frame_lines(snap: Snapshot, width: int, height: int, style: Callable[[str], Style],
                lang: str) -> tuple[list[Text], str]:
    """The map's lines (at most `height`, its legend included) and a caption for the
    pane's border."""
    fm = snap.frame_map
    if fm is None or not fm.known:
        return [Text(t("fm_unknown", lang), style("lines--dim"))], ""
    owners = fm.owners
    reserved = [(a, b) for a, b, _w in snap.reserved]
    changes = snap.changes
    touched = set(changes.touched) if changes is not None else set()
    if not touched and snap.walk is not None and snap.walk.fresh and snap.walk.pfn is not None \
            and changes is None:
        touched = {snap.walk.pfn}
    spans = list(fm.known)
    label = max(4, len(f"{max(hi for _lo, hi in spans) - 1:x}"))
    # on a NUMA machine each row says its node: N1 1ffc00
    node_of = {z.start_pfn: z.nid for nd in snap.nodes for z in nd.zones}
    nodes = [node_of.get(lo) for lo, _hi in spans] if len(snap.nodes) > 1 else []
    n = per_row(width, label + (3 if nodes else 0))

    def owner(pfn: int) -> Owner:
        o = owners.get(pfn)
        if o is not None:
            return o
        return "reserved" if any(a <= pfn < b for a, b in reserved) else "free"

    used = sorted(owners)

    def in_use(lo: int, hi: int) -> bool:
        i = bisect_left(used, lo)
        return i < len(used) and used[i] < hi

    interest = touched or set(fm.focus)
    # the legend takes the lines it needs (up to three): the map is planned again when it
    # needs more than was left for it
    for legend_h in (1, 2, 3):
        pl = plan(spans, interest, n, max(1, height - legend_h), in_use)
        lines, seen = _rows(pl, owner, touched, label, style, lang, nodes)
        keys = legend(seen, fm.comms, bool(touched), width, style, lang)
        if len(keys) <= legend_h or height - legend_h <= 3:
            break
    lines.extend(keys[:legend_h])
    caption = t("fm_zoomed", lang) if pl.zoomed else t("fm_all", lang)
    return lines, caption


def _rows(pl: Plan, owner: Callable[[int], Owner], touched: set[int], label: int,
          style: Callable[[str], Style], lang: str, nodes: list[int | None]
          ) -> tuple[list[Text], set[Owner]]:
    """The planned rows as lines, and the owners they show."""
    lines: list[Text] = []
    seen: set[Owner] = set()
    skip = iter(pl.skipped)
    new = style("fm--new")
    for row in pl.rows:
        if row is None:
            lines.append(Text(f"{'⋮':>{label + (3 if nodes else 0)}} {next(skip):,} "
                              f"{t('fm_frames', lang)}", style("lines--dim")))
            continue
        nid = nodes[row.zone] if nodes else None
        line = Text(f"N{nid} " if nid is not None else "   " if nodes else "", "bold")
        line.append(f"{row.lo:0{label}x} ", style("lines--dim"))
        run_key: tuple[str, bool] | None = None
        run = ""
        for pfn in range(row.lo, row.hi):
            o = owner(pfn)
            seen.add(o)
            key = (owner_class(o), pfn in touched)
            if key != run_key:
                if run_key is not None:
                    line.append(run, style(f"fm--{run_key[0]}") + new if run_key[1]
                                else style(f"fm--{run_key[0]}"))
                run_key, run = key, ""
            run += owner_glyph(o)
        if run_key is not None:
            line.append(run, style(f"fm--{run_key[0]}") + new if run_key[1]
                        else style(f"fm--{run_key[0]}"))
        lines.append(line)
    if pl.more:
        lines.append(Text(f"… {pl.more:,} {t('fm_more_rows', lang)}", style("lines--dim")))
    return lines, seen


def legend(seen: set[Owner], comms: dict[int, str], touched: bool, width: int,
           style: Callable[[str], Style], lang: str) -> list[Text]:
    """What each glyph shown stands for, in its colour; then the reverse-video mark."""
    items: list[tuple[str, str, str]] = []
    for o in sorted(seen, key=owner_sort_key):
        if isinstance(o, int):
            name = f"pid {o}" + (f" {comms[o]}" if o in comms and len(seen) < 6 else "")
        else:
            name = tr(CLASS_NAMES[o], lang)
        items.append((owner_glyph(o), f"fm--{owner_class(o)}", name))
    if touched:
        items.append(("▌", "fm--mark", t("fm_this_step", lang)))
    out = [Text()]
    for glyph, cls, name in items:
        cur = out[-1]
        piece = Text()
        piece.append(glyph, style(cls) + (style("fm--new") if cls == "fm--mark" else Style()))
        piece.append(f" {name}  ")
        if cur.cell_len and cur.cell_len + piece.cell_len > width:
            out.append(Text())
            cur = out[-1]
        cur.append_text(piece)
    return out


FM_CSS = """
PhysMemPane > .fm--pid0 { color: $warning; text-style: bold; }
PhysMemPane > .fm--pid1 { color: $success; text-style: bold; }
PhysMemPane > .fm--pid2 { color: $primary; text-style: bold; }
PhysMemPane > .fm--pid3 { color: $secondary; text-style: bold; }
PhysMemPane > .fm--pid4 { color: $accent; text-style: bold; }
PhysMemPane > .fm--pid5 { color: $error; text-style: bold; }
PhysMemPane > .fm--shared { color: $text; text-style: bold; }
PhysMemPane > .fm--kernel { color: $error; }
PhysMemPane > .fm--pagetable { color: $accent; }
PhysMemPane > .fm--pagecache { color: $primary; }
PhysMemPane > .fm--swapcache { color: $secondary; }
PhysMemPane > .fm--reserved { color: $text-muted; }
PhysMemPane > .fm--free { color: $foreground 35%; }
PhysMemPane > .fm--mark { color: $text; }
PhysMemPane > .fm--new { text-style: reverse bold; }
"""
FM_CLASSES = {f"fm--pid{i}" for i in range(PID_STYLES)} | {f"fm--{c}" for c in CLASSES} | {
    "fm--mark", "fm--new"}
