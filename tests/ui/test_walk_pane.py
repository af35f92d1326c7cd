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
