"""`vmtui diff SCENARIO A B`: what changed between two steps, by process.

Expected figures are counted by hand from the scenarios' steps (fork-cow.toml,
munmap-mprotect.toml): the child writes 40 KiB = 10 pages after fork, so copy on
write gives it 10 frames; mprotect of one middle page splits one VMA into three.
"""

from __future__ import annotations

import re

from vmtui.cli import main


def _diff(capsys, *argv: str) -> str:
    assert main(["diff", *argv]) == 0
    return capsys.readouterr().out


def _section(out: str, title: str) -> list[str]:
    lines = out.splitlines()
    i = next(k for k, ln in enumerate(lines) if ln.startswith(title))
    body = []
    for ln in lines[i + 1:]:
        if not ln.startswith(" "):
            break
        body.append(ln)
    return body


def test_fork_cow_lists_the_childs_copies(capsys):
    out = _diff(capsys, "fork-cow", "1", "6")
    assert "+ pid 2 (demo) started" in _section(out, "processes")[0]
    frames = _section(out, "frames (by owner)")
    assert "  pid 2 (demo): 0 -> 10 (+10)" in frames
    moves = [ln.strip() for ln in frames if "-> pid 2 (demo):" in ln]
    assert len(moves) == 1 and moves[0].startswith("free -> pid 2 (demo): 10 frames 0x")
    # the ten copies are ten distinct frames, named by their pfn ranges
    rng = moves[0].split("frames ", 1)[1]
    count = 0
    for part in rng.split(", "):
        a, _, b = part.partition("-")
        count += (int(b, 16) - int(a, 16) + 1) if b else 1
    assert count == 10
    # the child's PTEs for the 10 pages point at those frames; the parent's lost RW
    ptes = _section(out, "PTEs (by process)")
    assert any(re.match(r"  pid 1 \(demo\): \d+ PTEs changed: \d+ write-protected", ln)
               for ln in ptes)


def test_fork_cow_step_by_step(capsys):
    # step 5 -> 6 alone: the child's 10 PTEs get new frames (the copies), RW again
    out = _diff(capsys, "fork-cow", "5", "6", "--show", "0")
    assert "  pid 2 (demo): 10 PTEs changed: 10 new frame (copy)" in \
        _section(out, "PTEs (by process)")
    frames = _section(out, "frames (by owner)")
    # the 10 originals were shared; now only the parent maps them
    assert any(ln.strip().startswith("shared by several processes -> pid 1 (demo): 10 frames")
               for ln in frames)
    assert "  pgfault                  +10" in _section(out, "counters")


def test_vma_split_merge_and_munmap(capsys):
    out = _diff(capsys, "munmap-mprotect", "2", "3")
    vmas = _section(out, "VMAs")
    assert vmas[1].strip().startswith("split")
    assert vmas[2].count("-p") == 3  # one VMA became three
    assert "r--p" in vmas[2]
    out = _diff(capsys, "munmap-mprotect", "3", "6")
    vmas = _section(out, "VMAs")
    assert vmas[1].strip().startswith("merged") and vmas[1].count("-p") == 3
    out = _diff(capsys, "munmap-mprotect", "6", "7")  # munmap x+16K 8K: 2 written pages
    assert "  pid 1 (demo): 2 PTEs changed: 2 cleared" in _section(out, "PTEs (by process)")
    assert any(ln.strip().startswith("pid 1 (demo) -> free: 2 frames")
               for ln in _section(out, "frames (by owner)"))


def test_the_same_step_twice_changes_nothing(capsys):
    out = _diff(capsys, "fork-cow", "4", "4")
    for title in ("VMAs", "PTEs (by process)", "frames (by owner)", "swap slots",
                  "counters"):
        assert _section(out, title) == ["  no change"]


def test_swap_slots(capsys):
    # swap.toml step 10 unmaps the 40M that reclaim had partly pushed to swap: every slot
    # it held is freed, and every one of its 10,240 PTEs (40M / 4K) is cleared
    out = _diff(capsys, "swap", "9", "10")
    slots = _section(out, "swap slots")
    m = re.match(r"  - ([\d,]+) slots? freed", slots[0])
    assert m
    assert "  pid 1 (demo): 10,240 PTEs changed: 10,240 cleared" in \
        _section(out, "PTEs (by process)")
    assert _section(out, "VMAs")[1].strip().startswith("removed")


def test_bad_steps(capsys):
    assert main(["diff", "fork-cow", "1", "99"]) == 2
    assert "step B 99 is outside 0..11" in capsys.readouterr().err
    assert main(["diff", "fork-cow", "x", "2"]) == 2
    assert "expected a step number" in capsys.readouterr().err
    assert main(["diff", "no-such-scenario", "1", "2"]) == 2
