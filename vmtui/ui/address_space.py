"""AddressSpacePane: the whole virtual address space as one vertical bar, top address first.

Segments are drawn to scale where the rows allow and never vanish (one row at
least); the huge empty stretches (most of 128 TiB, the non-canonical hole)
are compressed into one row each and drawn as gaps, with their size. The
fixed regions (kernel half, hole, guard page) are the engine's
layout.regions(); the kernel half's map is its kernel_regions().
"""

from __future__ import annotations

from rich.text import Text

from vmtui.ui.lines_view import LinesView
from vmtui.view.i18n import human, t, tr
from vmtui.view.snapshot import Band, Snapshot

GLYPH = {"gap": "┊┊", "hole": "░░", "guard": "╌╌", "kernel": "██", "bss": "▒▒"}
FIXED = ("gap", "hole", "guard", "kernel")
"""Bands that keep one row of their own and never merge with a neighbour."""
TOUCHED_COST = 1 << 80  # merging the touched band away costs more than any real size


def _contains(band: Band, addr: int | None) -> bool:
    return addr is not None and band.lo <= addr < band.hi


def fit_bands(bands: tuple[Band, ...], rows: int,
              touched: int | None = None) -> list[tuple[Band, int]]:
    """Give each band rows: gaps and fixed regions one, mappings the rest by size.

    When there are more bands than rows, neighbouring mappings (no gap between
    them) merge: mappings of one file first, then the smallest pair. The band
    holding `touched` (the step's address) stays apart: the smallest gaps go
    before it merges.
    """
    items = list(bands)

    def cost(i: int) -> int | None:
        a, b = items[i], items[i + 1]
        if a.kind in FIXED or b.kind in FIXED:
            return None
        size = a.hi - b.lo
        if a.label != b.label:
            size <<= 48  # a library's VMAs become one band before two files do
        if _contains(a, touched) or _contains(b, touched):
            size += TOUCHED_COST
        return size

    while len(items) > rows:
        best = None
        for i in range(len(items) - 1):
            c = cost(i)
            if c is not None and (best is None or c < best[0]):
                best = (c, i)
        gaps = [i for i, b in enumerate(items) if b.kind == "gap"]
        if best is None or best[0] >= TOUCHED_COST and gaps:
            # nothing left to merge but the touched band: drop the smallest gap instead
            if not gaps:
                break
            del items[min(gaps, key=lambda i: items[i].hi - items[i].lo)]
            continue
        i = best[1]
        a, b = items[i], items[i + 1]
        count = a.count + b.count
        kind = a.kind if a.kind == b.kind else "many"
        label = a.label if a.label == b.label else "mappings"
        items[i:i + 2] = [Band(b.lo, a.hi, label, kind, count, a.grows or b.grows,
                               a.wx or b.wx)]
    alloc = [1] * len(items)
    spare = rows - len(items)
    sized = [i for i, b in enumerate(items) if b.kind not in FIXED]
    if spare > 0 and sized:
        total = sum(items[i].hi - items[i].lo for i in sized) or 1
        # to scale: rows in proportion to size; the biggest remainders get the leftovers
        shares = [(items[i].hi - items[i].lo) * spare / total for i in sized]
        for i, s in zip(sized, shares, strict=True):
            alloc[i] += int(s)
        left = rows - sum(alloc)
        order = sorted(range(len(sized)), key=lambda k: -(shares[k] - int(shares[k])))
        for k in order[:max(0, left)]:
            alloc[sized[k]] += 1
    elif spare > 0:
        alloc[0] += spare
    return list(zip(items, alloc, strict=True))


def band_label(band: Band) -> str:
    """What a band's row says: its name, and how many VMAs a merged band stands for."""
    if band.count <= 1:
        return band.label
    if band.label == "mappings":
        return f"{band.count:,} mappings"
    return f"{band.label} ×{band.count:,}"


class AddressSpacePane(LinesView):
    """Kernel half on top (shared by every process), the non-canonical hole and the
    guard page below it, then the user half: stack growing down, the mmap area growing
    down, heap growing up, BSS, data, text. The band this step touched is marked (◀) and
    kept apart from its neighbours, other bands holding VMAs the step added (+) or
    changed (~) are marked too; W+X mappings are flagged."""

    MIN_WIDTH = 24
    MIN_HEIGHT = 5
    DEFAULT_CSS = """
    AddressSpacePane { padding: 0 0 0 1; }
    AddressSpacePane > .as--kernel { color: $error 80%; }
    AddressSpacePane > .as--hole { color: $text-muted; }
    AddressSpacePane > .as--guard { color: $text-muted; }
    AddressSpacePane > .as--gap { color: $text-muted; }
    AddressSpacePane > .as--text { color: $primary; }
    AddressSpacePane > .as--data { color: $secondary; }
    AddressSpacePane > .as--bss { color: $secondary; }
    AddressSpacePane > .as--heap { color: $success; }
    AddressSpacePane > .as--mmap { color: $warning; }
    AddressSpacePane > .as--many { color: $warning; }
    AddressSpacePane > .as--file { color: $primary; }
    AddressSpacePane > .as--stack { color: $accent; }
    AddressSpacePane > .as--special { color: $text-muted; }
    AddressSpacePane > .as--label { color: $text; }
    AddressSpacePane > .as--touched {
        background: $accent 30%; color: $foreground; text-style: bold;
    }
    AddressSpacePane > .as--mark { color: $accent; text-style: bold; }
    AddressSpacePane > .as--wx { color: $error; text-style: bold; }
    AddressSpacePane > .as--changed { color: $warning; text-style: bold; }
    """
    COMPONENT_CLASSES = LinesView.COMPONENT_CLASSES | {
        f"as--{k}" for k in ("kernel", "hole", "guard", "gap", "text", "data", "bss", "heap",
                             "mmap", "many", "file", "stack", "special", "label", "touched",
                             "mark", "wx", "changed")}
    fit = True

    def build(self, snap: Snapshot) -> None:
        self.border_title = t("addr", self.lang)
        self.border_subtitle = f"pid {snap.pid} · {snap.arch}" if snap.pid else snap.arch
        st = self.style
        rows = max(3, self.scrollable_content_region.height)
        width = self.content_width()
        if not snap.bands:
            self.set_lines([], t("no_process", self.lang))
            return
        lines: list[Text] = []
        # as many hex digits as the user half's top address has (12 on x86-64, 8 on i386)
        user_top = next((hi for _lo, hi, name in snap.layout if name == "user"), 1 << 47)
        digits = len(f"{user_top - 1:x}")
        addr_w = digits if width >= digits + 22 else 0
        touched = snap.touched
        # VMAs this step added (+) or split, merged or changed (~): marked beside the bar
        changed = [(r[0], r[1], "+" if c.kind == "added" else "~")
                   for c in (snap.changes.vmas if snap.changes is not None else ())
                   if c.pid == snap.pid for r in c.after]
        for band, n in fit_bands(snap.bands, rows, touched):
            kind = band.kind
            style = st(f"as--{kind}")
            here = _contains(band, touched) and kind != "hole"
            glyph = GLYPH.get(kind, "██")
            new = next((m for lo, hi, m in changed if lo < band.hi and hi > band.lo), " ") \
                if kind not in ("kernel", "hole", "guard", "gap") else " "
            for r in range(n):
                # the mark sits right of the bar, before any text, so no width cuts it off
                line = Text(glyph, style)
                if here and r == 0:
                    line.append("◀", st("as--mark"))
                else:
                    line.append(new if r == 0 else " ", st("as--changed"))
                if r == 0:
                    line.append(" ")
                    self._describe(line, band, snap, width - 4, addr_w)
                if here:
                    line.stylize(st("as--touched"), 3)
                lines.append(line)
        self.set_lines(lines[:rows])

    def _describe(self, line: Text, band: Band, snap: Snapshot, room: int,
                  addr_w: int) -> None:
        """The text of a band's first row, cut to `room` cells; the size is always shown."""
        st = self.style
        kind = band.kind
        size = human(band.hi - band.lo)
        if kind == "gap":
            line.append(" " * (addr_w + 1) if addr_w else "")
            line.append(f"≈ {size} unmapped", st("as--gap"))
            return
        if kind == "hole":
            name = band.label if room >= len(band.label) + len(size) + 1 else "hole"
            line.append(f"{name} {size}", st("as--hole"))
            return
        if kind == "kernel":
            full, short = tr(band.label, self.lang), tr("kernel (shared)", self.lang)
            label = full if room >= Text(full).cell_len else short
            where = next((name for lo, hi, name in snap.kernel_map
                          if snap.touched is not None and lo <= snap.touched < hi), None)
            if where is not None:
                label = f"kernel: {where}"
            line.append(label if len(label) <= room else label[:room - 1] + "…",
                        st("as--label"))
            return
        if addr_w and room >= addr_w + 12:
            line.append(f"{band.lo:0{addr_w}x}"[-addr_w:] + " ", st("as--gap"))
            room -= addr_w + 1
        arrow = {"up": "↑", "down": "↓"}.get(band.grows, "")
        tail = f" {size}{arrow}"
        wx = " W+X!" if band.wx else ""
        label = band_label(band)
        fit = max(1, room - len(tail) - len(wx))
        if len(label) > fit and band.count > 1 and band.label != "mappings":
            label = band.label  # the name matters more than how many VMAs it has
        if len(label) > fit:
            label = label[:fit - 1] + "…"
        line.append(label, st("as--label"))
        line.append(tail, st("as--gap"))
        if wx:
            line.append(wx, st("as--wx"))
