"""The player: stepping back from step N and forward again gives exactly the state
that stepping forward to N gave, in every built-in scenario.

Compared: each step's record (`json.dumps(StepRecord.to_json())`: result,
events, maps, rss, counters) and the machine's state after `goto(N)`.
A small snapshot interval makes back() restore a snapshot *and* replay.
"""

from __future__ import annotations

import json

import pytest

from vmtui.engine.check.invariants import check_invariants
from vmtui.scenario.loader import builtin_names, from_commands, load_scenario
from vmtui.scenario.player import Player
from vmtui.scenario.runner import machine_state

NAMES = builtin_names()


def _rec(p: Player) -> str:
    assert p.last is not None
    return json.dumps(p.last.to_json(), sort_keys=True)


def _state(p: Player) -> str:
    return json.dumps(machine_state(p.machine), sort_keys=True)


def straight(name: str) -> tuple[list[str], list[str]]:
    """Record and state after each step, stepping forward only (with invariants checked)."""
    p = Player(load_scenario(name), snapshot_every=3)
    recs, states = [], []
    while not p.at_end:
        p.forward()
        check_invariants(p.machine)
        recs.append(_rec(p))
        states.append(_state(p))
    return recs, states


@pytest.mark.parametrize("name", NAMES)
def test_back_then_forward_is_forward(name: str) -> None:
    """GIVEN a built-in WHEN we goto(N) from the end and step on THEN all is as before."""
    recs, states = straight(name)
    p = Player(load_scenario(name), snapshot_every=3)
    p.run_to_end()
    total = p.total
    for n in range(total, 0, -1):
        p.goto(n)  # from above: restore a snapshot at or below n and replay
        assert p.position == n
        assert _rec(p) == recs[n - 1], f"{name}: record of step {n} differs after goto"
        assert _state(p) == states[n - 1], f"{name}: state after step {n} differs after goto"
    # one step back and one forward, at every position
    for n in range(1, total + 1):
        p.goto(n)
        p.back()
        assert p.position == n - 1
        if n > 1:
            assert _rec(p) == recs[n - 2]
            assert _state(p) == states[n - 2]
        p.forward()
        assert _rec(p) == recs[n - 1], f"{name}: step {n} differs after back + forward"
        assert _state(p) == states[n - 1]
    p.goto(0)
    assert p.last is None and p.position == 0


@pytest.mark.parametrize("every", [1, 2, 5, 16])
def test_snapshot_interval_does_not_matter(every: int) -> None:
    """Whatever snapshot_every, goto(N) lands on the same state."""
    recs, states = straight("fork-cow")
    p = Player(load_scenario("fork-cow"), snapshot_every=every)
    p.run_to_end()
    for n in (7, 2, 9, 1, 11, 4):
        p.goto(n)
        assert _rec(p) == recs[n - 1]
        assert _state(p) == states[n - 1]


def test_back_after_a_process_died() -> None:
    """Stepping back over a SIGSEGV brings the dead process back, exactly."""
    sc = from_commands("a = mmap 8K rw private,anon; write a = 5; read 0x1000; spawn; "
                       "b = mmap 8K rw private,anon; write b = 6")
    p = Player(sc, snapshot_every=2)
    p.run_to_end()
    after = _state(p)
    p.goto(2)
    assert list(machine_state(p.machine)["maps"]) == ["1"]
    p.forward()
    assert p.last is not None and p.last.result.signal == "SIGSEGV"
    p.run_to_end()
    assert _state(p) == after


def test_improvise_then_back() -> None:
    """A typed command becomes a step; going back over it and forward again replays it."""
    p = Player(load_scenario("first-touch"), snapshot_every=2)
    p.goto(2)
    rec = p.improvise("z = mmap 4K rw private,anon")
    assert rec.number == 3 and p.total == len(load_scenario("first-touch").steps) + 1
    before = _rec(p), _state(p)
    p.goto(1)
    p.goto(3)
    assert (_rec(p), _state(p)) == before
