"""One truth per step: a step restored (back, go-to, restart) is exactly the step run forward.

For every built-in scenario and every step, a canonical dump of the machine taken after
running forward is compared with the dump after reaching the same step by going back from
the end and by restarting and going to it. The dump holds what a student can see: every
process's /proc/PID/maps, the VMA rbtree node by node (shape, colours, rb_subtree_gap), the
page tables (every present or swap PTE), the TLB (with the pid each entry belongs to), the
free lists, LRU lists and swap slots, the counters, and the frozen Snapshot the panes draw
from (so the rbtree pane's text and colours too). A pilot test drives the TUI itself.

The expected values are the forward run's own: the claim under test is that restoring
changes nothing, whatever the engine computes.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from vmtui.engine.include.layout import PAGE_SHIFT
from vmtui.scenario.loader import builtin_names, from_commands, load_scenario
from vmtui.scenario.player import Player
from vmtui.scenario.runner import machine_state
from vmtui.view.snapshot import SnapshotBuilder, View

NAMES = builtin_names()


def rbtree(mm) -> list:
    """The whole rbtree in preorder: (depth, side, start, colour, subtree gap); for a maple
    tree (6.18), mt_dump()'s text: every node's type, pivots, gaps and entries."""
    if not hasattr(mm.vmas, "rb"):
        return mm.vmas.mt.dump().splitlines()
    out = []
    stack = [(mm.vmas.rb.root, 0, "root")]
    while stack:
        node, depth, side = stack.pop()
        if node is None:
            continue
        out.append((depth, side, node.vma.vm_start, "red" if node.red else "black",
                    node.subtree_gap))
        stack.append((node.right, depth + 1, "r"))
        stack.append((node.left, depth + 1, "l"))
    return out


def dump(p: Player) -> str:
    """Everything a step leaves behind that a student can see, as canonical JSON."""
    m = p.machine
    state = machine_state(m)
    owner = {t.mm.ctx_id: t.pid for t in m.live_tasks()}
    procs = {}
    for t in m.live_tasks():
        mm = t.mm
        ptes = [(va, pte) for table, i, va in
                m.pt.iter_ptes(mm.pgd, 0, m.layout.task_size)
                if (pte := table.entries[i])] if mm.pgd is not None else []
        procs[t.pid] = {"rbtree": rbtree(mm), "ptes": ptes, "brk": mm.brk,
                        "rss": [mm.rss_anon, mm.rss_file, mm.rss_swap]}
    zones = [(z.node.id, z.name, z.nr_free, sorted(z.free_blocks())) for z in m.mem.zones]
    lru = [[list(lst) for lst in n.lru.lists] if n.lru is not None else []
           for n in m.mem.nodes]
    swap = [(si.name, sorted(si.slots.items()), bytes(si.swap_map).hex())
            for si in m.swap.areas]
    tlb = [(owner.get(ctx, f"dead ctx {ctx}"), vpn, pfn) for (ctx, vpn), pfn in m.tlb.items()]
    snap = SnapshotBuilder().build(p, View())
    view = {f.name: repr(getattr(snap, f.name)) for f in dataclasses.fields(snap)
            if f.name != "free_history"}  # the sparkline remembers the way it came
    return json.dumps({"state": state, "procs": procs, "zones": zones, "lru": lru,
                       "swap": swap, "tlb": tlb, "tlb_stats": m.tlb_stats,
                       "current": m.current_pid, "snapshot": view}, sort_keys=True,
                      default=str)


def forward_dumps(name: str, every: int) -> list[str]:
    p = Player(load_scenario(name), snapshot_every=every)
    out = [dump(p)]
    while not p.at_end:
        p.forward()
        out.append(dump(p))
    return out


def first_difference(a: str, b: str) -> str:
    da, db = json.loads(a), json.loads(b)
    for key in da:
        if da[key] != db.get(key):
            return f"{key}: forward {str(da[key])[:300]} / restored {str(db.get(key))[:300]}"
    return "?"


@pytest.mark.parametrize("name", NAMES)
def test_every_step_restored_is_the_step_run_forward(name: str) -> None:
    """GIVEN a built-in scenario WHEN a step is reached going back from the end, or by
    restarting and going to it THEN its dump equals the one running forward gave."""
    every = 3  # small: restores come from snapshots taken mid-way, then replay
    want = forward_dumps(name, every)
    p = Player(load_scenario(name), snapshot_every=every)
    p.run_to_end()
    for n in range(p.total, -1, -1):  # back, one step at a time, from the end
        p.goto(n)
        got = dump(p)
        assert got == want[n], f"{name} step {n} after back: {first_difference(want[n], got)}"
    for n in range(p.total, 0, -3):  # restart, then go to the step (R, then g N)
        p.restart()
        p.goto(n)
        got = dump(p)
        assert got == want[n], f"{name} step {n} after restart: {first_difference(want[n], got)}"


def test_the_rbtree_of_a_restored_step_keeps_its_shape() -> None:
    """The tree an mm's history of inserts and erases built is not the one inserting its
    VMAs in address order builds: a restore must bring back the former (the issue's tour:
    one shape at launch, another after R)."""
    sc = from_commands("; ".join(f"v{i} = mmap 4K rw private,anon; mprotect v{i} 4K r"
                                 for i in range(12)) + "; munmap v3 4K; munmap v7 4K")
    p = Player(sc, snapshot_every=1)
    p.run_to_end()
    before = rbtree(p.machine.current.mm)
    p.goto(p.total - 1)
    p.forward()
    assert rbtree(p.machine.current.mm) == before


def test_tlb_entries_keep_their_process_across_a_restore() -> None:
    """After fork and a step back, the TLB still says which process each entry is of (a
    tag from id() of the mm changed with every restore: "pid 0" entries)."""
    p = Player(from_commands("a = mmap 8K rw private,anon; write a 8K = 1; c = fork; "
                             "switch c; write a = 2; read a+4K"), snapshot_every=1)
    p.run_to_end()
    p.goto(p.total - 1)
    p.forward()
    owners = {t.mm.ctx_id: t.pid for t in p.machine.live_tasks()}
    assert p.machine.tlb
    assert {ctx for ctx, _vpn in p.machine.tlb} <= set(owners)
    page = (p.machine.names["a"] + 4096) >> PAGE_SHIFT
    child = p.machine.current.mm.ctx_id
    assert (child, page) in p.machine.tlb


def _tree_pane(app) -> list[tuple[str, list[str]]]:
    pane = app.query_one("#tree")
    out = []
    for i in range(pane.line_count()):
        line = pane.get_line(i)
        out.append((line.plain, [f"{s.start}-{s.end} {s.style}" for s in line.spans]))
    return out


async def test_the_tours_rbtree_pane_is_the_same_after_restart() -> None:
    """The issue's case: the tour's rbtree pane at step 5 is the same drawn forward, after
    R and five steps again, and after going back and forward."""
    from tests.ui.conftest import settle
    from vmtui.ui.app import VmtuiApp

    app = VmtuiApp(load_scenario("tour"))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        for _ in range(5):
            await pilot.press("n")
            await settle(pilot)
        want = _tree_pane(app)
        assert want
        await pilot.press("R")
        await settle(pilot)
        assert app.snapshot.position == 0
        for _ in range(5):
            await pilot.press("n")
            await settle(pilot)
        assert _tree_pane(app) == want
        await pilot.press("n", "b")
        await settle(pilot)
        assert app.snapshot.position == 5
        assert _tree_pane(app) == want
