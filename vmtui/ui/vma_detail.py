"""VmaDetailPane: every field of the selected vm_area_struct."""

from __future__ import annotations

from rich.text import Text

from vmtui.ui.i18n import t
from vmtui.ui.lines_view import LinesView
from vmtui.ui.snapshot import Snapshot


class VmaDetailPane(LinesView):
    """The fields of include/linux/mm_types.h's struct vm_area_struct, as the engine holds
    them, for the VMA chosen in the list (or the one the step touched)."""

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
        width = max((len(k) for k, _ in snap.detail), default=8)
        lines = []
        room = max(8, self.content_width() - width - 1)
        for k, v in snap.detail:
            chunks = [v[i:i + room] for i in range(0, len(v), room)] or [""]
            for j, chunk in enumerate(chunks):
                line = Text(f"{k if j == 0 else '':<{width}} ", st("detail--field"))
                line.append(chunk)
                lines.append(line)
        self.set_lines(lines, t("no_select", self.lang))
