"""PageWalkPane: the last access's page-table walk, the address split into coloured bits."""

from __future__ import annotations

from rich.text import Text

from vmtui.ui.i18n import t
from vmtui.ui.lines_view import LinesView
from vmtui.ui.snapshot import Snapshot

LEVEL_CLASSES = ("walk--l0", "walk--l1", "walk--l2", "walk--l3", "walk--l4")
FAULT_FILES = ("arch/x86/mm/fault.c", "mm/memory.c", "mm/swap_state.c", "mm/page_io.c",
               "mm/rmap.c", "mm/mmap.c")


class PageWalkPane(LinesView):
    """machine.last_walk: the address, its index bits in each level's colour, then per
    level `LEVEL[index] @table-frame entry flags`, the physical address (or where the walk
    stopped), and the fault path of this step's events."""

    MIN_WIDTH = 40
    MIN_HEIGHT = 6
    DEFAULT_CSS = """
    PageWalkPane > .walk--l0 { color: $error; text-style: bold; }
    PageWalkPane > .walk--l1 { color: $warning; text-style: bold; }
    PageWalkPane > .walk--l2 { color: $success; text-style: bold; }
    PageWalkPane > .walk--l3 { color: $primary; text-style: bold; }
    PageWalkPane > .walk--l4 { color: $secondary; text-style: bold; }
    PageWalkPane > .walk--off { color: $text-muted; text-style: bold; }
    PageWalkPane > .walk--ok { color: $success; text-style: bold; }
    PageWalkPane > .walk--stop { color: $error; text-style: bold; }
    """
    COMPONENT_CLASSES = LinesView.COMPONENT_CLASSES | set(LEVEL_CLASSES) | {
        "walk--off", "walk--ok", "walk--stop"}
    wrap = True
    fit = True

    def build(self, snap: Snapshot) -> None:
        self.border_title = t("walk", self.lang)
        w = snap.walk
        st = self.style
        if w is None:
            self.border_subtitle = ""
            self.set_lines([], "A real process, read from /proc: no page-table walk to "
                           "show (vmtui reads its VMAs, not its page tables)." if snap.host
                           else t("no_walk", self.lang))
            return
        dead = dict(snap.gone).get(snap.walk_owner)
        if dead is not None:
            # its page tables were freed with its mm: the PTE shown would be a ghost
            self.border_subtitle = ""
            self.set_lines([], t("walk_dead", self.lang).format(pid=snap.walk_owner, how=dead))
            return
        when = "this step" if w.fresh else "an earlier step"
        split = w.split or tuple((lv.level, lv.index, lv.bit_hi, lv.bit_lo) for lv in w.levels)
        self.border_subtitle = f"{w.va_bits}-bit, {len(split)} levels · {when}"
        width = self.content_width()
        mapped = w.stopped.startswith("mapped") and w.phys is not None
        # the page offset: below the lowest level's index, or below the level where a huge
        # page (PSE) ended the walk
        off_bits = w.levels[-1].bit_lo if mapped and w.levels else split[-1][3]
        offset = w.va & ((1 << off_bits) - 1)
        lines: list[Text] = []
        head = Text("VA ")
        head.append(f"{w.va:#x}", "bold")
        head.append(f"  offset {offset:#x}", st("walk--off"))
        lines.append(head)
        # the bits of the address, one group per level, then the page offset
        bits = Text()
        labels = Text()
        for i, (name, index, hi, lo) in enumerate(split):
            if lo < off_bits:
                break  # a huge page: these bits are offset
            cls = st(LEVEL_CLASSES[i % len(LEVEL_CLASSES)])
            n = hi - lo + 1
            if i:
                bits.append(" ")
                labels.append(" ")
            bits.append(format((w.va >> lo) & ((1 << n) - 1), f"0{n}b"), cls)
            labels.append(f"{name}={index}".ljust(n), cls)
        if bits.cell_len + off_bits + 1 <= width:
            bits.append(" " + format(offset, f"0{off_bits}b"), st("walk--off"))
            labels.append(f" offset={offset:#x}", st("walk--off"))
        lines.append(bits)
        lines.append(labels)
        last = len(w.levels) - 1
        for i, lv in enumerate(w.levels):
            cls = st(LEVEL_CLASSES[i % len(LEVEL_CLASSES)])
            line = Text(f"{lv.level}[{lv.index}]", cls)
            frame = f"{lv.table_pfn:#x}" if lv.table_pfn is not None else "?"
            line.append(f" @{frame} ", st("lines--dim"))
            line.append(f"{lv.entry:#x}", "bold" if lv.entry else "")
            line.append(f" {lv.flags}", st("lines--dim"))
            if i == last or not lv.note.startswith("->"):
                # an upper level's "-> next table at frame X" is the next line's @X
                line.append(f" {lv.note.replace('->', '→')}",
                            st("walk--ok") if i == last and mapped else st("walk--stop"))
            lines.append(line)
        if mapped:
            done = Text("→ physical address ", st("walk--ok"))
            done.append(f"{w.phys:#x}", st("walk--ok"))
            how = f" = frame {w.pfn:#x} + {w.va & 0xFFF:#x}"
            if done.cell_len + len(how) <= width:
                done.append(how)
            lines.append(done)
        else:
            lines.append(Text(f"✗ no frame: {w.stopped}", st("walk--stop")))
        if w.fresh:
            path = []
            for ev in snap.events:
                if ev.file in FAULT_FILES and ev.fn not in path:
                    path.append(ev.fn)
            if path and any("fault" in p for p in path):
                line = Text("fault path: ", st("lines--dim"))
                line.append(" → ".join(path[:8]))
                lines.append(line)
        self.set_lines(lines)
