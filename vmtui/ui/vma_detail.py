"""VmaDetailPane: every field of the selected vm_area_struct, then its mm_struct's."""

from __future__ import annotations

from rich.text import Text

from vmtui.ui.lines_view import LinesView
from vmtui.ui.marks import field_marks, mm_marks
from vmtui.view.i18n import t, tr
from vmtui.view.snapshot import Snapshot


class VmaDetailPane(LinesView):
    """The fields of include/linux/mm_types.h's struct vm_area_struct, as the engine holds
    them, for the VMA chosen in the list (or the one the step touched); below them the
    process's struct mm_struct (vm_mm): its counters (total_vm, map_count, rss_stat...)
    and the heap and stack addresses (start_brk, brk, start_stack).

    What the step changed is marked as in the VMA list: on a step that changed a field
    shown, a first column has `~` beside every field whose value differs from the step
    before, drawn in the change colour, with the value it had (`was`) under it when the
    pane has the rows. A VMA the step created is `+ new` in the subtitle. The pane scrolls
    to the first changed field."""

    MIN_WIDTH = 30
    MIN_HEIGHT = 3
    DEFAULT_CSS = """
    VmaDetailPane > .detail--field { color: $accent; }
    VmaDetailPane > .detail--changed { color: $warning; text-style: bold; }
    VmaDetailPane > .detail--head { color: $text-muted; text-style: bold; }
    """
    COMPONENT_CLASSES = LinesView.COMPONENT_CLASSES | {
        "detail--field", "detail--changed", "detail--head"}
    fit = True

    def __init__(self, **kw) -> None:  # type: ignore[no-untyped-def]
        super().__init__(**kw)
        self._scrolled: tuple[int, int | None, int] | None = None

    def build(self, snap: Snapshot) -> None:
        title = t("detail", self.lang)
        if snap.selected is not None:
            title += f" #{snap.selected}"
        self.border_title = title
        st = self.style
        changed, new = field_marks(snap)
        mm_changed = mm_marks(snap)
        marked = bool(changed or mm_changed)
        col = 2 if marked else 0
        key_w = max((len(k) for k, _ in snap.detail + snap.mm), default=8)
        width = self.content_width()
        room = max(8, width - col - key_w - 1)
        height = self.scrollable_content_region.height
        # the values a changed field had go under it when the pane has the rows for them
        rows = len(snap.detail) + (len(snap.mm) + 1 if snap.mm else 0)
        show_was = rows + len(changed) + len(mm_changed) <= height
        was_word = tr("was", self.lang)
        lines: list[Text] = []
        first_change: int | None = None

        def field(k: str, v: str, before: str | None) -> None:
            nonlocal first_change
            # wrapped at spaces, under the value (a number is never cut in two unless it
            # is longer than the pane is wide)
            if len(v) <= room and v.isascii() and v.isprintable():
                chunks = [Text(v)]  # what wrap() gives a value that fits: itself
            else:
                chunks = Text(v).wrap(self.app.console, room, overflow="fold") or [Text("")]
            hot = st("detail--changed")
            if before is not None and first_change is None:
                first_change = len(lines)
            for j, chunk in enumerate(chunks):
                line = Text()
                if col:
                    line.append("~ " if before is not None and j == 0 else "  ", hot)
                line.append(f"{k if j == 0 else '':<{key_w}} ",
                            hot if before is not None else st("detail--field"))
                if before is not None:
                    chunk.stylize(hot)
                line.append_text(chunk)
                lines.append(line)
            if before is not None and show_was:
                pad = " " * (col + key_w + 1)
                for chunk in Text(f"{was_word} {before}").wrap(
                        self.app.console, room, overflow="fold"):
                    chunk.stylize(st("lines--dim"))
                    lines.append(Text(pad) + chunk)

        for k, v in snap.detail:
            field(k, v, changed.get(k))
        empty = t("no_select", self.lang)
        user_top = next((hi for _lo, hi, name in snap.layout if name == "user"), None)
        if not lines and snap.touched is not None and user_top is not None:
            # the step was about an address no VMA of this process covers: say so
            key = "no_vma_kernel" if snap.touched >= user_top else "no_vma_gap"
            empty = t(key, self.lang).format(addr=f"{snap.touched:#x}") + " " + empty
        if snap.mm:
            if not lines:
                # no VMA to show: say why above the process's mm_struct
                lines.extend(chunk.copy() for chunk in Text(
                    empty, st("lines--empty")).wrap(self.app.console, max(8, width)))
            lines.append(Text(f"{' ' * col}mm_struct · pid {snap.pid}", st("detail--head")))
            for k, v in snap.mm:
                field(k, v, mm_changed.get(k))
        n = len(changed) + len(mm_changed)
        self.border_subtitle = " · ".join(
            ([f"+ {tr('new', 'en')}"] if new else []) +
            ([f"{n} {tr('changed', 'en')}"] if n else []))
        self.set_lines(lines, empty)
        # a new step (or another VMA chosen): bring its first change into view
        shown = (snap.position, snap.selected, snap.pid)
        if shown != self._scrolled and height:
            self._scrolled = shown
            top = 0 if first_change is None or new or first_change < height else \
                first_change - height // 3
            self.scroll_to(y=top, animate=False)
