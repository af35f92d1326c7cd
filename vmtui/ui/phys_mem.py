"""PhysMemPane: every NUMA node and zone, then its frames.

Two views, `f` switching between them. The frame map (the default, frame_map.py)
draws one glyph per frame coloured by its owner, zoomed to the frames the step
touched. The zone view draws every frame of every zone, one cell per group of
frames: the snapshot holds a histogram of frame kinds per zone (a fixed number
of buckets, whatever the RAM size); the pane merges buckets into the cells it has
room for, so a 64 GiB machine draws as fast as 256 MiB.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.binding import Binding

from vmtui.ui.frame_map import FM_CLASSES, FM_CSS, frame_lines
from vmtui.ui.lines_view import LinesView
from vmtui.ui.marks import wmarks_before
from vmtui.view.i18n import t, tr
from vmtui.view.snapshot import KINDS, Snapshot, ZoneView

BANDS = ("below min", "below low", "below high", "above high")
"""Where a zone's free pages stand against its watermarks (what the allocator and kswapd
test: __zone_watermark_ok, pgdat_balanced)."""


def band(free: int, wmark: tuple[int, int, int]) -> int:
    """The index in BANDS of `free` pages against (min, low, high)."""
    return sum(1 for w in wmark if free >= w)


LEGEND = (("anon", "anon"), ("file", "file"), ("pagetable", "page table"),
          ("kernel", "kernel"), ("unevictable", "unevictable"), ("reserved", "reserved"))


def cell_kind(counts: list[int]) -> tuple[str, float]:
    """The kind a cell shows (the most frequent in use) and how full the cell is."""
    total = sum(counts)
    if not total:
        return "none", 0.0
    used = total - counts[0]
    if not used:
        return "free", 0.0
    best = max(range(1, len(KINDS)), key=lambda i: counts[i])
    return KINDS[best], used / total


def zone_cells(zone: ZoneView, cells: int) -> list[tuple[str, float]]:
    """Merge the zone's buckets into `cells` cells."""
    nb = len(zone.buckets)
    buckets = zone.buckets
    out = []
    for c in range(cells):
        a = c * nb // cells
        b = max(a + 1, (c + 1) * nb // cells)
        acc = list(buckets[a]) if b == a + 1 else \
            [sum(col) for col in zip(*buckets[a:b], strict=True)]
        out.append(cell_kind(acc))
    return out


class PhysMemPane(LinesView):
    """Per node and zone: free pages against the min/low/high watermarks (a gauge), then
    the frames as cells coloured by what they hold (Page.kind(); free frames are the
    ones in buddy blocks; boot-reserved ranges apart).

    What the step changed is marked in a zone's head: its free pages' change (`-11`) in
    the change colour, a watermark it moved (a sysctl) in reverse video, and when free
    pages crossed a watermark, where they stand now (`→ below low`)."""

    MIN_WIDTH = 40
    MIN_HEIGHT = 5
    BINDINGS = [Binding("f", "toggle_frames", "Frames/zones")]
    DEFAULT_CSS = FM_CSS + """
    PhysMemPane > .phys--free { color: $foreground 35%; }
    PhysMemPane > .phys--anon { color: $warning; }
    PhysMemPane > .phys--file { color: $primary; }
    PhysMemPane > .phys--pagetable { color: $accent; }
    PhysMemPane > .phys--kernel { color: $error; }
    PhysMemPane > .phys--unevictable { color: $secondary; }
    PhysMemPane > .phys--reserved { color: $text-muted; }
    PhysMemPane > .phys--none { color: $text-disabled; }
    PhysMemPane > .phys--head { text-style: bold; }
    PhysMemPane > .phys--min { color: $error; text-style: bold; }
    PhysMemPane > .phys--low { color: $warning; text-style: bold; }
    PhysMemPane > .phys--high { color: $success; text-style: bold; }
    PhysMemPane > .phys--gauge { color: $success; }
    PhysMemPane > .phys--gauge-low { color: $error; }
    PhysMemPane > .phys--delta { color: $warning; text-style: bold; }
    """
    COMPONENT_CLASSES = LinesView.COMPONENT_CLASSES | FM_CLASSES | {
        f"phys--{k}" for k in (*KINDS, "none", "head", "min", "low", "high", "gauge",
                               "gauge-low", "delta")}
    fit = True
    frames = True
    """Draw the frame map (one glyph a frame); False: the zones' histogram."""

    def build_state(self) -> tuple[object, ...]:
        return (*super().build_state(), self.frames)

    def action_toggle_frames(self) -> None:
        self.frames = not self.frames
        self.rebuild()

    def build(self, snap: Snapshot) -> None:
        self.border_title = t("phys", self.lang)
        width = self.content_width()
        height = max(4, self.scrollable_content_region.height)
        zones = [z for n in snap.nodes for z in n.zones]
        total_frames = sum(z.spanned for z in zones)
        self.border_subtitle = (f"{total_frames * 4 // 1024:,} MiB · {len(snap.nodes)} "
                                f"{t('nodes', self.lang)}")
        if not zones:
            self.set_lines([], t("phys_host", self.lang) if snap.host else "no RAM?")
            return
        if self.frames and snap.frame_map is not None and snap.frame_map.known:
            self._build_frames(snap, width, height)
            return
        self._build_zones(snap, zones, width, height, total_frames)

    def _build_frames(self, snap: Snapshot, width: int, height: int) -> None:
        """Zone heads (gauges too when there is room), then the frame map."""
        multi = len(snap.nodes) > 1
        heads: list[Text] = []
        gauges: list[Text] = []
        for node in snap.nodes:
            for zone in node.zones:
                head, gauge = self._zone(zone, 0, width, True, f"N{node.nid} " if multi else "",
                                         self._free_delta(snap, zone),
                                         wmarks_before(snap, zone.nid, zone.name))[:2]
                heads.append(head)
                gauges.append(gauge)
        # the map wants three rows and its legend; the gauges come only above that
        room = height - len(heads)
        lines: list[Text] = []
        with_gauges = room - len(gauges) >= 6
        for head, gauge in zip(heads, gauges, strict=True):
            lines.append(head)
            if with_gauges:
                lines.append(gauge)
        fm, caption = frame_lines(snap, width, max(3, height - len(lines)), self.style,
                                  self.lang)
        lines.extend(fm)
        if caption:
            self.border_subtitle = f"{self.border_subtitle} · {caption}"
        self.set_lines(lines)

    def _free_delta(self, snap: Snapshot, zone: ZoneView) -> int:
        ch = snap.changes
        if ch is None:
            return 0
        was = ch.zones_before.get((zone.nid, zone.name))
        return 0 if was is None else zone.free - was

    def _build_zones(self, snap: Snapshot, zones: list[ZoneView], width: int, height: int,
                     total_frames: int) -> None:
        st = self.style
        multi = len(snap.nodes) > 1
        legend_lines = self._legend(snap, zones, width, [1] * len(zones))
        # what each zone needs besides its grid: a head, a gauge, and per node a head;
        # when the pane is short the gauges go first (the head has the same figures),
        # then the node heads fold into the zone heads, so every zone keeps a grid row
        gauges = True
        node_heads = multi
        fixed = len(zones) * 2 + (len(snap.nodes) if multi else 0) + len(legend_lines)
        if height - fixed < len(zones):
            gauges = False
            fixed -= len(zones)
        if height - fixed < len(zones) and multi:
            node_heads = False
            fixed -= len(snap.nodes)
        if height - fixed < len(zones) and len(legend_lines) > 1:
            fixed -= len(legend_lines) - 1
            legend_lines = legend_lines[:1]
        grid_rows = max(len(zones), height - fixed)
        # rows per zone in proportion to its frames, one at least
        rows = [max(1, grid_rows * z.spanned // max(1, total_frames)) for z in zones]
        while sum(rows) > grid_rows and max(rows) > 1:
            rows[rows.index(max(rows))] -= 1
        legend_lines = self._legend(snap, zones, width, rows)[:len(legend_lines)]
        lines: list[Text] = []
        zi = 0
        for node in snap.nodes:
            if node_heads:
                ks = dict(node.kswapd)
                cpus = ",".join(str(c) for c in node.cpus)
                lines.append(Text(f"Node {node.nid} · CPUs {cpus} · kswapd{node.nid} "
                                  f"{ks.get('state', '?')}", st("phys--head")))
            for zone in node.zones:
                prefix = f"N{node.nid} " if multi and not node_heads else ""
                lines.extend(self._zone(zone, rows[zi], width, gauges, prefix,
                                        self._free_delta(snap, zone),
                                        wmarks_before(snap, zone.nid, zone.name)))
                zi += 1
        lines.extend(legend_lines)
        self.set_lines(lines)

    def _legend(self, snap: Snapshot, zones: list[ZoneView], width: int,
                rows: list[int]) -> list[Text]:
        """The colours, then what one cell stands for (zones differ: a small zone gets a
        row of its own, so its cells hold fewer frames)."""
        st = self.style
        legend = Text()
        out = [legend]
        for kind, name in LEGEND:
            if legend.cell_len + Text(tr(name, self.lang)).cell_len + 3 > width:
                legend = Text()
                out.append(legend)
            legend.append("█", st(f"phys--{kind}"))
            legend.append(f" {tr(name, self.lang)}  ")
        tail = Text()
        tail.append("·", st("phys--free"))
        tail.append(f" {tr('free', self.lang)}  ")
        tail.append("▒", st("phys--anon"))
        tail.append(f" {tr('part-used', self.lang)} ")
        pers = [z.spanned / max(1, width * r) for z, r in zip(zones, rows, strict=True)]
        lo, hi = min(pers), max(pers)
        if hi >= 1:
            scale = f"{lo:,.0f}" if round(lo) == round(hi) else f"{lo:,.0f}–{hi:,.0f}"
            tail.append(f" 1 cell ≈ {scale} frames", st("lines--dim"))
        if any(z.sampled for z in zones):
            tail.append(" (≈ sampled)", st("lines--dim"))
        if legend.cell_len + tail.cell_len + 1 > width:
            out.append(tail)
        else:
            legend.append(" ")
            legend.append_text(tail)
        return out

    def _zone(self, zone: ZoneView, rows: int, width: int, gauge_line: bool = True,
              prefix: str = "", delta: int = 0,
              wmark_before: tuple[int, int, int] | None = None) -> list[Text]:
        st = self.style
        lo, mid, hi = zone.wmark
        free_w = t("free_w", self.lang)
        was_wmark = wmark_before or zone.wmark
        moved = [a != b for a, b in zip(zone.wmark, was_wmark, strict=True)]
        # crossed a watermark (free pages moved, or the watermarks did): where free is now
        now_band = band(zone.free, zone.wmark)
        cross = f" → {tr(BANDS[now_band], self.lang)}" if wmark_before is not None and \
            band(zone.free - delta, was_wmark) != now_band else ""
        # the watermarks are never cut: the managed total goes first when the width is short,
        # then this step's change of free pages, then where free pages went
        d = f"{delta:+,} " if delta else ""
        for free, dd, cc in ((f"{free_w} {zone.free:,}/{zone.managed:,} ", d, cross),
                             (f"{free_w} {zone.free:,} ", d, cross),
                             (f"{free_w} {zone.free:,} ", "", cross),
                             (f"{free_w} {zone.free:,} ", "", ""), ("", "", "")):
            head = Text(f"{prefix}{zone.name} ", st("phys--head"))
            head.append(free)
            head.append(dd, st("phys--delta"))
            for (name, value, cls), was in zip((("min", lo, "phys--min"), ("low", mid, "phys--low"),
                                                ("high", hi, "phys--high")), moved, strict=True):
                # a watermark the step moved: reverse video, as the step's frames are
                head.append(f"{name} {value:,}", st(cls) + Style(reverse=was))
                head.append(" " if name != "high" else "")
            head.append(cc, st("phys--delta"))
            if head.cell_len <= width:
                break
        # the gauge spans 0 .. 4 x high: room to see free memory reach the watermarks
        gw = max(8, width - 16)
        scale = max(1, min(zone.managed, 4 * hi)) if hi else max(1, zone.managed)
        def pos(v: int) -> int:
            return min(gw - 1, v * gw // scale)
        filled = pos(zone.free) + (1 if zone.free else 0)
        gauge_style = st("phys--gauge-low") if zone.free <= mid else st("phys--gauge")
        cells = ["░"] * gw
        for i in range(min(filled, gw)):
            cells[i] = "█"
        gauge = Text("        ")
        marks = {pos(lo): "phys--min", pos(mid): "phys--low", pos(hi): "phys--high"}
        for i, ch in enumerate(cells):
            if i in marks and hi:
                gauge.append("┃", st(marks[i]))
            else:
                gauge.append(ch, gauge_style if ch == "█" else st("phys--none"))
        gauge.append(" »" if zone.free > scale else "", st("lines--dim"))
        out = [head, gauge] if gauge_line else [head]
        ncells = width * rows
        cells_k = zone_cells(zone, ncells)
        for r in range(rows):
            # one span per run of equal cells: a row is a handful of spans, not 80
            line = Text()
            run_key: tuple[str, str] | None = None
            run = 0
            for kind, fill in cells_k[r * width:(r + 1) * width]:
                key = ("free", "·") if kind == "free" else ("", " ") if kind == "none" else \
                    (kind, "█" if fill >= 0.5 else "▒")
                if key != run_key:
                    if run_key is not None:
                        line.append(run_key[1] * run, st(f"phys--{run_key[0]}")
                                    if run_key[0] else "")
                    run_key, run = key, 0
                run += 1
            if run_key is not None:
                line.append(run_key[1] * run, st(f"phys--{run_key[0]}") if run_key[0] else "")
            out.append(line)
        return out
