"""The page-replacement lab: textbook numbers, invariants, `vmtui policy` on the command line."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vmtui.cli import main
from vmtui.engine.replacement import POLICIES, random_trace, simulate

CLASSIC = (7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1)
"""Silberschatz's reference string (Operating System Concepts, 9.4)."""
BELADY = (1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5)
"""The string of Belady, Nelson and Shedler (1969)."""


class TestTextbookNumbers:
    """The miss counts every OS textbook prints for these traces."""

    @pytest.mark.parametrize(("policy", "misses"), [("OPT", 9), ("LRU", 12), ("FIFO", 15)])
    def test_classic_trace_three_frames(self, policy: str, misses: int) -> None:
        assert simulate(policy, 3, CLASSIC).misses == misses

    def test_belady_anomaly_fifo(self) -> None:
        assert simulate("FIFO", 3, BELADY).misses == 9
        assert simulate("FIFO", 4, BELADY).misses == 10

    @pytest.mark.parametrize("policy", ["LRU", "OPT"])
    def test_stack_algorithms_do_not_show_the_anomaly(self, policy: str) -> None:
        assert simulate(policy, 4, BELADY).misses <= simulate(policy, 3, BELADY).misses

    def test_totals_add_up(self) -> None:
        r = simulate("LRU", 3, CLASSIC)
        assert r.hits + r.misses == len(CLASSIC) == len(r.accesses)
        assert r.hit_ratio == pytest.approx(8 / 20)


class TestPolicies:
    """Each policy evicts the page its definition names."""

    def test_fifo_queue_and_victims(self) -> None:
        r = simulate("FIFO", 3, BELADY)
        assert [a.victim for a in r.accesses[:7]] == [None, None, None, 1, 2, 3, 4]
        assert r.accesses[3].order == (2, 3, 4)
        assert r.accesses[3].frames == (4, 2, 3)  # the new page takes the victim's slot

    def test_lru_evicts_least_recent(self) -> None:
        r = simulate("LRU", 3, (1, 2, 3, 1, 4))
        assert r.accesses[-1].victim == 2
        assert r.accesses[-1].order == (3, 1, 4)

    def test_mru_evicts_most_recent(self) -> None:
        r = simulate("MRU", 3, (1, 2, 3, 1, 4))
        assert r.accesses[-1].victim == 1

    def test_opt_ties_go_to_lowest_slot(self) -> None:
        # 1, 2 and 3 are never used again: all tie as "farthest"; slot 0 holds 1.
        r = simulate("OPT", 3, (1, 2, 3, 4))
        assert r.accesses[-1].victim == 1
        assert r.accesses[-1].slot == 0

    def test_opt_never_used_again_is_farthest(self) -> None:
        r = simulate("OPT", 2, (1, 2, 3, 1))
        assert r.accesses[2].victim == 2
        assert r.accesses[2].next_use == (3, None)

    def test_clock_second_chance(self) -> None:
        """GIVEN full frames, all bits set WHEN a miss comes THEN a full sweep, FIFO victim."""
        r = simulate("CLOCK", 3, (1, 2, 3, 4))
        last = r.accesses[-1]
        assert last.victim == 1
        assert last.frames == (4, 2, 3)
        assert last.ref_bits == (1, 0, 0)
        assert last.hand == 1
        assert "cleared 1 2 3" in last.note

    def test_clock_spares_referenced_page(self) -> None:
        """A page referenced since the hand last cleared it survives the next sweep."""
        # After 4 replaces 1 the bits are [1 0 0], hand on slot 1 (page 2).
        # Touch 2 again: its bit is 1, so 5 must skip it and evict 3.
        r = simulate("CLOCK", 3, (1, 2, 3, 4, 2, 5))
        last = r.accesses[-1]
        assert last.victim == 3
        assert last.frames == (4, 2, 5)
        assert last.ref_bits == (1, 0, 1)
        assert last.hand == 0

    def test_clock_bits_and_hand_stay_in_range(self) -> None:
        for a in simulate("CLOCK", 4, random_trace(3, 200, 8)).accesses:
            assert len(a.ref_bits) == 4 and set(a.ref_bits) <= {0, 1}
            assert a.hand is not None and 0 <= a.hand < 4
            assert a.ref_bits[a.slot] == 1  # the page just referenced has its bit

    def test_linux_second_access_activates(self) -> None:
        """mark_page_accessed: inactive,unreferenced -> referenced -> active."""
        r = simulate("LINUX", 4, (1, 1, 2))
        first, second, _ = r.accesses
        assert first.inactive == (1,) and first.referenced == (1,)
        assert second.active == (1,) and second.referenced == ()
        assert "activate 1" in second.note

    def test_linux_evicts_inactive_tail_and_rebalances(self) -> None:
        r = simulate("LINUX", 3, (1, 1, 2, 2, 3, 3, 4))
        last = r.accesses[-1]
        # All three active, inactive empty: deactivate from the active tail until
        # balanced, reclaim the inactive tail (1, the oldest), then rebalance again.
        assert last.victim == 1
        assert set(last.active) | set(last.inactive) == {2, 3, 4}
        assert len(last.inactive) >= len(last.active)
        assert last.note.startswith("deactivate")

    def test_linux_lists_partition_resident_pages(self) -> None:
        for a in simulate("LINUX", 5, random_trace(11, 300, 9)).accesses:
            resident = {p for p in a.frames if p is not None}
            assert set(a.active) | set(a.inactive) == resident
            assert not set(a.active) & set(a.inactive)
            assert set(a.referenced) <= resident

    def test_bad_arguments_raise(self) -> None:
        with pytest.raises(ValueError, match="unknown policy"):
            simulate("ARC", 3, (1,))
        with pytest.raises(ValueError, match="at least 1"):
            simulate("LRU", 0, (1,))
        with pytest.raises(ValueError, match=">= 0"):
            simulate("LRU", 1, (-1,))

    def test_random_trace_is_fixed_by_seed(self) -> None:
        assert random_trace(5, 50, 7) == random_trace(5, 50, 7)
        assert random_trace(5, 50, 7) != random_trace(6, 50, 7)
        assert set(random_trace(5, 200, 7)) <= set(range(7))


traces = st.lists(st.integers(0, 9), min_size=0, max_size=60)


@settings(max_examples=150, deadline=None)
@given(trace=traces, frames=st.integers(1, 6))
def test_opt_never_worse(trace: list[int], frames: int) -> None:
    """Belady's MIN is optimal among demand-paging policies: it never misses more."""
    opt = simulate("OPT", frames, trace).misses
    for policy in POLICIES:
        assert opt <= simulate(policy, frames, trace).misses, policy


@settings(max_examples=100, deadline=None)
@given(trace=traces, frames=st.integers(1, 6))
def test_every_policy_keeps_frames_consistent(trace: list[int], frames: int) -> None:
    """Misses count distinct pages at least; frames hold each page once; hits need residency."""
    distinct = len(set(trace))
    for policy in POLICIES:
        r = simulate(policy, frames, trace)
        assert r.misses >= distinct
        if frames >= distinct:
            assert r.misses == distinct
        resident: set[int] = set()
        for a in r.accesses:
            assert a.hit == (a.page in resident)
            assert a.frames[a.slot] == a.page
            held = [p for p in a.frames if p is not None]
            assert len(held) == len(set(held))
            assert (a.victim is not None) == (not a.hit and len(resident) == frames)
            resident = set(held)


class TestCli:
    """`vmtui policy` as a lecturer types it."""

    def test_table(self, capsys: pytest.CaptureFixture[str]) -> None:
        trace = ",".join(map(str, CLASSIC))
        assert main(["policy", "--policy", "OPT", "--frames", "3", "--trace", trace]) == 0
        out = capsys.readouterr().out
        assert "hits: 11  misses: 9" in out
        rows = [line for line in out.splitlines() if line[:2].strip().isdigit()]
        assert len(rows) == 20
        assert len({line.index("[") for line in rows}) == 1  # fixed width: columns line up

    def test_clock_shows_bits(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["policy", "--policy", "clock", "--frames", "3", "--trace", "1,2,3,4"]) == 0
        out = capsys.readouterr().out
        assert "ref bits" in out and "hand" in out and "[1 0 0]" in out

    def test_linux_shows_lists(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["policy", "--policy", "LINUX", "--frames", "2", "--trace", "1,1,2"]) == 0
        out = capsys.readouterr().out
        assert "active" in out and "inactive" in out and "activate 1" in out

    def test_all(self, capsys: pytest.CaptureFixture[str]) -> None:
        trace = ",".join(map(str, CLASSIC))
        assert main(["policy", "--policy", "all", "--frames", "3", "--trace", trace]) == 0
        out = capsys.readouterr().out
        for name in POLICIES:
            assert name in out
        assert "FIFO         5      15" in out

    def test_belady(self, capsys: pytest.CaptureFixture[str]) -> None:
        trace = ",".join(map(str, BELADY))
        assert main(["policy", "--frames", "3", "--trace", trace, "--belady"]) == 0
        out = capsys.readouterr().out
        assert "Belady's anomaly shows" in out and "(10 > 9)" in out

    def test_belady_json(self, capsys: pytest.CaptureFixture[str]) -> None:
        trace = ",".join(map(str, BELADY))
        assert main(["policy", "--frames", "3", "--trace", trace, "--belady", "--json"]) == 0
        obj = json.loads(capsys.readouterr().out)
        assert obj == {
            "kind": "belady",
            "policy": "FIFO",
            "frames": [3, 4],
            "misses": [9, 10],
            "anomaly": True,
        }

    def test_json(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert (
            main(["policy", "--policy", "LRU", "--frames", "2", "--trace", "1,2,1,3", "--json"])
            == 0
        )
        lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
        assert len(lines) == 5
        assert lines[2] == {
            "kind": "access",
            "n": 3,
            "page": 1,
            "hit": True,
            "victim": None,
            "frames": [1, 2],
            "order": [2, 1],
        }
        assert lines[3]["victim"] == 2
        assert lines[-1] == {
            "kind": "totals",
            "policy": "LRU",
            "frames": 2,
            "accesses": 4,
            "hits": 1,
            "misses": 3,
            "hit_ratio": 0.25,
        }

    def test_hide_shows_no_answers(self, capsys: pytest.CaptureFixture[str]) -> None:
        argv = [
            "policy",
            "--policy",
            "FIFO",
            "--frames",
            "3",
            "--seed",
            "4",
            "--random-trace",
            "10",
            "--pages",
            "5",
        ]
        assert main([*argv, "--hide"]) == 0
        hidden = capsys.readouterr().out
        assert "hit/miss?" in hidden and "miss " not in hidden and "hits: ____" in hidden
        assert main(argv) == 0
        solved = capsys.readouterr().out
        # The same trace in both: the seed fixes it.
        trace_line = next(line for line in solved.splitlines() if line.startswith("trace:"))
        assert trace_line in hidden

    def test_hide_json_has_no_answers(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["policy", "--policy", "LRU", "--trace", "1,2", "--hide", "--json"]) == 0
        lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
        assert lines[0] == {"kind": "access", "n": 1, "page": 1}
        assert "misses" not in lines[-1]

    @pytest.mark.parametrize(
        ("argv", "needle"),
        [
            (["--policy", "FIFO", "--trace", "1,x"], "'x'"),
            (["--policy", "FIFO", "--trace", "1,,2"], "''"),
            (["--policy", "FIFO", "--frames", "0", "--trace", "1"], "--frames must be at least 1"),
            (["--policy", "FIFO", "--frames", "three", "--trace", "1"], "'three'"),
            (["--policy", "ARC", "--trace", "1"], "'ARC'"),
            (["--policy", "LRU"], "give a trace"),
            (["--trace", "1,2"], "--policy"),
            (["--policy", "LRU", "--random-trace", "5", "--pages", "0"], "--pages"),
            (["--policy", "LRU", "--trace", "1", "--random-trace", "3"], "not both"),
        ],
    )
    def test_bad_input_exits_2_with_one_line(
        self, argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert main(["policy", *argv]) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        lines = captured.err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("vmtui policy: ")
        assert needle in lines[0]
        assert "Traceback" not in captured.err


def test_engine_imports_no_ui() -> None:
    """The replacement engine stays pure Python: no textual, no rich."""
    import ast
    from pathlib import Path

    import vmtui.engine.replacement as mod

    tree = ast.parse(Path(mod.__file__).read_text())
    names = {
        a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    names |= {
        (n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
    }
    assert not names & {"textual", "rich"}
