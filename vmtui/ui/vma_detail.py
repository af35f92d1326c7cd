"""VmaDetailPane: every field of the selected vm_area_struct."""

from __future__ import annotations

from rich.text import Text

from vmtui.ui.i18n import t
from vmtui.ui.lines_view import LinesView
from vmtui.ui.snapshot import Snapshot


class VmaDetailPane(LinesView):
    """The fields of include/linux/mm_types.h's struct vm_area_struct, as the engine holds
    them, for the VMA chosen in the list (or the one the step touched)."""

    MIN_WIDTH = 30
    MIN_HEIGHT = 3
    DEFAULT_CSS = """
    VmaDetailPane > .detail--field { color: $accent; }
    """
    COMPONENT_CLASSES = LinesView.COMPONENT_CLASSES | {"detail--field"}
    fit = True

    def build(self, snap: Snapshot) -> None:
        title = t("detail", self.lang)
        if snap.selected is not None:
            title += f" #{snap.selected}"
        self.border_title = title
        st = self.style
        key_w = max((len(k) for k, _ in snap.detail), default=8)
        room = max(8, self.content_width() - key_w - 1)
        lines = []
        for k, v in snap.detail:
            # wrapped at spaces, under the value (a number is never cut in two unless it
            # is longer than the pane is wide)
            chunks = Text(v).wrap(self.app.console, room, overflow="fold") or [Text("")]
            for j, chunk in enumerate(chunks):
                line = Text(f"{k if j == 0 else '':<{key_w}} ", st("detail--field"))
                line.append_text(chunk)
                lines.append(line)
        empty = t("no_select", self.lang)
        user_top = next((hi for _lo, hi, name in snap.layout if name == "user"), None)
        if not lines and snap.touched is not None and user_top is not None:
            # the step was about an address no VMA of this process covers: say so
            key = "no_vma_kernel" if snap.touched >= user_top else "no_vma_gap"
            empty = t(key, self.lang).format(addr=f"{snap.touched:#x}") + " " + empty
        self.set_lines(lines, empty)
