"""TlbPane: the simulated TLB beside the walk: its entries and hit/miss counts."""

from __future__ import annotations

from rich.text import Text

from vmtui.ui.lines_view import LinesView
from vmtui.ui.marks import tlb_stats_before
from vmtui.view.i18n import t
from vmtui.view.snapshot import Snapshot


class TlbPane(LinesView):
    """machine.tlb newest first (pid, virtual page -> frame), the walked page marked and
    the entries this step filled in the change colour, with machine.tlb_stats (this step's
    changes of them after the figure). The entries the step flushed or evicted follow,
    struck through, as the VMA list's ghost rows: `-N` in the subtitle counts them."""

    MIN_WIDTH = 16
    MIN_HEIGHT = 4
    DEFAULT_CSS = """
    TlbPane > .tlb--hit { background: $accent 35%; text-style: bold; }
    TlbPane > .tlb--stat { text-style: bold; }
    TlbPane > .tlb--new { color: $warning; }
    TlbPane > .tlb--delta { color: $warning; text-style: bold; }
    TlbPane > .tlb--ghost { color: $error; text-style: strike; }
    """
    COMPONENT_CLASSES = LinesView.COMPONENT_CLASSES | {"tlb--hit", "tlb--stat", "tlb--new",
                                                       "tlb--delta", "tlb--ghost"}
    fit = True

    def build(self, snap: Snapshot) -> None:
        tl = snap.tlb
        self.border_title = t("tlb", self.lang)
        st = self.style
        before = snap.changes.tlb_before if snap.changes is not None else None
        new = 0 if before is None else sum(1 for e in tl.entries if e not in before)
        now = set(tl.entries)
        # entries the step took out: flushed (flush_tlb_*), or evicted to make room
        gone = sorted(e for e in before if e not in now) if before is not None else []
        self.border_subtitle = f"{len(tl.entries)}/{tl.capacity}" + \
            (" ·" if new or gone else "") + (f" +{new}" if new else "") + \
            (f" -{len(gone)}" if gone else "")
        pids = {pid for pid, _vpn, _pfn in (*tl.entries, *gone)}
        width = self.content_width()
        was = tlb_stats_before(snap) or (tl.hits, tl.misses, tl.flushes)

        def figures(*items: tuple[str, int, int]) -> Text:
            # each figure the step changed in the change colour, its change after it when
            # the line has the room
            for deltas in (True, False):
                line = Text()
                for name, value, old in items:
                    if line:
                        line.append(" ")
                    line.append(f"{name} {value:,}",
                                st("tlb--delta") if value != old else st("tlb--stat"))
                    if deltas and value != old:
                        line.append(f" {value - old:+,}", st("tlb--delta"))
                if line.cell_len <= width:
                    break
            return line

        lines = [figures(("hit", tl.hits, was[0]), ("miss", tl.misses, was[1])),
                 figures(("flushes", tl.flushes, was[2])),
                 Text("pid vpage→frame" if len(pids) > 1 else "vpage → frame",
                      st("lines--dim"))]
        want = snap.walk.va >> 12 if snap.walk is not None else None
        rows = [(e, False) for e in reversed(tl.entries)]
        if not tl.entries:
            lines.append(Text("empty: flushed, or", st("lines--dim")))
            lines.append(Text("nothing touched yet", st("lines--dim")))
        rows += [(e, True) for e in gone]
        for (pid, vpn, pfn), ghost in rows:
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
            if ghost:
                line.stylize(st("tlb--ghost"))
            elif before is not None and (pid, vpn, pfn) not in before:
                line.stylize(st("tlb--new"))
            if vpn == want and pid == snap.pid and not ghost:
                line.stylize(st("tlb--hit"))
            lines.append(line)
        self.set_lines(lines)
