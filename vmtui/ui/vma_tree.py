"""VmaTreePane: the top levels of mm->mm_rb, the VMA red-black tree, with rb_subtree_gap."""

from __future__ import annotations

from rich.text import Text

from vmtui.ui.i18n import human, t
from vmtui.ui.lines_view import LinesView
from vmtui.ui.snapshot import Snapshot, TreeNode


class VmaTreePane(LinesView):
    """Drawn sideways, root first: a red or black badge per node (R/B, legible without
    colour too), the VMA's range, and its rb_subtree_gap (the largest free gap below any
    VMA of the subtree, what get_unmapped_area searches by)."""

    DEFAULT_CSS = """
    VmaTreePane > .rb--red { background: #c62828; color: #ffffff; text-style: bold; }
    VmaTreePane > .rb--black { background: #262626; color: #ffffff; text-style: bold; }
    VmaTreePane > .rb--edge { color: $text-muted; }
    VmaTreePane > .rb--gap { color: $warning; }
    VmaTreePane > .rb--touched { background: $accent 30%; color: $foreground; text-style: bold; }
    """
    COMPONENT_CLASSES = LinesView.COMPONENT_CLASSES | {
        "rb--red", "rb--black", "rb--edge", "rb--gap", "rb--touched"}

    def build(self, snap: Snapshot) -> None:
        self.border_title = f"{t('tree', self.lang)} · mm->mm_rb"
        st = self.style
        nodes = {(n.depth, n.slot): n for n in snap.tree}
        max_depth = max((n.depth for n in snap.tree), default=0)
        self.border_subtitle = (f"{snap.tree_size:,} VMAs · top {max_depth + 1} levels"
                                if snap.tree else "")
        lines: list[Text] = []
        touched = snap.touched

        def emit(node: TreeNode, prefix: str, tail: str, side: str) -> None:
            line = Text(prefix + tail, st("rb--edge"))
            if side:
                line.append(side + "─", st("rb--edge"))
            line.append(" R " if node.red else " B ", st("rb--red" if node.red else "rb--black"))
            line.append(f" {node.start:x} {human(node.end - node.start)}")
            line.append(f" gap {human(node.gap)}", st("rb--gap"))
            if touched is not None and node.start <= touched < node.end:
                line.stylize(st("rb--touched"), len(prefix + tail))
            lines.append(line)
            kids = []
            for k, name in ((0, "l"), (1, "r")):
                child = nodes.get((node.depth + 1, node.slot * 2 + k))
                has = node.has_left if k == 0 else node.has_right
                if child is not None:
                    kids.append((child, name))
                elif has:
                    kids.append((None, name))
            ext = prefix + ("   " if tail in ("└─", "") else "│  ")
            for i, (child, name) in enumerate(kids):
                last = i == len(kids) - 1
                if child is None:
                    lines.append(Text(ext + ("└─" if last else "├─") + f"{name}─ …",
                                      st("rb--edge")))
                else:
                    emit(child, ext, "└─" if last else "├─", name)

        root = nodes.get((0, 0))
        if root is not None:
            emit(root, "", "", "")
        self.set_lines(lines, t("no_process", self.lang))
