"""A key press costs what it changes: panes draw only the rows on screen, and a pane whose
data did not change is neither built nor drawn again."""

from __future__ import annotations

from dataclasses import replace

import pytest
from rich.text import Text

from tests.ui.conftest import pane, scenario, screen_lines, settle, text_of
from vmtui.ui.app import VmtuiApp
from vmtui.ui.lines_view import LinesView
from vmtui.ui.vma_list import VmaListPane
from vmtui.view.driver import Op


@pytest.fixture
def drawn(monkeypatch):
    """Lines drawn, per pane id (LinesView.render_line made a strip for them)."""
    counts: dict[str, int] = {}
    real = LinesView.render_line

    def render_line(self, y):  # type: ignore[no-untyped-def]
        counts[self.id] = counts.get(self.id, 0) + 1
        return real(self, y)

    monkeypatch.setattr(LinesView, "render_line", render_line)
    return counts


def panes(app) -> list[LinesView]:  # type: ignore[no-untyped-def]
    return list(app.query(LinesView))


async def test_a_60000_vma_list_builds_only_the_rows_on_screen(monkeypatch):
    """GIVEN a process of 60,000 VMAs, WHEN its snapshot is shown, THEN the VMA list makes
    a row for each line it has room for, not one for each VMA."""
    made: list[int] = []
    real = VmaListPane._row_line

    def row_line(self, index):  # type: ignore[no-untyped-def]
        made.append(index)
        return real(self, index)

    monkeypatch.setattr(VmaListPane, "_row_line", row_line)
    app = VmtuiApp(scenario(), lang="en")
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(pilot)
        app.driver = None  # no engine behind the made-up snapshot
        maps = [f"{0x10000000 + i * 0x2000:08x}-{0x10001000 + i * 0x2000:08x} "
                f"{'r--p' if i % 2 else 'rw-p'} 00000000 00:00 0 " for i in range(60_000)]
        big = replace(app.snapshot, maps=maps, tree_size=60_000, rss={}, touched_index=30_000,
                      selected=None, vma_marks={}, ghosts=())
        made.clear()
        app._apply(big)
        await pilot.pause()
        await pilot.pause()
        vmas = pane(app, "vmas")
        rows = vmas.scrollable_content_region.height
        assert 0 < rows < 60
        assert len(set(made)) <= rows
        assert 30_000 in made  # the touched VMA, scrolled into view
        assert any(maps[30_000][:17] in line for line in screen_lines(app))


async def test_a_snapshot_with_nothing_new_draws_nothing(drawn):
    """GIVEN a step on screen, WHEN the engine sends the same state again (a refresh),
    THEN no pane builds its lines or draws a line again."""
    app = VmtuiApp(scenario(), lang="en")
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(pilot)
        await pilot.press("n", "n", "n")
        await settle(pilot)
        await pilot.pause()
        builds = {p.id: p.builds for p in panes(app)}
        redraws = {p.id: p.redraws for p in panes(app)}
        before = app.snapshot
        drawn.clear()
        app.request(Op("refresh"))
        await settle(pilot)
        await pilot.pause()
        assert app.snapshot is not before  # a new snapshot came, and was shown
        rebuilt = [p.id for p in panes(app) if p.builds != builds[p.id] and p.id != "vmas"]
        assert rebuilt == []  # (the VMA list always builds: it puts its cursor back)
        assert {p.id: p.redraws for p in panes(app)} == redraws
        assert drawn == {}


async def test_a_step_draws_only_the_panes_it_changed(drawn):
    """GIVEN the walk of a page already written, WHEN the next step walks another, THEN
    the panes whose figures it did not change (VMAs, the rbtree, the address space,
    physical memory) are not drawn again; the narration and the walk are."""
    app = VmtuiApp(scenario(), lang="en")
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(pilot)
        await pilot.press("n", "n", "n")
        await settle(pilot)
        app.request(Op("improvise", "walk big"))
        await settle(pilot)
        await pilot.pause()
        phys_before = text_of(pane(app, "phys"))
        drawn.clear()
        app.request(Op("improvise", "walk big+4K"))
        await settle(pilot)
        await pilot.pause()
        assert "walk big+4K" in text_of(pane(app, "narration"))
        assert text_of(pane(app, "phys")) == phys_before
        for name in ("vmas", "tree", "addr", "phys"):
            assert name not in drawn, f"{name} drawn again"
        for name in ("narration", "walk"):
            assert drawn.get(name), f"{name} not drawn"


async def test_a_pane_draws_again_only_the_lines_that_changed(drawn):
    """GIVEN /proc/vmstat on screen, WHEN its lines come again with one of them changed,
    THEN that line is the only one drawn again, and the screen shows it; WHEN its last
    line goes, THEN only that row is drawn again (blank)."""
    app = VmtuiApp(scenario(), lang="en")
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(pilot)
        await pilot.press("n", "n")
        await settle(pilot)
        await pilot.pause()
        vmstat = pane(app, "vmstat")
        lines = list(vmstat._lines)
        rows = vmstat.scrollable_content_region.height
        assert rows > len(lines) > 4  # every line on screen, blank rows below them
        before = screen_lines(app)
        drawn.clear()
        changed = lines[:3] + [Text("pgfault 123456789")] + lines[4:]
        vmstat.set_lines(changed)
        await pilot.pause()
        assert drawn == {"vmstat": 1}
        after = screen_lines(app)
        moved = [y for y, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
        assert len(moved) == 1 and "pgfault 123456789" in after[moved[0]]
        drawn.clear()
        vmstat.set_lines(changed[:-1])
        await pilot.pause()
        assert drawn == {"vmstat": 1}


async def test_a_new_subtitle_draws_only_its_border_row(drawn):
    """GIVEN a pane on screen, WHEN its subtitle changes, THEN none of its lines is drawn
    again, and the new subtitle shows in its bottom border."""
    app = VmtuiApp(scenario(), lang="en")
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(pilot)
        await pilot.pause()
        vmstat = pane(app, "vmstat")
        drawn.clear()
        vmstat.border_subtitle = "a new subtitle"
        await pilot.pause()
        assert drawn == {}
        region = vmstat.region
        assert "a new subtitle" in screen_lines(app)[region.bottom - 1]


async def test_tabs_are_drawn_as_spaces_to_the_next_stop():
    """/proc/swaps as the kernel writes it ("Filename\\t\\t\\t\\tType\\t\\tSize\\tUsed\\t
    Priority", the path padded to 40 columns): with stops every 8 columns its words start
    at columns 0, 40, 56, 64 and 72 of the pane's text, and no tab reaches the screen
    (one would leave cells unpainted, showing what was drawn there before)."""
    app = VmtuiApp(scenario(), lang="en")
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        view = pane(app, "narration")
        view.set_lines([Text("Filename\t\t\t\tType\t\tSize\tUsed\tPriority"),
                        Text(f"{'/dev/vda2':<40}partition\t131068\t0\t-2")])
        await pilot.pause()
        drawn = [view.render_line(y).text for y in range(view.line_count())]
        assert not any("\t" in line for line in drawn)
        # the pane is narrower than 80 columns: what passes its width wraps, below
        head = next(line for line in drawn if line.startswith("Filename"))
        row = next(line for line in drawn if line.startswith("/dev/vda2"))
        assert [head.index(w) for w in ("Type", "Size", "Used")] == [40, 56, 64]
        assert [row.index(w) for w in ("partition", "131068")] == [40, 56]
        assert row[64:66] == "0 "
