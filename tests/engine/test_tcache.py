"""glibc's tcache in the simulated malloc (glibc 2.31, the C library of Linux 5.4's
distributions): the per-thread cache set up by the first malloc, and the bins small frees
go to first (issue 19).

Line numbers are those of glibc 2.31 malloc/malloc.c:
- 2906-2910 `struct tcache_perthread_struct { uint16_t counts[TCACHE_MAX_BINS];
  tcache_entry *entries[TCACHE_MAX_BINS]; }` with TCACHE_MAX_BINS 64 (line 304): 128 + 512
  = 0x280 bytes; request2size (line 1196) makes that a 0x290 chunk.
- 3044 MAYBE_INIT_TCACHE() in __libc_malloc, before anything else: tcache_init() (2972-3001)
  _int_malloc()s the struct (2982) and memsets it (3001); it is the heap's first chunk.
- 3047-3051: a request whose bin (csize2tidx, line 311) has a chunk is tcache_get (2934-2941):
  the bin's head, i.e. the chunk freed last.
- 4183-4209 _int_free: a chunk whose bin index is below 64 (chunks up to 0x410 bytes,
  tidx2usize(63) = 1032-byte requests, line 308) goes to tcache_put (2918-2929) while the bin
  holds fewer than mp_.tcache_count = TCACHE_FILL_COUNT = 7 (lines 323, 1774); a chunk whose
  key field is the tcache and is on the bin's list is a double free (4193-4201):
  malloc_printerr("free(): double free detected in tcache 2"), i.e. abort().
- 2441 sysmalloc: the heap grows by nb + top_pad (128K) + MINSIZE, page-aligned.

The machine's glibc is 2.36, whose tcache_perthread_struct is the same (2.36 malloc.c
3132-3136, TCACHE_MAX_BINS 64, TCACHE_FILL_COUNT 7); tests/kernel_probes/malloc_tcache.c
printed tests/kernel_probes/malloc_tcache.out, which each test compares with.
"""

from __future__ import annotations

import re

from tests.conftest import PROBES, run_json

PROBE = (PROBES / "malloc_tcache.out").read_text()


def _offsets(steps: list[dict]) -> dict[str, int]:
    """name -> value - heap start, for every `NAME = ...` step with a value; step 1 must be
    `h = sbrk 0`."""
    h = int(steps[0]["result"]["value"], 16)
    out = {}
    for s in steps:
        m = re.match(r"(\w+) = ", s["do"])
        if m and s["result"].get("value"):
            out[m.group(1)] = int(s["result"]["value"], 16) - h
    return out


def _probe(pattern: str) -> tuple[str, ...]:
    m = re.search(pattern, PROBE)
    assert m, pattern
    return m.groups()


class TestTcacheInit:
    def test_first_malloc_comes_after_the_tcache_perthread_struct(self, capsys):
        """GIVEN a fresh process WHEN malloc(100) THEN it returns heap+0x2a0: the heap's first
        chunk, 0x290 bytes (counts[64] of 2 bytes + entries[64] of 8 = 0x280, + the header),
        is the tcache_perthread_struct; the 0x70 chunk of malloc(100) follows it.
        glibc 2.36 (probe): "first malloc(100) = heap+0x2a0", struct "size field 0x291"."""
        steps = run_json(capsys, "h = sbrk 0; p = malloc 100; e = sbrk 0")
        off = _offsets(steps)
        assert off["p"] == 0x2a0
        assert _probe(r"first malloc\(100\) = heap\+(0x\w+)") == ("0x2a0",)
        assert _probe(r"chunk at heap\+0x0, size field (0x\w+)") == ("0x291",)
        # sysmalloc for the struct's 0x290: 0x290 + 128K + 0x20, page-aligned: 0x21000
        assert off["e"] == 0x21000

    def test_a_first_malloc_of_1m_still_makes_the_heap(self, capsys):
        """GIVEN a fresh process WHEN its first malloc is malloc(1M) THEN tcache_init() runs
        first and grows the heap by 0x21000 for the struct; the 1M block itself is mmapped,
        outside the heap. glibc 2.36 (probe, first-big): "the break moved by 0x21000; the
        block is outside the heap"."""
        steps = run_json(capsys, "h = sbrk 0; big = malloc 1M; e = sbrk 0")
        off = _offsets(steps)
        assert off["e"] == 0x21000
        assert not 0 <= off["big"] < off["e"]
        assert _probe(r"first malloc\(1M\): the break moved by (0x\w+); the block is (\w+)") \
            == ("0x21000", "outside")


class TestTcacheBins:
    def test_a_freed_small_chunk_stays_out_of_the_top(self, capsys):
        """GIVEN p = malloc(100) at heap+0x2a0, right below the top chunk
        WHEN free(p), then malloc(200), then malloc(100)
        THEN free puts p in tcache bin 5 (still in use for the arena: the top does not take
        it back), so malloc(200) (bin 11, empty) is cut from the top at heap+0x310, and
        malloc(100) is p again. glibc 2.36 (probe): "malloc(200) = heap+0x310",
        "malloc(100) = heap+0x2a0"."""
        steps = run_json(capsys, "h = sbrk 0; p = malloc 100; free p; q = malloc 200; "
                         "p2 = malloc 100")
        off = _offsets(steps)
        assert (off["q"], off["p2"]) == (0x310, 0x2a0)
        assert _probe(r"malloc\(200\) = heap\+(0x\w+)\nmalloc\(100\) = heap\+(0x\w+)") == \
            ("0x310", "0x2a0")

    def test_a_bin_is_last_in_first_out(self, capsys):
        """GIVEN a, b, c = three malloc(100) WHEN free a, b, c and malloc(100) three times
        THEN they come back c, b, a (tcache_put pushes, tcache_get pops the head).
        glibc 2.36 (probe): heap+0x3e0, +0x450, +0x4c0, then +0x4c0, +0x450, +0x3e0."""
        steps = run_json(capsys, "h = sbrk 0; p = malloc 100; free p; q = malloc 200; "
                         "p2 = malloc 100; a = malloc 100; b = malloc 100; c = malloc 100; "
                         "free a; free b; free c; x = malloc 100; y = malloc 100; "
                         "z = malloc 100")
        off = _offsets(steps)
        got = tuple(hex(off[k]) for k in ("a", "b", "c", "x", "y", "z"))
        assert got == _probe(r"x3 = heap\+(0x\w+), \+(0x\w+), \+(0x\w+)\n"
                             r"free a, b, c; malloc\(100\) x3 = heap\+(0x\w+), \+(0x\w+), "
                             r"\+(0x\w+)")

    def test_seven_fill_a_bin_and_the_eighth_goes_to_the_arena(self, capsys):
        """GIVEN eight malloc(40) (chunks of 0x30, bin 1) and a guard WHEN all eight are
        freed THEN the first seven go to the tcache (count 7) and the eighth to the arena;
        eight malloc(40) then give e6, e5, ..., e0 from the tcache and e7 from the arena.
        glibc 2.36 (probe): counts[1] = 7 and the same order."""
        alloc = "; ".join(f"e{i} = malloc 40" for i in range(8))
        frees = "; ".join(f"free e{i}" for i in range(8))
        again = "; ".join(f"r{i} = malloc 40" for i in range(8))
        steps = run_json(capsys, f"h = sbrk 0; {alloc}; g = malloc 40; {frees}; {again}")
        off = _offsets(steps)
        where = {off[f"e{i}"]: f"e{i}" for i in range(8)}
        order = " ".join(where[off[f"r{i}"]] for i in range(8))
        assert order == "e6 e5 e4 e3 e2 e1 e0 e7"
        assert _probe(r"counts\[1\] = (\d+)") == ("7",)
        assert _probe(r"malloc\(40\) x8 then: ([e\d ]+)\n") == (order,)

    def test_1032_bytes_is_the_largest_tcache_request(self, capsys):
        """GIVEN malloc(1032) (chunk 0x410, bin 63) and malloc(1033) (0x420: no bin), each
        followed by a guard and freed WHEN malloc(1000) (bin 61, empty) follows each free
        THEN after the 1032 free it comes from the top (the 0x410 chunk is held by the
        tcache), after the 1033 free it reuses the freed chunk, split.
        glibc 2.36 (probe): the same, counts[63] = 1 after the first free and after the
        second."""
        steps = run_json(capsys, "h = sbrk 0; s = malloc 1032; g1 = malloc 16; free s; "
                         "m1 = malloc 1000; t = malloc 1033; g2 = malloc 16; free t; "
                         "m2 = malloc 1000")
        off = _offsets(steps)
        assert off["m1"] > off["g1"]  # from the top, past everything so far
        assert off["m2"] == off["t"]
        assert _probe(r"free of malloc\(1032\): counts\[63\] = (\d+), size field (0x\w+); "
                      r"malloc\(1000\) ([\w-]+)") == ("1", "0x411", "from-top")
        assert _probe(r"free of malloc\(1033\): counts\[63\] = (\d+), size field (0x\w+); "
                      r"malloc\(1000\) ([\w-]+)") == ("1", "0x421", "reuses-it")

    def test_double_free_of_a_tcache_chunk_aborts(self, capsys):
        """GIVEN p = malloc(100) freed into the tcache WHEN free(p) again THEN glibc prints
        "free(): double free detected in tcache 2" and abort()s: SIGABRT kills the process.
        glibc 2.36 (probe): that message, then the child is "Aborted"."""
        steps = run_json(capsys, "p = malloc 100; free p; free p; q = malloc 100")
        res = steps[2]["result"]
        assert res["signal"] == "SIGABRT"
        assert "double free detected in tcache 2" in res["why"]
        assert "ESRCH" in str(steps[3]["result"])
        assert "free(): double free detected in tcache 2\ndouble free in a child: Aborted" \
            in PROBE

    def test_the_child_of_fork_inherits_the_tcache(self, capsys):
        """fork copies the whole address space, the tcache included: a chunk freed by the
        parent before fork is what the child's malloc(100) returns (tcache_get)."""
        steps = run_json(capsys, "p = malloc 100; free p; c = fork; switch c; "
                         "q = malloc 100")
        assert steps[-1]["result"]["value"] == steps[0]["result"]["value"]
