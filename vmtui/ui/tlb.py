"""TlbPane: the simulated TLB beside the walk: its entries and hit/miss counts."""

from __future__ import annotations

from rich.text import Text

from vmtui.ui.i18n import t
from vmtui.ui.lines_view import LinesView
from vmtui.ui.snapshot import Snapshot


class TlbPane(LinesView):
    """machine.tlb newest first (pid, virtual page -> frame), the walked page marked and
    the entries this step filled in the change colour, with machine.tlb_stats."""

    MIN_WIDTH = 16
    MIN_HEIGHT = 4
    DEFAULT_CSS = """
    TlbPane > .tlb--hit { background: $accent 35%; text-style: bold; }
    TlbPane > .tlb--stat { color: $warning; text-style: bold; }
    TlbPane > .tlb--new { color: $warning; }
    """
    COMPONENT_CLASSES = LinesView.COMPONENT_CLASSES | {"tlb--hit", "tlb--stat", "tlb--new"}
    fit = True

    def build(self, snap: Snapshot) -> None:
        tl = snap.tlb
        self.border_title = t("tlb", self.lang)
        st = self.style
        before = snap.changes.tlb_before if snap.changes is not None else None
        new = 0 if before is None else sum(1 for e in tl.entries if e not in before)
        self.border_subtitle = f"{len(tl.entries)}/{tl.capacity}" + (f" · +{new}" if new else "")
        pids = {pid for pid, _vpn, _pfn in tl.entries}
        lines = [Text(f"hit {tl.hits:,} miss {tl.misses:,}", st("tlb--stat")),
                 Text(f"flushes {tl.flushes:,}", st("tlb--stat")),
                 Text("pid vpage→frame" if len(pids) > 1 else "vpage → frame",
                      st("lines--dim"))]
        want = snap.walk.va >> 12 if snap.walk is not None else None
        width = self.content_width()
        for pid, vpn, pfn in reversed(tl.entries):
            # the pid column only when more than one process has entries; a long virtual
            # page number (the kernel half) gives up its high digits, never the frame
            text = f"{pid:>2} {vpn:x}→{pfn:x}" if len(pids) > 1 else f"{vpn:x} → {pfn:x}"
            if len(text) > width:
                text = text.replace(" → ", "→")
            if len(text) > width:
                head = f"{pid:>2} " if len(pids) > 1 else ""
                tail = f"→{pfn:x}"
                page = f"{vpn:x}"[-max(1, width - len(head) - len(tail) - 1):]
                text = f"{head}…{page}{tail}"
            line = Text(text)
            if before is not None and (pid, vpn, pfn) not in before:
                line.stylize(st("tlb--new"))
            if vpn == want and pid == snap.pid:
                line.stylize(st("tlb--hit"))
            lines.append(line)
        if not tl.entries:
            lines.append(Text("empty: flushed, or", st("lines--dim")))
            lines.append(Text("nothing touched yet", st("lines--dim")))
        self.set_lines(lines)
