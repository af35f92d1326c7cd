"""mmap readahead as Linux 5.4 does it (mm/filemap.c do_sync_mmap_readahead,
do_async_mmap_readahead, filemap_map_pages; mm/readahead.c ondemand_readahead): a major fault
reads a 128K window *around* the page, marks a page PG_readahead, and hitting that marker reads
the next window asynchronously, so a sequential scan is one major fault."""

from __future__ import annotations

from tests.conftest import run_json


class TestReadAround:
    def test_window_is_centred_on_the_faulting_page(self, capsys):
        """GIVEN a 10-page file WHEN page 5 is read first THEN read-around starts at
        max(0, 5 - 16) and reads the whole file, and fault-around maps it all: reading
        page 1 afterwards takes no fault and no second major fault."""
        steps = run_json(capsys, "file f 40K; a = mmap 40K r private file=f; read a+20K; "
                                 "read a+4K")
        assert steps[2]["counters"]["pgmajfault"] == 1
        assert steps[3]["counters"] == steps[2]["counters"]

    def test_sequential_scan_is_one_major_fault(self, capsys):
        """A sequential read of a 128-page file mapped 64K-aligned: 1 major fault (page 0);
        minor faults at pages 16, 24 (the marker), 32, 48, 64, 80, 96 and 112, of which the
        marker hits 24, 32, 64 and 96 each run twice (async readahead drops mmap_sem:
        VM_FAULT_RETRY) - pgfault 14, pgmajfault 1."""
        steps = run_json(capsys, "file f 512K; a = mmap 512K r private file=f "
                                 "addr=0x10000000; read a 512K")
        last = steps[2]
        assert last["faults"]["1"] == {"min_flt": 8, "maj_flt": 1}
        assert last["counters"]["pgmajfault"] == 1
        assert last["counters"]["pgfault"] == 14
