"""Pilot tests of the TUI: keys move the engine and every pane shows what the engine says."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from tests.ui.conftest import pane, scenario, settle, text_of
from vmtui.engine.fs.procfs import maps_lines
from vmtui.scenario.loader import builtin_names, load_scenario, parse_scenario
from vmtui.ui.app import VmtuiApp
from vmtui.view.driver import Driver, Op
from vmtui.view.snapshot import View


@pytest.fixture
def app():
    return VmtuiApp(scenario(), lang="en")


class TestStepping:
    """next, back and go-to move the step, and the panes follow the engine."""

    async def test_next_runs_a_step_and_every_pane_changes(self, app):
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            assert app.snapshot.position == 0
            before = {name: text_of(pane(app, name)) for name in
                      ("narration", "vmas", "addr", "vmstat", "tree")}
            await pilot.press("n")
            await settle(pilot)
            assert app.snapshot.position == 1
            assert "small = malloc 100" in text_of(pane(app, "narration"))
            assert "heap grows with brk" in text_of(pane(app, "narration"))
            # the heap appeared: maps, the bar and the tree all show it
            assert "[heap]" in text_of(pane(app, "vmas"))
            assert "heap" in text_of(pane(app, "addr"))
            for name, old in before.items():
                assert text_of(pane(app, name)) != old, f"{name} did not change"
            m = app.driver.player.machine
            assert app.snapshot.maps == maps_lines(m, m.current)

    async def test_write_shows_the_walk_and_the_faults(self, app):
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            await pilot.press("n", "n", "n")
            await settle(pilot)
            assert app.snapshot.position == 3
            walk = text_of(pane(app, "walk"))
            assert "PGD" in walk and "PTE" in walk and "physical address" in walk
            m = app.driver.player.machine
            assert f"{m.last_walk.phys():#x}" in walk
            vmstat = text_of(pane(app, "vmstat"))
            assert "pgfault" in vmstat and "+128" in vmstat
            lru = dict(m.mem.nodes[0].lru.sizes())
            assert f"{lru['active_anon']:,}" in text_of(pane(app, "reclaim"))
            calls = text_of(pane(app, "calls"))
            assert "do_anonymous_page" in calls or "handle_mm_fault" in calls

    async def test_back_and_goto(self, app):
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            await pilot.press("n", "n", "n")
            await settle(pilot)
            at3 = text_of(pane(app, "vmas"))
            await pilot.press("b")
            await settle(pilot)
            assert app.snapshot.position == 2
            assert "$ big = mmap 1M" in text_of(pane(app, "narration"))
            await pilot.press("g")
            await pilot.pause()
            await pilot.press("3", "enter")
            await settle(pilot)
            assert app.snapshot.position == 3
            assert text_of(pane(app, "vmas")) == at3
            await pilot.press("R")
            await settle(pilot)
            assert app.snapshot.position == 0

    async def test_w_plus_x_is_flagged(self, app):
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            await pilot.press("g")
            await pilot.pause()
            await pilot.press("4", "enter")
            await settle(pilot)
            assert "W+X" in text_of(pane(app, "vmas"))
            assert "W+X" in text_of(pane(app, "addr"))
            assert "as expected" in text_of(pane(app, "narration"))

    async def test_selecting_a_vma_shows_its_fields(self, app):
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            pane(app, "vmas").focus()
            await pilot.press("home", "enter")
            await settle(pilot)
            detail = text_of(pane(app, "detail"))
            for field in ("vm_start", "vm_end", "vm_flags", "vm_page_prot", "rb_subtree_gap",
                          "vm_file", "anon_vma"):
                assert field in detail
            first = app.driver.player.machine.current.mm.vmas.first()
            assert f"{first.vm_start:#x}" in detail


class TestCommandLine:
    """The command line runs any command as a step of its own."""

    async def test_a_command_becomes_a_step(self, app):
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            await pilot.press("n")
            await settle(pilot)
            await pilot.press("colon")
            await pilot.pause()
            assert isinstance(app.focused, Input)
            await pilot.press(*"buf = mmap 2M rw private,anon", "enter")
            await settle(pilot)
            assert app.snapshot.position == 2
            assert app.snapshot.total == 5
            assert app.snapshot.do == "buf = mmap 2M rw private,anon"
            assert "buf = mmap 2M" in text_of(pane(app, "narration"))
            assert "buf" in app.driver.player.machine.names

    async def test_a_parse_error_names_the_column(self, app):
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            await pilot.press("colon")
            await pilot.press(*"mmap 1M rwz private", "enter")
            await settle(pilot)
            cl = app.query_one("#cmdline")
            assert cl.has_class("-error")
            assert "column 11: bad protection" in str(app.query_one("#cmd-error").render())
            assert app.snapshot.position == 0


class TestModes:
    """Predict, theme, language, zoom, screenshot, help, picker."""

    async def test_predict_hides_the_result_until_revealed(self, app):
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            await pilot.press("p", "n")
            await settle(pilot)
            narr = text_of(pane(app, "narration"))
            assert "Predict" in narr and "heap grows" not in narr
            assert app.snapshot.position == 0  # the panes still show the step before
            await pilot.press("space")
            await pilot.pause()
            assert app.snapshot.position == 1
            assert "heap grows" in text_of(pane(app, "narration"))

    async def test_theme_and_language(self, app):
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            await pilot.press("n")
            await settle(pilot)
            await pilot.press("t")
            assert app.theme == "vmtui-light"
            await pilot.press("l")
            await pilot.pause()
            assert "用 brk 扩展堆" in text_of(pane(app, "narration"))
            assert pane(app, "narration").border_title == "发生了什么"

    async def test_zoom_and_help(self, app):
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            pane(app, "vmas").focus()
            await pilot.press("z")
            assert app.screen.maximized is pane(app, "vmas")
            await pilot.press("z")
            assert app.screen.maximized is None
            await pilot.press("question_mark")
            await pilot.pause()
            assert type(app.screen).__name__ == "HelpScreen"
            await pilot.press("escape")
            await pilot.pause()
            assert type(app.screen).__name__ == "Screen"

    async def test_screenshot_is_named_after_the_step(self, app, tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await pilot.press("n")
            await settle(pilot)
            await pilot.press("s")
            await pilot.pause()
        # the default folder: vmtui-shots/SCENARIO under the current directory
        assert (Path(tmp_path) / "vmtui-shots" / "ui-test" / "ui-test-step001.svg").exists()
        monkeypatch.delenv("VMTUI_SHOTS", raising=False)

    async def test_screenshot_goes_to_the_chosen_folder_and_says_its_absolute_path(
            self, tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)
        app = VmtuiApp(scenario(), shots_dir="slides")
        said = []
        app.notify = lambda text, **kw: said.append(text)  # type: ignore[method-assign]
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await pilot.press("s")
            await pilot.pause()
        want = (Path(tmp_path) / "slides" / "ui-test-step000.svg").resolve()
        assert want.exists()
        assert any(text.endswith(str(want)) for text in said), said
        svg = want.read_text()
        assert "Noto Sans Mono CJK SC" in svg and "WenQuanYi Zen Hei Mono" in svg

    async def test_small_terminal_pages(self, app):
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            dash = app.query_one("#dash")
            assert dash.narrow
            assert pane(app, "vmas").display and not pane(app, "walk").display
            await pilot.press("3")
            await pilot.pause()
            assert pane(app, "walk").display and not pane(app, "vmas").display
            assert pane(app, "narration").display

    @pytest.mark.skipif(not builtin_names(), reason="no built-in scenarios installed")
    async def test_picker_opens_a_scenario(self, app):
        names = builtin_names()
        target = names[-1]
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("o")
            await pilot.pause()
            assert type(app.screen).__name__ == "PickerScreen"
            await pilot.press("end", "enter")
            await pilot.pause()
            await settle(pilot)
            assert app.scenario.name == target
            assert app.snapshot.scenario == target
            assert app.snapshot.total == len(load_scenario(target).steps)


class TestDriver:
    """The snapshot is read from the engine, and made off the UI's thread."""

    def test_snapshot_matches_the_engine(self):
        d = Driver(scenario())
        snap = d.run(Op("goto", 3), View())
        m = d.player.machine
        assert snap.position == 3
        assert snap.maps == maps_lines(m, m.current)
        assert snap.vmstat[0] == ("nr_free_pages", sum(z.nr_free for z in m.mem.zones))
        assert dict(snap.nodes[0].lru) == m.mem.nodes[0].lru.sizes()
        assert snap.walk is not None and snap.walk.va == m.last_walk.va
        assert snap.tree_size == len(m.current.mm.vmas)
        zone = next(z for z in m.mem.nodes[0].zones if z.managed)
        zv = next(z for z in snap.nodes[0].zones if z.name == zone.name)
        assert zv.free == zone.nr_free
        assert sum(b[0] for b in zv.buckets) == zone.nr_free  # free = the buddy blocks
        assert snap.touched_index is not None
        assert snap.rss[snap.touched_index] == 128

    def test_a_bad_name_is_an_error_not_a_crash(self):
        d = Driver(scenario())
        snap = d.run(Op("improvise", "munmap nowhere 4K"), View())
        assert "unknown name 'nowhere'" in snap.error
        assert snap.position == 0 and snap.total == 4


class TestWhatTheClassSees:
    """The step's point stands out, and nothing on screen is the UI's own invention."""

    async def test_the_bar_draws_the_engines_regions(self, app):
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            m = app.driver.player.machine
            bar = text_of(pane(app, "addr"))
            names = {name for _lo, _hi, name in m.layout.regions()}
            assert "non-canonical hole" in names and "non-canonical hole" in bar
            guard = next((lo, hi) for lo, hi, name in m.layout.regions() if "guard" in name)
            assert f"{guard[0]:x}" in bar and "guard page 4K" in bar

    async def test_the_touched_vma_keeps_a_row_of_its_own(self, app):
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("n", "n", "n")
            await settle(pilot)
            marked = [line for line in text_of(pane(app, "addr")).split("\n") if "◀" in line]
            assert len(marked) == 1 and "anon 1M" in marked[0]

    async def test_mprotect_marks_the_vma_it_changed(self, app):
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            await pilot.press("g")
            await pilot.pause()
            await pilot.press("4", "enter")
            await settle(pilot)
            big = app.driver.player.machine.names["big"]
            assert app.snapshot.touched == big
            assert app.snapshot.selected == app.snapshot.touched_index
            assert f"{big:#x}" in text_of(pane(app, "detail"))

    async def test_rows_past_the_vmas_have_no_rss_to_wait_for(self, app):
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            vmas = pane(app, "vmas")
            last = vmas.get_line(vmas.line_count() - 1).plain
            assert "[vsyscall]" in last and "…" not in last

    async def test_the_next_command_waits_in_the_narrations_border(self, app):
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            assert pane(app, "narration").border_subtitle == "n → small = malloc 100"
            assert "Small and large malloc" in text_of(pane(app, "narration"))

    async def test_an_empty_pane_says_why_on_every_line_it_needs(self, app):
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("3")
            await pilot.pause()
            walk = pane(app, "walk")
            rows = [walk.render_line(y).text.strip() for y in range(3)]
            assert rows[0].startswith("No memory access yet") and rows[1]


class TestSnapshotFigures:
    """Figures the panes print come from the engine, counted once a step."""

    def test_the_tree_path_leads_to_the_touched_vma(self):
        d = Driver(scenario())
        snap = d.run(Op("goto", 3), View())
        assert snap.tree_path[0].depth == 0
        last = snap.tree_path[-1]
        assert last.start <= snap.touched < last.end
        assert [n.depth for n in snap.tree_path] == list(range(len(snap.tree_path)))

    def test_the_free_history_has_a_point_for_every_step_gone_through(self):
        d = Driver(scenario())
        snap = d.run(Op("goto", 3), View())
        assert len(snap.free_history) == 4
        assert snap.free_history[-1] == snap.vmstat[0][1]

    def test_a_big_vma_is_counted_with_the_step(self):
        d = Driver(parse_scenario(
            '[machine]\nram = "256M"\n[[step]]\ndo = ["b = mmap 64M rw private,anon", '
            '"write b 40M"]\n', "big.toml", "big"))
        snap = d.run(Op("next"), View())
        assert not snap.rss_pending
        assert snap.rss[snap.touched_index] == 10240
