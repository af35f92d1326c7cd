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

    The engine's worker finishes at its own pace, so the same screen may reach the
    compositor split into segments differently; merged, the SVG is the same every run.
    A pane's scrollbar track is sometimes drawn a frame late (a race with the engine
    thread not pinned down yet), so these snapshots leave vertical scrollbars out.
    """

    CSS = VmtuiApp.CSS + "LinesView { scrollbar-size-vertical: 0; }"

    def export_screenshot(self, *, title: str | None = None, simplify: bool = False) -> str:
        return super().export_screenshot(title=title, simplify=True)



def make_app(step: int, theme: str = "dark", lang: str = "en") -> VmtuiApp:
    sc = parse_scenario(SCENARIO, "snap.toml", "snap")
    return SnapApp(sc, lang=lang, theme=theme, start_step=step)


async def settle(pilot) -> None:
    """Wait for the engine, and freeze what moves (the command line's cursor)."""
    app = pilot.app
    app.animation_level = "none"  # the tabs' underline slides otherwise
    app.query_one("#cmd-input", Input).cursor_blink = False
    quiet = 0
    for _ in range(100):
        await app.workers.wait_for_complete()
        await pilot.pause()
        idle = not app._busy and not app._queue and app._target is None and \
            not any(w.is_running for w in app.workers)
        quiet = quiet + 1 if idle else 0
        if quiet >= 3:  # a scroll may still ask for RSS after the first quiet moment
            break
    await pilot.pause()


class TestMainScreen:
    """The dashboard at the sizes lecturers use."""

    def test_wide_after_a_write(self, snap_compare):
        """160x48: every pane at once; the write's page walk, 64 new faults, the LRU."""
        assert snap_compare(make_app(3), run_before=settle, terminal_size=(160, 48))

    def test_wide_start(self, snap_compare):
        """160x48 before the first step: the process as exec left it."""
        assert snap_compare(make_app(0), run_before=settle, terminal_size=(160, 48))

    def test_small_terminal_map_page(self, snap_compare):
        """80x24: the Map page (address space + VMA list) and the narration."""
        assert snap_compare(make_app(2), run_before=settle, terminal_size=(80, 24))

    def test_small_terminal_walk_page(self, snap_compare):
        """80x24, page 3: the page-table walk and the TLB."""
        assert snap_compare(make_app(3), run_before=settle, press=["3"],
                            terminal_size=(80, 24))


class TestLightTheme:
    """The projector theme: dark text on white, every colour still readable."""

    def test_light_wide(self, snap_compare):
        """160x48 in the light theme after mprotect made a W+X page."""
        assert snap_compare(make_app(4, theme="light"), run_before=settle,
                            terminal_size=(160, 48))

    def test_light_small_chinese(self, snap_compare):
        """80x24, light theme, narration in Chinese."""
        assert snap_compare(make_app(1, theme="light", lang="zh"), run_before=settle,
                            terminal_size=(80, 24))
