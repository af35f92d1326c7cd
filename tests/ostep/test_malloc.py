"""The free-list exercise end to end through the CLI, every list worked out by hand
(OSTEP 17 and malloc.py's rules: split from the front, BEST/WORST keep the first of
equal sizes, coalescing merges list neighbours whose addresses touch)."""

from __future__ import annotations

import pytest

from tests.ostep.conftest import js, run

# +10 +10 +10 leave [1030 70]; ptr0 = 1000, ptr1 = 1010, ptr2 = 1020. Then free 0, 1, 2.
COALESCE = {
    # order: (list after -1, list after -2)
    "ADDRSORT": ([[1000, 20], [1030, 70]], [[1000, 100]]),
    "SIZESORT+": ([[1000, 20], [1030, 70]], [[1020, 10], [1000, 20], [1030, 70]]),
    "SIZESORT-": ([[1030, 70], [1000, 20]], [[1030, 70], [1000, 30]]),
    "INSERT-FRONT": ([[1010, 10], [1000, 10], [1030, 70]],
                     [[1020, 10], [1010, 10], [1000, 10], [1030, 70]]),
    "INSERT-BACK": ([[1030, 70], [1000, 20]], [[1030, 70], [1000, 30]]),
}


@pytest.mark.parametrize("order", sorted(COALESCE))
def test_coalescing_in_each_list_order(capsys, order):
    objs = js(capsys, "ostep", "malloc", "-A", "+10,+10,+10,-0,-1,-2", "-p", "FIRST", "-l",
              order, "-C", "-c")
    ops = [o for o in objs if o["kind"] in ("alloc", "free")]
    assert [o.get("returned") for o in ops] == [1000, 1010, 1020, 0, 0, 0]
    assert (ops[4]["free_list"], ops[5]["free_list"]) == COALESCE[order]
    native = js(capsys, "malloc", "--ops", "+10,+10,+10,-0,-1,-2", "--policy", "first",
                "--order", order, "--coalesce")
    assert [o["free_list"] for o in native[-2:]] == list(COALESCE[order])


def test_no_coalescing_keeps_the_pieces(capsys):
    objs = js(capsys, "ostep", "malloc", "-A", "+10,+10,+10,-0,-1,-2", "-c")
    assert objs[-1]["free_list"] == [[1000, 10], [1010, 10], [1020, 10], [1030, 70]]


@pytest.mark.parametrize(("policy", "returned", "searched", "after"), [
    ("BEST", 1000, 3, [[1030, 10], [1070, 30]]),
    ("WORST", 1070, 3, [[1000, 10], [1030, 10], [1080, 20]]),
    ("FIRST", 1000, 1, [[1030, 10], [1070, 30]]),
])
def test_policies_pick_their_chunk(capsys, policy, returned, searched, after):
    # +10 +20 +10 +30 then free ptr0 (1000, 10) and ptr2 (1030, 10): [1000 10][1030 10][1070 30]
    objs = js(capsys, "ostep", "malloc", "-A", "+10,+20,+10,+30,-0,-2,+10", "-p", policy, "-c")
    last = objs[-1]
    assert (last["returned"], last["searched"], last["free_list"]) == (returned, searched, after)


def test_header_and_alignment(capsys):
    # 5 rounds up to 8, plus a 4-byte header: a 12-byte chunk at 1000.
    objs = js(capsys, "ostep", "malloc", "-A", "+5", "-H", "4", "-a", "8", "-c")
    (a,) = [o for o in objs if o["kind"] == "alloc"]
    assert (a["size"], a["block"], a["returned"], a["free_list"]) == (12, 1000, 1000, [[1012, 88]])
    # vmtui malloc returns the address after the header
    (n,) = [o for o in js(capsys, "malloc", "--ops", "+5", "--header", "4", "--align", "8")
            if o["kind"] == "alloc"]
    assert (n["block"], n["returned"]) == (1000, 1004)


def test_a_failed_alloc_and_the_textbook_skip(capsys):
    objs = js(capsys, "ostep", "malloc", "-A", "+200,-0,+5", "-c")
    ops = [o for o in objs if o["kind"] in ("alloc", "free")]
    assert (ops[0]["returned"], ops[0]["block"], ops[0]["searched"]) == (-1, None, 1)
    assert ops[1] == {"kind": "free", "ptr_index": 0, "returned": None, "skipped": True}
    assert ops[2]["returned"] == 1000


def test_double_free_returns_minus_one(capsys):
    objs = js(capsys, "ostep", "malloc", "-A", "+5,-0,-0", "-c")
    assert [o["returned"] for o in objs if o["kind"] == "free"] == [0, -1]


def test_random_ops_use_up_the_heap(capsys):
    """-P 100 allocates at every step; -r 1 makes every request 1 byte."""
    objs = js(capsys, "ostep", "malloc", "-P", "100", "-r", "1", "-n", "3", "-c")
    ops = [o for o in objs if o["kind"] == "alloc"]
    assert [(o["request"], o["returned"]) for o in ops] == [(1, 1000), (1, 1001), (1, 1002)]
    assert ops[-1]["free_list"] == [[1003, 97]]


@pytest.mark.parametrize(("argv", "needle"), [
    (["-A", "+5,+200,+5,-1"], "ptr[1] is not a pointer: its Alloc failed"),
    (["-A", "+5,x"], "operation 2: 'x' is not +SIZE"),
    (["-A", "+5,"], "operation 2: '' is not +SIZE"),
    (["-p", "NEXT"], "unknown policy 'NEXT'"),
    (["-l", "RANDOM"], "unknown list order 'RANDOM'"),
    (["-a", "0"], "alignment is -1 (none) or at least 1"),
    (["-P", "0"], "-P must be more than 0"),
])
def test_bad_input(capsys, argv, needle):
    code, out, err = run(capsys, "ostep", "malloc", *argv)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("vmtui ostep malloc: ") and needle in err


def test_native_bad_free(capsys):
    code, _, err = run(capsys, "malloc", "--ops", "+5,-3")
    assert code == 2 and "there is no ptr[3] yet (1 allocation so far)" in err
