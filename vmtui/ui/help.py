"""HelpScreen: the keys, the panes, and the command language at a glance."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# vmtui keys

| key | does |
| --- | --- |
| `n` `→` `space` | next step (in predict mode: reveal, then next) |
| `b` `←` | back one step |
| `r` | run / pause (auto-advance); `+` `-` change the speed |
| `g` | go to step N |
| `R` | restart (step 0) |
| `o` | open another scenario |
| `:` | command line: any command (`buf = mmap 1M rw private,anon`) |
| `p` | predict mode: hide each step's result until you reveal it |
| `L` | OSTEP lab: a homework exercise, one guess per question, the answer drawn |
| `m` `d` | mark this step; at another, what changed since the mark (VMAs, PTEs, frames...) |
| `k` | the other kernel (5.4 / 6.18): re-run the scenario to this step on it, and list where the two runs differ |
| `f` | physical memory: the frame map (one glyph a frame) or the zones |
| `z` | zoom the focused pane (again, or Esc, to unzoom) |
| `tab` | focus the next pane; `1`-`6` pick a page on small terminals |
| `v` | view the next process (after fork) |
| `l` | language: English / 中文 |
| `t` | theme: dark / light (projector) |
| `s` | save a screenshot (SVG) in the shots folder: `vmtui --shots DIR`, else `$VMTUI_SHOTS`, else `vmtui-shots/SCENARIO/` under the folder vmtui started in; the full path is printed |
| `ctrl+p` | command palette |
| `?` `f1` | this help; `q` quits |

# Panes

* **Address space**: the whole virtual address space, top first: the kernel half, the
  non-canonical hole and the guard page below it, then the user half; empty stretches are
  compressed into one row (`≈ 46T unmapped`); the VMA this step touched is marked `◀`.
* **VMAs**: `/proc/PID/maps` with RSS per VMA, `+` rows this step added, `~` rows it
  split, merged or changed, and struck-through rows it removed (for one step); `Enter`
  or a click shows every `vm_area_struct` field, then the process's `mm_struct`
  (`total_vm`, `map_count`, `brk`...): `~` marks each field this step changed (with the
  value it had, when there is room). **VMA rbtree**: `mm->mm_rb`, red/black nodes,
  `rb_subtree_gap`; in a node's badge `+` inserted, `~` range changed, `↻` moved (a
  rotation), `◐` recoloured this step; removed nodes are named, struck through. With
  kernel 6.18 the pane is **mm->mm_mt (maple tree)**: the nodes the last `find_vma()`
  walked, root first, with their type and slots (range up to the pivot; a child's
  largest gap, a VMA or NULL), the slot taken marked `▶` (`show mt` prints the tree).
* **Page-table walk** of the last access, each level's index bits in its colour, then
  the PTEs this step changed, before → after (parent and child side by side after
  fork); the **TLB** beside it, this step's entries in the change colour, the ones it
  flushed struck through.
* **Physical memory**: every node and zone with its min/low/high watermarks (this
  step's change of free pages after them, a watermark it moved in reverse video,
  `→ below low` when free pages crossed one), then the frame map: one glyph per frame by
  owner (a process's digit, `+` shared, `P` page table, `K` kernel, `C` page cache, `S`
  swap cache, `.` free), zoomed to the frames this step touched, drawn in reverse video;
  `f` shows the zones' histogram instead. **Reclaim & swap**: kswapd (its counts' change
  this step after them), the LRU lists (bars are shares of the node's RAM), swap slots,
  the reclaim counters, free memory step by step.
* **What happened** (the next command waits in its border: `n → …`), the **kernel call
  chain** (file by file), and **/proc/vmstat** with this step's changes on top.

Press `Esc` or `?` to close.
"""

HELP_ZH = """\
# vmtui 按键

| 按键 | 作用 |
| --- | --- |
| `n` `→` `space` | 下一步（预测模式下：先揭晓，再下一步） |
| `b` `←` | 后退一步 |
| `r` | 运行 / 暂停（自动前进）；`+` `-` 调整速度 |
| `g` | 跳到第 N 步 |
| `R` | 重新开始（第 0 步） |
| `o` | 打开其他场景 |
| `:` | 命令行：任何命令（`buf = mmap 1M rw private,anon`），`;` 分隔多条 |
| `p` | 预测模式：每一步的结果先隐藏，揭晓后再显示 |
| `k` | 另一个内核（5.4 / 6.18）：在它上面把场景重跑到这一步，列出两次运行的不同之处 |
| `z` | 放大当前窗格（再按一次或 Esc 还原） |
| `tab` | 切换到下一个窗格；小终端上用 `1`-`6` 选择页面 |
| `v` | 查看下一个进程（fork 之后） |
| `l` | 语言：English / 中文 |
| `t` | 主题：深色 / 浅色（投影仪） |
| `s` | 截图（SVG），保存在截图文件夹：`vmtui --shots DIR`，否则 `$VMTUI_SHOTS`，否则启动目录下的 `vmtui-shots/场景名/`；会显示完整路径 |
| `ctrl+p` | 命令面板 |
| `?` `f1` | 本帮助；`q` 退出 |

# 窗格

* **地址空间**：整个虚拟地址空间，高地址在上：内核空间、非规范地址空洞及其下方的保护页，
  然后是用户空间；空的区域压缩成一行（`≈ 46T 未映射`）；这一步访问的 VMA 标有 `◀`。
* **VMA 列表**：`/proc/PID/maps`，附每个 VMA 的 RSS；`Enter` 或点击显示 `vm_area_struct`
  的每个字段，以及进程的 `mm_struct`（`total_vm`、`map_count`、`brk`……）：这一步改变的
  字段标有 `~`（有空间时在下面显示原值）。**VMA 红黑树**：`mm->mm_rb`，红黑节点与
  `rb_subtree_gap`；节点标记中 `+` 插入、`~` 范围改变、`↻` 移位（旋转）、`◐` 变色；
  删除的节点以删除线列出。内核 6.18 下这个窗格是 **mm->mm_mt（maple 树）**：最近一次
  `find_vma()` 走过的节点，从根开始，列出类型和各个槽（到 pivot 为止的范围；子节点下最大的
  间隙、一个 VMA 或 NULL），走过的槽标 `▶`（`show mt` 打印整棵树）。
* **页表遍历**：最近一次访问，每一级的索引位用各自的颜色；旁边是 **TLB**：这一步填入的
  条目用变化色，刷掉的条目加删除线。
* **物理内存**：每个节点和内存区，按页框内容着色，并标出 min/low/high 水位线：这一步
  空闲页的变化、被改变的水位线（反色），以及空闲页越过水位线时的位置（`→ 低于 low`）。
  **回收与交换**：kswapd（其计数后面是这一步的变化）、LRU 链表（条形是占节点内存的比例）、交换槽、回收计数器、
  每一步的空闲内存。
* **发生了什么**（下一条命令显示在边框上：`n → …`）、**内核调用链**（逐个文件），
  以及 **/proc/vmstat**（这一步变化的计数器在最上面）。

按 `Esc` 或 `?` 关闭。
"""


class HelpScreen(ModalScreen[None]):
    """The help text in a scrollable box."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90%;
        max-width: 110;
        height: 90%;
        border: thick $accent;
        background: $surface;
    }
    """
    BINDINGS = [Binding("escape,question_mark,f1,q", "close", "Close")]

    def __init__(self, lang: str = "en") -> None:
        super().__init__()
        self.lang = lang

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown(HELP_ZH if self.lang == "zh" else HELP)

    def action_close(self) -> None:
        self.dismiss(None)
