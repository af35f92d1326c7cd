"""Snapshots taken in the background (a forked child pickles the machine, as the TUI's
Player does) restore exactly the step they were taken after.

The expected values come from an independent run: a fresh Player stepping forward from
step 0, never restored. A background snapshot is restored with nothing replayed after it
(the step asked for is the snapshot's own), so what is compared is the child's pickle.
"""

from __future__ import annotations

import pickle

import pytest

from tests.scenario.test_restore import dump, first_difference
from vmtui.scenario.loader import load_scenario
from vmtui.scenario.player import Checkpoint, Player

NAMES = ["fork-cow", "file-mapping", "brk-vs-mmap", "kernels-mprotect-mremap"]


@pytest.fixture
def every_step(monkeypatch):
    """A snapshot after every step: whether one is worth its cost depends on timing (the
    pickle against the steps since the last), which would make these tests vary."""
    monkeypatch.setattr(Player, "_want_snapshot", lambda self, n: n not in self.snapshots)


def forward(name: str) -> list[str]:
    p = Player(load_scenario(name), snapshot_every=10_000)  # only step 0's: never restored
    out = [dump(p)]
    while not p.at_end:
        p.forward()
        out.append(dump(p))
    return out


@pytest.mark.parametrize("name", NAMES)
def test_a_background_snapshot_restores_its_step(name: str, every_step) -> None:
    """GIVEN a scenario run to the end by a background Player WHEN each step a child
    pickled is gone to from the end THEN it is the step an independent run gave."""
    want = forward(name)
    p = Player(load_scenario(name), snapshot_every=1, background=True)
    p.run_to_end()
    p.collect(wait=True)
    taken = sorted(k for k, ck in p.snapshots.items() if isinstance(ck, Checkpoint))
    assert taken == list(range(1, p.total + 1))
    for n in reversed(taken[:-1]):  # the last is where the player is
        before = p.machine
        p.goto(n)
        assert p.machine is not before and p.position == n
        got = dump(p)
        assert got == want[n], f"{name} step {n}: {first_difference(want[n], got)}"
    # and on from there, as a student would go (replay after a restore)
    for n in range(taken[0] + 1, p.total + 1):
        p.forward()
        assert dump(p) == want[n], f"{name} step {n} after the restore"


def test_inline_and_background_snapshots_restore_alike(every_step) -> None:
    """GIVEN the same scenario on an inline and a background Player WHEN both go back to
    every step THEN both give the independent run's step."""
    want = forward("fork-cow")
    players = [Player(load_scenario("fork-cow"), snapshot_every=2, background=b)
               for b in (False, True)]
    for p in players:
        p.run_to_end()
    for n in range(players[0].total, -1, -1):
        for p in players:
            p.goto(n)
            assert dump(p) == want[n], f"background={p.background} step {n}"


def test_a_failed_child_is_dropped(monkeypatch, every_step) -> None:
    """GIVEN children that fail to pickle (the pickle raises in the child) WHEN the player
    goes back THEN it restores from step 0's snapshot and replays: the same steps."""
    want = forward("first-touch")

    def broken(*_a, **_k):  # type: ignore[no-untyped-def]
        raise pickle.PicklingError("no")

    forked: list[Checkpoint | None] = []
    real = Player._fork_dump

    def fork_dump(self: Player) -> Checkpoint | None:
        forked.append(real(self))
        return forked[-1]

    p = Player(load_scenario("first-touch"), snapshot_every=1, background=True)
    monkeypatch.setattr(pickle, "dump", broken)
    monkeypatch.setattr(Player, "_fork_dump", fork_dump)
    p.run_to_end()
    assert len(forked) == p.total and all(ck is not None for ck in forked)
    for n in range(p.total, -1, -1):
        p.goto(n)
        assert dump(p) == want[n], f"step {n}"
    p.collect(wait=True)
    assert list(p.snapshots) == [0]
