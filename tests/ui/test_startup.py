"""Start-up (issue 17): the first frame painted shows the machine, not a screen of empty
panes; a scenario slow to open still gets a frame soon, saying it is waiting."""

from __future__ import annotations

import gc
import time

import vmtui.ui.app as app_module
from tests.ui.conftest import pane, scenario, screen_lines, settle, text_of
from vmtui.ui.app import VmtuiApp
from vmtui.view.driver import Driver


def spy_paints(monkeypatch) -> list[tuple[int | None, str, str, str]]:
    """Every frame the app paints (hands to the terminal): the step it shows, the status
    bar's busy text, the VMA list's text and the screen's last row at that moment."""
    painted: list[tuple[int | None, str, str, str]] = []
    display = VmtuiApp._display

    def spy(self, screen, renderable):  # type: ignore[no-untyped-def]
        if renderable is not None and not self._batch_count:
            snap = self.snapshot
            painted.append((None if snap is None else snap.position, self.status.busy,
                            text_of(pane(self, "vmas")), screen_lines(self)[-1]))
        return display(self, screen, renderable)

    monkeypatch.setattr(VmtuiApp, "_display", spy)
    return painted


async def until_painted(pilot, painted: list, position: int) -> None:
    """Let the app paint until a frame of that step is handed to the terminal (the paint
    comes after the snapshot: settle() may return before it)."""
    for _ in range(100):
        if painted and painted[-1][0] == position:
            return
        await pilot.pause(0.01)


async def test_the_first_frame_painted_shows_the_machine(monkeypatch):
    painted = spy_paints(monkeypatch)
    app = VmtuiApp(scenario(), lang="en")
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await until_painted(pilot, painted, 0)
        # the cyclic GC, off while the app starts, is on again
        assert gc.isenabled()
    assert painted
    position, busy, vmas, footer = painted[0]
    assert position == 0 and busy == ""
    # every process has a stack (the [stack] line of /proc/PID/maps)
    assert "[stack]" in vmas
    # and the footer has its keys (the app's bindings: n Next, q Quit)
    assert "n Next" in footer and "q Quit" in footer


async def test_a_scenario_slow_to_open_paints_waiting_first(monkeypatch):
    monkeypatch.setattr(app_module, "FIRST_FRAME_WAIT", 0.05)
    run = Driver.run

    def slow(self, op, view):  # type: ignore[no-untyped-def]
        time.sleep(1.0)
        return run(self, op, view)

    monkeypatch.setattr(Driver, "run", slow)
    painted = spy_paints(monkeypatch)
    app = VmtuiApp(scenario(), lang="en")
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert app.snapshot is not None and app.snapshot.position == 0
        assert gc.isenabled()
        await until_painted(pilot, painted, 0)
    assert painted[0][:2] == (None, "waiting for the engine...")
    assert painted[-1][0] == 0 and "[stack]" in painted[-1][2]
