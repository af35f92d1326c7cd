"""The layout follows the terminal: at start and on every resize, at any size from 80x24 up,
and no pane is ever drawn narrower (or shorter) than its content needs; it is paged instead.

The minimums are the panes' own (MIN_WIDTH, MIN_HEIGHT: what one line of their content
needs, e.g. the 39 columns of a 4-level walk's index bits); the layout after a resize is
compared with a fresh start at the same size and step.
"""

from __future__ import annotations

import pytest

from tests.ui.conftest import settle
from vmtui.scenario.loader import load_scenario
from vmtui.ui.app import VmtuiApp
from vmtui.ui.dashboard import PAGES


def layout(app: VmtuiApp) -> dict[str, tuple[int, int, int, int]]:
    """Every pane on screen: its region (x, y, width, height)."""
    out = {}
    for p in app.dashboard.panes:
        r = p.region
        if p.display and r.width and r.height:
            out[str(p.id)] = (r.x, r.y, r.width, r.height)
    return out


def too_small(app: VmtuiApp) -> list[str]:
    """Panes on screen whose content area is below their minimum."""
    bad = []
    for p in app.dashboard.panes:
        if not (p.display and p.region.width and p.region.height):
            continue
        w, h = p.content_width(), p.scrollable_content_region.height
        if w < p.MIN_WIDTH or h < p.MIN_HEIGHT:
            bad.append(f"{p.id} {w}x{h} < {p.MIN_WIDTH}x{p.MIN_HEIGHT}")
    return bad


async def fresh(name: str, size: tuple[int, int], steps: int) -> dict:
    app = VmtuiApp(load_scenario(name))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for _ in range(steps):
            await pilot.press("n")
            await settle(pilot)
        await pilot.pause()
        return layout(app)


class TestResize:
    """A lecturer enlarges the font (the terminal shrinks) and shrinks it back."""

    @pytest.mark.parametrize("name", ["tour", "numa"])
    async def test_resize_wide_small_wide_equals_a_fresh_start(self, name):
        sizes = [(160, 48), (80, 24), (160, 48)]
        app = VmtuiApp(load_scenario(name))
        seen = []
        async with app.run_test(size=sizes[0]) as pilot:
            await settle(pilot)
            for i, size in enumerate(sizes):
                await pilot.resize_terminal(*size)
                await pilot.press("n")  # a key between each resize
                await settle(pilot)
                await pilot.pause()
                assert app.dashboard.narrow == (size == (80, 24)), size
                assert not too_small(app), (size, too_small(app))
                seen.append((size, i + 1, layout(app)))
        for size, steps, got in seen:
            assert got == await fresh(name, size, steps), f"layout at {size} after resizes"

    async def test_keys_1_to_6_page_after_shrinking(self):
        app = VmtuiApp(load_scenario("tour"))
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            await pilot.resize_terminal(80, 24)
            await pilot.pause()
            shown = set()
            for i, (key, _label) in enumerate(PAGES):
                await pilot.press(str(i + 1))
                await pilot.pause()
                assert app.dashboard.page == key
                assert not too_small(app), (key, too_small(app))
                shown.add(frozenset(layout(app)))
            assert len(shown) == len(PAGES)  # each key shows other panes


class TestEverySize:
    """From 80x24 up, wide or paged, every pane on screen gets its minimum."""

    @pytest.mark.parametrize(("name", "size"), [
        ("tour", (80, 24)), ("tour", (100, 30)), ("tour", (140, 36)), ("tour", (149, 50)),
        ("tour", (150, 41)), ("tour", (220, 60)), ("numa", (150, 43)), ("numa", (160, 48))])
    async def test_no_pane_below_its_minimum(self, name, size):
        app = VmtuiApp(load_scenario(name))
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await pilot.press("n")
            await settle(pilot)
            await pilot.pause()
            pages = [k for k, _ in PAGES] if app.dashboard.narrow else ["map"]
            for key in pages:
                app.dashboard.set_page(key)
                await pilot.pause()
                assert not too_small(app), (size, key, too_small(app))
            if size[0] >= 160 and size[1] >= 48:
                assert not app.dashboard.narrow  # the lecture size shows everything


async def test_two_nodes_watermarks_are_not_clipped_at_160x48():
    """The issue saw "high 3,42" for the numa scenario's DMA32 zone at 160x48."""
    from tests.ui.conftest import pane, text_of

    app = VmtuiApp(load_scenario("numa"))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("n", "n")
        await settle(pilot)
        await pilot.pause()
        phys = pane(app, "phys")
        width = phys.content_width()
        heads = [line for line in text_of(phys).split("\n") if " high " in line]
        zones = [z for n in app.snapshot.nodes for z in n.zones]
        assert len(heads) == len(zones)
        for line, zone in zip(heads, zones, strict=True):
            assert len(line.rstrip()) <= width
            assert line.rstrip().endswith(f"high {zone.wmark[2]:,}"), line
