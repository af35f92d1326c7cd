"""Chinese beyond titles and narration: the panes' legends and states, the expect mark,
the kernel half's label and the footer are translated when the language is zh.

Expected words come from the translation table's own purpose (a Chinese speaker's words
for the English ones); the check is that no English phrase of that list is left on screen.
"""

from __future__ import annotations

from tests.test_ui import pane, settle, text_of
from vmtui.scenario.loader import load_scenario
from vmtui.ui.app import VmtuiApp

ENGLISH = ("kernel half (shared by all)", "inactive", " active", "sleeping", "as expected",
           "page table", "unevictable", "part-used")


async def test_panes_and_footer_in_chinese() -> None:
    app = VmtuiApp(load_scenario("swap"), lang="zh")
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("n", "n")
        await settle(pilot)
        text = "\n".join(text_of(pane(app, p)) for p in
                         ("addr", "phys", "reclaim", "narration", "calls"))
        for word in ENGLISH:
            assert word not in text, word
        assert "内核空间（所有进程共享）" in text
        assert "非活跃" in text and "睡眠" in text
        shot = app.export_screenshot()
        assert "下一步" in shot and "退出" in shot and "帮助" in shot
        await pilot.press("l")  # back to English: the footer follows
        await pilot.pause()
        shot = app.export_screenshot()
        assert "Next" in shot and "Quit" in shot
