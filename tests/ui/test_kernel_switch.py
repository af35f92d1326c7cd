"""The `k` key: the scenario re-run to the same step on the other kernel, the differences
listed as `vmtui run --kernel A,B` lists them, the kernel named in the status bar, and
the narration's "on Linux X this step differs" line made from the comparison alone.

The differing second kernel is the stand-in of tests/scenario/test_kernel_compare.py
(one that never merges), so these tests hold before and after the 6.18 behaviours land."""

from __future__ import annotations

from tests.scenario.test_kernel_compare import SPLIT, no_merge_618  # noqa: F401
from tests.ui.conftest import goto, pane, settle, text_of
from vmtui.cli import main
from vmtui.scenario.loader import from_commands, load_scenario
from vmtui.ui.app import VmtuiApp
from vmtui.ui.diff_view import DiffPane, DiffScreen
from vmtui.ui.status_bar import StatusBar


class TestKernelKey:
    async def test_k_reruns_on_the_other_kernel_and_lists_the_differences(
            self, no_merge_618, capsys):  # noqa: F811
        """GIVEN the split scenario at step 4 on 5.4 WHEN k THEN the machine runs 6.18 at
        step 4, the status bar says so, and the diff shows what the CLI prints."""
        assert main(["run", "--kernel", "5.4,6.18", "-c", SPLIT]) == 0
        cli = capsys.readouterr().out.splitlines()
        app = VmtuiApp(from_commands(SPLIT))
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            assert "Linux 5.4" in app.query_one(StatusBar).render().plain
            await goto(pilot, 4)
            await pilot.press("k")
            await settle(pilot)
            await pilot.pause()
            assert isinstance(app.screen, DiffScreen)
            shown = text_of(app.screen.query_one(DiffPane)).splitlines()
            assert shown == cli
            await pilot.press("escape")
            await pilot.pause()
            assert app.snapshot.kernel == "6.18" and app.snapshot.position == 4
            assert app.driver.player.machine.kmodel.name == "6.18"
            assert "Linux 6.18" in app.query_one(StatusBar).render().plain
            # the step that differs narrates the difference, seen from 6.18
            await goto(pilot, 3)
            narr = text_of(pane(app, "narration"))
            assert "On Linux 5.4 this step differs: the maps of pid 1: one VMA on 5.4, " \
                   "several on 6.18" in " ".join(narr.split())
            await goto(pilot, 2)
            assert "this step differs" not in text_of(pane(app, "narration"))
            # and back: k again returns to 5.4
            await goto(pilot, 4)
            await pilot.press("k")
            await settle(pilot)
            await pilot.press("k")  # k closes the diff too
            await pilot.pause()
            assert app.snapshot.kernel == "5.4" and not isinstance(app.screen, DiffScreen)

    async def test_chinese_and_the_palette(self):
        app = VmtuiApp(load_scenario("kernels-vma-tree"), lang="zh")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            titles = [c.title for c in app.get_system_commands(app.screen)]
            assert "另一内核" in titles
            assert "k" in {b.key for b in app.BINDINGS if b.show}
            await goto(pilot, 2)
            await pilot.press("k")
            await settle(pilot)
            await pilot.pause()
            shown = text_of(app.screen.query_one(DiffPane))
            assert shown.startswith("kernels-vma-tree：Linux 5.4 与 Linux 6.18")
            assert app.screen.query_one(DiffPane).border_title.startswith(
                "Linux 5.4 与 Linux 6.18")
