"""The walk pane reads the engine's narration contract: whether a step walked comes from the
step record (the engine counted a walk), and the fault path from the events' kinds, not
from command or kernel file names.

Expected paths are 5.4's call chains: a user write to a fresh anonymous page goes
__do_page_fault -> find_vma -> handle_mm_fault -> __handle_mm_fault -> do_anonymous_page
(-> anon_vma_prepare); kernel code reading a vmalloc address whose PGD entry the process
lacks goes __do_page_fault -> do_kern_addr_fault -> vmalloc_fault (arch/x86/mm/fault.c).
"""

from __future__ import annotations

import re

from tests.ui.conftest import goto, pane, settle, text_of
from vmtui.scenario.loader import load_scenario, parse_scenario
from vmtui.scenario.player import Player
from vmtui.ui.app import VmtuiApp
from vmtui.ui.page_walk import fault_path
from vmtui.view.snapshot import _events

STEPS = """
[scenario]
title = "walks"

[[step]]
do = ["p = mmap 8K rw private,anon", "write p = 1"]

[[step]]
do = "read p"

[[step]]
do = "sysctl vm.swappiness=10"
"""


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_the_step_record_says_which_steps_walked():
    p = Player(parse_scenario(STEPS, "walks.toml", "walks"))
    walked = [p.forward().walked for _ in range(3)]
    assert walked == [True, True, False]
    assert p.machine.last_walk.va == p.machine.names["p"]


def test_the_fault_path_is_the_faults_call_chain_not_the_mmap_before_it():
    p = Player(parse_scenario(STEPS, "walks.toml", "walks"))
    rec = p.forward()
    assert any(e.fn == "do_mmap" for e in rec.events)
    assert fault_path(_events(rec)) == ["__do_page_fault", "find_vma", "handle_mm_fault",
                                        "__handle_mm_fault", "anon_vma_prepare",
                                        "do_anonymous_page"]


async def test_a_step_that_did_not_walk_shows_the_earlier_walk():
    app = VmtuiApp(parse_scenario(STEPS, "walks.toml", "walks"))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await goto(pilot, 2)
        walk = pane(app, "walk")
        assert str(walk.border_subtitle).endswith("this step")
        await goto(pilot, 3)
        assert str(walk.border_subtitle).endswith("an earlier step")
        p = app.driver.player.machine.names["p"]
        assert f"VA {p:#x}" in text_of(walk)


async def test_a_vmalloc_fault_shows_its_fault_path():
    app = VmtuiApp(load_scenario("kernel-fault"))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await goto(pilot, 4)  # kread v: the process's PGD lacks the vmalloc area's entry
        walk = pane(app, "walk")
        assert str(walk.border_subtitle).endswith("this step")
        assert "fault path: __do_page_fault → do_kern_addr_fault → vmalloc_fault" in \
            flat(text_of(walk))
        await goto(pilot, 5)  # walk v: no fault this time
        assert "fault path" not in flat(text_of(walk))


CHILD = """
[scenario]
title = "a child's walk"

[[step]]
do = ["a = mmap 8K rw private,anon", "write a = 1"]

[[step]]
do = "c = fork"

[[step]]
do = ["switch c", "write a = 2"]

[[step]]
do = ["switch 1", "kill c"]

[[step]]
do = "sysctl vm.swappiness=10"
"""


def test_the_engine_records_whose_page_tables_the_walk_went_through():
    p = Player(parse_scenario(CHILD, "child.toml", "child"))
    owners = []
    for _ in range(5):
        p.forward()
        owners.append(p.machine.last_walk_pid)
    # the parent (pid 1) writes, forks pid 2, which writes after `switch c`
    assert owners == [1, 1, 2, 2, 2]


async def check_child_walk(pilot, app) -> None:
    walk = pane(app, "walk")
    if app.snapshot.position == 3:
        # the step started in pid 1 and switched: the walk is the child's
        assert str(walk.border_subtitle).startswith("pid 2 · 48-bit, 4 levels")
    if app.snapshot.position == 5:
        # pid 2 was killed at step 4: its page tables are gone, no PTE of it shows
        assert walk.line_count() == 0
        assert "pid 2, which has ended (SIGKILL)" in walk._empty


async def test_the_walk_pane_names_the_walks_process_and_its_end():
    app = VmtuiApp(parse_scenario(CHILD, "child.toml", "child"))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await goto(pilot, 1)
        assert str(pane(app, "walk").border_subtitle).startswith("pid 1 · ")
        for n in (2, 3, 4, 5):  # forward, step by step
            await pilot.press("n")
            await settle(pilot)
            assert app.snapshot.position == n
            await check_child_walk(pilot, app)
    app = VmtuiApp(parse_scenario(CHILD, "child.toml", "child"))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        for n in (5, 3, 5):  # straight there, back, and again
            await goto(pilot, n)
            await check_child_walk(pilot, app)
