"""`show frames`: one glyph per physical frame, by owner (the frame map's text form).

Expected counts are hand computations: a 40 KiB write is 10 first-touch faults,
one new frame each; fork shares every frame the parent maps until a write copies it.
"""

from __future__ import annotations

import re

from tests.conftest import run_json
from vmtui.cli import main


def _map_rows(text: str) -> list[str]:
    """The glyph rows of a `show frames` text (the folded rows left out)."""
    rows = []
    for line in text.splitlines():
        m = re.fullmatch(r"\s+0x[0-9a-f]+ (\S+)", line)
        if m:
            rows.append(m.group(1))
    return rows


def _count(text: str, glyph: str) -> int:
    return sum(r.count(glyph) for r in _map_rows(text))


def _summary(text: str) -> dict[str, int]:
    """The `frames:` line of every span, summed: owner name -> frames."""
    out: dict[str, int] = {}
    for line in text.splitlines():
        if line.strip().startswith("frames: "):
            for part in line.strip()[len("frames: "):].split(" · "):
                name, n = part.rsplit(" ", 1)
                out[name] = out.get(name, 0) + int(n.replace(",", ""))
    return out


def test_forty_k_written_are_ten_new_frames_of_pid_1(capsys):
    steps = run_json(capsys, "show frames; a = mmap 40K rw private,anon; write a 40K = 1; "
                     "show frames")
    before, after = steps[0]["result"]["text"], steps[3]["result"]["text"]
    assert _count(after, "1") - _count(before, "1") == 10
    assert _summary(after)["pid 1 (demo)"] - _summary(before)["pid 1 (demo)"] == 10
    # every frame is drawn once: the spans add up to the machine's 256 MiB
    assert sum(_summary(after).values()) == 256 * 256
    # the mapping lies outside the 2 MiB the stack's PTE table covers: one new PTE table
    assert _summary(after)["page table"] - _summary(before)["page table"] == 1
    assert "legend: 1 pid 1 (demo)" in after


def test_the_acceptance_command_line(capsys):
    code = main(["run", "-c", "a = mmap 40K rw private,anon; write a 40K = 1; show frames"])
    out = capsys.readouterr().out
    assert code == 0
    shown = out[out.index("step 3"):]
    assert _count(shown, "1") == _summary(shown)["pid 1 (demo)"]
    assert _summary(shown)["pid 1 (demo)"] >= 10


def test_fork_shares_then_copy_on_write_gives_the_child_its_own(capsys):
    steps = run_json(capsys, "a = mmap 40K rw private,anon; write a 40K = 5; show frames; "
                     "child = fork; show frames; switch child; write a 40K = 9; show frames")
    parent_only = steps[2]["result"]["text"]
    forked = steps[4]["result"]["text"]
    written = steps[7]["result"]["text"]
    mine = _count(parent_only, "1")
    assert mine >= 10
    # after fork every frame the parent mapped is mapped by both: shared, none its own
    assert _count(forked, "1") == 0 and _count(forked, "2") == 0
    assert _count(forked, "+") == mine
    # the child's 10 writes copy the 10 pages: 10 frames of its own; the parent's 10
    # originals are its own again
    assert _count(written, "2") == 10
    assert _count(written, "1") == 10
    assert _count(written, "+") == mine - 10


def test_a_pfn_range_shows_exactly_its_frames(capsys):
    steps = run_json(capsys, "show frames 0-64; show frames 0x40-0x48")
    rows = _map_rows(steps[0]["result"]["text"])
    assert len(rows) == 1 and len(rows[0]) == 64
    assert rows[0][0] == "R"  # pfn 0: the BIOS page, reserved at boot
    rows = _map_rows(steps[1]["result"]["text"])
    assert rows == ["........"]


def test_a_node_and_a_zone(capsys):
    steps = run_json(capsys, "show frames 1; show frames node0; show frames DMA", nodes=2,
                     ram="256M")
    node1, node0, dma = (s["result"]["text"] for s in steps)
    heads = [ln for ln in node1.splitlines() if ln.startswith("node ")]
    assert heads and all(h.startswith("node 1 ") for h in heads)
    assert all(h.startswith("node 0 ") for h in node0.splitlines() if h.startswith("node "))
    assert [ln.split(":")[0] for ln in dma.splitlines() if ln.startswith("node ")] == \
        ["node 0 DMA"]
    # 256 MiB over two nodes: 128 MiB each, 32,768 frames
    assert sum(_summary(node1).values()) == 32768


def test_bad_specs_are_clear_messages(capsys):
    assert main(["run", "-c", "show frames foo"]) == 2
    err = capsys.readouterr().err
    assert "-c:1:13:" in err and "expected a node" in err
    steps = run_json(capsys, "show frames 7; show frames 0x10-0x1000000; show frames Movable")
    assert [s["result"]["errno"] for s in steps] == ["EINVAL", "EINVAL", "EINVAL"]
    assert "no node 7" in steps[0]["result"].get("text", "") + str(steps[0]["events"])
