"""VmstatPane: /proc/vmstat counters, this step's changes highlighted."""

from __future__ import annotations

from rich.text import Text

from vmtui.ui.lines_view import LinesView
from vmtui.view.i18n import t, tr
from vmtui.view.snapshot import Snapshot


class VmstatPane(LinesView):
    """Counters that changed this step first (with +delta), then the other non-zero ones;
    the zeros are counted, not listed."""

    MIN_WIDTH = 28
    MIN_HEIGHT = 3
    DEFAULT_CSS = """
    VmstatPane > .vmstat--changed { color: $warning; text-style: bold; }
    VmstatPane > .vmstat--delta { color: $warning; }
    VmstatPane > .vmstat--name { color: $text; }
    """
    COMPONENT_CLASSES = LinesView.COMPONENT_CLASSES | {
        "vmstat--changed", "vmstat--delta", "vmstat--name"}
    hidden_result = False
    fit = True

    def build_state(self) -> tuple[object, ...]:
        return (*super().build_state(), self.hidden_result)

    def build(self, snap: Snapshot) -> None:
        self.border_title = t("vmstat", self.lang)
        st = self.style
        delta = {} if self.hidden_result else snap.vmstat_delta
        avail = self.content_width()
        changed, steady, zeros = [], [], 0
        for name, value in snap.vmstat:
            d = delta.get(name)
            if d:
                tail = f"{value:,} {d:+,}"
                line = Text(name, st("vmstat--changed"))
                line.append(" " * max(1, avail - len(name) - len(tail)))
                line.append(f"{value:,} ", st("vmstat--changed"))
                line.append(f"{d:+,}", st("vmstat--delta"))
                changed.append(line)
            elif value or name == "nr_free_pages":
                tail = f"{value:,}"
                steady.append(Text(name + " " * max(1, avail - len(name) - len(tail)) + tail,
                                   st("vmstat--name")))
            else:
                zeros += 1
        lines = changed + steady
        if zeros:
            lines.append(Text(f"({zeros} more counters are 0)", st("lines--dim")))
        self.border_subtitle = (f"{len(changed)} {tr('changed', self.lang)}"
                                if changed else "")
        self.set_lines(lines)
