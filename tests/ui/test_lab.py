"""The lab screen (L): pick or paste an exercise, guess, see the answer drawn.

Expected answers are worked out by hand from the textbook's rules, as in
tests/ostep/test_paging_policy.py and tests/ostep/test_translate.py.
"""

from __future__ import annotations

import pytest
from textual.widgets import Input, Static

from tests.ui.conftest import scenario, settle
from vmtui.ostep import BadInput
from vmtui.ui.app import VmtuiApp
from vmtui.ui.lab import LabScreen, parse_command


def shown(app, selector: str) -> str:
    widget = app.screen.query_one(selector, Static)
    return str(widget.render())


async def guess(pilot, text: str) -> None:
    box = pilot.app.screen.query_one("#lab-guess", Input)
    box.focus()
    box.value = text
    await pilot.press("enter")
    await pilot.pause()


async def test_policy_exercise_guess_by_guess() -> None:
    app = VmtuiApp(scenario())
    async with app.run_test(size=(140, 44)) as pilot:
        await settle(pilot)
        await pilot.press("L")
        await pilot.pause()
        assert isinstance(app.screen, LabScreen)
        cmd = app.screen.query_one("#lab-command", Input)
        cmd.focus()
        # FIFO, 2 frames, 1 2 3 1: miss, miss, miss evicting 1, miss evicting 2.
        cmd.value = "./paging-policy.py -a 1,2,3,1 -C 2 -p FIFO -c"
        await pilot.press("enter")
        await pilot.pause()
        assert "Question 1/4: access page 1" in shown(app, "#lab-question")
        await guess(pilot, "miss")
        assert "Right: miss" in shown(app, "#lab-verdict")
        assert "[1]" in shown(app, "#lab-drawing")
        await guess(pilot, "")  # Enter: the next question
        await guess(pilot, "hit")
        assert "Not quite. The answer: miss" in shown(app, "#lab-verdict")
        await guess(pilot, "")
        await guess(pilot, "miss 1")
        assert "Right: miss, evicts 1" in shown(app, "#lab-verdict")
        drawing = shown(app, "#lab-drawing")
        assert "[2] [3]" in drawing and "evicted: 1" in drawing
        await guess(pilot, "")
        await guess(pilot, "miss 3")  # the victim is 2
        assert "Not quite" in shown(app, "#lab-verdict")
        assert "score 2/4" in shown(app, "#lab-score")
        await guess(pilot, "")
        assert "Done: 2 of 4 right" in shown(app, "#lab-question")
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, LabScreen)


async def test_walk_exercise_draws_the_levels() -> None:
    app = VmtuiApp(scenario())
    async with app.run_test(size=(140, 44)) as pilot:
        await settle(pilot)
        app.push_screen(LabScreen("en", "segmentation -a 128 -p 512 -b 0 -l 20 -B 512 -L 20 "
                                        "-A 108,107"))
        await pilot.pause()
        assert "VA 0x0000006c" in shown(app, "#lab-question")
        await guess(pilot, "0x1ec")  # 512 - 20 = 492 = 0x1ec: exactly at segment 1's limit
        assert "Right: PA 0x000001ec" in shown(app, "#lab-verdict")
        assert "segment 1" in shown(app, "#lab-drawing")
        await guess(pilot, "")
        await guess(pilot, "492")
        assert "Not quite. The answer: segmentation violation" in shown(app, "#lab-verdict")
        assert "fault" in shown(app, "#lab-drawing")


async def test_preset_list_and_bad_line() -> None:
    app = VmtuiApp(scenario())
    async with app.run_test(size=(140, 44)) as pilot:
        await settle(pilot)
        await pilot.press("L")
        await pilot.pause()
        await pilot.press("down", "down", "down", "enter")  # paging-linear-translate -s 1
        await pilot.pause()
        assert "paging-linear-translate" in shown(app, "#lab-setup")
        assert "Question 1/5" in shown(app, "#lab-question")
        cmd = app.screen.query_one("#lab-command", Input)
        cmd.focus()
        cmd.value = "relocation -a 64k -p 16k"
        await pilot.press("enter")
        await pilot.pause()
        assert "cannot run that: -p 16k must be larger than -a 64k" in shown(app, "#lab-verdict")
        assert "Question 1/5" in shown(app, "#lab-question")  # the old exercise stays


async def test_lab_in_chinese() -> None:
    app = VmtuiApp(scenario(), lang="zh")
    async with app.run_test(size=(140, 44)) as pilot:
        await settle(pilot)
        app.push_screen(LabScreen("zh", "malloc -A +10,-0"))
        await pilot.pause()
        assert "第 1/2 题" in shown(app, "#lab-question")
        await guess(pilot, "1000")
        assert "正确：1000" in shown(app, "#lab-verdict")
        assert "空闲链表" in shown(app, "#lab-drawing")


def test_parse_command() -> None:
    assert parse_command("python3 ./paging-policy.py -s 3 -c") == ("paging-policy.py", ["-s", "3"])
    assert parse_command("vmtui ostep malloc -A '+1,-0'") == ("malloc", ["-A", "+1,-0"])
    with pytest.raises(BadInput):
        parse_command("vmtui ostep")
