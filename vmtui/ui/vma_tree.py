"""VmaTreePane: the top levels of mm->mm_rb, the VMA red-black tree, with rb_subtree_gap;
in 6.18 mode mm->mm_mt, the maple tree, along the path of the last look-up."""

from __future__ import annotations

from rich.text import Text

from vmtui.ui.lines_view import LinesView
from vmtui.ui.marks import tree_marks
from vmtui.view.i18n import human, t, tr, translate_text
from vmtui.view.snapshot import MapleNodeView, MapleView, Snapshot, TreeNode

MAPLE_TYPES = {1: "maple_leaf_64", 2: "maple_range_64", 3: "maple_arange_64"}
MAPLE_TITLE = "mm->mm_mt (maple tree)"


class VmaTreePane(LinesView):
    """Drawn sideways, root first, `l`/`r` for the left and right child: a red or black
    badge per node (R/B, legible without colour too), the VMA's start (and size, when the
    width allows), and its
    rb_subtree_gap (the largest free gap below any VMA of the subtree, what
    get_unmapped_area searches by). As many levels as the width allows; `…` marks a
    subtree not drawn. The node the step touched is highlighted.

    What the step changed is marked in the change colour (the VMA start of a node it
    changed) and, inside the node's badge (so the tree keeps its width), `+` a node
    inserted, `~` a node whose VMA's range changed, `↻` a node moved (its parent is
    another node: a rotation, or an erase relinking it), `◐` a node recoloured. A last line
    says what the marks mean and names the nodes the step removed, struck through."""

    MIN_WIDTH = 27
    MIN_HEIGHT = 3
    DEFAULT_CSS = """
    VmaTreePane > .rb--red { background: #c62828; color: #ffffff; text-style: bold; }
    VmaTreePane > .rb--black { background: #262626; color: #ffffff; text-style: bold; }
    VmaTreePane > .rb--edge { color: $text-muted; }
    VmaTreePane > .rb--gap { color: $warning; }
    VmaTreePane > .rb--touched { background: $accent 30%; color: $foreground; text-style: bold; }
    VmaTreePane > .rb--changed { color: $warning; text-style: bold; }
    VmaTreePane > .rb--ghost { color: $error; text-style: strike; }
    VmaTreePane > .mt--node { color: $accent; text-style: bold; }
    """
    COMPONENT_CLASSES = LinesView.COMPONENT_CLASSES | {
        "rb--red", "rb--black", "rb--edge", "rb--gap", "rb--touched", "rb--changed",
        "rb--ghost", "mt--node"}
    fit = True

    def build(self, snap: Snapshot) -> None:
        if snap.maple is not None:
            self._build_maple(snap.maple)
            return
        self.border_title = f"{t('tree', self.lang)} · mm->mm_rb"
        st = self.style
        nodes = {(n.depth, n.slot): n for n in snap.tree}
        on_path = {(n.depth, n.slot) for n in snap.tree_path}
        for n in snap.tree_path:
            nodes.setdefault((n.depth, n.slot), n)
        marks, removed = tree_marks(snap, nodes)
        width = self.content_width()
        addr_w = max((len(f"{n.start:x}") for n in snap.tree), default=12)
        # as many levels as fit the width: a level indents by 2; a node is its badge,
        # address, size, gap and a mark for a subtree not drawn
        depth = max((n.depth for n in snap.tree), default=0) + 1
        node_w = 3 + 1 + addr_w + 5 + 9 + 2
        fits = (width - node_w) // 2 + 1  # levels the width has room for
        levels = max(1, min(depth, fits))
        sizes = levels >= min(depth, 4)
        if not sizes:  # the shape matters more than the sizes (the VMA list has them)
            fits = (width - node_w + 5) // 2 + 1
            levels = max(1, min(depth, fits))
        # the path down to the touched VMA goes deeper, as far as the width allows
        deepest = max(levels, min(len(snap.tree_path), fits))
        self.border_subtitle = (f"{snap.tree_size:,} VMAs · top {levels} levels"
                                if snap.tree else "")
        lines: list[Text] = []
        touched = snap.touched

        drawn: set[str] = set()  # the marks drawn (a node not drawn is not explained)

        def node_text(line: Text, n: TreeNode) -> None:
            """The badge (with the step's marks in its spaces) and the VMA's start."""
            m = marks.get((n.depth, n.slot), "")
            drawn.update(m[:2])
            badge = (m[:1] or " ") + ("R" if n.red else "B") + (m[1:2] or " ")
            line.append(badge, st("rb--red" if n.red else "rb--black"))
            line.append(f" {n.start:0{addr_w}x}", st("rb--changed") if m else "")

        def emit(node: TreeNode, prefix: str, branch: str) -> None:
            line = Text(prefix + branch, st("rb--edge"))
            node_text(line, node)
            if sizes:
                line.append(f" {human(node.end - node.start)}")
            line.append(f" gap {human(node.gap) if node.gap else '0'}", st("rb--gap"))
            kids = []
            for k, name in ((0, "l"), (1, "r")):
                child = nodes.get((node.depth + 1, node.slot * 2 + k))
                key = (node.depth + 1, node.slot * 2 + k)
                if child is not None and (node.depth + 1 < levels or
                                          key in on_path and node.depth + 1 < deepest):
                    kids.append((child, name))
            hidden = (node.has_left or node.has_right) and not kids
            if hidden:
                line.append(" …", st("rb--edge"))
            if touched is not None and node.start <= touched < node.end:
                line.stylize(st("rb--touched"), len(prefix + branch))
            lines.append(line)
            ext = prefix + ("" if not branch else "  " if branch[0] == "└" else "│ ")
            for i, (child, name) in enumerate(kids):
                emit(child, ext, ("└" if i == len(kids) - 1 else "├") + name)

        root = nodes.get((0, 0))
        if root is not None:
            emit(root, "", "")
        if len(snap.tree_path) > deepest:
            # too deep to draw: say where the touched VMA's node is
            n = snap.tree_path[-1]
            line = Text("⋮ ", st("rb--edge"))
            node_text(line, n)
            line.stylize(st("rb--touched"), 2)
            for more in (f" gap {human(n.gap) if n.gap else '0'}", f" (depth {n.depth})"):
                if line.cell_len + len(more) <= width:
                    line.append(more, st("rb--edge"))
            lines.append(line)
        if drawn or removed:
            lines.extend(self._legend(drawn, removed, width, addr_w))
        self.set_lines(lines, t("no_process", self.lang))

    def _legend(self, used: set[str], removed: tuple[int, ...], width: int,
                addr_w: int) -> list[Text]:
        """What the marks drawn mean, then the nodes the step removed (struck through)."""
        st = self.style
        out = [Text()]
        for glyph, word in (("+", "inserted"), ("~", "range"), ("↻", "moved"),
                            ("◐", "recoloured")):
            if glyph not in used:
                continue
            piece = Text(glyph, st("rb--changed"))
            piece.append(f" {tr(word, self.lang)} ", st("lines--dim"))
            if out[-1].cell_len and out[-1].cell_len + piece.cell_len > width:
                out.append(Text())
            out[-1].append_text(piece)
        if removed:
            if out[-1].cell_len:
                out.append(Text())
            out[-1].append("- ", st("rb--changed"))
            out[-1].append(f"{tr('removed', self.lang)} ", st("lines--dim"))
            for s in removed:
                text = f"{s:0{addr_w}x}"
                if out[-1].cell_len + len(text) + 1 > width:
                    out.append(Text("  "))
                out[-1].append(text, st("rb--ghost"))
                out[-1].append(" ")
        return [line for line in out if line.cell_len]

    # ------------------------------------------------------------------ maple tree
    def _build_maple(self, mv: MapleView) -> None:
        """6.18 mode: mm->mm_mt along the walk of the last find_vma(), root first. Each
        node on the path: its type and range, then its slots, one a line: the slot's
        range (its end is the pivot), and a child node's type and largest gap, a VMA, or
        NULL (a free range) and its size. The slot the walk took is highlighted (▶); the
        other slots are the path's neighbours. A node shows as many slots around the
        path as the pane's height leaves it; `…` counts the others. The cost is the
        tree's height times 16 slots at most, whatever the number of VMAs."""
        st = self.style
        lang = self.lang
        self.border_title = translate_text(MAPLE_TITLE, lang)
        self.border_subtitle = (f"{mv.size:,} VMAs · height {mv.height}" if mv.path else "")
        width = self.content_width()
        lines: list[Text] = []
        if mv.find is not None:
            head = f"find_vma({mv.find:#x})"
            more = f": {len(mv.path)} node(s) walked"
            lines.append(Text(head + more if len(head + more) <= width else head,
                              st("lines--dim")))
        elif mv.path:
            lines.append(Text("no look-up yet: the root", st("lines--dim")))
        rows = max(3, self.scrollable_content_region.height)
        per = max(3, (rows - len(lines) - len(mv.path)) // max(1, len(mv.path)))
        for node in mv.path:
            lines.extend(self._maple_node(node, per, width))
        self.set_lines(lines, "no VMA")

    def _maple_node(self, node: MapleNodeView, per: int, width: int) -> list[Text]:
        st = self.style
        name = MAPLE_TYPES.get(node.type, str(node.type))
        span = f"{node.lo:x}-{node.hi:x}"
        head = f"d{node.depth} {name} {span}"
        if len(head) <= width:
            out = [Text(head, st("mt--node"))]
        else:  # narrow: the range on a line of its own
            out = [Text(f"d{node.depth} {name}", st("mt--node")),
                   Text(f"   {span}", st("mt--node"))]
        n = len(node.slots)
        on = node.on if node.on >= 0 else 0
        first = max(0, min(on - per // 2, n - per))
        last = min(n, first + per)
        rows = []
        for i in range(first, last):
            sl = node.slots[i]
            if sl.kind == "node":  # a child: its type is the next level's header's
                what = f"gap {human(sl.gap) if sl.gap else '0'}"
            elif sl.kind == "vma":
                what = f"VMA {human(sl.hi - sl.lo + 1)}"
            else:
                what = f"NULL {human(sl.gap)}"
            rows.append((i, sl, f"{sl.lo:x}-{sl.hi:x}", f"≤{sl.hi:x}", what))
        # every slot of a node in one form: its range, or (narrow) its pivot alone
        full = all(len(f"   {r} {w}") <= width for _i, _s, r, _p, w in rows)
        if first:
            out.append(Text(f"   … {first} slot(s)", st("rb--edge")))
        for i, sl, rng, piv, what in rows:
            mark = "▶" if i == node.on else " "
            line = Text(f"{mark}{i:>2} {rng if full else piv} {what}")
            if sl.kind == "null":
                line.stylize(st("rb--gap"))
            if i == node.on:
                line.stylize(st("rb--touched"))
            out.append(line)
        if last < n:
            out.append(Text(f"   … {n - last} slot(s)", st("rb--edge")))
        return out
