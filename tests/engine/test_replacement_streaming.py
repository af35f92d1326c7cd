"""`vmtui policy` on traces of any length: streaming, O(frames) state, `--trace-file`, `-q`.

Expected values come from the textbook (OSTEP chapter 22's figures, worked by
hand below) and from the definitions of the policies (a naive OPT written here),
not from the engine.
"""

from __future__ import annotations

import random
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vmtui.cli import main
from vmtui.engine.replacement import (
    POLICIES,
    Options,
    count_hits,
    iterate,
    random_trace,
    simulate,
    steps,
)

OSTEP22 = (0, 1, 2, 0, 1, 3, 0, 3, 1, 2, 1)
"""OSTEP chapter 22's example stream (figures 22.1, 22.2 and 22.5), 3 frames."""

# Worked by hand, as the chapter's figures print them: (hit?, victim) per access.
M, H = (False, None), (True, None)
OSTEP22_BY_HAND = {
    # 22.1, the optimal policy: 3 evicts 2 (used farthest away); at the last 2, pages 0
    # and 3 are never used again and the figure evicts 3 (the textbook's tie rule).
    "OPT": [M, M, M, H, H, (False, 2), H, H, H, (False, 3), H],
    # 22.2, FIFO: 3 evicts 0, 0 evicts 1, 1 evicts 2, 2 evicts 3.
    "FIFO": [M, M, M, H, H, (False, 0), (False, 1), H, (False, 2), (False, 3), H],
    # 22.5, LRU: 3 evicts 2 (LRU order 2,0,1), 2 evicts 0 (LRU order 0,3,1).
    "LRU": [M, M, M, H, H, (False, 2), H, H, H, (False, 0), H],
}
OSTEP22_HITS = {"OPT": 6, "FIFO": 4, "LRU": 6}


def _write(path: Path, pages: object) -> Path:
    path.write_text("".join(f"{p}\n" for p in pages))  # type: ignore[attr-defined]
    return path


class TestOstepChapter22:
    @pytest.mark.parametrize("policy", ["OPT", "FIFO", "LRU"])
    def test_hits_and_victims_as_the_figures(self, policy: str) -> None:
        opts = Options(ties="ostep")
        got = [(a.hit, a.victim) for a in iterate(policy, 3, OSTEP22, opts)]
        assert got == OSTEP22_BY_HAND[policy]
        assert [(s.hit, s.victim) for s in steps(policy, 3, iter(OSTEP22), opts)] == got
        assert count_hits(policy, 3, OSTEP22) == (OSTEP22_HITS[policy], 11)

    @pytest.mark.parametrize("policy", ["OPT", "FIFO", "LRU"])
    def test_trace_file_quiet(self, policy: str, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
        path = _write(tmp_path / "ostep22.txt", OSTEP22)
        assert main(["policy", "--policy", policy, "--frames", "3", "--trace-file", str(path),
                     "-q"]) == 0
        out = capsys.readouterr().out
        hits = OSTEP22_HITS[policy]
        assert out.splitlines()[0] == f"{policy}, 3 frames, 11 accesses"
        assert f"from:  --trace-file {path}" in out
        assert out.splitlines()[-1].startswith(f"hits: {hits}  misses: {11 - hits}  ")
        assert "frames" not in out.split("\n\n", 1)[1]  # no rows


class TestStreaming:
    """The engine reads one page per access and keeps O(frames) state, by structure."""

    N = 200_000
    FRAMES = 64

    @pytest.mark.parametrize("policy", [p for p in POLICIES if p not in ("OPT", "UNOPT")])
    def test_reads_one_page_per_access_and_holds_only_frames(self, policy: str) -> None:
        consumed = 0

        def pages() -> Iterator[int]:
            nonlocal consumed
            rng = random.Random(7)
            for _ in range(self.N):
                consumed += 1
                yield rng.randrange(4 * self.FRAMES)

        gen = steps(policy, self.FRAMES, pages(), Options(rng=random.Random(1)))
        n = 0
        for s in gen:
            # nothing read ahead: the trace is never held, whatever its length
            assert consumed == s.index + 1
            if s.index % 20_000 == 0:
                sim = gen.gi_frame.f_locals["sim"]  # type: ignore[attr-defined]
                assert sim.state_size() <= 8 * self.FRAMES
                assert not sim.trace
            n += 1
        assert n == self.N

    def test_every_access_record_is_let_go(self) -> None:
        """A detailed record (the frames after the access) is not kept by the generator."""
        import sys

        gen = iterate("LRU", 8, iter(range(1000)))
        for _ in range(3):
            a = next(gen)
            assert sys.getrefcount(a) == 2  # `a` and getrefcount's argument: no one else

    @pytest.mark.parametrize("policy", ["FIFO", "LRU"])
    def test_memory_does_not_grow_with_the_trace(self, policy: str) -> None:
        def peak(n: int) -> int:
            tracemalloc.start()
            try:
                hits, seen = count_hits(policy, self.FRAMES,
                                        (i * 7919 % 1000 for i in range(n)))
                assert seen == n
                return tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()

        small, large = peak(self.N // 10), peak(self.N)
        assert large < small + 32 * 1024

    def test_opt_and_unopt_hold_the_trace_compactly(self) -> None:
        """OPT needs the future: the trace and one 8-byte next use per access, no more."""
        gen = steps("OPT", 4, iter(range(1000)))
        next(gen)
        sim = gen.gi_frame.f_locals["sim"]  # type: ignore[attr-defined]
        assert len(sim.trace) == 1000 and sim.nxt.itemsize == 8 and len(sim.nxt) == 1000


def _naive_opt(frames: int, trace: list[int], unopt: bool,
               ties: str) -> list[tuple[bool, int | None]]:
    """Belady's MIN (or its mirror) by the definition: scan the future at every miss."""
    slots: list[int] = []  # frame slots in order; a victim's slot takes the new page
    loaded: list[int] = []  # load order
    out: list[tuple[bool, int | None]] = []
    for i, page in enumerate(trace):
        if page in slots:
            out.append((True, None))
            continue
        victim = None
        if len(slots) < frames:
            slots.append(page)
        else:
            def nxt(p: int, i: int = i) -> int:
                rest = trace[i + 1:]
                return i + 1 + rest.index(p) if p in rest else len(trace)

            order = loaded if ties == "ostep" else slots
            if unopt:
                best = min(nxt(p) for p in order)
                victim = next(p for p in order if nxt(p) == best)
            else:
                best = max(nxt(p) for p in order)
                cands = [p for p in order if nxt(p) == best]
                victim = cands[-1] if ties == "ostep" else cands[0]
            slots[slots.index(victim)] = page
            loaded.remove(victim)
        loaded.append(page)
        out.append((False, victim))
    return out


@settings(max_examples=150, deadline=None)
@given(trace=st.lists(st.integers(0, 9), max_size=60), frames=st.integers(1, 6),
       unopt=st.booleans(), ties=st.sampled_from(["slot", "ostep"]))
def test_opt_heap_agrees_with_the_definition(trace: list[int], frames: int, unopt: bool,
                                             ties: str) -> None:
    name = "UNOPT" if unopt else "OPT"
    got = [(s.hit, s.victim) for s in steps(name, frames, trace, Options(ties=ties))]
    assert got == _naive_opt(frames, trace, unopt, ties)


@settings(max_examples=100, deadline=None)
@given(trace=st.lists(st.integers(0, 12), max_size=80), frames=st.integers(1, 7),
       seed=st.integers(0, 50), clock=st.sampled_from(["hand", "probe"]),
       bits=st.integers(0, 3), ties=st.sampled_from(["slot", "ostep"]))
def test_steps_match_the_detailed_records(trace: list[int], frames: int, seed: int, clock: str,
                                          bits: int, ties: str) -> None:
    for policy in POLICIES:
        def opts() -> Options:
            return Options(ties=ties, clock=clock, clockbits=bits, rng=random.Random(seed))

        full = [(a.index, a.page, a.hit, a.victim, a.slot)
                for a in iterate(policy, frames, trace, opts())]
        light = [(s.index, s.page, s.hit, s.victim, s.slot)
                 for s in steps(policy, frames, iter(trace), opts())]
        assert light == full
        # the frames the records show follow from the victims and slots alone
        slots: list[int | None] = [None] * frames
        for a in iterate(policy, frames, trace, opts()):
            slots[a.slot] = a.page
            assert a.frames == tuple(slots)


class TestTraceFile:
    def test_same_rows_as_trace(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        trace = random_trace(3, 300, 9)
        path = tmp_path / "t.txt"
        # one page a line, several a line, blank lines, comments, CRLF and spaces
        lines = [",".join(map(str, trace[k:k + 7])) for k in range(0, 300, 7)]
        path.write_bytes(("# a trace\r\n\n" + "\r\n".join(f" {ln} # row" for ln in lines[:10])
                          + "\n" + "\n".join(lines[10:]) + "\n").encode())
        for policy in [*POLICIES, "all"]:
            argv = ["policy", "--policy", policy, "--frames", "4"]
            assert main([*argv, "--trace", ",".join(map(str, trace))]) == 0
            listed = capsys.readouterr().out
            assert main([*argv, "--trace-file", str(path)]) == 0
            filed = capsys.readouterr().out
            # the header names the file instead of listing the pages; the rest is the same
            assert filed.replace(f"from:  --trace-file {path}\n", "") == "\n".join(
                ln for ln in listed.split("\n") if not ln.startswith("trace:"))

    def test_json_streams_one_object_per_access(self, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
        import json

        path = _write(tmp_path / "t.txt", OSTEP22)
        assert main(["policy", "--policy", "FIFO", "--frames", "3", "--trace-file", str(path),
                     "--json"]) == 0
        objs = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
        assert [o["hit"] for o in objs[:-1]] == [h for h, _ in OSTEP22_BY_HAND["FIFO"]]
        assert objs[-1] == {"kind": "totals", "policy": "FIFO", "frames": 3, "accesses": 11,
                            "hits": 4, "misses": 7, "hit_ratio": 0.363636}
        assert main(["policy", "--policy", "FIFO", "--frames", "3", "--trace-file", str(path),
                     "--json", "-q"]) == 0
        assert [json.loads(x) for x in capsys.readouterr().out.splitlines()] == [objs[-1]]

    def test_quiet_lists_no_pages(self, capsys: pytest.CaptureFixture[str]) -> None:
        argv = ["policy", "--policy", "FIFO", "--frames", "3", "--seed", "2",
                "--random-trace", "50", "--pages", "6", "-q"]
        assert main(argv) == 0
        quiet = capsys.readouterr().out
        assert main(argv[:-1]) == 0
        full = capsys.readouterr().out
        assert "trace:" not in quiet and "trace:" in full
        assert "from:  --seed 2 --random-trace 50 --pages 6" in quiet
        assert quiet.splitlines()[-1] == full.splitlines()[-1]  # the same totals

    def test_quiet_all(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        path = _write(tmp_path / "t.txt", OSTEP22)
        assert main(["policy", "--policy", "all", "--frames", "3", "--trace-file", str(path),
                     "-q"]) == 0
        out = capsys.readouterr().out
        rows = {ln.split()[0]: ln.split()[1] for ln in out.splitlines()
                if ln.split() and ln.split()[0] in POLICIES and ln.split()[1].isdigit()}
        assert {k: int(rows[k]) for k in OSTEP22_HITS} == OSTEP22_HITS
        assert "[" not in out  # no per-access tables

    def test_memory_stays_flat_for_a_long_file(self, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
        """The CLI's table streams: its peak does not grow with the file."""
        import io
        import sys

        class Sink(io.TextIOBase):
            def write(self, s: str) -> int:
                return len(s)

        def peak(n: int, *extra: str) -> int:
            path = _write(tmp_path / f"t{n}.txt", (i * 31 % 17 for i in range(n)))
            monkeypatch.setattr(sys, "stdout", Sink())
            tracemalloc.start()
            try:
                assert main(["policy", "--policy", "LRU", "--frames", "4", "--trace-file",
                             str(path), *extra]) == 0
                return tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
                monkeypatch.undo()

        assert peak(20_000) < peak(2_000) + 64 * 1024
        assert peak(100_000, "-q") < peak(10_000, "-q") + 64 * 1024

    @pytest.mark.parametrize(
        ("content", "needle"),
        [
            (b"1\n2\nx\n", "t.txt:3:1: bad page 'x'"),
            (b"1,2\n# note\n\n3,  4,5,-1\n", "t.txt:4:9: bad page '-1'"),
            (b"1,,2\n", "t.txt:1:3: bad page ''"),
            (b"1\n2\n\xff\xfe\n", "t.txt:3: not UTF-8 text"),
            (b"", "t.txt: no pages in the file"),
            (b"# only a comment\n\n", "t.txt: no pages in the file"),
            (b"0x10\n", "t.txt:1:1: bad page '0x10'"),
        ],
    )
    def test_bad_file_names_file_and_line(self, content: bytes, needle: str, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
        (tmp_path / "t.txt").write_bytes(content)
        monkeypatch.chdir(tmp_path)
        assert main(["policy", "--policy", "FIFO", "--trace-file", "t.txt"]) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        lines = captured.err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("vmtui policy: "), captured.err
        assert needle in lines[0]
        assert "Traceback" not in captured.err

    @pytest.mark.parametrize(
        ("argv", "needle"),
        [
            (["--trace-file", "nosuch.txt"], "cannot read --trace-file nosuch.txt: No such file"),
            (["--trace-file", "."], "cannot read --trace-file .: Is a directory"),
            (["--trace-file", "t.txt", "--trace", "1"], "give --trace or --trace-file, not both"),
            (["--trace-file", "t.txt", "--trace", "1", "--random-trace", "3"], "only one"),
            (["--trace", "1", "-q", "--hide"], "-q prints only the totals"),
        ],
    )
    def test_bad_arguments(self, argv: list[str], needle: str, tmp_path: Path,
                           capsys: pytest.CaptureFixture[str],
                           monkeypatch: pytest.MonkeyPatch) -> None:
        (tmp_path / "t.txt").write_text("1\n")
        monkeypatch.chdir(tmp_path)
        assert main(["policy", "--policy", "LRU", *argv]) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err.count("\n") == 1 and needle in captured.err
        assert "Traceback" not in captured.err


def test_simulate_accepts_a_generator() -> None:
    """`simulate()` still holds every record (it is the whole-result API)."""
    r = simulate("FIFO", 3, (p for p in OSTEP22))
    assert r.hits == 4 and len(r.accesses) == 11 and r.trace == OSTEP22


def test_a_negative_page_in_a_generator_raises_when_reached() -> None:
    gen = steps("LRU", 2, iter([1, 2, -3]))
    assert [s.page for s in (next(gen), next(gen))] == [1, 2]
    with pytest.raises(ValueError, match="page numbers are >= 0"):
        next(gen)
