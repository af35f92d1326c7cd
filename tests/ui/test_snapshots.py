"""SVG snapshot tests of the main screen (pytest-textual-snapshot): what a class sees."""

from __future__ import annotations

from textual.widgets import Input

from vmtui.scenario.loader import parse_scenario
from vmtui.ui.app import VmtuiApp

SCENARIO = """
[scenario]
title = { en = "Snapshot: malloc, a write, mprotect", zh = "快照：malloc、写入、mprotect" }

[machine]
ram = "128M"
swap = "32M"

[[step]]
do = "small = malloc 100"
say = { en = "Below 128 KiB: the heap grows with brk.", zh = "小于 128 KiB：用 brk 扩展堆。" }

[[step]]
do = "big = mmap 1M rw private,anon"
say = "A mapping of its own, placed top-down below the libraries."

[[step]]
do = "write big 256K"
say = "Every page faults in: do_anonymous_page once a page."

[[step]]
do = "mprotect big 4K rwx"
say = "Writable and executable: flagged W+X."
"""


class SnapApp(VmtuiApp):
    """The app, with screenshots whose segments are merged before they are hashed.

    The same screen may reach the compositor split into segments differently (a pane
    repainted whole or line by line); merged, the SVG is the same every run.
    """

    def export_screenshot(self, *, title: str | None = None, simplify: bool = False) -> str:
        return super().export_screenshot(title=title, simplify=True)


def make_app(step: int, theme: str = "dark", lang: str = "en") -> VmtuiApp:
    sc = parse_scenario(SCENARIO, "snap.toml", "snap")
    return SnapApp(sc, lang=lang, theme=theme, start_step=step)


async def settle(pilot) -> None:
    """Wait for the engine worker and what it chained (the RSS of rows a scroll showed),
    then for the screen to take it; freeze what moves (the command line's cursor).

    The engine's first snapshot may come before or after the first layout; panes set
    their scrollbars from the laid-out size either way (LinesView._apply_size), so
    waiting for the worker and a quiet screen is all it takes.
    """
    app = pilot.app
    app.animation_level = "none"  # the tabs' highlight slides otherwise
    app.query_one("#cmd-input", Input).cursor_blink = False
    quiet = 0
    for _ in range(100):
        await app.workers.wait_for_complete()
        await pilot.pause()
        idle = not app._busy and not app._queue and app._target is None and \
            not any(w.is_running for w in app.workers)
        quiet = quiet + 1 if idle else 0
        if quiet >= 2:
            break
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


class TestMainScreen:
    """The dashboard at the sizes lecturers use."""

    def test_wide_start(self, snap_compare):
        """160x48 before the first step: every pane, the process as exec left it, the
        scenario's title and summary in the narration, the first command waiting in its
        border (n → small = malloc 100), and the walk pane saying why it is empty."""
        assert snap_compare(make_app(0), run_before=settle, terminal_size=(160, 48))

    def test_wide_after_a_write(self, snap_compare):
        """160x48 after `write big 256K`: the walk of the last page, bit by bit, ending in
        a physical address; the touched VMA marked ◀ in the bar, highlighted in the list
        and the TLB; 64 new faults on top of /proc/vmstat; active_anon grown."""
        assert snap_compare(make_app(3), run_before=settle, terminal_size=(160, 48))

    def test_small_terminal_map_page(self, snap_compare):
        """80x24 after the mmap: page 1 (the address-space bar and /proc/PID/maps, the
        new mapping marked) above the narration."""
        assert snap_compare(make_app(2), run_before=settle, terminal_size=(80, 24))

    def test_small_terminal_walk_page(self, snap_compare):
        """80x24 after the write, page 3: the page-table walk and the TLB."""
        assert snap_compare(make_app(3), run_before=settle, press=["3"],
                            terminal_size=(80, 24))

    def test_small_terminal_reclaim_page(self, snap_compare):
        """80x24 after the write, page 5: kswapd, the LRU lists as shares of RAM, swap
        slots, the free-memory sparkline of steps 0-3."""
        assert snap_compare(make_app(3), run_before=settle, press=["5"],
                            terminal_size=(80, 24))


class TestLightTheme:
    """The projector theme: dark text on white, every colour and highlight readable."""

    def test_light_wide(self, snap_compare):
        """160x48 in the light theme after mprotect made a W+X page: the VMA split in
        three, W+X! flagged in the bar and the list, highlights pale behind dark text."""
        assert snap_compare(make_app(4, theme="light"), run_before=settle,
                            terminal_size=(160, 48))

    def test_light_small_chinese(self, snap_compare):
        """80x24, light theme, the narration and the panes' titles in Chinese."""
        assert snap_compare(make_app(1, theme="light", lang="zh"), run_before=settle,
                            terminal_size=(80, 24))
