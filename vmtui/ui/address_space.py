"""AddressSpacePane: the whole virtual address space as one vertical bar, top address first.

Segments are drawn to scale where the rows allow and never vanish (one row at
least); the huge empty stretches (most of 128 TiB, the non-canonical hole)
are compressed into one row each and drawn as gaps, with their size.
"""

from __future__ import annotations

from rich.text import Text

from vmtui.ui.i18n import human, t
from vmtui.ui.lines_view import LinesView
from vmtui.ui.snapshot import Band, Snapshot

GLYPH = {"gap": "┊", "hole": "░", "kernel": "█"}


def fit_bands(bands: tuple[Band, ...], rows: int) -> list[tuple[Band, int]]:
    """Give each band rows: gaps and fixed regions one, mappings the rest by size.

    When there are more bands than rows, neighbouring mappings (no gap between
    them) merge, the smallest pair first, into a band that counts them.
    """
    items = list(bands)

    def mergeable(i: int) -> bool:
        a, b = items[i], items[i + 1]
        return a.kind not in ("gap", "hole", "kernel") and b.kind not in ("gap", "hole",
                                                                           "kernel")

    while len(items) > rows:
        best = None
        for i in range(len(items) - 1):
            if mergeable(i):
                size = items[i].hi - items[i + 1].lo
                if best is None or size < best[0]:
                    best = (size, i)
        if best is None:
            # only gaps left to drop: remove the smallest gap
            gaps = [i for i, b in enumerate(items) if b.kind == "gap"]
            if not gaps:
                break
            del items[min(gaps, key=lambda i: items[i].hi - items[i].lo)]
            continue
        i = best[1]
        a, b = items[i], items[i + 1]
        count = a.count + b.count
        kind = a.kind if a.kind == b.kind and a.kind != "many" else "many"
        label = a.label if kind == a.kind else f"{count} mappings"
        items[i:i + 2] = [Band(b.lo, a.hi, label, kind, count, a.grows or b.grows,
                               a.wx or b.wx)]
    alloc = [1] * len(items)
    spare = rows - len(items)
    sized = [i for i, b in enumerate(items) if b.kind not in ("gap", "hole", "kernel")]
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


class AddressSpacePane(LinesView):
    """Kernel half on top (shared by every process), the non-canonical hole, then the
    user half: stack growing down, the mmap area growing down, heap growing up, BSS,
    data, text. The VMA this step touched is marked; W+X mappings are flagged."""

    DEFAULT_CSS = """
    AddressSpacePane { padding: 0 0 0 1; }
    AddressSpacePane > .as--kernel { color: $error 80%; }
    AddressSpacePane > .as--hole { color: $text-muted; }
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
    AddressSpacePane > .as--touched { background: $accent 30%; color: $foreground; text-style: bold; }
    AddressSpacePane > .as--wx { color: $error; text-style: bold; }
    """
    COMPONENT_CLASSES = LinesView.COMPONENT_CLASSES | {
        f"as--{k}" for k in ("kernel", "hole", "gap", "text", "data", "bss", "heap", "mmap",
                             "many", "file", "stack", "special", "label", "touched", "wx")}
    fit = True

    def build(self, snap: Snapshot) -> None:
        self.border_title = t("addr", self.lang)
        self.border_subtitle = f"pid {snap.pid} · {snap.arch}"
        st = self.style
        rows = max(3, self.scrollable_content_region.height)
        width = self.content_width()
        if not snap.bands:
            self.set_lines([], t("no_process", self.lang))
            return
        lines: list[Text] = []
        addr_w = 12 if width >= 34 else 0
        for band, n in fit_bands(snap.bands, rows):
            kind = band.kind
            style = st(f"as--{kind}")
            touched = snap.touched is not None and band.lo <= snap.touched < band.hi and \
                kind not in ("gap", "hole")
            glyph = GLYPH.get(kind, "▒" if kind == "bss" else "█")
            for r in range(n):
                line = Text(glyph * 2, style)
                line.append(" ")
                if r == 0:
                    if kind == "gap":
                        line.append(" " * (addr_w + 1) if addr_w else "")
                        line.append(f"≈ {human(band.hi - band.lo)} free", st("as--gap"))
                    elif kind == "hole":
                        line.append(f"{'non-canonical ' if width >= 30 else ''}hole "
                                    f"{human(band.hi - band.lo)}", st("as--hole"))
                    elif kind == "kernel":
                        line.append(band.label if width >= 32 else "kernel (shared)",
                                    st("as--label"))
                    else:
                        if addr_w:
                            line.append(f"{band.lo:0{addr_w}x}"[-addr_w:] + " ", st("as--gap"))
                        arrow = {"up": "↑", "down": "↓"}.get(band.grows, "")
                        line.append(f"{band.label} ", st("as--label"))
                        line.append(f"{human(band.hi - band.lo)}{arrow}", st("as--gap"))
                        if band.wx:
                            line.append(" W+X!", st("as--wx"))
                if touched:
                    if r == 0:
                        line.append(" ◀")
                    line.stylize(st("as--touched"))
                lines.append(line)
        self.set_lines(lines[:rows])
