"""VmaListPane: /proc/PID/maps with an RSS column, virtualised for 60,000 VMAs."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.binding import Binding

from vmtui.ui.lines_view import LinesView
from vmtui.ui.messages import VmaChosen, VmaWindow
from vmtui.view.i18n import t
from vmtui.view.snapshot import Snapshot


class VmaListPane(LinesView):
    """One row per VMA, built only when it is on screen.

    The VMA the step touched is highlighted and scrolled into view; W+X
    mappings carry a warning mark. Up/Down move a cursor, Enter (or a click)
    shows the VMA's every field in the vm_area_struct pane.

    What the step changed is marked in a first column (there on the steps that changed
    VMAs): `+` a VMA it added, `~` one it split, merged or changed; a VMA it removed
    (or that a split or a merge replaced) stays for that step as a struck-through
    ghost row, `-`, where it was.
    """

    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "cursor(-10)", "Page up", show=False),
        Binding("pagedown", "cursor(10)", "Page down", show=False),
        Binding("home", "cursor_to(0)", "First", show=False),
        Binding("end", "cursor_to(-1)", "Last", show=False),
        Binding("enter", "choose", "Show VMA", show=True),
    ]
    MIN_WIDTH = 40
    MIN_HEIGHT = 3
    DEFAULT_CSS = """
    VmaListPane > .vma--touched { background: $accent 35%; text-style: bold; }
    VmaListPane > .vma--cursor { background: $primary 40%; }
    VmaListPane > .vma--wx { color: $error; text-style: bold; }
    VmaListPane > .vma--perm { color: $success; }
    VmaListPane > .vma--name { color: $text; }
    VmaListPane > .vma--rss { color: $warning; }
    VmaListPane > .vma--head { color: $text-muted; text-style: bold; }
    VmaListPane > .vma--added { color: $success; text-style: bold; }
    VmaListPane > .vma--changed { color: $warning; text-style: bold; }
    VmaListPane > .vma--ghost { color: $error; text-style: strike; }
    VmaListPane > .vma--gone { color: $error; text-style: bold; }
    """
    COMPONENT_CLASSES = LinesView.COMPONENT_CLASSES | {
        "vma--touched", "vma--cursor", "vma--wx", "vma--perm", "vma--name", "vma--rss",
        "vma--head", "vma--added", "vma--changed", "vma--ghost", "vma--gone"}

    def __init__(self, **kw) -> None:  # type: ignore[no-untyped-def]
        super().__init__(**kw)
        self.cursor = -1
        self._maps: list[str] = []
        self._vmas = 0  # rows of VMAs; /proc/PID/maps may add the gate VMA after them
        # rows this step removed: (maps index they go before, (start, end, perms, name), how)
        self._ghosts: tuple[tuple[int, tuple[int, int, str, str], str], ...] = ()
        self._drawn: tuple[object, ...] | None = None  # what the rows on screen show

    # ------------------------------------------------------------------ rows and ghosts
    def display_row(self, index: int) -> int:
        """The line of maps row `index` (ghost rows come before the row they precede)."""
        return index + sum(1 for g in self._ghosts if g[0] <= index)

    def row_at(self, line: int) -> tuple[str, int]:
        """("row", maps index) or ("ghost", ghost number) of a line of the list."""
        before = 0
        for k, g in enumerate(self._ghosts):
            at = g[0] + k
            if at == line:
                return "ghost", k
            if at < line:
                before += 1
            else:
                break
        return "row", line - before

    def show(self, snap: Snapshot, lang: str) -> None:
        """Always build: the cursor goes back to the step's VMA even when no row changed
        (building is cheap, rows are made when drawn; drawing again is what is spared)."""
        self.snapshot = snap
        self.lang = lang
        self.rebuild()

    def build(self, snap: Snapshot) -> None:
        self._maps = snap.maps
        pid = snap.pid
        self.border_title = (f"{t('vmas', self.lang)} · /proc/{pid}/maps" if pid else
                             f"{t('vmas', self.lang)} · {t('no_live', self.lang)}")
        self.border_subtitle = f"{len(snap.maps):,} lines · RSS per VMA"
        if snap.selected is not None:
            self.cursor = snap.selected
        elif snap.touched_index is not None:
            self.cursor = snap.touched_index
        self.cursor = min(self.cursor, len(self._maps) - 1)
        self._lines = []
        self._wrapped = None
        self._empty = t("no_process", self.lang) if not snap.maps else ""
        self._vmas = snap.tree_size
        self._ghosts = snap.ghosts
        # what the rows are drawn from (get_line reads the RSS, marks and the touched
        # VMA of the snapshot): the same as on screen, nothing is drawn again
        drawn = (self.build_state(), snap.maps, self._vmas, self._ghosts, self.cursor,
                 self._empty, snap.rss, snap.vma_marks, snap.touched_index)
        same = self._drawn is not None and self.virtual_size.height and all(
            a is b or a == b for a, b in zip(drawn, self._drawn, strict=True))
        self._drawn = drawn
        if not same:
            self.redraws += 1
            self._update_size()
        if self.cursor >= 0:
            self.scroll_to_line(self.display_row(self.cursor))
            # and again once laid out: a snapshot that comes before the first layout
            # scrolls a pane of no height
            self.call_after_refresh(self._show_cursor)
        if not same:
            self.refresh()

    def _show_cursor(self) -> None:
        if 0 <= self.cursor < len(self._maps):
            self.scroll_to_line(self.display_row(self.cursor))

    def line_count(self) -> int:
        return len(self._maps) + len(self._ghosts)

    def get_line(self, index: int) -> Text:
        what, i = self.row_at(index)
        if what == "ghost":
            return self._ghost_line(i)
        return self._row_line(i)

    def _ghost_line(self, k: int) -> Text:
        """A VMA this step removed: struck through, and how it went."""
        st = self.style
        _at, (start, end, perms, name), kind = self._ghosts[k]
        width = self.content_width()
        out = Text("- ", st("vma--gone"))
        out.append(f"{start:x}-{end:x}", st("vma--ghost"))
        out.append(" ")
        out.append(perms, st("vma--ghost"))
        how = f" {t('vma_' + kind, self.lang)}"
        rest = width - out.cell_len - Text(how).cell_len
        if name and rest > 2:
            label = name if len(name) <= rest - 1 else "…" + name[-(rest - 2):]
            out.append(" ")
            out.append(label, st("vma--ghost"))
        out.append(how, st("vma--gone"))
        return out

    def _row_line(self, index: int) -> Text:
        snap = self.snapshot
        line = self._maps[index]
        parts = line.split(None, 5)
        st = self.style
        if len(parts) < 5:
            return Text(line)
        rng, perms, off, dev, ino = parts[:5]
        name = parts[5] if len(parts) > 5 else ""
        width = self.content_width()
        rss = snap.rss.get(index) if snap is not None else None
        # rows past the VMAs ([vsyscall], the gate area) have no RSS to count
        rss_text = "" if index >= self._vmas else "…" if rss is None else _kb(rss * 4)
        out = Text()
        if snap is not None and (snap.vma_marks or snap.ghosts):
            # a column of change marks, on the steps that changed the VMAs
            mark = snap.vma_marks.get(index, " ")
            out.append(f"{mark} ", st("vma--added") if mark == "+" else st("vma--changed"))
        out.append(rng, st("vma--name"))
        out.append(" ")
        out.append(perms, st("vma--wx") if "w" in perms and "x" in perms else st("vma--perm"))
        if width >= 96:
            out.append(f" {off} {dev} {ino:<7}")
        elif width >= 60:
            out.append(f" {off}")
        rss_w = (8 if width >= 60 else 6) if rss_text else 0
        rest = width - out.cell_len - rss_w
        if rest > 1:
            label = name if len(name) <= rest - 1 else "…" + name[-(rest - 2):]
            out.append(" " + label.ljust(rest - 1), st("vma--name"))
        out.append(f"{rss_text:>{rss_w}}", st("vma--rss"))
        if "w" in perms and "x" in perms:
            out.append(" W+X!", st("vma--wx"))
        if snap is not None and index == snap.touched_index:
            out.stylize(st("vma--touched"))
        if index == self.cursor and self.has_focus:
            out.stylize(st("vma--cursor"))
        return out

    # ------------------------------------------------------------------ interaction
    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if self.snapshot is not None and int(old) != int(new):
            what, i = self.row_at(int(new))
            top = i if what == "row" else self._ghosts[i][0]
            self.post_message(VmaWindow(top, self.scrollable_content_region.height))

    def action_cursor(self, delta: int) -> None:
        if not self._maps:
            return
        self.cursor = max(0, min(len(self._maps) - 1, self.cursor + delta))
        self._drawn = None  # the next snapshot draws its cursor again
        self.scroll_to_line(self.display_row(self.cursor))
        self.refresh()

    def action_cursor_to(self, index: int) -> None:
        if self._maps:
            self.cursor = index % len(self._maps)
            self._drawn = None
            self.scroll_to_line(self.display_row(self.cursor))
            self.refresh()

    def action_choose(self) -> None:
        if 0 <= self.cursor < len(self._maps):
            self.post_message(VmaChosen(self.cursor))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        what, index = self.row_at(offset.y + int(self.scroll_offset.y))
        if what == "row" and 0 <= index < len(self._maps):
            self.cursor = index
            self._drawn = None
            self.refresh()
            self.post_message(VmaChosen(index))

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()


def _kb(kb: int) -> str:
    if kb >= 10 * 1024 * 1024:
        return f"{kb >> 20}G"
    if kb >= 10 * 1024:
        return f"{kb >> 10}M"
    return f"{kb}K"
