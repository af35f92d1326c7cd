"""Kernel differences removed (issue 19): each test states what Linux does, citing the 5.4
source, and where the real kernel could be asked, what 6.18 printed for a C probe kept in
tests/kernel_probes/ (the probe and its output side by side, as the shared oracle does)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.helpers import run_json

PROBES = Path(__file__).parent.parent / "kernel_probes"


def _smaps_fields(text: str, start: int) -> dict[str, int]:
    """The kB fields of the smaps entry of the VMA starting at `start`."""
    lines = text.splitlines()
    head = f"{start:x}-"
    for i, line in enumerate(lines):
        if line.startswith(head):
            out: dict[str, int] = {}
            for field in lines[i + 1:]:
                m = re.match(r"(\w+):\s+(\d+) kB", field)
                if m is None:
                    if field.startswith("VmFlags"):
                        break
                    continue
                out[m.group(1)] = int(m.group(2))
            return out
    raise AssertionError(f"no smaps entry starts at {start:#x}")


def _probe_fields(name: str) -> dict[str, int]:
    out = {}
    for line in (PROBES / name).read_text().splitlines():
        m = re.match(r"(\w+):\s+(\d+) kB", line)
        if m:
            out[m.group(1)] = int(m.group(2))
    return out


class TestZapDirtyShmem:
    CMDS = ("a = mmap 40K rw shared,anon; read a 40K; write a 40K = 1; "
            "madvise a 40K dontneed; read a 40K; show smaps")

    def test_dontneed_of_dirty_shmem_pages_leaves_them_dirty(self, capsys):
        """GIVEN 40K of shared anonymous memory, read then written (writable PTEs, dirty)
        WHEN MADV_DONTNEED zaps the PTEs and the pages are read again
        THEN smaps shows them Private_Dirty, not Private_Clean.

        5.4 mm/memory.c zap_pte_range(): `if (!PageAnon(page)) { if (pte_dirty(ptent)) {
        force_flush = 1; set_page_dirty(page); } ...}` - a shmem page is not PageAnon, so its
        dirty PTE is moved into PG_dirty before the PTE goes; smaps_account() then counts
        the page dirty through PageDirty() once it is mapped again by the clean read PTE.
        Linux 6.18 (shmem_zap_dirty.c / .out): Private_Dirty 40 kB, Private_Clean 0 kB."""
        steps = run_json(capsys, self.CMDS, swap=0)
        base = int(steps[0]["result"]["value"], 16)
        got = _smaps_fields(steps[-1]["result"]["text"], base)
        kernel = _probe_fields("shmem_zap_dirty.out")
        assert (kernel["Private_Dirty"], kernel["Private_Clean"]) == (40, 0)
        assert (got["Rss"], got["Private_Dirty"], got["Private_Clean"]) == (40, 40, 0)
        assert got["Shared_Dirty"] == kernel["Shared_Dirty"] == 0

    def test_shmem_dirtying_is_not_accounted_as_dirty_page_cache(self, capsys):
        """shmem's address_space_operations use __set_page_dirty_no_writeback (5.4
        mm/shmem.c shmem_aops .set_page_dirty): PG_dirty only, no NR_FILE_DIRTY; so
        /proc/meminfo's Dirty stays 0 kB after the zap, as it does on Linux."""
        steps = run_json(capsys, self.CMDS.replace("show smaps", "show meminfo"), swap=0)
        m = re.search(r"^Dirty:\s+(\d+) kB", steps[-1]["result"]["text"], re.M)
        assert m is not None and int(m.group(1)) == 0


def _probe_lines(name: str) -> dict[str, str]:
    out = {}
    for line in (PROBES / name).read_text().splitlines():
        key, sep, val = line.partition(": ")
        if sep and not line.startswith("#"):
            out[key] = val
    return out


class TestMremapFixed:
    """MREMAP_FIXED: 5.4 mm/mremap.c SYSCALL_DEFINE5(mremap): `if (flags & MREMAP_FIXED &&
    !(flags & MREMAP_MAYMOVE)) return ret;` (-EINVAL), then mremap_to(): `if
    (offset_in_page(new_addr)) goto out;` and `if (addr + old_len > new_addr && new_addr +
    new_len > addr) goto out;` (both -EINVAL), `do_munmap(mm, new_addr, new_len, ...)`, a
    shrink unmaps the old tail, then move_vma() to new_addr. Linux 6.18: mremap_fixed.c/.out."""

    KERNEL = _probe_lines("mremap_fixed.out")

    def _errno(self, capsys, cmd: str) -> str:
        steps = run_json(capsys, "a = mmap 16K rw private,anon; write a 16K = 3; " + cmd)
        return steps[-1]["result"].get("errno", "ok")

    def test_fixed_without_maymove_is_einval(self, capsys):
        assert self.KERNEL["fixed without maymove"] == "EINVAL"
        assert self._errno(capsys, "c = mremap a 16K 16K fixed=a-64K") == "EINVAL"

    def test_overlapping_ranges_are_einval(self, capsys):
        assert self.KERNEL["new range overlaps old"] == "EINVAL"
        assert self._errno(capsys, "c = mremap a 16K 16K maymove fixed=a+8K") == "EINVAL"

    def test_unaligned_new_address_is_einval(self, capsys):
        assert self.KERNEL["new address unaligned"] == "EINVAL"
        assert self._errno(capsys, "c = mremap a 16K 16K maymove fixed=a-65280") == "EINVAL"

    def test_move_onto_a_mapping_replaces_it(self, capsys):
        """GIVEN 16K written with 3 and an 8K read-only mapping at a-64K WHEN mremap moves the
        16K to exactly a-64K THEN the result is a-64K, one rw-p VMA a-64K..a-48K replaces the
        read-only one, the values moved with the pages, and the old range is unmapped."""
        assert self.KERNEL["move onto a mapping"] == "a-64K"
        assert self.KERNEL["VMA at the new place"] == "a-64K..a-48K rw-p"
        assert self.KERNEL["old range still mapped"] == "no (ENOMEM)"
        steps = run_json(capsys, "a = mmap 16K rw private,anon; write a 16K = 3; "
                                 "t = mmap 8K r private,anon,fixed addr=a-64K; "
                                 "c = mremap a 16K 16K maymove fixed=t; x = read c+12K; "
                                 "y = read a")
        a = int(steps[0]["result"]["value"], 16)
        assert int(steps[3]["result"]["value"], 16) == a - (64 << 10)
        assert steps[4]["result"]["value"] == 3
        assert steps[5]["result"]["signal"] == "SIGSEGV"
        vmas = [ln.split()[:2] for ln in steps[3]["maps"]["1"]]
        assert [f"{a - (64 << 10):x}-{a - (48 << 10):x}", "rw-p"] in vmas
        assert not any(int(r.split("-")[0], 16) <= a < int(r.split("-")[1], 16)
                       for r, _ in vmas)

    def test_shrinking_move(self, capsys):
        """mremap(a, 16K, 8K, MAYMOVE|FIXED, a-8K): the ranges touch but do not overlap; the
        old tail is unmapped and the first 8K move below a."""
        assert self.KERNEL["shrink and move to a-8K"] == "a-8K"
        steps = run_json(capsys, "a = mmap 16K rw private,anon; write a 16K = 3; "
                                 "c = mremap a 16K 8K maymove fixed=a-8K; x = read c+4K; "
                                 "y = read a+8K")
        a = int(steps[0]["result"]["value"], 16)
        assert int(steps[2]["result"]["value"], 16) == a - (8 << 10)
        assert steps[3]["result"]["value"] == 3
        assert steps[4]["result"]["signal"] == "SIGSEGV"
