"""Change at page level in the TUI: the frame map, PTEs before -> after, ghost VMA rows,
change marks, and the diff view between a marked step and the one shown.

Expected figures are hand computations from the scenarios' commands and the kernel's
rules: writing 40 KiB of a fresh private anonymous mapping is 10 first-touch faults,
do_anonymous_page() allocating one frame each; after fork, the child writing those 10
pages is 10 write-protect faults that wp_page_copy() resolves with 10 new frames, after
which each of the parent's 10 frames is mapped by the parent only; munmap of a whole
VMA removes its row, munmap of its middle splits it in two.
"""

from __future__ import annotations

import pytest

from tests.ui.conftest import goto, pane, settle, text_of, type_line
from vmtui.cli import main
from vmtui.scenario.loader import load_scenario, parse_scenario
from vmtui.ui.app import VmtuiApp
from vmtui.ui.diff_view import DiffPane, DiffScreen
from vmtui.view.driver import Driver, Op
from vmtui.view.snapshot import View


def map_rows(text: str) -> list[str]:
    """The glyph rows of the physical-memory pane's frame map (`fc00 ....1111PP...`)."""
    rows = []
    for line in text.splitlines():
        head, _, glyphs = line.partition(" ")
        if len(head) >= 4 and all(c in "0123456789abcdef" for c in head) and glyphs and \
                " " not in glyphs:
            rows.append(glyphs)
    return rows


def highlighted(view, glyph: str) -> int:
    """How many cells of the frame map show `glyph` in reverse video (this step's)."""
    n = 0
    for i in range(view.line_count()):
        line = view.get_line(i)
        if not map_rows(line.plain):
            continue
        for span in line.spans:
            style = span.style
            if getattr(style, "reverse", False):
                n += line.plain[span.start:span.end].count(glyph)
    return n


class TestFrameMap:
    async def test_forty_k_written_are_ten_frames_of_pid_1(self):
        """The acceptance line, typed at `:`: 10 frames owned by pid 1, all marked as
        this step's."""
        sc = parse_scenario('[[step]]\ndo = "show maps"\n', "one.toml", "one")
        app = VmtuiApp(sc)
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            before = sum(r.count("1") for r in map_rows(text_of(pane(app, "phys"))))
            await type_line(pilot, "a = mmap 40K rw private,anon; write a 40K = 1")
            await pilot.press("enter")
            await settle(pilot)
            await pilot.pause()
            assert app.snapshot.do == "write a 40K = 1"
            phys = pane(app, "phys")
            after = sum(r.count("1") for r in map_rows(text_of(phys)))
            assert after - before == 10
            assert highlighted(phys, "1") == 10
            assert "1 pid 1" in text_of(phys)  # the legend names the owner
            # and the zone head says where they came from: 10 data frames and one PTE page
            assert "-11 " in text_of(phys)

    async def test_the_cow_step_shows_the_childs_frames_beside_the_parents(self):
        app = VmtuiApp(load_scenario("fork-cow"))
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            await goto(pilot, 6)
            assert app.snapshot.do == "write a 40K = 9"
            phys = pane(app, "phys")
            rows = map_rows(text_of(phys))
            assert sum(r.count("2") for r in rows) == 10  # the child's 10 copies
            assert highlighted(phys, "2") == 10
            # the parent's 10 frames are its own again (no longer shared): marked too
            assert sum(r.count("1") for r in rows) == 10
            assert highlighted(phys, "1") == 10
            legend = text_of(phys)
            assert "1 pid 1" in legend and "2 pid 2" in legend
            # parent and child in different colours
            styles = {}
            for i in range(phys.line_count()):
                line = phys.get_line(i)
                for span in line.spans:
                    for g in "12":
                        if g in line.plain[span.start:span.end]:
                            styles.setdefault(g, span.style.color)
            assert styles["1"] != styles["2"]

    async def test_a_paged_terminal_shows_the_map_on_the_ram_page(self):
        app = VmtuiApp(load_scenario("first-touch"))
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await goto(pilot, 2)
            await pilot.press("4")
            await pilot.pause()
            phys = pane(app, "phys")
            assert phys.content_width() >= phys.MIN_WIDTH
            assert highlighted(phys, "1") == 10

    async def test_f_switches_to_the_zones_and_back(self):
        app = VmtuiApp(load_scenario("fork-cow"), start_step=1)
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            phys = pane(app, "phys")
            phys.focus()
            assert map_rows(text_of(phys))
            await pilot.press("f")
            await pilot.pause()
            assert not map_rows(text_of(phys)) and "1 cell" in text_of(phys)
            await pilot.press("f")
            await pilot.pause()
            assert map_rows(text_of(phys))


class TestPtesBeforeAfter:
    async def test_cow_parent_and_child_side_by_side(self):
        app = VmtuiApp(load_scenario("fork-cow"))
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            await goto(pilot, 6)
            walk = pane(app, "walk")
            text = text_of(walk)
            flat = " ".join(text.split())  # the head wraps at the pane's width
            assert "pid 2 ×10 (new frame (copy))" in flat
            head = next(ln for ln in text.splitlines() if "(parent)" in ln)
            assert head.index("pid 1 (parent)") < head.index("pid 2 (child)")
            rows = [ln.split() for ln in text.splitlines() if "→" in ln and "=" in ln]
            assert len(rows) == 10
            for r in rows:
                # the parent's entry unchanged, read-only; the child's moved from that frame
                # to a new one and became writable: va = fc0a r  fc0a r→fc19 w
                _va, eq, parent_pfn, ro, was, flip, rw = r
                assert eq == "=" and ro == "r" and was == parent_pfn and rw == "w"
                assert flip.startswith("r→") and flip[2:] != parent_pfn

    async def test_fork_write_protects_the_parent_and_fills_the_child(self):
        app = VmtuiApp(load_scenario("fork-cow"))
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            await goto(pilot, 2)
            text = text_of(pane(app, "walk"))
            assert "write-protected" in text
            rows = [ln.split() for ln in text.splitlines() if "→" in ln and "w→" in ln]
            # 10 pages of `a` and the stack's page: RW cleared in the parent, the same frame
            # read-only in the child (copy_one_pte)
            assert len(rows) == 11
            for r in rows:
                # va, "fc0a", "w→fc0a", "r" (the parent's), "-→fc0a", "r" (the child's)
                pfn = r[1]
                assert r[2:] == [f"w→{pfn}", "r", f"-→{pfn}", "r"]


GHOSTS = """
[[step]]
do = "x = mmap 40K rw private,anon"
[[step]]
do = "munmap x+16K 8K"
[[step]]
do = "y = mmap 8K r private,anon"
[[step]]
do = "munmap y 8K"
[[step]]
do = "read x"
"""


class TestGhostRows:
    async def test_munmap_leaves_a_struck_through_row_for_one_step(self):
        app = VmtuiApp(parse_scenario(GHOSTS, "ghosts.toml", "ghosts"))
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            await goto(pilot, 1)
            x = int(app.snapshot.result.split("0x", 1)[1].split()[0], 16)
            await goto(pilot, 2)
            vmas = pane(app, "vmas")
            text = text_of(vmas)
            # the 40K VMA split around the 8K hole: its old row struck through, two new rows
            old = f"{x:x}-{x + 40 * 1024:x}"
            ghost = [i for i in range(vmas.line_count()) if old in vmas.get_line(i).plain]
            assert len(ghost) == 1 and "(split)" in vmas.get_line(ghost[0]).plain
            line = vmas.get_line(ghost[0])
            assert any(getattr(s.style, "strike", False) for s in line.spans)
            assert f"~ {x:x}-{x + 16 * 1024:x}" in text
            assert f"~ {x + 24 * 1024:x}-{x + 40 * 1024:x}" in text
            await goto(pilot, 3)
            assert old not in text_of(vmas)
            await goto(pilot, 4)  # munmap of a whole VMA: removed
            y = app.snapshot.touched
            text = text_of(vmas)
            gone = [ln for ln in text.splitlines() if ln.startswith("- ")]
            assert len(gone) == 1 and "(removed)" in gone[0] and f"{y:x}-{y + 8192:x}" in gone[0]
            await goto(pilot, 5)
            assert not [ln for ln in text_of(vmas).splitlines() if ln.startswith("- ")]
            # and back to the munmap step: the ghost is there again
            await goto(pilot, 4)
            assert [ln for ln in text_of(vmas).splitlines() if "(removed)" in ln]


class TestChangeMarks:
    def test_going_back_measures_the_same_changes_as_going_forward(self):
        fwd = Driver(load_scenario("fork-cow"))
        for _ in range(6):
            a = fwd.run(Op("next"), View())
        back = Driver(load_scenario("fork-cow"))
        back.run(Op("goto", 10), View())
        b = back.run(Op("goto", 6), View())
        assert a.position == b.position == 6
        assert a.changes is not None and b.changes is not None
        assert a.changes.frames == b.changes.frames
        assert a.changes.ptes == b.changes.ptes
        assert a.changes.tlb_before == b.changes.tlb_before

    async def test_tlb_and_zone_mark_this_steps_changes(self):
        app = VmtuiApp(load_scenario("fork-cow"))
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            await goto(pilot, 6)
            # 10 writes, each a TLB miss that fills an entry for the new copy; each copy
            # flushed the stale entry of its page first (wp_page_copy: ptep_clear_flush)
            assert pane(app, "tlb").border_subtitle.endswith("· +10 -10")
            await goto(pilot, 7)  # a walk: no new entry, no frame
            assert "+" not in str(pane(app, "tlb").border_subtitle)


class TestDiffView:
    async def test_mark_then_diff_lists_the_cow_frames(self, capsys):
        assert main(["diff", "fork-cow", "1", "6"]) == 0
        cli = capsys.readouterr().out.splitlines()
        app = VmtuiApp(load_scenario("fork-cow"))
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            await goto(pilot, 1)
            await pilot.press("m")
            await settle(pilot)
            assert app.snapshot.mark is not None and app.snapshot.mark[0] == 1
            await goto(pilot, 6)
            await pilot.press("d")
            await settle(pilot)
            await pilot.pause()
            assert isinstance(app.screen, DiffScreen)
            shown = text_of(app.screen.query_one(DiffPane)).splitlines()
            # the child's 10 copies (hand count: 10 pages written after fork)
            moves = [ln.strip() for ln in shown if ln.strip().startswith("free -> pid 2")]
            assert len(moves) == 1 and moves[0].startswith("free -> pid 2 (demo): 10 frames")
            # the same statediff text as `vmtui diff fork-cow 1 6`, from its first section
            start = cli.index("processes")
            assert shown[shown.index("processes"):] == cli[start:]
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, DiffScreen)

    async def test_diff_without_a_mark_says_how(self):
        app = VmtuiApp(load_scenario("fork-cow"), lang="zh")
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("d")
            await settle(pilot)
            await pilot.pause()
            text = text_of(app.screen.query_one(DiffPane))
            assert "按 m" in text

    async def test_the_palette_offers_mark_and_diff(self):
        app = VmtuiApp(load_scenario("fork-cow"))
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            titles = [c.title for c in app.get_system_commands(app.screen)]
            assert "Mark step" in titles and "Diff with the marked step" in titles
            keys = {b.key for b in app.BINDINGS if b.show}
            assert {"m", "d"} <= keys


@pytest.mark.parametrize("key", ["fm_zoomed", "fm_this_step", "vma_removed", "pte_changed",
                                 "diff_title", "marked"])
def test_new_words_have_chinese(key):
    from vmtui.view.i18n import WORDS

    assert WORDS[key]["zh"] and WORDS[key]["zh"] != WORDS[key]["en"]
