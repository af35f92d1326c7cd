"""Change marks of the rbtree, vm_area_struct / mm_struct, TLB and physical-memory panes
(issue 12: every pane marks what changed since the previous step).

The real app is driven through built-in scenarios. For each pane a step that changes a
figure must mark it, and a step that does not must show no mark; the expected figures
are worked out by hand from the scenario's sizes and the kernel's rules (quoted at each
test), or, for the rbtree's rotations and colours, read from the engine's own tree at
the two steps by a separate Player (the pane's marks come from the UI's captures).
Going back or jumping to a step shows the marks stepping forward to it showed.
"""

from __future__ import annotations

import re

from rich.text import Text

from tests.ui.conftest import goto, pane, settle
from vmtui.engine.check.invariants import check_invariants
from vmtui.scenario.loader import load_scenario
from vmtui.scenario.player import Player
from vmtui.ui.app import VmtuiApp

K = 1024
PAGE = 4096


def lines(app, name: str) -> list[Text]:
    p = pane(app, name)
    return [p.get_line(i) for i in range(p.line_count())]


def text_of(app, name: str) -> str:
    return "\n".join(line.plain for line in lines(app, name))


def rendered(app, name: str) -> tuple[str, str, list[tuple[str, list[tuple[int, int, str]]]]]:
    """A pane as drawn: title, subtitle and every line with its styled spans."""
    p = pane(app, name)
    return (str(p.border_title), str(p.border_subtitle or ""),
            [(ln.plain, [(s.start, s.end, str(s.style)) for s in ln.spans])
             for ln in lines(app, name)])


def style_at(line: Text, col: int) -> list[str]:
    """The styles of the spans covering column `col` of `line`."""
    return [str(s.style) for s in line.spans if s.start <= col < s.end]


def changed_colour(app, name: str, cls: str) -> str:
    """The style a pane draws its change class in, as Rich prints it."""
    return str(pane(app, name).style(cls))


def oracle(scenario: str, step: int) -> Player:
    """The engine at `step`, run by a Player of its own (invariants checked)."""
    p = Player(load_scenario(scenario))
    for _ in range(step):
        p.forward()
        check_invariants(p.machine)
    return p


# --------------------------------------------------------------------------- rbtree

BADGE = re.compile(r"(.)([RB])(.) ([0-9a-f]{6,})")


def tree_rows(app) -> dict[int, tuple[str, str, str]]:
    """vm_start -> (mark before the colour, colour, mark after) of every node drawn."""
    out = {}
    for line in lines(app, "tree"):
        m = BADGE.search(line.plain)
        if m is not None:
            out[int(m.group(4), 16)] = (m.group(1), m.group(2), m.group(3))
    return out


def engine_tree(p: Player, pid: int = 1) -> dict[int, tuple[int, bool, int | None]]:
    out = {}
    for v in p.machine.tasks[pid].mm.vmas.index:
        parent = v.vm_rb.parent
        out[v.vm_start] = (v.vm_end, v.vm_rb.red, parent.vma.vm_start if parent else None)
    return out


class TestRbtree:
    async def test_brk_inserts_grows_and_removes_the_heap_node(self):
        """brk-vs-mmap: step 2 `sbrk 8K` makes the heap VMA [start_brk, start_brk+8K)
        (a node inserted), step 3 `sbrk 8K` grows it to +16K (the node's range changed,
        the same node), step 4 `sbrk -16K` takes brk back to start_brk: do_brk's munmap
        removes the heap VMA (the node removed); step 8 `show maps` changes nothing."""
        start_brk = oracle("brk-vs-mmap", 1).machine.tasks[1].mm.start_brk
        app = VmtuiApp(load_scenario("brk-vs-mmap"))
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            await goto(pilot, 2)
            rows = tree_rows(app)
            assert rows[start_brk][0] == "+"
            assert "+ inserted" in text_of(app, "tree")
            await goto(pilot, 3)
            rows = tree_rows(app)
            assert rows[start_brk][0] == "~"
            assert "+" not in {r[0] for r in rows.values()}
            assert "~ range" in text_of(app, "tree")
            await goto(pilot, 4)
            assert start_brk not in tree_rows(app)
            removed = [ln for ln in lines(app, "tree") if "removed" in ln.plain]
            assert len(removed) == 1 and f"{start_brk:x}" in removed[0].plain
            col = removed[0].plain.index(f"{start_brk:x}")
            assert changed_colour(app, "tree", "rb--ghost") in style_at(removed[0], col)
            await goto(pilot, 8)
            rows = tree_rows(app)
            assert {r[0] for r in rows.values()} == {" "}
            assert {r[2] for r in rows.values()} == {" "}
            assert not re.search(r"inserted|range|moved|recoloured|removed",
                                 text_of(app, "tree"))

    async def test_split_marks_the_rotated_and_recoloured_nodes(self):
        """munmap-mprotect step 3: mprotect of the middle page splits x's VMA in three,
        two insertions whose fix-ups move and recolour nodes. Every node drawn is
        marked exactly as the engine's tree before and after the step differ."""
        before = engine_tree(oracle("munmap-mprotect", 2))
        after = engine_tree(oracle("munmap-mprotect", 3))
        app = VmtuiApp(load_scenario("munmap-mprotect"))
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            await goto(pilot, 3)
            rows = tree_rows(app)
            assert len(rows) >= 8
            seen = set()
            for start, (m1, colour, m2) in rows.items():
                end, red, parent = after[start]
                assert colour == ("R" if red else "B")
                marks = {m1, m2} - {" "}
                if start not in before:
                    # a new start: the middle and upper pieces of the split
                    want = {"+"} if all(e[0] != end for s, e in before.items()
                                        if s not in after) else {"~"}
                    assert want <= marks, start
                    continue
                want = "".join(g for g, hit in (("~", before[start][0] != end),
                                                ("↻", before[start][2] != parent),
                                                ("◐", before[start][1] != red)) if hit)
                # the badge has room for two marks, in this order
                assert (m1, m2) == ((want[:1] or " "), (want[1:2] or " ")), start
                seen |= set(want)
            # the step did rotate and recolour nodes the pane draws
            assert {"↻", "◐"} <= seen
            legend = text_of(app, "tree")
            assert "↻ moved" in legend and "◐ recoloured" in legend


# ------------------------------------------------------------------ vm_area_struct


def field_line(app, name: str) -> Text | None:
    """The first line of field `name` in the vm_area_struct pane (its mark column first)."""
    for line in lines(app, "detail"):
        if line.plain[2:].split(" ", 1)[0] == name or line.plain.split(" ", 1)[0] == name:
            return line
    return None


def marked(line: Text | None) -> bool:
    assert line is not None
    return line.plain.startswith("~ ")


class TestVmaDetail:
    async def test_brk_marks_vm_end_and_the_mm_fields_it_moved(self):
        """brk-vs-mmap step 3 `b = sbrk 8K`: the heap VMA's vm_end goes from
        start_brk + 8K to start_brk + 16K; mm->brk the same; total_vm grows by 2 pages;
        vm_start, vm_flags, mm->start_brk stay. Step 5 `p = malloc 100` (glibc's first
        malloc sets up its arena with brk: the heap grows by 132K+) marks vm_end again;
        step 8 `show maps` marks nothing."""
        start_brk = oracle("brk-vs-mmap", 1).machine.tasks[1].mm.start_brk
        app = VmtuiApp(load_scenario("brk-vs-mmap"))
        async with app.run_test(size=(200, 120)) as pilot:
            await settle(pilot)
            await goto(pilot, 3)
            end = field_line(app, "vm_end")
            assert marked(end) and f"{start_brk + 16 * K:#x}" in end.plain
            col = end.plain.index("0x")
            assert changed_colour(app, "detail", "detail--changed") in style_at(end, col)
            # with the rows to spare, the value it had is under it
            text = text_of(app, "detail")
            assert f"was {start_brk + 8 * K:#x} (8K, 2 pages)" in text
            assert not marked(field_line(app, "vm_start"))
            assert not marked(field_line(app, "vm_flags"))
            brk = field_line(app, "brk")
            assert marked(brk) and f"{start_brk + 16 * K:#x}" in brk.plain
            assert f"was {start_brk + 8 * K:#x}" in text
            assert not marked(field_line(app, "start_brk"))
            rows = text.splitlines()
            i = next(i for i, ln in enumerate(rows) if ln.startswith("~ total_vm "))
            new_total = int(rows[i].split()[2].replace(",", ""))
            old_total = int(rows[i + 1].split()[1].replace(",", ""))  # "was N (size)"
            assert new_total == old_total + 2
            await goto(pilot, 8)
            assert not [ln for ln in text_of(app, "detail").splitlines()
                        if ln.startswith("~ ") or ln.strip().startswith("was ")]
            assert "changed" not in str(pane(app, "detail").border_subtitle or "")

    async def test_first_write_marks_anon_vma_and_rss(self):
        """first-touch step 2 `write a 40K`: the first write fault gives the VMA its
        anon_vma (anon_vma_prepare: NULL before) and 10 resident pages (Rss 0 -> 40 kB),
        MM_ANONPAGES + 10. Step 3 reads the same pages: nothing of the VMA or the mm
        changes, so nothing is marked."""
        app = VmtuiApp(load_scenario("first-touch"))
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            await goto(pilot, 2)
            av = field_line(app, "anon_vma")
            assert marked(av) and av.plain.split(None, 2)[2].startswith("anon_vma ")
            rss = field_line(app, "Rss")
            assert marked(rss) and rss.plain.split()[2] == "40"
            assert not marked(field_line(app, "vm_end"))
            anon = field_line(app, "MM_ANONPAGES")
            assert marked(anon)
            assert str(pane(app, "detail").border_subtitle).endswith("changed")
            await goto(pilot, 3)
            assert not [ln for ln in text_of(app, "detail").splitlines()
                        if ln.startswith("~ ")]
            assert field_line(app, "Rss").plain.split()[1] == "40"

    async def test_mlock_marks_vm_flags_and_locked_vm(self):
        """mlock step 2 `mlock key 1M`: vm_flags gains VM_LOCKED (0x2000, mm.h) and
        locked_vm grows by 1M / 4K = 256 pages; vm_start and vm_end stay."""
        p1 = oracle("mlock", 1)
        key = p1.machine.tasks[1].mm.vmas.index
        flags_before = next(v.vm_flags for v in key if v.vm_end - v.vm_start == 1024 * K)
        app = VmtuiApp(load_scenario("mlock"))
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            await goto(pilot, 2)
            flags = field_line(app, "vm_flags")
            assert marked(flags)
            assert f"{flags_before | 0x2000:#x}" in flags.plain
            assert not marked(field_line(app, "vm_start"))
            assert not marked(field_line(app, "vm_end"))
            locked = field_line(app, "locked_vm")
            assert marked(locked) and locked.plain.split()[2] == "256"

    async def test_back_and_jump_show_the_marks_of_stepping_forward(self):
        """One truth per step: the rbtree, vm_area_struct, TLB and physical-memory panes
        at step 3 of munmap-mprotect are drawn the same reached forward, by going back
        from the end, and by a jump from the start."""
        names = ("tree", "detail", "tlb", "phys")
        app = VmtuiApp(load_scenario("munmap-mprotect"))
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            for n in (1, 2, 3):
                await goto(pilot, n)
            forward = {n: rendered(app, n) for n in names}
            assert "~ " in text_of(app, "detail") or "+ new" in forward["detail"][1]
            await goto(pilot, 14)
            await goto(pilot, 3)
            assert {n: rendered(app, n) for n in names} == forward
            await goto(pilot, 0)
            await goto(pilot, 3)
            assert {n: rendered(app, n) for n in names} == forward


# ----------------------------------------------------------------------------- TLB


class TestTlb:
    async def test_fills_and_flushes(self):
        """first-touch step 2 writes 10 pages: 10 misses, each filling an entry (+10);
        step 3 reads them: 10 hits, no entry filled or lost. fork-cow step 6: the child's
        10 writes are copy-on-write faults; wp_page_copy's ptep_clear_flush flushes the
        stale entry of each page (-10, flushes + 10) and the retried access fills the
        new one (+10)."""
        app = VmtuiApp(load_scenario("first-touch"))
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            await goto(pilot, 2)
            assert str(pane(app, "tlb").border_subtitle).endswith("· +10")
            new = changed_colour(app, "tlb", "tlb--new")
            filled = [ln for ln in lines(app, "tlb") if "→" in ln.plain and
                      new in style_at(ln, 0)]
            assert len(filled) == 10
            await goto(pilot, 3)
            sub = str(pane(app, "tlb").border_subtitle)
            assert "+" not in sub and "-" not in sub
            assert not [ln for ln in lines(app, "tlb") if "→" in ln.plain and
                        new in style_at(ln, 0)]
            hits = lines(app, "tlb")[0]
            assert hits.plain.startswith("hit ")
            assert changed_colour(app, "tlb", "tlb--delta") in style_at(hits, 4)
            flushes = lines(app, "tlb")[1]
            assert flushes.plain == "flushes 0"
        app = VmtuiApp(load_scenario("fork-cow"))
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            await goto(pilot, 6)
            assert str(pane(app, "tlb").border_subtitle).endswith("· +10 -10")
            assert lines(app, "tlb")[1].plain.endswith(" +10")
            ghost = changed_colour(app, "tlb", "tlb--ghost")
            gone = [ln for ln in lines(app, "tlb") if ghost in style_at(ln, 0)]
            assert len(gone) == 10
            await goto(pilot, 7)  # a walk: nothing filled, nothing flushed
            sub = str(pane(app, "tlb").border_subtitle)
            assert "+" not in sub and "-" not in sub
            assert not [ln for ln in lines(app, "tlb") if ghost in style_at(ln, 0)]
            assert "+" not in lines(app, "tlb")[1].plain


# ------------------------------------------------------------------ physical memory


def zone_head(app, zone: str) -> Text:
    return next(ln for ln in lines(app, "phys") if ln.plain.startswith(f"{zone} "))


def reversed_words(line: Text) -> set[str]:
    """The watermark names whose figure is drawn in reverse video."""
    out = set()
    for name in ("min", "low", "high"):
        col = line.plain.index(f"{name} ")
        if any(s.style.reverse for s in line.spans if s.start <= col < s.end
               if not isinstance(s.style, str)):
            out.add(name)
    return out


class TestPhysMem:
    async def test_watermarks_moved_and_crossed(self):
        """kswapd-watermarks on its 64M machine (DMA 4,095 managed pages, DMA32 11,520).
        Step 2 `vm.min_free_kbytes=4096`: 1,024 pages of min shared by managed pages
        (__setup_per_zone_wmarks): DMA 1024*4095//15615 = 268, DMA32 755; low and high
        add max(min/4, managed*10/10000): DMA 67 -> low 335, high 402. Step 3
        `watermark_scale_factor=200`: min stays; DMA adds max(67, 4095*200//10000 = 81)
        -> low 349, high 430; DMA32 max(188, 230) -> low 985, high 1,215. Step 4 writes
        48M: free pages fall; where they stand against the new watermarks is said when
        they crossed one. Step 5 `show zoneinfo` changes nothing."""
        app = VmtuiApp(load_scenario("kswapd-watermarks"))
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            await goto(pilot, 2)
            dma = zone_head(app, "DMA")
            assert "min 268 low 335 high 402" in dma.plain
            assert reversed_words(dma) == {"min", "low", "high"}
            await goto(pilot, 3)
            dma, dma32 = zone_head(app, "DMA"), zone_head(app, "DMA32")
            assert "min 268 low 349 high 430" in dma.plain
            assert "min 755 low 985 high 1,215" in dma32.plain
            assert reversed_words(dma) == reversed_words(dma32) == {"low", "high"}
            await goto(pilot, 4)
            for zone, (mn, low, high) in (("DMA", (268, 349, 430)),
                                          ("DMA32", (755, 985, 1215))):
                head = zone_head(app, zone)
                assert not reversed_words(head)
                free = int(re.search(r"free ([\d,]+)", head.plain).group(1).replace(",", ""))
                where = ("below min" if free < mn else "below low" if free < low else
                         "below high" if free < high else "above high")
                # both zones were above high before the write (step 3's heads)
                if where != "above high":
                    assert head.plain.endswith(f"→ {where}"), head.plain
                else:
                    assert "→" not in head.plain
                assert re.search(r"free [\d,/]+ -[\d,]+ ", head.plain), head.plain
            await goto(pilot, 5)
            for zone in ("DMA", "DMA32"):
                head = zone_head(app, zone)
                assert "→" not in head.plain and not reversed_words(head)
                assert not re.search(r" [+-][\d,]+ ", head.plain)


# --------------------------------------------------------------------------- reclaim

KSWAPD = re.compile(r"(wakeups|scanned|reclaimed) ([\d,]+)( [+-][\d,]+)?")


def kswapd_counts(app) -> dict[str, tuple[int, int | None]]:
    """kswapd0's counts as the reclaim pane draws them: name -> (value, delta or None)."""
    text = " ".join(ln.plain for ln in lines(app, "reclaim")[:3])
    return {m.group(1): (int(m.group(2).replace(",", "")),
                         int(m.group(3).replace(",", "")) if m.group(3) else None)
            for m in KSWAPD.finditer(text)}


class TestKswapd:
    async def test_counts_marked_with_their_change(self):
        """kswapd-watermarks: step 5 `show zoneinfo` runs no reclaim (no delta); step 6
        writes 8M more, taking free pages below the low watermark: the allocator wakes
        kswapd, which reclaims; each count it changed carries its delta, the difference
        between the figures of step 5 and step 6; at step 7 `tick` no zone is below its
        low watermark, kswapd is not woken (no delta)."""
        app = VmtuiApp(load_scenario("kswapd-watermarks"))
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            await goto(pilot, 5)
            before = kswapd_counts(app)
            assert set(before) == {"wakeups", "scanned", "reclaimed"}
            assert all(d is None for _v, d in before.values())
            await goto(pilot, 6)
            after = kswapd_counts(app)
            assert after["wakeups"][0] > before["wakeups"][0]
            for name, (value, delta) in after.items():
                want = value - before[name][0]
                assert delta == (want or None), name
            await goto(pilot, 7)
            assert all(d is None for _v, d in kswapd_counts(app).values())
