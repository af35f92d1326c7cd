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
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from vmtui.view.i18n import localize, translate_text
from vmtui.view.snapshot import Snapshot


class Reads:
    """A snapshot that notes which of its fields a pane's build() read, and what they were.

    A build is a function of the fields it read and of the pane's own state
    (LinesView.build_state): when none of them changed, the lines it would make are the
    ones on screen, and the pane need not build nor draw them again.
    """

    __slots__ = ("_snap", "read")

    def __init__(self, snap: Snapshot) -> None:
        self._snap = snap
        self.read: dict[str, object] = {}

    def __getattr__(self, name: str) -> object:
        value = getattr(self._snap, name)
        self.read[name] = value
        return value


def same_reads(snap: Snapshot, read: dict[str, object]) -> bool:
    """Whether `snap` holds what an earlier build read (the same object, or an equal one)."""
    for name, was in read.items():
        now = getattr(snap, name)
        if now is not was and now != was:
            return False
    return True


class KeptTitle:
    """A border title (or subtitle) that repaints the pane only when its text changed.

    Textual's border_title repaints the whole widget on every assignment; panes set
    theirs on every build (some twice: a first part, then more after it), and a pane
    whose lines stayed the same would be drawn again for a title that did not change.
    During a build (LinesView.rebuild) the title is only noted; the last value is given
    to Textual when the build is done, if it differs from the one on screen.
    """

    def __init__(self, name: str) -> None:
        self._inner = Widget.__dict__[name]
        self._name = name
        self._last = f"_{name}_given"

    def __get__(self, obj: Widget | None, objtype: type | None = None) -> object:
        if obj is None:
            return self
        pending = obj.__dict__.get("_pending_titles")
        if pending and self._name in pending:
            value = pending[self._name]
            # what Textual's would give back: the title as markup
            return None if value is None else \
                obj.render_str(value).expand_tabs(4).split()[0].markup
        return self._inner.__get__(obj, objtype)

    def __set__(self, obj: Widget, value: object) -> None:
        pending = obj.__dict__.get("_pending_titles")
        if pending is not None and (value is None or type(value) is str):
            pending[self._name] = value
            return
        self.give(obj, value)

    def give(self, obj: Widget, value: object) -> None:
        """Hand the title to Textual (which repaints), unless it is the one on screen."""
        if type(value) is str and obj.__dict__.get(self._last) == value:
            return
        obj.__dict__[self._last] = value if type(value) is str else None
        obj.__dict__["_border_row"] = self._name  # what Textual refreshes: the border row
        try:
            self._inner.__set__(obj, value)
        finally:
            del obj.__dict__["_border_row"]


TAB_SIZE = 8
"""Columns between tab stops, as a terminal sets them (the kernel's /proc/swaps is laid
out for them)."""


def untabbed(lines: list[Text]) -> list[Text]:
    """The lines with their tabs expanded to spaces (copies of those that had any). Drawn
    as is, a tab moves the terminal's cursor over cells that are not painted again, so
    what was there before shows through (the columns of `show swaps` over the narration
    of the step before)."""
    if not any("\t" in line.plain for line in lines):
        return lines
    out = []
    for line in lines:
        if "\t" in line.plain:
            line = line.copy()
            line.expand_tabs(TAB_SIZE)
        out.append(line)
    return out


def same_line(x: Text, y: Text) -> bool:
    """Whether two lines draw the same (Text's own == leaves out the base style)."""
    return x is y or (x.plain == y.plain and x.style == y.style and x.spans == y.spans and
                      x.justify == y.justify and x.overflow == y.overflow and
                      x.no_wrap == y.no_wrap and x.end == y.end)


def same_lines(a: list[Text], b: list[Text]) -> bool:
    """Whether two lists of lines draw the same."""
    return len(a) == len(b) and all(map(same_line, a, b))


def changed_rows(a: list[Text], b: list[Text]) -> list[int]:
    """The indices at which two lists of lines draw differently (a line only one of them
    has counts: it appears or goes)."""
    rows = [i for i, (x, y) in enumerate(zip(a, b, strict=False)) if not same_line(x, y)]
    rows.extend(range(min(len(a), len(b)), max(len(a), len(b))))
    return rows


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

    border_title = KeptTitle("border_title")  # type: ignore[assignment]
    border_subtitle = KeptTitle("border_subtitle")  # type: ignore[assignment]

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
        self._styles_key: tuple[object, ...] | None = None  # what the styles were made for
        self._base: Style | None = None
        self.snapshot: Snapshot | None = None
        self.lang = "en"
        # what the lines on screen were built from: the pane's state, and the snapshot's
        # fields the build read (None: build at the next snapshot)
        self._built: tuple[tuple[object, ...], dict[str, object]] | None = None
        self.builds = 0  # times build() ran
        self.redraws = 0  # times new lines replaced different ones
        self.lines_redrawn = 0  # rows on screen drawn again by refresh_rows
        if self.PANE_TITLE:
            self.border_title = self.PANE_TITLE

    # ------------------------------------------------------------------ data in
    def show(self, snap: Snapshot, lang: str) -> None:
        """Take a new snapshot (called on the app's thread); build the lines only when
        what they are made of changed."""
        self.snapshot = snap
        self.lang = lang
        built = self._built
        if built is not None and built[0] == self.build_state() and same_reads(snap, built[1]):
            return
        self.rebuild()

    def build_state(self) -> tuple[object, ...]:
        """What besides the snapshot the lines are made of: the language, the theme (the
        styles), the pane's size. A pane with state of its own adds it."""
        region = self.scrollable_content_region
        return (self.lang, self.app.theme, region.width, region.height)

    def rebuild(self) -> None:
        """Build the lines again from the current snapshot."""
        # the component styles stand while the theme and the pane's background do
        styles_key = (self.app.theme, self.background_colors[1])
        if styles_key != self._styles_key:
            self._styles.clear()
            self._styles_key = styles_key
        if self.snapshot is None:
            self._built = None
            self.set_lines([], "waiting for the engine...")
            return
        state = self.build_state()
        reads = Reads(self.snapshot)
        self.builds += 1
        self.__dict__["_pending_titles"] = titles = {}
        try:
            self.build(reads)  # type: ignore[arg-type]
            if self.localize and self.lang != "en" and self.border_subtitle:
                self.border_subtitle = translate_text(str(self.border_subtitle), self.lang)
        finally:
            del self.__dict__["_pending_titles"]
        for name, value in titles.items():
            LinesView.__dict__[name].give(self, value)
        self._built = (state, reads.read)

    def build(self, snap: Snapshot) -> None:  # pragma: no cover - every pane overrides
        raise NotImplementedError

    def style(self, name: str) -> Style:
        """A component class's style, cached while the theme and the pane's background stay
        (a rebuild checks them: a new theme rebuilds every pane).

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
        lines = untabbed(lines)
        if empty == self._empty and self.virtual_size.height and same_lines(lines, self._lines):
            return  # what the pane shows already: nothing to draw again
        self.redraws += 1
        # lines that were on screen and are again: only the rows that differ are drawn
        # again (a step changes a few figures of vmstat, reclaim, the TLB...)
        was = self._shown_lines() if self._lines and lines and empty == self._empty else None
        self._lines = lines
        self._empty = empty
        self._wrapped = None
        size = self.virtual_size
        self._update_size()
        if was is None or self.virtual_size != size or not self.size.height:
            self._strips.clear()
            self.refresh()
            return
        self.refresh_rows(changed_rows(was, self._shown_lines()))

    def refresh_rows(self, rows: list[int]) -> None:
        """Draw again the lines at these indices (of the shown lines), those on screen."""
        top = int(self.scroll_offset.y)
        height = self.scrollable_content_region.height
        width = self.content_width()
        strips = self._strips
        regions = []
        for i in rows:
            strips.pop((i, width), None)
            if top <= i < top + height:
                if regions and regions[-1][0] + regions[-1][1] == i - top:
                    regions[-1][1] += 1
                else:
                    regions.append([i - top, 1])
        self.lines_redrawn += sum(n for _y, n in regions)
        if regions:
            # Widget.refresh, not ours: the lines not named keep their strips
            region_width = max(self.virtual_size.width, self.size.width)
            Widget.refresh(self, *(Region(0, y, region_width, n) for y, n in regions))

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
        """Repaint; drawn lines are cached until the next refresh. A new border title (or
        subtitle) repaints only the border row it is drawn on."""
        border = self.__dict__.get("_border_row")
        outer = self.outer_size
        if border is not None and not args and not kwargs and outer.height:
            offset = self.content_offset
            y = 0 if border == "border_title" else outer.height - 1
            return Widget.refresh(self, Region(-offset.x, y - offset.y, outer.width, 1))
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
