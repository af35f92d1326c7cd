"""paging-policy through `vmtui ostep` and the new `vmtui policy` options, values by hand.

Every expected value below is worked out from the textbook's rules (OSTEP ch. 22
and its paging-policy.py): the memory list is load order (LRU/MRU move a hit
page to the end), OPT keeps the last of equal "next use" maxima, UNOPT the first
strict minimum, CLOCK probes with counters that start at 1 and grow by one per
hit up to 2^0.. the -b cap.
"""

from __future__ import annotations

import io
import sys
import tracemalloc

import pytest

from tests.ostep.conftest import js, run
from vmtui.cli import main

BELADY = "1,2,3,4,1,2,5,1,2,3,4,5"


def test_fifo_belady_string_three_frames(capsys):
    code, out, _ = run(capsys, "ostep", "paging-policy", "-a", BELADY, "-p", "FIFO", "-C", "3",
                       "-c")
    assert code == 0
    assert "hits: 3  misses: 9" in out
    objs = js(capsys, "ostep", "paging-policy", "-a", BELADY, "-p", "FIFO", "-C", "3", "-c")
    assert [o["victim"] for o in objs[:-1]] == [None, None, None, 1, 2, 3, 4, None, None, 1, 2,
                                                 None]
    assert objs[6]["memory"] == [1, 2, 5]
    assert objs[-1] == {"kind": "totals", "policy": "FIFO", "cachesize": 3, "accesses": 12,
                        "hits": 3, "misses": 9, "hit_rate": 25.0}


def test_questions_hide_the_answers(capsys):
    code, out, _ = run(capsys, "ostep", "paging-policy.py", "-a", "1,2,1", "-C", "1")
    assert code == 0
    assert "1. access page 1 -> ?" in out and "-> miss" not in out and "hits:" not in out
    objs = js(capsys, "ostep", "paging-policy", "-a", "1,2,1", "-C", "1")
    assert objs == [{"kind": "access", "n": 1, "page": 1}, {"kind": "access", "n": 2, "page": 2},
                    {"kind": "access", "n": 3, "page": 1}]


def test_notrace_prints_totals_only(capsys):
    code, out, _ = run(capsys, "ostep", "paging-policy", "-a", BELADY, "-C", "4", "-c", "-N")
    assert code == 0
    assert "access page" not in out
    assert "hits: 2  misses: 10" in out  # FIFO, 4 frames: Belady's anomaly


def test_policy_all_prints_every_table(capsys):
    code, out, _ = run(capsys, "policy", "--policy", "all", "--frames", "3", "--trace", BELADY)
    assert code == 0
    for name in ("FIFO", "LRU", "OPT", "UNOPT", "MRU", "RAND", "CLOCK", "LINUX"):
        head = f"{name}, 3 frames, 12 accesses\n"
        assert head in out
        table = out.split(head, 1)[1].split("hits:", 1)[0]
        rows = [ln for ln in table.splitlines() if ln[:2].strip().isdigit()]
        assert len(rows) == 12, name
    fifo = out.split("FIFO, 3 frames", 1)[1].split("hits:", 1)[0]
    victims = [ln.split()[3] for ln in fifo.splitlines() if ln[:2].strip().isdigit()]
    assert victims == ["-", "-", "-", "1", "2", "3", "4", "-", "-", "1", "2", "-"]
    # totals: FIFO 3/9, LRU 2/10, OPT 5/7 (Belady's MIN), UNOPT never hits here
    assert "FIFO         3       9" in out and "LRU          2      10" in out
    assert "OPT          5       7" in out and "UNOPT        0      12" in out


class TestTies:
    """A tie among pages never used again."""

    def test_opt_textbook_takes_the_page_loaded_last(self, capsys):
        objs = js(capsys, "ostep", "paging-policy", "-a", "1,2,3,4", "-p", "OPT", "-C", "3", "-c")
        assert objs[3]["victim"] == 3 and objs[3]["memory"] == [1, 2, 4]

    def test_opt_native_ties(self, capsys):
        slot = js(capsys, "policy", "--policy", "OPT", "--frames", "3", "--trace", "1,2,3,4")
        ostep = js(capsys, "policy", "--policy", "OPT", "--frames", "3", "--trace", "1,2,3,4",
                   "--ties", "ostep")
        assert slot[3]["victim"] == 1 and slot[3]["frames"] == [4, 2, 3]
        assert ostep[3]["victim"] == 3 and ostep[3]["frames"] == [1, 2, 4]

    def test_unopt_textbook_takes_the_page_loaded_first(self, capsys):
        # 2 frames, 1 2 3 1: at 3, page 1 is wanted next at #4, page 2 never: UNOPT evicts 1
        # (slot 0). Memory [2 3], slots [3 2]. At the last 1 both are never used again:
        # the textbook evicts 2 (loaded first), --ties slot evicts 3 (slot 0).
        objs = js(capsys, "ostep", "paging-policy", "-a", "1,2,3,1", "-p", "UNOPT", "-C", "2",
                  "-c")
        assert [o["victim"] for o in objs[:4]] == [None, None, 1, 2]
        assert objs[3]["memory"] == [3, 1]
        slot = js(capsys, "policy", "--policy", "UNOPT", "--frames", "2", "--trace", "1,2,3,1")
        assert [o["victim"] for o in slot[:4]] == [None, None, 1, 3]
        assert slot[3]["frames"] == [1, 2]
        ostep = js(capsys, "policy", "--policy", "unopt", "--frames", "2", "--trace", "1,2,3,1",
                   "--ties", "ostep")
        assert ostep[3]["victim"] == 2 and ostep[3]["order"] == [3, 1]


class TestClockBits:
    def test_probe_b0_a_hit_clears_the_counter(self, capsys):
        # One frame: the probe has one candidate. -b 0: load sets 1, the hit caps it at 0,
        # so the first probe finds 0.
        objs = js(capsys, "ostep", "paging-policy", "-a", "1,1,2", "-p", "CLOCK", "-C", "1",
                  "-b", "0", "-c")
        assert [o["counters"] for o in objs[:3]] == [{"1": 1}, {"1": 0}, {"2": 1}]
        assert objs[2]["victim"] == 1

    def test_probe_b1_passes_once(self, capsys):
        code, out, _ = run(capsys, "ostep", "paging-policy", "-a", "1,1,2", "-p", "CLOCK", "-C",
                           "1", "-b", "1", "-c")
        assert code == 0
        assert "probed 1(0) 1: victim" in out  # counter 1 -> 0, then the victim
        objs = js(capsys, "ostep", "paging-policy", "-a", "1,1,2", "-p", "CLOCK", "-C", "1",
                  "-b", "1", "-c")
        assert [o["counters"] for o in objs[:2]] == [{"1": 1}, {"1": 1}]

    def test_hand_b1_full_sweep_is_fifo(self, capsys):
        objs = js(capsys, "policy", "--policy", "CLOCK", "--frames", "3", "--trace",
                  "1,2,3,2,4", "--clockbits", "1")
        last = objs[4]
        assert (last["victim"], last["frames"], last["ref_bits"], last["hand"]) == \
            (1, [4, 2, 3], [1, 0, 0], 1)

    def test_hand_b0_a_hit_page_goes_first(self, capsys):
        # bits after the loads [1 1 1]; the hit on 2 caps slot 1 at 0; the hand passes
        # slot 0 (1 -> 0) and takes slot 1.
        objs = js(capsys, "policy", "--policy", "CLOCK", "--frames", "3", "--trace",
                  "1,2,3,2,4", "--clockbits", "0")
        last = objs[4]
        assert (last["victim"], last["frames"], last["ref_bits"], last["hand"]) == \
            (2, [1, 4, 3], [0, 1, 1], 2)

    def test_hand_b2_counts_down(self, capsys):
        # 1 is hit twice: counter 2. The hand: slot0 2->1, slot1 1->0, slot2 1->0,
        # slot0 1->0, slot1 at 0: victim 2.
        objs = js(capsys, "policy", "--policy", "CLOCK", "--frames", "3", "--trace",
                  "1,2,3,1,1,4", "--clockbits", "2")
        last = objs[5]
        assert (last["victim"], last["frames"], last["ref_bits"], last["hand"]) == \
            (2, [1, 4, 3], [0, 1, 0], 2)
        assert last["note"] == "second chance: cleared 1(1) 2 3 1"


def test_rand_one_frame_and_lru_hit_order(capsys):
    objs = js(capsys, "ostep", "paging-policy", "-a", "5,6,5", "-p", "RAND", "-C", "1", "-c")
    assert [o["victim"] for o in objs[:3]] == [None, 5, 6]
    objs = js(capsys, "ostep", "paging-policy", "-a", "1,2,1,3", "-p", "LRU", "-C", "2", "-c")
    assert objs[2]["memory"] == [2, 1] and objs[3]["victim"] == 2 and objs[3]["memory"] == [1, 3]


@pytest.mark.parametrize(("argv", "needle"), [
    (["-C", "0", "-c"], "-C (cache size) must be at least 1"),
    (["-p", "ARC"], "unknown policy 'ARC'"),
    (["-a", "1,x,2"], "'x' at position 2 of -a"),
    (["-a", "1,-3"], "page -3 at position 2"),
    (["-b", "-1", "-c"], "-b (clock bits) must be at least 0"),
    (["-n", "ten"], "-n wants a whole number, got 'ten'"),
    (["-f", "no-such-file.txt"], "-f no-such-file.txt: cannot read it"),
    (["-q"], "no such option: -q"),
    (["stray"], "unexpected argument 'stray'"),
])
def test_bad_flags_one_line(capsys, argv, needle):
    code, out, err = run(capsys, "ostep", "paging-policy", *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("vmtui ostep paging-policy: ")
    assert needle in err


def test_unknown_script(capsys):
    code, _, err = run(capsys, "ostep", "paging-lru")
    assert code == 2 and "unknown homework script 'paging-lru'" in err


def test_address_file(capsys, tmp_path):
    f = tmp_path / "trace.txt"
    f.write_text("1\n2\n1\n")
    objs = js(capsys, "ostep", "paging-policy", "-f", str(f), "-C", "1", "-c")
    assert [o["hit"] for o in objs[:3]] == [False, False, False]
    f.write_text("1\ntwo\n")
    code, _, err = run(capsys, "ostep", "paging-policy", "-f", str(f))
    assert code == 2 and "line 2: 'two' is not a page number" in err


class _Sink(io.TextIOBase):
    def __init__(self) -> None:
        self.lines = 0

    def write(self, s: str) -> int:
        self.lines += s.count("\n")
        return len(s)


@pytest.mark.parametrize("json_flag", [True, False])
def test_policy_streams_in_o_frames_memory(monkeypatch, json_flag):
    """Issue 17: 10,000 accesses with 64 frames. Keeping the two 64-entry tuples (frames,
    order) of every access would take 10,000 x 2 x (56 + 64 x 8) bytes = 11 MB; streaming
    keeps the trace and O(frames)."""
    sink = _Sink()
    monkeypatch.setattr(sys, "stdout", sink)
    tracemalloc.start()
    try:
        code = main(["policy", "--policy", "LRU", "--frames", "64", "--random-trace", "10000",
                     "--pages", "400", *(["--json"] if json_flag else [])])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert code == 0
    assert sink.lines >= 10_000
    assert peak < 4 * 1024 * 1024
