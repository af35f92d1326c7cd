"""Chinese beyond titles and narration: the panes' legends and states, the expect mark,
the kernel half's label and the footer are translated when the language is zh.

Expected words come from the translation table's own purpose (a Chinese speaker's words
for the English ones); the check is that no English phrase of that list is left on screen.
"""

from __future__ import annotations

import re

from tests.ui.conftest import pane, settle, text_of
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
        # the palette's key too, which Textual adds to the app's bindings itself
        assert "命令面板" not in shot and "palette" in shot


async def test_help_and_palette_in_chinese() -> None:
    """The help screen and the command palette follow the language; the help says where
    `s` saves (the shots folder), not "the current directory"."""
    from textual.command import CommandPalette
    from textual.widgets import Markdown

    from vmtui.ui.help import HELP, HELP_ZH

    for text in (HELP, HELP_ZH):
        assert "current directory" not in text
        assert "VMTUI_SHOTS" in text and "--shots" in text and "vmtui-shots/" in text
    app = VmtuiApp(load_scenario("fork-cow"), lang="zh")
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        md = app.screen.query_one(Markdown)
        assert md.source == HELP_ZH
        await pilot.press("escape")
        await pilot.pause()
        names = [c.title for c in app.get_system_commands(app.screen)]
        assert "下一步" in names and "保存截图" in names and "语言" in names
        assert "Next step" not in names
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)


async def test_footer_words_and_widget_keys_in_chinese() -> None:
    """The VMA list's own key (Enter) is labelled in Chinese too, and back in English."""
    app = VmtuiApp(load_scenario("fork-cow"), lang="zh")
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        words = {ab.binding.description for ab in app.active_bindings.values()
                 if ab.binding.show}
        assert "查看 VMA" in words and "下一步" in words, words
        await pilot.press("l")
        await pilot.pause()
        words = {ab.binding.description for ab in app.active_bindings.values()
                 if ab.binding.show}
        assert "Show VMA" in words and "Next" in words, words


REFUSED = [
    "foo", "wirte 5", "mmp 8K", "x = mmap 8K rw privte", "mmap", "x = mmap 8K",
    "x = mmap 8K rw", "x = mmap 8K rw private", "x = mmap 8K rw private,anon bogus",
    "x = mmap 5Q rw private,anon", "mprotect 0x1000 4K rz", "munmap", "munmap 0x1000",
    "munmap 0x1000 4K 5", "sbrk", "write 0x5 = abc", "write 0x5 4K 7", "write 0x5 4K =",
    "switch", "file", "file f", "madvise 0x1000 4K", "madvise 0x1000 4K bogus", "numa",
    "cpu", "cpu x", "tick 0", "tick x", "segment", "segment 5", "show", "show bogus",
    "show frames zz", "mremap 0x1000 4K", "mremap 0x1000 4K 8K bogus", "x = munmap 0x1000 4K",
    "mmap = fork", "1x = fork", "x =", "malloc", "write nosuch",
    "cat /proc/self/maps | head", "sudo", "sudo mmap 8K", "free -z", "help mmap fork",
    "reboot now", "vmstat 1", "pmap", "cat", "free -m > out",
]
"""Lines the command language refuses, one for each refusal it has (lang.py's parse errors,
an unknown name, the Linux commands' own checks)."""


async def test_refusals_at_the_command_line_in_chinese() -> None:
    """At `:` in Chinese, what a refused line gets (its message, under the line) is Chinese
    but for the words typed, the command language's words and kernel identifiers."""
    from tests.ui.conftest import scenario, type_line
    from tests.ui.test_zh_panes import KERNEL_WORDS, english_words
    from textual.widgets import Label

    from vmtui.scenario.lang import COMMANDS, FLAG_WORDS, MADVICE, SHOW_KERNEL, SHOW_WHAT
    from vmtui.ui.command_line import CommandLine

    language = set(KERNEL_WORDS) | set(COMMANDS) | set(SHOW_WHAT + SHOW_KERNEL) | \
        set(FLAG_WORDS) | set(MADVICE) | \
        {"maymove", "local", "interleave", "bind", "preferred", "sudo", "help",
         "rw", "rx", "rwx", "none", "buf"} | {"Linux", "shell"}  # PROT, a NAME; names
    app = VmtuiApp(scenario(), lang="zh")
    found = {}
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        for line in REFUSED:
            await type_line(pilot, line)
            await pilot.press("enter")
            await settle(pilot)
            if not app.query_one(CommandLine).has_class("-error"):
                found[line] = "(not refused)"
                await pilot.press("escape")
                continue
            shown = str(app.query_one("#cmd-error", Label).render())
            head = shown.split("\n")[0]  # the message; then the line as typed and a caret
            words = english_words(head, language | set(re.findall(r"\w+", line)))
            if words:
                found[line] = head
            await pilot.press("escape")
            await pilot.pause()
    assert not found, "English in a refusal:\n" + "\n".join(
        f"{line!r}: {head}" for line, head in found.items())
