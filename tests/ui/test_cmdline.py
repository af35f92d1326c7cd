"""The command line is the command language; panes never outlive their process.

What a lecturer types at `:` behaves as `vmtui run -c`: `;` separates commands (each a
step), Esc clears the line, an error keeps the line open with the cursor at the error,
Up/Down recall. After the OOM killer ends the last process no pane names pid 0.
"""

from __future__ import annotations

import pytest
from textual.containers import Vertical
from textual.widgets import Input, Label

from tests.ui.conftest import pane, scenario, screen_cell, screen_lines, settle, text_of, type_line
from vmtui.scenario.loader import from_commands
from vmtui.ui.app import VmtuiApp
from vmtui.ui.command_line import CommandLine
from vmtui.ui.confirm import ConfirmScreen


def contrast(style) -> float:
    """WCAG 2's contrast ratio of a cell's text on its background (4.5: legible text)."""
    def luminance(color) -> float:
        r, g, b = (c / 255 for c in color.get_truecolor())
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    fg, bg = luminance(style.color), luminance(style.bgcolor)
    return (max(fg, bg) + 0.05) / (min(fg, bg) + 0.05)


class TestCommandLine:
    @pytest.mark.parametrize("size", [(160, 48), (80, 24)])
    @pytest.mark.parametrize("theme", ["dark", "light"])
    async def test_the_typed_text_is_on_screen_and_legible(self, size, theme):
        app = VmtuiApp(scenario(), theme=theme)
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await type_line(pilot, "x = mmap 8K rw")
            await pilot.pause()
            assert any("x = mmap 8K rw" in row for row in screen_lines(app))
            style = screen_cell(app, "x = mmap 8K rw")
            assert contrast(style) >= 4.5

    async def test_semicolon_runs_each_command_as_a_step(self):
        app = VmtuiApp(scenario())
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            total = app.snapshot.total
            await type_line(pilot, "x = mmap 8K rw private,anon; write x 8K")
            await pilot.press("enter")
            await settle(pilot)
            assert app.snapshot.total == total + 2
            assert app.snapshot.position == 2
            assert app.snapshot.do == "write x 8K"
            assert app.improvised == 2

    async def test_an_error_keeps_the_line_with_the_cursor_at_it(self):
        app = VmtuiApp(scenario())
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            line = "x = mmap 8K rw private,anon; wirte x"
            await type_line(pilot, line)
            await pilot.press("enter")
            await pilot.pause()
            inp = app.query_one("#cmd-input", Input)
            cl = app.query_one(CommandLine)
            assert cl.has_class("-open") and inp.value == line
            assert inp.cursor_position == line.index("wirte")  # 0-based: at the bad word
            err = str(app.query_one("#cmd-error", Label).render())
            assert "did you mean 'write'" in err
            assert app.snapshot.position == 0  # nothing ran: the whole line was refused

    async def test_an_engine_error_reopens_the_line(self):
        app = VmtuiApp(scenario())
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            await type_line(pilot, "write nosuch")
            await pilot.press("enter")
            await settle(pilot)
            inp = app.query_one("#cmd-input", Input)
            assert app.query_one(CommandLine).has_class("-open")
            assert inp.value == "write nosuch" and inp.cursor_position == 6
            assert "nosuch" in str(app.query_one("#cmd-error", Label).render())

    async def test_escape_clears_and_up_recalls(self):
        app = VmtuiApp(scenario())
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            await type_line(pilot, "wirte 5")
            await pilot.press("enter")
            await pilot.pause()
            await pilot.press("escape")  # the first Esc: line cleared and closed
            await pilot.pause()
            cl = app.query_one(CommandLine)
            assert not cl.has_class("-open") and not cl.has_class("-error")
            assert app.query_one("#cmd-input", Input).value == ""
            await pilot.press("colon")
            await pilot.pause()
            await pilot.press("up")
            assert app.query_one("#cmd-input", Input).value == "wirte 5"
            await pilot.press("down")
            assert app.query_one("#cmd-input", Input).value == ""

    async def test_open_asks_before_discarding_typed_steps(self):
        app = VmtuiApp(scenario())
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            await type_line(pilot, "x = mmap 8K rw private,anon")
            await pilot.press("enter")
            await settle(pilot)
            await pilot.press("o")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("n")
            await pilot.pause()
            assert not isinstance(app.screen, ConfirmScreen)
            assert app.snapshot.total == scenario().steps.__len__() + 1

    @pytest.mark.parametrize("size", [(80, 24), (160, 48)])
    @pytest.mark.parametrize(("lang", "question"), [
        ("en", "Opening another scenario discards the 1 step(s) typed at the command line. "
               "Open anyway?"),
        ("zh", "打开其他场景会丢弃在命令行输入的 1 个步骤。仍要打开吗？"),
    ])
    async def test_the_open_question_fits_on_screen(self, size, lang, question):
        app = VmtuiApp(scenario(), lang=lang)
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await type_line(pilot, "x = mmap 8K rw private,anon")
            await pilot.press("enter")
            await settle(pilot)
            await pilot.press("o")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            # the text inside the box, row by row, as the terminal shows it
            box = app.screen.query_one(Vertical).content_region
            strips = app.screen._compositor.render_strips()
            inside = [strips[y].crop(box.x, box.right).text for y in range(box.y, box.bottom)]
            shown = "".join("".join(inside).split())
            assert "".join(question.split()) in shown

    async def test_the_footer_keeps_help_and_quit_at_80_columns(self):
        app = VmtuiApp(scenario())
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            footer = app.export_screenshot()
            assert "Help" in footer and "Quit" in footer

    @pytest.mark.parametrize(("lang", "keys", "palette"), [
        ("en", ("? Help", "q Quit", "p Predict"), "^p palette"),
        ("zh", ("? 帮助", "q 退出", "p 预测"), "^p 命令面板"),
    ])
    async def test_help_quit_and_predict_stay_in_the_footer_whatever_has_focus(
            self, lang, keys, palette):
        app = VmtuiApp(scenario(), lang=lang)
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            await pilot.resize_terminal(80, 24)  # the lecturer enlarges the font
            await settle(pilot)
            seen = set()
            for _ in range(8):  # every pane of the page in turn, and back to the first
                await pilot.pause()
                footer = screen_lines(app)[-1]
                seen.add(type(app.focused).__name__)
                for key in keys:
                    assert key in footer, (app.focused, footer)
                # nothing runs on under the command palette's key at the right
                assert footer.rstrip().endswith(palette), footer
                await pilot.press("tab")
            assert len(seen) > 1  # the focus did move


class TestDeadProcess:
    async def test_no_pid_0_after_the_oom_killer_ends_the_last_process(self):
        sc = from_commands("a = mmap 30M rw private,anon; write a = 1; write a 30M = 1",
                           {"ram": "32M", "swap": "0"})
        app = VmtuiApp(sc)
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            await pilot.press("n", "n", "n")
            await settle(pilot)
            assert app.snapshot.result.startswith("SIGKILL (OOM)")
            assert "at 0x0" not in app.snapshot.result
            screen = "\n".join(text_of(pane(app, p)) for p in
                               ("walk", "narration", "vmas", "tlb", "addr"))
            screen += str(app.status.render()) + str(pane(app, "vmas").border_title)
            screen += str(pane(app, "addr").border_subtitle)
            assert "pid 0" not in screen and "/proc/0/" not in screen
            assert "no live process" in str(app.status.render())
            walk = pane(app, "walk")
            assert walk.line_count() == 0 and "exit_mmap" in walk._empty

    async def test_predict_mode_header_and_narration_name_the_same_step(self):
        app = VmtuiApp(scenario())
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            await pilot.press("p", "n")
            await settle(pilot)
            assert app.held is not None
            assert "step 1/4" in str(app.status.render())
            assert "step 1/4" in text_of(pane(app, "narration"))
