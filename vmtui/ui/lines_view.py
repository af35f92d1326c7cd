"""LinesView: a scrollable pane drawn with the Line API, one Rich Text per line.

Subclasses either hand it a list of lines (`set_lines`) or, for long lists,
override `line_count()` and `get_line(i)` so only the visible rows are ever
built (the VMA list of a 60,000-VMA process). Styles come from component
classes in DEFAULT_CSS, so every colour follows the theme; the app calls
`rebuild()` when the theme or the language changes.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from vmtui.ui.snapshot import Snapshot


class LinesView(ScrollView, can_focus=True):
    """A focusable, maximizable pane of text lines, virtualised with render_line."""

    DEFAULT_CSS = """
    LinesView {
        height: 1fr;
        border: round $foreground 30%;
        border-title-color: $text-muted;
        border-title-style: bold;
        border-subtitle-color: $text-muted;
        padding: 0 1;
        scrollbar-size-vertical: 1;
        scrollbar-gutter: stable;
        scrollbar-size-horizontal: 0;
        overflow-x: hidden;
    }
    LinesView:focus {
        border: round $accent;
        border-title-color: $accent;
    }
    LinesView > .lines--dim { color: $text-muted; }
    LinesView > .lines--empty { color: $text-muted; text-style: italic; }
    """

    COMPONENT_CLASSES = {"lines--dim", "lines--empty"}

    wrap: bool = False
    """Wrap long lines to the pane's width (narration) instead of clipping them."""

    PANE_TITLE = ""
    fit: bool = False
    """The lines depend on the pane's size: build them again on every resize."""

    def __init__(self, *, id: str | None = None,  # noqa: A002 - Textual's own name
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._lines: list[Text] = []
        self._wrapped: list[Text] | None = None
        self._wrapped_width = -1
        self._empty = ""
        self._strips: dict[tuple[int, int], Strip] = {}
        self._styles: dict[str, Style] = {}
        self._base: Style | None = None
        self.snapshot: Snapshot | None = None
        self.lang = "en"
        if self.PANE_TITLE:
            self.border_title = self.PANE_TITLE

    # ------------------------------------------------------------------ data in
    def show(self, snap: Snapshot, lang: str) -> None:
        """Take a new snapshot (called on the app's thread)."""
        self.snapshot = snap
        self.lang = lang
        self.rebuild()

    def rebuild(self) -> None:
        """Build the lines again from the current snapshot."""
        self._styles.clear()
        if self.snapshot is None:
            self.set_lines([], "waiting for the engine...")
            return
        self.build(self.snapshot)

    def build(self, snap: Snapshot) -> None:  # pragma: no cover - every pane overrides
        raise NotImplementedError

    def style(self, name: str) -> Style:
        """A component class's style, cached until the next rebuild (theme changes rebuild)."""
        st = self._styles.get(name)
        if st is None:
            st = self._styles[name] = self.get_component_rich_style(name, partial=True)
        return st

    def set_lines(self, lines: list[Text], empty: str = "") -> None:
        self._lines = lines
        self._empty = empty
        self._wrapped = None
        self._strips.clear()
        self._update_size()
        self.refresh()

    # ------------------------------------------------------------------ virtual list
    def content_width(self) -> int:
        return max(1, self.scrollable_content_region.width)

    def _shown_lines(self) -> list[Text]:
        if not self.wrap:
            return self._lines
        width = self.content_width()
        if self._wrapped is None or self._wrapped_width != width:
            out: list[Text] = []
            console = self.app.console
            for line in self._lines:
                if line.cell_len <= width:
                    out.append(line)
                else:
                    out.extend(line.wrap(console, width, overflow="fold"))
            self._wrapped = out
            self._wrapped_width = width
        return self._wrapped

    def line_count(self) -> int:
        return len(self._shown_lines())

    def get_line(self, index: int) -> Text:
        return self._shown_lines()[index]

    def _update_size(self) -> None:
        if not self.is_mounted:
            return
        self._apply_size()
        # and again once the layout is final: the first lines may come before it
        self.call_after_refresh(self._apply_size)

    def _apply_size(self) -> None:
        self._wrapped = None if self._wrapped_width != self.content_width() else self._wrapped
        # no smaller than the pane: a step with fewer lines then changes nothing in the
        # layout (a new virtual size makes Textual lay out the whole screen again)
        height = max(1, self.line_count(), self.scrollable_content_region.height)
        size = Size(self.content_width(), height)
        if size != self.virtual_size:
            self.virtual_size = size

    def refresh(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        """Repaint; drawn lines are cached until the next refresh."""
        if hasattr(self, "_strips"):
            self._strips.clear()
            self._base = None
        return super().refresh(*args, **kwargs)

    def on_resize(self) -> None:
        self._wrapped = None
        if self.fit and self.snapshot is not None:
            self.rebuild()
        self._update_size()

    def render_line(self, y: int) -> Strip:
        scroll_y = int(self.scroll_offset.y)
        index = y + scroll_y
        width = self.content_width()
        base = self._base
        if base is None:
            base = self._base = self.rich_style
        count = self.line_count()
        if count == 0:
            if y == 0 and self._empty:
                seg = [Segment(self._empty[:width], self.style("lines--empty"))]
                return Strip(seg).extend_cell_length(width).apply_style(base)
            return Strip.blank(width, base)
        if index >= count:
            return Strip.blank(width, base)
        key = (index, width)
        strip = self._strips.get(key)
        if strip is None:
            text = self.get_line(index)
            segs = list(text.render(self.app.console, end=""))
            strip = Strip(segs).crop(0, width).extend_cell_length(width).apply_style(base)
            if len(self._strips) > 4096:
                self._strips.clear()
            self._strips[key] = strip
        return strip

    def scroll_to_line(self, index: int) -> None:
        """Make line `index` visible, with some context above it."""
        height = self.scrollable_content_region.height
        top = int(self.scroll_offset.y)
        if index < top or index >= top + height:
            self.scroll_to(y=max(0, index - height // 3), animate=False)
