"""TlbPane: the simulated TLB beside the walk: its entries and hit/miss counts."""

from __future__ import annotations

from rich.text import Text

from vmtui.ui.i18n import t
from vmtui.ui.lines_view import LinesView
from vmtui.ui.snapshot import Snapshot


class TlbPane(LinesView):
    """machine.tlb newest first (pid, virtual page -> frame), the walked page marked,
    with machine.tlb_stats."""

    DEFAULT_CSS = """
    TlbPane > .tlb--hit { background: $accent 35%; text-style: bold; }
    TlbPane > .tlb--stat { color: $warning; text-style: bold; }
    """
    COMPONENT_CLASSES = LinesView.COMPONENT_CLASSES | {"tlb--hit", "tlb--stat"}

    def build(self, snap: Snapshot) -> None:
        tl = snap.tlb
        self.border_title = t("tlb", self.lang)
        self.border_subtitle = f"{len(tl.entries)}/{tl.capacity}"
        st = self.style
        lines = [Text(f"hit {tl.hits:,} miss {tl.misses:,}", st("tlb--stat")),
                 Text(f"flushes {tl.flushes:,}", st("tlb--stat")),
                 Text("pid vpage→frame", st("lines--dim"))]
        want = snap.walk.va >> 12 if snap.walk is not None else None
        for pid, vpn, pfn in reversed(tl.entries):
            line = Text(f"{pid:>2} {vpn:x}→{pfn:x}")
            if vpn == want and pid == snap.pid:
                line.stylize(st("tlb--hit"))
            lines.append(line)
        if not tl.entries:
            lines.append(Text("empty: flushed, or", st("lines--dim")))
            lines.append(Text("nothing touched yet", st("lines--dim")))
        self.set_lines(lines)
