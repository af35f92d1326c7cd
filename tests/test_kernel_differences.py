"""Kernel differences removed (issue 19): each test states what Linux does, citing the 5.4
source, and where the real kernel could be asked, what 6.18 printed for a C probe kept in
tests/kernel_probes/ (the probe and its output side by side, as the shared oracle does)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.helpers import run_json

PROBES = Path(__file__).parent / "kernel_probes"


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
