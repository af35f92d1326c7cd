"""`vmtui attach PID`: a live, read-only view of a real process's memory.

The VMA list with RSS and swap (/proc/PID/smaps), the status figures
(/proc/PID/status), the fault counters with what changed since the last
refresh, and a residency strip of the selected VMA from /proc/PID/pagemap.
Every read runs in a thread worker that posts a message; widgets are touched
only on the app's thread.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.strip import Strip
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Header, Static

from vmtui.host import procfs
from vmtui.host.procfs import HostError, PagemapRange, Vma
from vmtui.host.snapshot import (
    STATUS_FIGURES,
    ProcessSnapshot,
    follow_error,
    human_kb,
    take_process_snapshot,
    vma_label,
)


def vma_key(v: Vma) -> str:
    """A row key for a VMA: its range (a VMA split or merged is a new row)."""
    return f"{v.start:x}-{v.end:x}"


class ResidencyStrip(Widget):
    """One cell per page (or per group of pages) of a VMA: present, swapped, or not there.

    Drawn with the Line API so tests can read it as text. A cell covering
    several pages shows the worst case first: any page swapped, else all
    present, else some present, else none.
    """

    DEFAULT_CSS = """
    ResidencyStrip {
        height: 1fr;
        min-height: 3;
    }
    ResidencyStrip > .residency--present { color: $success; }
    ResidencyStrip > .residency--partial { color: $success-darken-2; }
    ResidencyStrip > .residency--swapped { color: $warning; text-style: bold; }
    ResidencyStrip > .residency--absent { color: $text-muted; }
    """

    COMPONENT_CLASSES = {
        "residency--present",
        "residency--partial",
        "residency--swapped",
        "residency--absent",
    }
    """
    | Class | Description |
    | :- | :- |
    | `residency--present` | A cell whose pages are all in RAM. |
    | `residency--partial` | A cell with some pages in RAM. |
    | `residency--swapped` | A cell with a page out in swap. |
    | `residency--absent` | A cell with no page in RAM or swap. |
    """

    GLYPHS = {"present": "█", "partial": "▄", "swapped": "S", "absent": "·"}

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self._pagemap: PagemapRange | None = None
        self._cache: tuple[int, list[str]] | None = None

    @property
    def pagemap(self) -> PagemapRange | None:
        """The range drawn, if any."""
        return self._pagemap

    def set_pagemap(self, pagemap: PagemapRange | None) -> None:
        """Draw `pagemap` (None clears the strip)."""
        self._pagemap = pagemap
        self._cache = None
        self.refresh()

    def cells(self, count: int) -> list[str]:
        """The kind of each of at most `count` cells, in address order."""
        if self._cache is not None and self._cache[0] == count:
            return self._cache[1]
        pm = self._pagemap
        kinds: list[str] = []
        if pm is not None and pm.raw and count > 0:
            raw = pm.raw
            per = max(1, math.ceil(len(raw) / count))
            for i in range(0, len(raw), per):
                group = raw[i : i + per]
                present = sum(1 for r in group if r & procfs.PM_PRESENT)
                if any(r & procfs.PM_SWAP for r in group):
                    kinds.append("swapped")
                elif present == len(group):
                    kinds.append("present")
                elif present:
                    kinds.append("partial")
                else:
                    kinds.append("absent")
        self._cache = (count, kinds)
        return kinds

    def render_line(self, y: int) -> Strip:
        """Row `y` of the strip."""
        width = self.size.width
        kinds = self.cells(width * self.size.height)
        row = kinds[y * width : (y + 1) * width]
        if not row:
            return Strip.blank(width, self.rich_style)
        base = self.rich_style
        styles: dict[str, Style] = {
            k: base + self.get_component_rich_style(f"residency--{k}") for k in self.GLYPHS
        }
        segments = []
        run_kind, run_len = row[0], 0
        for kind in row:
            if kind != run_kind:
                segments.append(Segment(self.GLYPHS[run_kind] * run_len, styles[run_kind]))
                run_kind, run_len = kind, 0
            run_len += 1
        segments.append(Segment(self.GLYPHS[run_kind] * run_len, styles[run_kind]))
        return Strip(segments).adjust_cell_length(width, base)


class AttachApp(App[None]):
    """A live, read-only view of real process `pid`, refreshed every `interval` seconds."""

    CSS_PATH = "attach_app.tcss"
    TITLE = "vmtui attach"

    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("r", "refresh_now", "Refresh now"),
        Binding("p", "toggle_pause", "Pause"),
    ]

    @dataclass
    class Sampled(Message):
        """A new snapshot of the process, with the pagemap of the selected VMA."""

        snapshot: ProcessSnapshot
        pagemap: PagemapRange | None

    @dataclass
    class ResidencyRead(Message):
        """The pagemap of the VMA `key`, read after the selection moved."""

        key: str
        pagemap: PagemapRange

    @dataclass
    class Lost(Message):
        """The process can no longer be read (it exited, or access was refused)."""

        error: str

    COLUMNS = (
        ("start", "Start"),
        ("end", "End"),
        ("perms", "Perm"),
        ("size", "Size"),
        ("rss", "RSS"),
        ("anon", "Anon"),
        ("swap", "Swap"),
        ("path", "Mapping"),
    )

    def __init__(
        self, pid: int, interval: float = 1.0, first: ProcessSnapshot | None = None
    ) -> None:
        super().__init__()
        self.pid = pid
        self.interval = interval
        self.snapshot: ProcessSnapshot | None = None
        self._first = first
        self._previous: ProcessSnapshot | None = None
        self._row_keys: list[str] = []
        self._vmas: dict[str, Vma] = {}
        # The selected VMA's range, read by the sampling thread (a tuple swap is atomic).
        self._selected: tuple[str, int, int] | None = None
        self._timer: Timer | None = None
        self._lost = False
        self._paused = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="body"):
            table: DataTable[str | Text] = DataTable(
                id="vmas", cursor_type="row", zebra_stripes=True
            )
            table.border_title = "VMAs (/proc/PID/smaps)"
            yield table
            with Vertical(id="side"):
                status = Static(id="status")
                status.border_title = "/proc/PID/status"
                yield status
                counters = Static(id="counters")
                counters.border_title = "faults (since last refresh)"
                yield counters
                with Vertical(id="residency"):
                    yield Static(id="strip-title")
                    yield ResidencyStrip(id="strip")
                    yield Static(Text("█ in RAM  ▄ partly  S swapped  · not present"), id="legend")
        yield Footer()

    def on_mount(self) -> None:
        self.title = f"vmtui attach — real process {self.pid}"
        self.sub_title = f"read-only view of /proc/{self.pid}, every {self.interval:g} s"
        table = self.query_one("#vmas", DataTable)
        for key, label in self.COLUMNS:
            table.add_column(label, key=key)
        self.query_one("#residency").border_title = "residency (/proc/PID/pagemap)"
        if self._first is not None:
            self._apply(self._first, None)
            self._first = None
        self._timer = self.set_interval(self.interval, self.sample)
        self.sample()

    # ------------------------------------------------------------------ workers

    @work(thread=True, exclusive=True, group="sample", exit_on_error=False)
    def sample(self) -> None:
        """Read the process (and the selected VMA's pagemap) off the UI thread."""
        if self._lost:
            return
        try:
            snap = take_process_snapshot(self.pid)
            selected = self._selected
            pagemap = None
            if selected is not None:
                _, start, end = selected
                pagemap = procfs.read_pagemap(self.pid, start, end)
        except HostError as exc:
            self.post_message(self.Lost(follow_error(exc)))
            return
        self.post_message(self.Sampled(snap, pagemap))

    @work(thread=True, exclusive=True, group="pagemap", exit_on_error=False)
    def load_residency(self, key: str, start: int, end: int) -> None:
        """Read one VMA's pagemap off the UI thread."""
        try:
            pagemap = procfs.read_pagemap(self.pid, start, end)
        except HostError:
            return
        self.post_message(self.ResidencyRead(key, pagemap))

    # ------------------------------------------------------------------ messages

    @on(Sampled)
    def _on_sampled(self, message: Sampled) -> None:
        if self._lost:
            return
        self._apply(message.snapshot, message.pagemap)

    @on(ResidencyRead)
    def _on_residency(self, message: ResidencyRead) -> None:
        if self._selected is not None and self._selected[0] == message.key:
            self._show_residency(message.pagemap)

    @on(Lost)
    def _on_lost(self, message: Lost) -> None:
        self._lost = True
        if self._timer is not None:
            self._timer.stop()
        self.sub_title = f"{message.error} — showing the last view; q quits"
        self.notify(message.error, title="process lost", severity="error", timeout=10)

    @on(DataTable.RowHighlighted, "#vmas")
    def _on_row(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value
        vma = self._vmas.get(key or "")
        if vma is None:
            return
        if self._selected is not None and self._selected[0] == key:
            return
        self._selected = (vma_key(vma), vma.start, vma.end)
        self.query_one("#strip-title", Static).update(self._strip_title(vma, None))
        self.query_one("#strip", ResidencyStrip).set_pagemap(None)
        self.load_residency(vma_key(vma), vma.start, vma.end)

    # ------------------------------------------------------------------ actions

    def action_refresh_now(self) -> None:
        """Sample now rather than at the next tick."""
        self.sample()

    def action_toggle_pause(self) -> None:
        """Stop or restart the periodic refresh."""
        if self._timer is None or self._lost:
            return
        self._paused = not self._paused
        if self._paused:
            self._timer.pause()
            self.sub_title = f"paused — read-only view of /proc/{self.pid}; p resumes"
        else:
            self._timer.resume()
            self.sub_title = f"read-only view of /proc/{self.pid}, every {self.interval:g} s"

    # ------------------------------------------------------------------ applying a snapshot

    def _apply(self, snap: ProcessSnapshot, pagemap: PagemapRange | None) -> None:
        self._previous, self.snapshot = self.snapshot, snap
        self.title = f"vmtui attach — real process {snap.pid} ({snap.comm})"
        with self.batch_update():
            self._fill_table(snap)
            self.query_one("#status", Static).update(self._status_text(snap))
            self.query_one("#counters", Static).update(self._counters_text(snap, self._previous))
            if pagemap is not None and self._selected is not None:
                if self._selected[1:] == (pagemap.start, pagemap.end):
                    self._show_residency(pagemap)

    def _row(self, v: Vma) -> tuple[str | Text, ...]:
        perms: str | Text = v.perms
        if "w" in v.perms and "x" in v.perms:
            perms = Text(v.perms, style="bold red")
        return (
            f"{v.start:x}",
            f"{v.end:x}",
            perms,
            human_kb(v.kb("Size") or v.size // 1024),
            human_kb(v.kb("Rss")),
            human_kb(v.kb("Anonymous")),
            human_kb(v.kb("Swap")),
            # Text, not str: "[heap]" and "[anon]" would be read as markup tags.
            Text(vma_label(v)),
        )

    def _fill_table(self, snap: ProcessSnapshot) -> None:
        table: DataTable[str | Text] = self.query_one("#vmas", DataTable)
        keys = [vma_key(v) for v in snap.vmas]
        self._vmas = {vma_key(v): v for v in snap.vmas}
        if keys == self._row_keys:
            # Same VMAs: update only the figures that moved, keeping the cursor still.
            for v, key in zip(snap.vmas, keys, strict=True):
                old = table.get_row(key)
                for (col, _), new, cur in zip(self.COLUMNS, self._row(v), old, strict=True):
                    if str(new) != str(cur):
                        table.update_cell(key, col, new)
            return
        selected = self._selected[0] if self._selected else None
        table.clear()
        for v, key in zip(snap.vmas, keys, strict=True):
            table.add_row(*self._row(v), key=key)
        self._row_keys = keys
        if selected in self._vmas:
            table.move_cursor(row=table.get_row_index(selected))
        elif selected is not None:
            self._selected = None
            self.query_one("#strip", ResidencyStrip).set_pagemap(None)

    def _status_text(self, snap: ProcessSnapshot) -> Text:
        s = snap.status
        text = Text()
        text.append(f"{snap.comm}", style="bold")
        text.append(f"  state {s.state}  threads {s.threads}\n")
        for i, (label, attr) in enumerate(STATUS_FIGURES):
            text.append(f"{label:<8}", style="dim")
            text.append(f"{getattr(s, attr):>10} kB")
            text.append("\n" if i % 2 else "   ")
        return text

    def _counters_text(self, snap: ProcessSnapshot, prev: ProcessSnapshot | None) -> Text:
        now = snap.counters
        before = prev.counters if prev is not None else {}
        text = Text()
        for i, (name, value) in enumerate(now.items()):
            if i == 2:
                text.append("system-wide (/proc/vmstat)\n", style="dim italic")
            text.append(f"{name:<11}", style="dim")
            text.append(f"{value:>14}")
            delta = value - before[name] if name in before else 0
            if delta:
                text.append(f"  +{delta}", style="bold reverse yellow")
            text.append("\n")
        return text

    def _strip_title(self, vma: Vma, pagemap: PagemapRange | None) -> Text:
        text = Text()
        text.append(f"{vma.start:x}-{vma.end:x} {vma.perms} {vma_label(vma)}\n", style="bold")
        text.append(f"{vma.pages} pages")
        if pagemap is None:
            text.append("  (reading pagemap…)", style="dim")
            return text
        if not pagemap.available:
            text.append(f"  pagemap unavailable: {pagemap.reason}", style="yellow")
            return text
        text.append(f": {pagemap.present} present, {pagemap.swapped} swapped")
        if pagemap.truncated:
            text.append(f" (first {len(pagemap.raw)} read)", style="dim")
        if pagemap.pfns_hidden:
            text.append("  PFNs hidden (needs CAP_SYS_ADMIN)", style="dim")
        return text

    def _show_residency(self, pagemap: PagemapRange) -> None:
        vma = self._vmas.get(f"{pagemap.start:x}-{pagemap.end:x}")
        if vma is None:
            return
        self.query_one("#strip-title", Static).update(self._strip_title(vma, pagemap))
        self.query_one("#strip", ResidencyStrip).set_pagemap(pagemap)
