"""Faults taken by get_user_pages (GUP) for MAP_POPULATE, mlock() and madvise(MADV_WILLNEED)
on a cold file, counted as Linux 5.4 counts them (issue 19).

The expected figures are worked out by hand from the v5.4 source (line numbers of v5.4):

- mm/util.c:501 vm_mmap_pgoff() -> mm_populate(); include/linux/mm.h:2357 mm_populate()
  -> __mm_populate(addr, len, 1) (errors ignored); mm/mlock.c:712 do_mlock() ->
  __mm_populate(start, len, 0).
- mm/gup.c:1234-1280 __mm_populate(): populate_vma_page_range(vma, nstart, nend, &locked);
  the next round starts at `nend = nstart + ret * PAGE_SIZE`, i.e. at the page whose fault
  returned VM_FAULT_RETRY, with mmap_sem taken again (locked = 1).
- mm/gup.c:1188-1225 populate_vma_page_range(): FOLL_POPULATE | FOLL_MLOCK, FOLL_WRITE for a
  private writable VMA, and `nonblocking` passed down to __get_user_pages().
- mm/gup.c:779-880 __get_user_pages(): follow_page_mask(), else faultin_page(); -EBUSY
  (VM_FAULT_RETRY) ends the call with the pages done so far (`return i ? i : ret`).
- mm/gup.c:618-670 faultin_page(): FAULT_FLAG_ALLOW_RETRY because `nonblocking` is set
  (line 632), never FAULT_FLAG_TRIED; then lines 649-654:
  `if (tsk) { if (ret & VM_FAULT_MAJOR) tsk->maj_flt++; else tsk->min_flt++; }` runs before
  the VM_FAULT_RETRY test (line 656), so the retried fault is counted too; a VM_FAULT_ERROR
  return (line 641) is turned into an errno first and counted nowhere.
- mm/memory.c:3989 handle_mm_fault(): count_vm_event(PGFAULT) on every call.
- mm/filemap.c:2497-2619 filemap_fault(): a page not in the cache counts PGMAJFAULT
  (line 2526), returns VM_FAULT_MAJOR and starts read-around in do_sync_mmap_readahead(),
  which drops mmap_sem for the I/O (fpin); once the page is read, `if (fpin) goto out_retry`
  (line 2564) returns VM_FAULT_MAJOR | VM_FAULT_RETRY (line 2619). The second fault finds
  the page cached: do_read_fault() (mm/memory.c:3473) maps it and its cached neighbours by
  fault-around, a minor fault.
- arch/x86/mm/fault.c:1442-1481, for contrast: a user fault keeps `major |= fault &
  VM_FAULT_MAJOR` over the retry and counts the pair once.
- mm/madvise.c:253-298 madvise_willneed(): a file mapping goes to vfs_fadvise(
  POSIX_FADV_WILLNEED) (readahead into the page cache), anonymous memory to
  walk_page_range(swapin_walk_ops) (read_swap_cache_async): no handle_mm_fault at all.

Linux 6.18 counts differently (mm_account_fault() skips a VM_FAULT_RETRY return); its
figures, from tests/kernel_probes/gup_fault_counts.c and .out, are stated beside each test.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import PROBES, run_json

PROBE = PROBES / "gup_fault_counts.out"


def _probe() -> dict[str, list[tuple[int, int]]]:
    """Every (minflt, majflt) the 6.18 probe printed, by case, over its rounds."""
    out: dict[str, list[tuple[int, int]]] = {}
    for line in PROBE.read_text().splitlines():
        m = re.match(r"(\S.*?)\s+minflt (\d+) majflt (\d+)", line)
        if m:
            out.setdefault(m.group(1), []).append((int(m.group(2)), int(m.group(3))))
    return out


def _delta(steps: list[dict], before: int, after: int) -> tuple[int, int, int, int]:
    """(min_flt, maj_flt, pgfault, pgmajfault) taken between two steps (1-based)."""
    def at(i: int) -> tuple[int, int, int, int]:
        if i == 0:
            return (0, 0, 0, 0)
        s = steps[i - 1]
        f = s["faults"].get("1", {"min_flt": 0, "maj_flt": 0})
        return (f["min_flt"], f["maj_flt"], s["counters"]["pgfault"],
                s["counters"]["pgmajfault"])
    a, b = at(before), at(after)
    return tuple(y - x for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


class TestPopulate:
    def test_map_populate_of_a_cold_file_counts_the_retried_fault(self, capsys):
        """GIVEN a 40K file whose pages are not cached
        WHEN it is mapped read-only private with MAP_POPULATE
        THEN the task counts min 1, maj 1, and /proc/vmstat pgfault 2, pgmajfault 1.

        Page 0: filemap_fault() misses, reads around (all 10 pages), returns
        VM_FAULT_MAJOR | VM_FAULT_RETRY: faultin_page() counts maj_flt (gup.c:650-651) and
        returns -EBUSY; __mm_populate() starts again at page 0, whose fault now maps all ten
        cached pages by fault-around and returns 0: min_flt (gup.c:652-653). Pages 1-9 are
        present, follow_page_mask() finds them, no more faults. handle_mm_fault() ran twice.
        Linux 6.18 (probe, "mmap r private,populate"): minflt 1, majflt 0."""
        steps = run_json(capsys, "file F 40K; a = mmap 40K r private,populate file=F")
        assert _delta(steps, 1, 2) == (1, 1, 2, 1)
        assert steps[-1]["rss"]["1"]["file_kb"] == 40
        kernel = _probe()["mmap r private,populate"]
        assert all(maj == 0 for _, maj in kernel) and (1, 0) in kernel

    def test_writable_private_populate_breaks_cow_page_by_page(self, capsys):
        """GIVEN the same cold 40K file
        WHEN it is mapped read-write private with MAP_POPULATE (FOLL_WRITE: gup.c:1210)
        THEN the task counts min 10, maj 1; pgfault 11.

        Page 0's write fault goes to do_cow_fault() -> filemap_fault(): a miss, read-around,
        VM_FAULT_MAJOR | VM_FAULT_RETRY (maj 1); the retry copies page 0 (min 1). A write
        fault has no fault-around, so pages 1-9 each take a COW fault on a cached page
        (min 9). Linux 6.18 (probe, "mmap rw private,populate"): minflt 10, majflt 0."""
        steps = run_json(capsys, "file F 40K; a = mmap 40K rw private,populate file=F")
        assert _delta(steps, 1, 2) == (10, 1, 11, 1)
        assert steps[-1]["rss"]["1"]["anon_kb"] - steps[0]["rss"]["1"]["anon_kb"] == 40
        assert _probe()["mmap rw private,populate"] == [(10, 0)] * 3

    def test_a_user_read_counts_the_retried_fault_once(self, capsys):
        """The contrast: a user read of the same cold page takes the same two
        handle_mm_fault() calls (pgfault 2, pgmajfault 1), but the x86 handler counts the
        retried pair once, as major (arch/x86/mm/fault.c:1442 `major |= fault &
        VM_FAULT_MAJOR`, 1477-1481): min 0, maj 1."""
        steps = run_json(capsys, "file F 40K; a = mmap 40K r private file=F; read a 40K")
        assert _delta(steps, 2, 3) == (0, 1, 2, 1)


class TestMlock:
    def test_mlock_of_a_cold_file_counts_like_populate(self, capsys):
        """GIVEN a read-only private mapping of a cold 40K file, nothing faulted in
        WHEN mlock() locks it (mlock.c:712 __mm_populate(start, len, 0))
        THEN the same two GUP faults: min 1, maj 1; pgfault 2, pgmajfault 1; VmLck 40 kB.
        Linux 6.18 (probe, "mlock of mmap r private"): minflt 1, majflt 0."""
        steps = run_json(capsys, "file F 40K; a = mmap 40K r private file=F; mlock a 40K; "
                         "show status")
        assert _delta(steps, 2, 3) == (1, 1, 2, 1)
        assert re.search(r"VmLck:\s+40 kB", steps[-1]["result"]["text"])
        kernel = _probe()["mlock of mmap r private"]
        assert all(maj == 0 for _, maj in kernel) and (1, 0) in kernel

    def test_mlock_past_the_end_of_the_file_is_enomem_and_populate_is_not(self, capsys):
        """GIVEN a 4K file mapped over 40K
        WHEN MAP_POPULATE faults it in, and mlock() locks another such mapping
        THEN the mmap succeeds with page 0 present (VM_FAULT_SIGBUS on page 1 becomes
        EFAULT in faultin_page(), gup.c:641-646, which __mm_populate() ignores for mmap,
        gup.c:1271-1276) and the process lives; mlock() fails with ENOMEM
        (__mlock_posix_error_return turns EFAULT into ENOMEM). The failed fault is not
        counted (gup.c:641 returns before line 649).
        Linux 6.18 (probe, last two lines): mmap "ok" with 1 page resident, mlock
        "Cannot allocate memory"."""
        steps = run_json(capsys, "file F 4K; a = mmap 40K r private,populate file=F; "
                         "b = mmap 40K r private file=F; mlock b 40K")
        assert steps[1]["result"]["ok"] is True
        assert steps[1]["rss"]["1"]["file_kb"] == 4
        # page 0 cold: a retried major fault and its minor retry; page 1: SIGBUS, uncounted
        assert _delta(steps, 1, 2) == (1, 1, 3, 1)
        assert steps[3]["result"]["errno"] == "ENOMEM"
        text = PROBE.read_text()
        assert "4K file, mmap 40K r private,populate: ok" in text
        assert "4K file, mlock of mmap 40K r private: Cannot allocate memory" in text


class TestWillneed:
    def test_willneed_on_a_cold_file_takes_no_fault(self, capsys):
        """GIVEN a read-only private mapping of a cold 40K file
        WHEN madvise(MADV_WILLNEED), then a read of every page
        THEN willneed counts nothing anywhere (madvise.c:289-294: vfs_fadvise readahead,
        no handle_mm_fault) and puts the 10 pages in the page cache; the read then takes
        one minor fault, whose fault-around maps all ten.
        Linux 6.18 (probe): willneed minflt 0, majflt 0; the read minflt 1, majflt 0."""
        steps = run_json(capsys, "file F 40K; a = mmap 40K r private file=F; "
                         "madvise a 40K willneed; read a 40K")
        assert _delta(steps, 2, 3) == (0, 0, 0, 0)
        assert _delta(steps, 3, 4) == (1, 0, 1, 0)
        probe = _probe()
        assert probe["madvise willneed of mmap r private"] == [(0, 0)] * 3
        assert probe["then a read of every page"] == [(1, 0)] * 3

    @pytest.mark.parametrize("length", ["1M", "8M"])
    def test_willneed_on_swapped_anonymous_memory_takes_no_fault(self, capsys, length):
        """GIVEN anonymous memory pushed out to swap by a larger working set
        WHEN madvise(MADV_WILLNEED) over its start
        THEN swap-ins are started (pswpin grows) but no fault is taken or counted
        (madvise.c:262-265: walk_page_range(swapin_walk_ops) -> read_swap_cache_async)."""
        steps = run_json(capsys, f"a = mmap 96M rw private,anon; write a 96M = 1; "
                         f"madvise a {length} willneed", ram="64M", swap="64M")
        assert _delta(steps, 2, 3) == (0, 0, 0, 0)
        assert steps[2]["counters"]["pswpin"] > steps[1]["counters"]["pswpin"]
