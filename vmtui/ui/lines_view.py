"""LinesView: a scrollable pane drawn with the Line API, one Rich Text per line.

Subclasses either hand it a list of lines (`set_lines`) or, for long lists,
override `line_count()` and `get_line(i)` so only the visible rows are ever
built (the VMA list of a 60,000-VMA process). Styles come from component
classes in DEFAULT_CSS, so every colour follows the theme; the app calls
`rebuild()` when the theme or the language changes.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from vmtui.view.i18n import localize, translate_text
from vmtui.view.snapshot import Snapshot


class LinesView(ScrollView, can_focus=True):
    """A focusable, maximizable pane of text lines, virtualised with render_line."""

    DEFAULT_CSS = """
    LinesView {
        height: 1fr;
        border: round $foreground 45%;
        border-title-color: $text-muted;
        border-title-style: bold;
        border-subtitle-color: $text-muted;
        padding: 0 1;
        /* The scrollbar is always there, its track the colour of the pane: a thumb shows
           when the lines overflow and nothing shows when they fit. A scrollbar that came
           and went with the line count would lay out the whole screen each time. */
        overflow-y: scroll;
        scrollbar-size-vertical: 1;
        scrollbar-background: $background;
        scrollbar-background-hover: $background;
        scrollbar-background-active: $background;
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
    MIN_WIDTH = 20
    """Columns of content (inside the border, padding and scrollbar) below which the pane's
    lines lose what they are for: the dashboard pages the panes rather than go below it."""
    MIN_HEIGHT = 3
    """Rows of content below which the pane says too little (same rule)."""
    fit: bool = False
    """The lines depend on the pane's size: build them again on every resize."""
    localize: bool = True
    """Translate the pane's lines, its empty message and its subtitle into the chosen
    language (vmtui.view.i18n: phrases and templates; identifiers, paths and addresses stay).
    A pane that translates its own text piece by piece (narration, call chain) says False."""

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
        if self.localize and self.lang != "en" and self.border_subtitle:
            self.border_subtitle = translate_text(str(self.border_subtitle), self.lang)

    def build(self, snap: Snapshot) -> None:  # pragma: no cover - every pane overrides
        raise NotImplementedError

    def style(self, name: str) -> Style:
        """A component class's style, cached until the next rebuild (theme changes rebuild).

        Colours with an alpha (`background: $accent 30%`) are blended over the pane's
        background here: Textual's partial component style drops the alpha, so the
        light theme's highlight would come out as the full, dark accent under black text.
        """
        st = self._styles.get(name)
        if st is None:
            comp = self.get_component_styles(name)
            under = self.background_colors[1]
            bg = under + comp.background if comp.has_rule("background") else None
            fg = (bg or under) + comp.color if comp.has_rule("color") else None
            st = Style(color=fg.rich_color if fg is not None else None,
                       bgcolor=bg.rich_color if bg is not None else None) + comp.text_style
            self._styles[name] = st
        return st

    def set_lines(self, lines: list[Text], empty: str = "") -> None:
        if self.localize and self.lang != "en":
            lines = [localize(line, self.lang) for line in lines]
            empty = translate_text(empty, self.lang)
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
            for line in self._lines:
                if line.cell_len <= width:
                    out.append(line)
                else:
                    out.extend(self._wrap(line, width))
            self._wrapped = out
            self._wrapped_width = width
        return self._wrapped

    def _wrap(self, line: Text, width: int) -> list[Text]:
        """`line` wrapped at spaces to `width`, its continuation lines hanging under its
        text: an indented line (a table row, a call `    └ fn ...`) keeps its indent."""
        console = self.app.console
        plain = line.plain
        lead = len(plain) - len(plain.lstrip(" └├│─"))
        hang = (lead if "└" in plain[:lead] else lead + 2) if lead else 0
        if hang > width // 2:
            hang = 0
        first = line.wrap(console, width, overflow="fold")[0]
        start = len(first.plain)
        while start < len(plain) and plain[start] == " ":
            start += 1
        rest = line[start:]
        out = [first]
        if rest.plain:
            for part in rest.wrap(console, width - hang, overflow="fold"):
                out.append(Text(" " * hang) + part)
        return out

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
        # no smaller than the pane, so a scrollbar shows only when the lines overflow
        height = max(1, self.line_count(), self.scrollable_content_region.height)
        size = Size(self.content_width(), height)
        if size == self.virtual_size:
            return
        if self.size.height and self.scrollable_content_region.height:
            # Laid out already, and no pane's size depends on its lines: new scrollbar
            # figures are all a new virtual size needs. Setting `virtual_size` would lay
            # out the whole screen (~20 ms at 200x50) on every step whose line count
            # changed. _scroll_update() also puts the scrollbar right when the first
            # lines came before the first layout: ScrollView decides its scrollbars only
            # when its size changes, so one decided from lines built for a pane of no
            # height would stay (a scrollbar drawn or not depending on whether the
            # engine's first snapshot beat the first layout).
            self.set_reactive(LinesView.virtual_size, size)
            self._scroll_update(size)
            self.refresh()
        else:
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
            # why the pane is empty, wrapped to the pane's width
            empty: list[Text] = list(Text(self._empty, self.style("lines--empty")).wrap(
                self.app.console, width)) if self._empty else []
            if y < len(empty):
                segs = list(empty[y].render(self.app.console, end=""))
                return Strip(segs).crop(0, width).extend_cell_length(width).apply_style(base)
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
        if not height:
            return  # not laid out yet: the caller asks again after the layout
        top = int(self.scroll_offset.y)
        if index < top or index >= top + height:
            self.scroll_to(y=max(0, index - height // 3), animate=False)
