"""Helpers of the TUI's tests (tests/ui), also used by the scenario tests that drive the
TUI: a small scenario, a pane's text as drawn, waiting for the engine, typing at the `:`
command line."""

from __future__ import annotations

from vmtui.scenario.loader import parse_scenario
from vmtui.ui.lines_view import LinesView

SCENARIO = """
[scenario]
title = { en = "Small and large malloc", zh = "小块与大块内存分配" }

[machine]
ram = "256M"
swap = "64M"

[[step]]
do = "small = malloc 100"
say = { en = "Below 128 KiB: the heap grows with brk.", zh = "小于 128 KiB：用 brk 扩展堆。" }

[[step]]
do = "big = mmap 1M rw private,anon"
say = "A mapping of its own."

[[step]]
do = "write big 512K"
say = "Every page faults in: do_anonymous_page once a page."

[[step]]
do = "mprotect big 4K rwx"
say = "Writable and executable: flagged W+X."
expect = "ok"
"""


def scenario():
    return parse_scenario(SCENARIO, "ui-test.toml", "ui-test")


def text_of(pane: LinesView) -> str:
    """A pane's lines as plain text (the Line API lets tests read what is drawn)."""
    return "\n".join(pane.get_line(i).plain for i in range(pane.line_count()))


async def settle(pilot) -> None:
    """Wait until the engine worker and every request it chained are done."""
    app = pilot.app
    for _ in range(50):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not app._busy and not app._queue and app._target is None and \
                not app.workers._workers:
            return
    raise AssertionError("the engine did not settle")


def screen_lines(app) -> list[str]:
    """The whole screen as the terminal shows it, one string a row."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def screen_cell(app, text: str):
    """The Rich style of the first cell of `text` on the screen (None: not shown)."""
    for y, row in enumerate(screen_lines(app)):
        x = row.find(text)
        if x >= 0:
            return app.screen._compositor.get_style_at(x, y)
    return None


def pane(app, name: str) -> LinesView:
    return app.query_one(f"#{name}", LinesView)


async def type_line(pilot, text: str) -> None:
    await pilot.press("colon")
    await pilot.pause()
    for ch in text:
        await pilot.press({" ": "space", ";": "semicolon", ",": "comma", "=": "equals_sign",
                           "+": "plus", "'": "apostrophe"}.get(ch, ch))


async def goto(pilot, n: int) -> None:
    """Go to step n as the go-to box does, and wait until the panes show it."""
    app = pilot.app
    app._target = n
    app._kick()
    await settle(pilot)
    await pilot.pause()
