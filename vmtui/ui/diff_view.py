"""DiffScreen: what changed between the marked step and the one shown (`m`, then `d`).

The text is statediff's, the same `vmtui diff SCENARIO A B` prints (computed on the
engine's thread from the two steps' captures); this screen colours it and, in
Chinese, translates its fixed words (numbers, addresses, flags and names stay).
"""

from __future__ import annotations

import re

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen

from vmtui.ui.lines_view import LinesView
from vmtui.view.i18n import t

SECTIONS = ("processes", "VMAs", "PTEs (by process)", "frames (by owner)", "swap slots",
            "counters (/proc/vmstat, non-zero deltas)")

# statediff's fixed words in Chinese, longest first where one contains another
ZH: tuple[tuple[str, str], ...] = (
    (r"^after step (\d+) -> after step (\d+)$", r"第 \1 步之后 -> 第 \2 步之后"),
    (r"^  step (\d+): \(the start\)$", r"  第 \1 步：（开始）"),
    (r"^  step (\d+): ", r"  第 \1 步："),
    (r"^processes$", "进程"),
    (r"^VMAs$", "VMA"),
    (r"^PTEs \(by process\)$", "PTE（按进程）"),
    (r"^frames \(by owner\)$", "页框（按归属）"),
    (r"^swap slots$", "交换槽"),
    (r"^counters \(/proc/vmstat, non-zero deltas\)$", "计数器（/proc/vmstat，非零变化）"),
    (r"^  no change$", "  没有变化"),
    (r"^  moves:$", "  移动："),
    (r" started$", " 启动"),
    (r" gone$", " 结束"),
    (r"VMAs?, all new \(a new process\)", "个 VMA，全部是新的（新进程）"),
    (r"VMAs?, all gone with the process", "个 VMA，随进程一起消失"),
    (r"^    added    ", "    新增     "),
    (r"^    removed  ", "    删除     "),
    (r"^    split    ", "    拆分     "),
    (r"^    merged   ", "    合并     "),
    (r"^    changed  ", "    改变     "),
    (r" PTEs? changed: ", " 个 PTE 改变："),
    (r"new frame \(copy\)", "新页框（复制）"),
    (r"write-protected", "已写保护"),
    (r"made writable", "变为可写"),
    (r"swapped out", "已换出"),
    (r"swapped in", "已换入"),
    (r"swap entry", "交换项"),
    (r"cleared", "已清除"),
    (r"\bnone\b", "无"),
    (r"(\d) new\b", r"\1 新建"),
    (r"(\d) flags\b", r"\1 标志位"),
    (r"(\d) changed\b", r"\1 改变"),
    (r"shared by several processes", "多个进程共享"),
    (r"reserved at boot", "启动时保留"),
    (r"page table", "页表"),
    (r"page cache", "页缓存"),
    (r"swap cache", "交换缓存"),
    (r"\bkernel\b", "内核"),
    (r"\bfree\b", "空闲"),
    (r" frames? ", " 个页框 "),
    (r"… \((\d+) more runs\)", r"…（另有 \1 段）"),
    (r"… ([\d,]+) more$", r"… 另有 \1 个"),
    (r" slots? in use: ", " 个槽被占用："),
    (r" slots? freed: ", " 个槽被释放："),
    (r"swap (\d+) offset ", r"交换区 \1 偏移 "),
)


def translate(line: str, lang: str) -> str:
    """statediff's line in `lang` (its own English unless zh)."""
    if lang != "zh":
        return line
    for pattern, repl in ZH:
        line = re.sub(pattern, repl, line)
    return line


class DiffPane(LinesView):
    """The diff's lines: section heads bold, what came (+) and went (-) coloured."""

    MIN_WIDTH = 40
    MIN_HEIGHT = 5
    wrap = True
    DEFAULT_CSS = """
    DiffPane { height: 1fr; }
    DiffPane > .diff--head { color: $accent; text-style: bold; }
    DiffPane > .diff--add { color: $success; }
    DiffPane > .diff--del { color: $error; }
    DiffPane > .diff--move { color: $warning; }
    """
    COMPONENT_CLASSES = LinesView.COMPONENT_CLASSES | {
        "diff--head", "diff--add", "diff--del", "diff--move"}

    def __init__(self, lines: tuple[str, ...], lang: str, title: str = "", keys: str = ""
                 ) -> None:
        super().__init__(id="diff")
        self.diff = lines
        self.lang = lang
        # the kernel comparison (`k`) comes written in `lang` already, under its own title
        self.title = title
        self.keys = keys

    def on_mount(self) -> None:
        self.rebuild()

    def rebuild(self) -> None:
        self._styles.clear()
        st = self.style
        out: list[Text] = []
        for raw in self.diff:
            if raw.startswith("!"):
                out.append(Text(t(raw[1:], self.lang), st("lines--empty")))
                continue
            body = raw.strip()
            cls = ""
            if raw in SECTIONS or raw.startswith("after step") or \
                    self.title and not raw.startswith(" "):
                cls = "diff--head"
            elif body.startswith("+") or body.startswith("added"):
                cls = "diff--add"
            elif body.startswith("-") and not body.startswith("->") or \
                    body.startswith("removed"):
                cls = "diff--del"
            elif "->" in body:
                cls = "diff--move"
            out.append(Text(raw if self.title else translate(raw, self.lang),
                            st(cls) if cls else ""))
        self.border_title = self.title or t("diff_title", self.lang)
        self.border_subtitle = self.keys or t("diff_keys", self.lang)
        self.set_lines(out)


class DiffScreen(ModalScreen[None]):
    """The diff between the marked step and the shown one, over the dashboard."""

    DEFAULT_CSS = """
    DiffScreen { align: center middle; }
    DiffScreen > DiffPane {
        width: 92%;
        max-width: 120;
        height: 90%;
        background: $surface;
        border: thick $accent;
    }
    """
    BINDINGS = [Binding("escape,d,k,q", "close", "Close")]

    def __init__(self, lines: tuple[str, ...], lang: str, title: str = "", keys: str = ""
                 ) -> None:
        super().__init__()
        self.lines = lines
        self.lang = lang
        self.title = title
        self.keys = keys

    def compose(self) -> ComposeResult:
        yield DiffPane(self.lines, self.lang, self.title, self.keys)

    def on_mount(self) -> None:
        self.query_one(DiffPane).focus()

    def action_close(self) -> None:
        self.dismiss(None)
