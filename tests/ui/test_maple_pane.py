"""The maple pane: in 6.18 mode the rbtree pane's place shows mm->mm_mt along the walk of
the last find_vma(), the slot taken at each level highlighted.

Expected values from the kernel source: a user fault looks its address up with
lock_vma_under_rcu() / find_vma() (arch/x86/mm/fault.c), mas_walk() goes from the root
to one leaf, one node a level (the tree's height, in mm->mm_mt's ma_flags), and in the
leaf the slot holding the address is the VMA the scenario mapped there: [p, p + 64K)
from mmap's result, stored over [vm_start, vm_end - 1] (vma_iter_store_new()).
"""

from __future__ import annotations

from tests.ui.conftest import pane, settle, text_of
from vmtui.scenario.loader import parse_scenario
from vmtui.ui.app import VmtuiApp

STEPS = """
[scenario]
title = "maple"

[machine]
kernel = "{kernel}"

[[step]]
do = "p = mmap 64K rwx private,anon"

[[step]]
do = "write p+8K = 1"
"""


def app_for(kernel: str) -> VmtuiApp:
    return VmtuiApp(parse_scenario(STEPS.replace("{kernel}", kernel), "maple.toml", "maple"))


async def test_the_pane_draws_the_path_of_the_last_look_up() -> None:
    app = app_for("6.18")
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        tree = pane(app, "tree")
        assert tree.border_title == "mm->mm_mt (maple tree)"
        p = app.driver.player.machine.names["p"]
        addr = p + 8 * 1024
        text = text_of(tree)
        assert text.splitlines()[0].startswith(f"find_vma({addr:#x})")
        height = app.driver.player.machine.current.mm.vmas.mt.height
        assert str(tree.border_subtitle).endswith(f"height {height}")
        hot = tree.style("rb--touched")
        lines = [tree.get_line(i) for i in range(tree.line_count())]
        marked = [ln.plain for ln in lines if any(s.style == hot for s in ln.spans)]
        # one slot a level: the child the walk went down to, then the leaf's VMA
        assert len(marked) == height
        assert all(ln.startswith("▶") for ln in marked)
        headers = [ln for ln in text.splitlines() if ln.startswith("d")]
        assert [h.split()[0] for h in headers] == [f"d{d}" for d in range(height)]
        assert "maple_leaf_64" in headers[-1]
        leaf = marked[-1].split()
        assert leaf[-2] == "VMA"
        rng = leaf[2]
        if rng.startswith("≤"):
            assert int(rng[1:], 16) >= addr
        else:
            lo, hi = (int(x, 16) for x in rng.split("-"))
            assert lo <= addr <= hi and (hi + 1 - lo) % 4096 == 0
            assert lo <= p and hi >= p + 64 * 1024 - 1


async def test_5_4_keeps_the_rbtree() -> None:
    app = app_for("5.4")
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        tree = pane(app, "tree")
        assert "mm->mm_rb" in str(tree.border_title)
        assert "maple" not in text_of(tree)


async def test_the_tree_tab_names_the_tree_each_kernel_keeps_in_chinese() -> None:
    """红黑树 is the red-black tree: 5.4's mm->mm_rb; 6.18 keeps a maple tree (枫树)."""
    from textual.widgets import Tab

    for kernel, want in (("5.4", "2 红黑树"), ("6.18", "2 枫树")):
        app = VmtuiApp(parse_scenario(STEPS.replace("{kernel}", kernel), "maple.toml", "maple"),
                       lang="zh")
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            await pilot.press("n")
            await settle(pilot)
            assert str(app.query_one("#tab-tree", Tab).label) == want, kernel
