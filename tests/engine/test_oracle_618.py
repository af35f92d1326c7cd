"""Every case of the real Linux 6.18 run of oracle.c (tests/data/oracle-6.18/: oracle.c,
kernel-6.18.out and its README), reproduced by `vmtui run -m kernel=6.18 -c ... --json`.

Each /proc/self/maps dump is compared line for line, C runtime mappings included: the
engine prints the VMAs of the same window (oracle.c's win(): 64 pages either side of the
mapping it names) relative to the same base, in oracle.c's format."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_json
from tests.engine.conftest import faults_of, hexval

ORACLE = Path(__file__).parent.parent / "data" / "oracle-6.18" / "kernel-6.18.out"
PG = 4096
K618 = {"kernel": "6.18"}


def oracle() -> tuple[dict[str, list[str]], list[str]]:
    """kernel-6.18.out as {"tag what": its maps lines} and the other lines in order."""
    dumps: dict[str, list[str]] = {}
    other: list[str] = []
    title = None
    for line in ORACLE.read_text().splitlines():
        if line.startswith("# "):
            title = line[2:]
            dumps[title] = []
        elif line.startswith("  ") and title is not None:
            dumps[title].append(line)
        else:
            title = None
            other.append(line)
    return dumps, other


DUMPS, RESULTS = oracle()


def dump(step: dict, lo: int, hi: int, base: int) -> list[str]:
    """oracle.c's dump(): the VMAs overlapping (lo, hi), relative to base, in KiB."""
    out = []
    for line in step["maps"]["1"]:
        rng, perm = line.split()[:2]
        s, e = (int(x, 16) for x in rng.split("-"))
        if e <= lo or s >= hi:
            continue
        out.append(f"  {(s - base) // 1024:+d}..{(e - base) // 1024:+d} {perm} "
                   f"{(e - s) // 1024}K")
    return out


def win(addr: int, length: int) -> tuple[int, int]:
    return addr - 64 * PG, addr + length + 64 * PG


def test_every_oracle_line_is_checked_here():
    """The cases below cover the whole file: its 13 dumps and 16 other lines."""
    assert len(DUMPS) == 13 and len(RESULTS) == 16


class TestAnonMerge:
    def test_two_mmaps_merge_with_ld_so_anon_then_a_third_below(self, capsys):
        steps = run_json(capsys, "a = mmap 8K rw private,anon; b = mmap 8K rw private,anon; "
                         "c = mmap 8K r private,anon", **K618)
        a, b, c = (hexval(s) for s in steps)
        assert f"b-a={(b - a) // 1024}K" == RESULTS[0]
        assert dump(steps[1], *win(b, 4 * PG), a) == DUMPS["anon_merge after two 8K rw anon "
                                                           "mmaps"]
        assert f"c-a={(c - a) // 1024}K" == RESULTS[1]
        assert dump(steps[2], *win(c, 6 * PG), a) == DUMPS["anon_merge third 8K r-- mmap"]


class TestMprotectSplit:
    def test_split_then_merge_back_with_the_tls_below_libc(self, capsys):
        steps = run_json(capsys, "a = mmap 40K rw private,anon; mprotect a+16K 4K r; "
                         "mprotect a+16K 4K rw", **K618)
        a = hexval(steps[0])
        assert dump(steps[1], *win(a, 10 * PG), a) == DUMPS["mprotect_split mprotect +16K 4K r"]
        assert dump(steps[2], *win(a, 10 * PG), a) == DUMPS["mprotect_split mprotect back to "
                                                            "rw"]


class TestMunmapHole:
    def test_hole_new_mapping_fixed_noreplace_offset(self, capsys):
        steps = run_json(capsys, "a = mmap 40K rw private,anon; munmap a+8K 8K; "
                         "b = mmap 8K rw private,anon; "
                         "c = mmap 8K r private,fixed,anon addr=a+8K; "
                         "d = mmap 4K rw private,fixed_noreplace,anon addr=a+8K; "
                         "file f 4K; e = mmap 4K r private file=f offset=100", **K618)
        a, b = hexval(steps[0]), hexval(steps[2])
        assert dump(steps[1], *win(a, 10 * PG), a) == DUMPS["munmap_hole munmap +8K 8K"]
        assert f"new 8K at {(b - a) // 1024:+d}K" == RESULTS[2]
        assert dump(steps[2], *win(min(a, b), 12 * PG), a) == DUMPS["munmap_hole mmap 8K again"]
        assert dump(steps[3], *win(min(a, b), 12 * PG), a) == \
            DUMPS["munmap_hole MAP_FIXED r-- into +8K"]
        assert steps[4]["result"]["errno"] == "EEXIST"
        assert RESULTS[3] == "fixed_noreplace over existing -> EEXIST"
        assert steps[6]["result"]["errno"] == "EINVAL"
        assert RESULTS[4] == "unaligned offset -> EINVAL"


class TestMremap:
    def test_grow_moves_below_the_tls_mapping(self, capsys):
        steps = run_json(capsys, "a = mmap 16K rw private,anon; b = mremap a 16K 32K maymove",
                         **K618)
        a, b = hexval(steps[0]), hexval(steps[1])
        assert f"grow 16K->32K moved={'no' if a == b else 'yes'} by {(b - a) // 1024:+d}K" \
            == RESULTS[5]
        assert dump(steps[1], *win(a - 8 * PG, 16 * PG), a) == DUMPS["mremap after mremap grow"]


class TestFaults:
    def test_minor_fault_counts(self, capsys):
        steps = run_json(capsys, "a = mmap 40K rw private,anon; write a 40K = 1; read a 40K; "
                         "b = mmap 40K rw private,anon; read b 40K; write b 40K = 2; "
                         "c = mmap 40K rw private,anon,populate; write c 40K = 3", **K618)
        mins = [faults_of(s)[0] for s in steps]
        got = [f"write 10 fresh pages: minflt {mins[1] - mins[0]}",
               f"read them again: minflt {mins[2] - mins[1]}",
               f"read 10 fresh pages: minflt {mins[4] - mins[3]}",
               f"then write them: minflt {mins[5] - mins[4]}",
               f"write 10 MAP_POPULATE pages: minflt {mins[7] - mins[6]}"]
        assert got == RESULTS[6:11]


class TestBrk:
    def test_heap_grows_with_stdio_malloc_and_shrinks(self, capsys):
        """oracle.c's dump() opens /proc/self/maps: glibc's first malloc (the FILE) extends
        the heap by 132K (the request + M_TOP_PAD 128K) after the first sbrk(32K)."""
        steps = run_json(capsys, "b0 = sbrk 0; x = sbrk 32K; f = malloc 472; y = sbrk 32K; "
                         "z = sbrk -16K", **K618)
        b0 = hexval(steps[0])
        lo, hi = b0 - PG * 1024, b0 + PG * 1024
        assert dump(steps[2], lo, hi, b0) == DUMPS["brk sbrk +32K"]
        assert dump(steps[3], lo, hi, b0) == DUMPS["brk sbrk +32K again"]
        assert dump(steps[4], lo, hi, b0) == DUMPS["brk sbrk -16K"]


class TestMalloc:
    def test_small_in_heap_big_mapping_beside_the_tls(self, capsys):
        steps = run_json(capsys, "b0 = sbrk 0; p = malloc 100; q = malloc 1M; b1 = sbrk 0",
                         **K618)
        b0, p, q, b1 = (hexval(s) for s in steps)
        small = b0 - (1 << 20) <= p < b1
        big = b0 - (1 << 20) <= q < b1
        assert f"small in heap={'yes' if small else 'no'} big in heap={'yes' if big else 'no'}" \
            == RESULTS[11]
        assert dump(steps[2], *win(q, 1 << 20), q & ~(PG - 1)) == \
            DUMPS["malloc after malloc(1M)"]


class TestForkCow:
    def test_child_reads_free_writes_copy(self, capsys):
        steps = run_json(capsys, "a = mmap 40K rw private,anon; write a 40K = 7; "
                         "child = fork; switch child; s = read a 40K; write a 40K = 9; "
                         "switch 1; v = read a", **K618)
        child = str(steps[2]["result"]["value"])
        f = [faults_of(s, child)[0] for s in steps[3:6]]
        total = 7 * 10  # every page reads 7 (the sum oracle.c prints)
        assert f"child read 10 shared pages: minflt {f[1] - f[0]} (sum {total}); write them: " \
            f"minflt {f[2] - f[1]}" == RESULTS[12]
        assert steps[4]["result"]["value"] == 7
        assert f"parent still sees {steps[7]['result']['value']}" == RESULTS[13]


class TestFilePrivate:
    def test_file_mapping_below_the_tls(self, capsys):
        steps = run_json(capsys, "file data 40K; a = mmap 40K rw private file=data; "
                         "read a 40K; write a 20K = 1", **K618)
        a = hexval(steps[1])
        (mn0, _), (mn1, _), (mn2, _) = (faults_of(s) for s in steps[1:])
        assert f"read 10 file pages: minflt {mn1 - mn0}" == RESULTS[14]
        assert f"write 5 of them (COW): minflt {mn2 - mn1}" == RESULTS[15]
        assert dump(steps[3], *win(a, 10 * PG), a) == DUMPS["file_private private file map"]
