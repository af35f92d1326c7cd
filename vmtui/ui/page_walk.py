"""PageWalkPane: the last access's page-table walk, the address split into coloured bits."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from vmtui.engine.include.pgtable import _PAGE_RW, is_swap_pte, pte_pfn, pte_present, swp_offset
from vmtui.ui.lines_view import LinesView
from vmtui.view.i18n import t, tr
from vmtui.view.snapshot import EventRow, Snapshot


def pad_to(text: str, width: int) -> str:
    """`text` padded to `width` terminal cells (a CJK character takes two)."""
    return text + " " * max(0, width - Text(text).cell_len)


def entry_short(pte: int, lang: str = "en") -> str:
    """A PTE in a table cell: `fc0a w` (its frame; w writable, r read-only), `swap 3`
    (a swap entry's offset) or `-` (none)."""
    if not pte:
        return "-"
    if pte_present(pte):
        return f"{pte_pfn(pte):x} {'w' if pte & _PAGE_RW else 'r'}"
    if is_swap_pte(pte):
        return f"{tr('swap', lang)} {swp_offset(pte)}"
    return f"{pte:#x}"

LEVEL_CLASSES = ("walk--l0", "walk--l1", "walk--l2", "walk--l3", "walk--l4")


def fault_path(events: Sequence[EventRow]) -> list[str]:
    """The functions this step's faults went through, in order, each once: the events of
    kind "fault" and every event nested inside one (the swap-in, the anon_vma, a stack
    growing, reclaim or the OOM killer the fault called)."""
    path: list[str] = []
    inside: int | None = None  # the depth of the fault event the events are inside
    for ev in events:
        if inside is not None and ev.depth <= inside:
            inside = None
        if ev.kind == "fault" and inside is None:
            inside = ev.depth
        if inside is not None and ev.fn not in path:
            path.append(ev.fn)
    return path


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
    PageWalkPane > .walk--was { color: $text-muted; }
    PageWalkPane > .walk--now { color: $warning; text-style: bold; }
    PageWalkPane > .walk--same { color: $text-muted; }
    """
    COMPONENT_CLASSES = LinesView.COMPONENT_CLASSES | set(LEVEL_CLASSES) | {
        "walk--off", "walk--ok", "walk--stop", "walk--was", "walk--now", "walk--same"}
    wrap = True
    fit = True

    def build(self, snap: Snapshot) -> None:
        self.border_title = t("walk", self.lang)
        w = snap.walk
        st = self.style
        table = self._pte_table(snap)
        if w is None or (table and not w.fresh):
            # a step that changed PTEs without walking (fork, munmap, swap-out): the
            # table is the point of the step
            self.border_subtitle = ""
            if table:
                self.set_lines(table)
                return
            self.set_lines([], t("walk_host", self.lang) if snap.host
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
        # whose page tables: not always the process shown (v, switch, a child's fault)
        self.border_subtitle = (f"pid {snap.walk_owner} · " if snap.walk_owner else "") + \
            f"{w.va_bits}-bit, {len(split)} levels · {when}"
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
        height = self.scrollable_content_region.height
        # on a short pane the table of changed PTEs shows at least four rows: the bits of
        # the address give way first, then the upper levels fold into one line
        # (the VA, the levels, a wrapped PTE line, the physical address, the table's two
        # heads, a wrapped first head, and four rows)
        need = len(w.levels) + 10
        roomy = not table or height <= 0 or need + 2 <= height
        if roomy:
            lines.append(bits)
            lines.append(labels)
        last = len(w.levels) - 1
        upper = roomy or need - last + 1 <= height
        if not upper and last > 0:
            # the upper levels in one line, each index in its level's colour
            path = Text()
            for i, lv in enumerate(w.levels[:last]):
                path.append(f"{lv.level}[{lv.index}]", st(LEVEL_CLASSES[i % len(LEVEL_CLASSES)]))
                path.append("→", st("lines--dim"))
            lines.append(path)
        for i, lv in enumerate(w.levels):
            if i < last and not upper:
                continue
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
        lines.extend(table)
        if w.fresh and not table:
            chain = fault_path(snap.events)
            if chain:
                line = Text("fault path: ", st("lines--dim"))
                line.append(" → ".join(chain[:8]))
                lines.append(line)
        self.set_lines(lines)

    def _pte_table(self, snap: Snapshot) -> list[Text]:
        """The PTEs this step changed, before → after, processes side by side (a parent
        and its child after fork or copy on write)."""
        if not snap.pte_rows:
            return []
        st = self.style
        ch = snap.changes
        counts = ch.pte_counts if ch is not None else {}
        kinds = ch.pte_kinds if ch is not None else {}
        head = Text(t("pte_changed", self.lang) + ":", st("walk--now"))
        for pid in snap.pte_pids:
            n = counts.get(pid, 0)
            if n:
                mine = kinds.get(pid, {})
                what = ", ".join(f"{k:,} {tr(kind, self.lang)}" if len(mine) > 1 else
                                 tr(kind, self.lang) for kind, k in mine.items())
                head.append(f" pid {pid} ×{n:,} ({what})")
        lines = [head]
        width = self.content_width()
        vw = max(len(f"{va >> 12:x}") for va, _cells in snap.pte_rows)
        cw = max(8, (width - vw - 1) // max(1, len(snap.pte_pids)) - 1)
        hdr = Text(" " * vw, st("lines--dim"))
        roles = snap.pte_roles or ("",) * len(snap.pte_pids)
        for pid, role in zip(snap.pte_pids, roles, strict=True):
            label = f"pid {pid}" + (f" {t('role_' + role, self.lang)}" if role else "")
            hdr.append(" " + pad_to(label, cw), "bold")
        lines.append(hdr)
        for va, cells in snap.pte_rows:
            line = Text(f"{va >> 12:x}".rjust(vw), st("lines--dim"))
            for cell in cells:
                line.append(" ")
                if cell is None:
                    line.append(pad_to("-", cw), st("walk--same"))
                    continue
                before, after = cell
                if before == after:
                    line.append(pad_to(f"= {entry_short(after, self.lang)}", cw),
                                st("walk--same"))
                    continue
                was, now = entry_short(before, self.lang), entry_short(after, self.lang)
                line.append(was, st("walk--was"))
                line.append("→", st("lines--dim"))
                line.append(pad_to(now, max(0, cw - Text(was).cell_len - 1)), st("walk--now"))
            lines.append(line)
        more = sum(counts.get(p, 0) for p in snap.pte_pids) - sum(
            1 for _va, cells in snap.pte_rows for c in cells if c is not None and c[0] != c[1])
        if more > 0:
            lines.append(Text(f"… {more:,} {t('pte_more', self.lang)}", st("lines--dim")))
        return lines
