"""Issue 11, "bounded work for any input": huge ranges finish, or stop at the page budget.

Every case runs `vmtui run -c ... --json --check-invariants` in a subprocess (engine
invariants after every step). The subprocess timeout is only a guard against a hang,
never a timed assertion: speed and host memory are measured by bench/bench_huge.py.

Expected values are hand computations from the x86-64 4-level page tables and Linux
5.4's mm/ code, not read from the engine:

- a PTE table maps 512 pages (2 MiB), a PMD table 1 GiB, a PUD table 512 GiB; a mapping
  placed at 0x100000000000 (16 TiB, aligned for every level) in a PGD slot nothing else
  uses needs N/512 PTE tables, N/512/512 PMD tables and one PUD table for N pages;
- a read of untouched private anonymous memory maps the zero page: one minor fault per
  page (do_anonymous_page has no fault-around), no RSS, but a PTE table per 2 MiB;
  the PTE tables are unreclaimable, so a huge enough read ends in the OOM killer;
- a read fault on a hole of shared anonymous memory allocates a shmem page
  (shmem_fault -> shmem_getpage_gfp(SGP_CACHE)), so reading 16T of it fills RAM and swap;
- madvise(MADV_WILLNEED) of a file reads at most max(bdi->io_pages, ra_pages) pages
  (force_page_cache_readahead); the simulated sda: 2560 sectors >> 3 = 320 pages
  (tests/kernel_probes/willneed_cap.c shows the cap on the host's disk: 2048 pages there,
  its read_ahead_kb being 8192).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import rebuild
from tests.engine.conftest import field

HANG_GUARD = 900  # seconds: only so that a hang fails instead of blocking the suite
BASE = 0x100000000000  # 16 TiB: aligned for PTE, PMD and PUD tables, its own PGD slot
PAGE_KB = 4


def vmtui(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vmtui.cli", *argv], capture_output=True,
                          text=True, timeout=HANG_GUARD)


def run(commands: str, **machine: object) -> tuple[int, list[dict], str]:
    """`vmtui run -c COMMANDS --json --check-invariants -m K=V...`: exit status, the steps
    and stderr; never a Python traceback."""
    argv = ["run", "-c", commands, "--json", "--check-invariants"]
    for k, v in machine.items():
        argv += ["-m", f"{k}={v}"]
    r = vmtui(*argv)
    assert "Traceback" not in r.stdout + r.stderr, r.stderr
    steps = rebuild([json.loads(line) for line in r.stdout.splitlines()])
    return r.returncode, steps, r.stderr


def stopped(step: dict, command: str, budget: int) -> str:
    assert step["do"] == command
    res = step["result"]
    assert res["ok"] is False and res["stopped"] == "page_budget", res
    why = res["why"]
    assert why.startswith(f"after {budget} pages (")
    assert f"at most {budget} pages (page_budget)" in why and "-m page_budget=N" in why
    return str(why)


# ------------------------------------------------------------------ the page budget


def test_anon_read_maps_the_zero_page_and_stops_at_the_budget():
    budget = 2048
    code, steps, err = run(f"show status; a = mmap 16T r private,anon,noreserve "
                           f"addr={BASE:#x}; read a 16T; show status; read a+8M",
                           page_budget=budget)
    assert code == 2  # a stopped command: status 2, and the reason on stderr too
    assert "-c: step 3: `read a 16T` stopped by the page budget after 2048 pages (8 MiB): " \
        "one command may touch at most 2048 pages (page_budget)" in err
    stopped(steps[2], "read a 16T", budget)
    before, after = steps[0]["result"]["text"], steps[3]["result"]["text"]
    # 2048 pages = 4 PTE tables, under 1 PMD table and 1 PUD table
    assert field(after, "VmPTE") - field(before, "VmPTE") == (4 + 1 + 1) * PAGE_KB
    assert field(after, "RssAnon") == field(before, "RssAnon")  # the zero page is no RSS
    # one minor fault per page read, nothing more
    faults = steps[2]["counters"]["pgfault"] - steps[1]["counters"]["pgfault"]
    assert faults == budget
    assert steps[2]["faults"]["1"]["min_flt"] - steps[1]["faults"]["1"]["min_flt"] == budget
    # the process lives on; the next page was never touched and reads 0
    assert steps[4]["result"] == {"ok": True, "value": 0}


def test_file_read_stops_at_the_budget_with_its_pages_mapped():
    budget = 4096
    code, steps, _ = run(f"file F 16T; show status; a = mmap 16T r private file=F "
                         f"addr={BASE:#x}; read a 16T; show status; show meminfo",
                         page_budget=budget)
    assert code == 2
    stopped(steps[3], "read a 16T", budget)
    before, after = steps[1]["result"]["text"], steps[4]["result"]["text"]
    # every page read is mapped from the page cache (16 MiB fits in 256M of RAM)
    assert field(after, "RssFile") - field(before, "RssFile") == budget * PAGE_KB
    assert field(steps[5]["result"]["text"], "Cached") >= budget * PAGE_KB
    # 4096 pages = 8 PTE tables + 1 PMD + 1 PUD
    assert field(after, "VmPTE") - field(before, "VmPTE") == (8 + 1 + 1) * PAGE_KB


def test_populate_and_mlock_count_against_the_budget():
    budget = 1024
    code, steps, _ = run(f"show status; a = mmap 16T r private,anon,noreserve,populate "
                         f"addr={BASE:#x}; show status; show maps", page_budget=budget)
    assert code == 2
    stopped(steps[1], f"a = mmap 16T r private,anon,noreserve,populate addr={BASE:#x}",
            budget)
    # the mapping was made (MAP_POPULATE is best effort); 1024 pages = 2 PTE tables
    assert any(line.startswith("100000000000-200000000000 r--p") for line in
               steps[3]["result"]["text"].splitlines())
    before, after = steps[0]["result"]["text"], steps[2]["result"]["text"]
    assert field(after, "VmPTE") - field(before, "VmPTE") == (2 + 1 + 1) * PAGE_KB
    # mlock populates too: 300 pages fit, 3000 do not
    code, steps, _ = run(f"show status; a = mmap 16T rw private,anon,noreserve "
                         f"addr={BASE:#x}; mlock a 1200K; mlock a+4M 12000K; show status",
                         page_budget=1000)
    assert steps[2]["result"] == {"ok": True, "value": None}
    stopped(steps[3], "mlock a+4M 12000K", 1000)
    before, after = steps[0]["result"]["text"], steps[4]["result"]["text"]
    # mlock_fixup() locks the whole VMA range first; GUP then faults pages in, as writes
    assert field(after, "VmLck") - field(before, "VmLck") == 1200 + 12000
    assert field(after, "RssAnon") - field(before, "RssAnon") == (300 + 1000) * PAGE_KB


def test_budget_zero_is_no_limit_and_bad_values_are_refused():
    code, steps, _ = run(f"a = mmap 64M r private,anon addr={BASE:#x}; read a 64M",
                         page_budget=0)
    assert code == 0 and steps[1]["result"] == {"ok": True, "value": 0}
    for bad, why in (("-1", "-1 is too small: page_budget allows 0..4503599627370496"),
                     ("lots", "expected a whole number, not 'lots'")):
        r = vmtui("run", "-m", f"page_budget={bad}", "-c", "read 0x1000")
        assert r.returncode == 2 and "Traceback" not in r.stderr
        assert f"page_budget: {why}" in r.stderr


# ------------------------------------------------------------------ outcomes as on Linux


def test_reading_16t_of_untouched_anon_memory_ends_in_oom_for_the_page_tables():
    """No budget: the zero page is mapped everywhere, but every 2 MiB takes a PTE table
    from RAM until none is left; the OOM killer picks the reader for its page tables."""
    code, steps, _ = run(f"show status; a = mmap 16T r private,anon,noreserve "
                         f"addr={BASE:#x}; read a 16T", ram="16M", page_budget=0)
    assert code == 0
    res = steps[2]["result"]
    assert res["ok"] is False and res["signal"] == "SIGKILL" and res["code"] == "OOM"
    faults = steps[2]["counters"]["pgfault"] - steps[1]["counters"]["pgfault"]
    # every PTE table the reader had when the OOM killer chose it is full (512 faults
    # each); the fault that called the OOM killer gets its table from the reserves
    # (ALLOC_OOM), maps its one page, and SIGKILL is delivered on the way back to user mode
    assert faults % 512 == 1
    ptes = faults // 512
    pmds = -(-ptes // 512)
    base_tables = field(steps[0]["result"]["text"], "VmPTE") // PAGE_KB
    report = next(e["text"] for e in steps[2]["events"] if e["fn"] == "oom_kill_process")
    assert f"pgtables:{(base_tables + 1 + pmds + ptes) * PAGE_KB}kB" in report
    assert "anon-rss:0kB" in report
    # RAM was used up by page tables: 16M of RAM is 4096 frames
    assert 3000 < ptes < 4096
    assert "1" not in steps[2]["rss"]  # the process ended


@pytest.mark.parametrize("commands", [
    "a = mmap 16T rw private,anon,noreserve; write a 16T",
    "a = mmap 16T rw shared,anon,noreserve; read a 16T",
    "a = mmap 16T rw private,anon,noreserve; mlock a 16T",
])
def test_touching_16t_of_memory_that_needs_pages_ends_in_oom(commands):
    code, steps, _ = run(commands, ram="16M", swap="16M", page_budget=0)
    assert code == 0
    res = steps[1]["result"]
    assert res["ok"] is False and res["signal"] == "SIGKILL" and res["code"] == "OOM"
    # RAM and swap were both used up before the kill (mlocked pages never swap)
    if "mlock" not in commands:
        assert steps[1]["counters"]["pswpout"] > 0


def test_willneed_of_a_16t_file_reads_320_pages():
    code, steps, _ = run("file F 16T; show meminfo; a = mmap 16T r private file=F; "
                         "madvise a 16T willneed; show meminfo; file G 100K; "
                         "b = mmap 1M r private file=G; madvise b 1M willneed; show meminfo")
    assert code == 0
    cached = [field(steps[i]["result"]["text"], "Cached") for i in (1, 4, 8)]
    assert cached[1] - cached[0] == 320 * PAGE_KB
    assert cached[2] - cached[1] == 100  # a 100K file: 25 pages, none past EOF


def test_exec_in_a_16t_file_mapping_is_one_access():
    code, steps, _ = run(f"file F 16T; a = mmap 16T rx private file=F addr={BASE:#x}; "
                         "exec a+8T")
    assert code == 0 and steps[2]["result"] == {"ok": True, "value": 0}
    # one access, two tries: 5.4's handle_mm_fault() counts PGFAULT on each; the first
    # reads from disk and returns VM_FAULT_RETRY, the retry maps the page (and 15 around)
    assert steps[2]["counters"]["pgfault"] - steps[1]["counters"]["pgfault"] == 2


SPARSE = (f"show status; a = mmap 16T rw private,anon,noreserve addr={BASE:#x}; "
          "write a 1M = 7; write a+8T 1M = 9; show status")


def test_sparse_16t_mapping_munmap_mprotect_dontneed_fork():
    """Only the tables that exist are visited: 256 + 256 pages written 8T apart use
    2 PTE, 2 PMD and 2 PUD tables (8T apart is 16 PGD slots apart)."""
    code, steps, _ = run(SPARSE + "; c = fork; show status c; mprotect a 16T r; "
                         "read a+8T; madvise a 16T dontneed; read a+8T; show status; "
                         "munmap a 16T; show status")
    assert code == 0
    base, written = steps[0]["result"]["text"], steps[4]["result"]["text"]
    assert field(written, "VmPTE") - field(base, "VmPTE") == 6 * PAGE_KB
    assert field(written, "RssAnon") - field(base, "RssAnon") == 512 * PAGE_KB
    child = steps[6]["result"]["text"]
    assert field(child, "RssAnon") == field(written, "RssAnon")  # COW: shared, all mapped
    assert field(child, "VmPTE") == field(written, "VmPTE")  # copy_page_range: same tables
    assert steps[8]["result"] == {"ok": True, "value": 9}
    assert steps[10]["result"] == {"ok": True, "value": 0}  # dontneed: zero page again
    dropped = steps[11]["result"]["text"]
    assert field(dropped, "RssAnon") == field(base, "RssAnon")
    unmapped = steps[13]["result"]["text"]
    # free_pgd_range: nothing else lies in those PGD slots, so every table goes
    assert field(unmapped, "VmPTE") == field(base, "VmPTE")
    assert field(unmapped, "VmSize") == field(base, "VmSize")


def test_streaming_a_file_past_ram_keeps_a_bounded_number_of_shadows():
    """16M of RAM, a 256M file read through: 65536 pages in, at most 4096 (all of RAM)
    still cached, so at least 61440 evicted in order, 960 full xa_nodes of shadows.
    count_shadow_nodes() allows node_present_pages >> 3 <= 4096 >> 3 = 512 nodes, so at
    least 448 are freed, oldest first: page 0's shadow is gone and reading it again is
    no refault at all."""
    code, steps, _ = run("file F 256M; a = mmap 256M r shared file=F; read a 256M; "
                         "read a 1M", ram="16M", swap="0", page_budget=0)
    assert code == 0
    reclaimed = steps[2]["counters"]["workingset_nodereclaim"]
    assert 448 <= reclaimed <= 65536 // 64
    refaults = steps[3]["counters"].get("workingset_refault", 0) - \
        steps[2]["counters"].get("workingset_refault", 0)
    assert refaults == 0


# ------------------------------------------------------------------ vmtui check


def test_check_reports_a_stopped_step_at_its_line(tmp_path: Path):
    path = tmp_path / "huge.toml"
    path.write_text('[machine]\npage_budget = 64\n\n[[step]]\n'
                    'do = "a = mmap 16T r private,anon,noreserve"\n\n'
                    '[[step]]\ndo = "read a 16T"\n', encoding="utf-8")
    r = vmtui("check", str(path))
    assert r.returncode == 2 and "Traceback" not in r.stdout + r.stderr
    assert f"{path}:8:1: step 2: `read a 16T` stopped by the page budget after 64 pages " \
        "(256 KiB): one command may touch at most 64 pages (page_budget)" in r.stdout


def test_an_engine_failure_is_told_without_python_text(tmp_path: Path, capsys,
                                                       monkeypatch):
    """A bug in the engine (here a KeyError planted in do_fork) is reported by `vmtui
    check` and `vmtui run` at the step's line, naming where in vmtui, without the
    exception's own text."""
    from vmtui.cli import main
    from vmtui.engine.kernel import fork

    def broken(*_a: object, **_k: object) -> None:
        {}[12345]  # noqa: B018

    monkeypatch.setattr(fork, "do_fork", broken)
    path = tmp_path / "crash.toml"
    path.write_text('[[step]]\ndo = "a = mmap 8K rw private,anon"\n\n'
                    '[[step]]\ndo = "fork"\n', encoding="utf-8")
    for argv, code in ((["check", str(path)], 1), (["run", "-q", str(path)], 1),
                       (["run", "-q", "-c", "a = mmap 8K rw private,anon; fork"], 1)):
        assert main(argv) == code
        out = capsys.readouterr()
        text = out.out + out.err
        assert "Traceback" not in text and "KeyError" not in text and "12345" not in text
        where = f"{path}:4" if argv[-1] == str(path) else "-c:1"
        assert re.search(rf"{re.escape(where)}(:1)?: step 2: `fork`: vmtui failed inside "
                         r"its engine at vmtui/[\w/]+\.py:\d+ \(\w+\): this is a bug in "
                         "vmtui", text), text
