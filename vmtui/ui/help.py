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
| `f` | physical memory: the frame map (one glyph a frame) or the zones |
| `z` | zoom the focused pane (again, or Esc, to unzoom) |
| `tab` | focus the next pane; `1`-`6` pick a page on small terminals |
| `v` | view the next process (after fork) |
| `l` | language: English / 中文 |
| `t` | theme: dark / light (projector) |
| `s` | save a screenshot (SVG, in the current directory) |
| `ctrl+p` | command palette |
| `?` `f1` | this help; `q` quits |

# Panes

* **Address space**: the whole virtual address space, top first: the kernel half, the
  non-canonical hole and the guard page below it, then the user half; empty stretches are
  compressed into one row (`≈ 46T unmapped`); the VMA this step touched is marked `◀`.
* **VMAs**: `/proc/PID/maps` with RSS per VMA, `+` rows this step added, `~` rows it
  split, merged or changed, and struck-through rows it removed (for one step); `Enter`
  or a click shows every `vm_area_struct` field. **VMA rbtree**: `mm->mm_rb`, red/black
  nodes, `rb_subtree_gap`.
* **Page-table walk** of the last access, each level's index bits in its colour, then
  the PTEs this step changed, before → after (parent and child side by side after
  fork); the **TLB** beside it, this step's entries in the change colour.
* **Physical memory**: every node and zone with its min/low/high watermarks, then the
  frame map: one glyph per frame by owner (a process's digit, `+` shared, `P` page
  table, `K` kernel, `C` page cache, `S` swap cache, `.` free), zoomed to the frames
  this step touched, drawn in reverse video; `f` shows the zones' histogram instead.
  **Reclaim & swap**: kswapd, the LRU lists (bars are shares of the node's RAM), swap
  slots, the reclaim counters, free memory step by step.
* **What happened** (the next command waits in its border: `n → …`), the **kernel call
  chain** (file by file), and **/proc/vmstat** with this step's changes on top.

Press `Esc` or `?` to close.
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

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown(HELP)

    def action_close(self) -> None:
        self.dismiss(None)
