"""`vmtui attach`: a real child process with known mappings, read back from /proc."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest

from vmtui.cli import main
from vmtui.host import procfs

PAGE = os.sysconf("SC_PAGE_SIZE")

# Every region sits between PROT_NONE guard pages so the kernel cannot merge it
# with a neighbouring mapping of the interpreter (vma_merge() would otherwise
# happily join two adjacent anonymous rw-p VMAs).
CHILD = textwrap.dedent(
    """
    import ctypes, json, mmap, os, sys, tempfile

    PAGE = mmap.PAGESIZE
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                          ctypes.c_int, ctypes.c_long]
    libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    PROT_NONE, PROT_READ, PROT_WRITE = 0, 1, 2
    MAP_PRIVATE, MAP_ANONYMOUS = 0x02, 0x20

    def guarded(npages, prot):
        base = libc.mmap(None, (npages + 2) * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        assert base not in (None, ctypes.c_void_p(-1).value)
        assert libc.mprotect(base + PAGE, npages * PAGE, prot) == 0
        return base + PAGE

    # 1. anonymous rw region of 64 pages, 10 of them touched
    anon = guarded(64, PROT_READ | PROT_WRITE)
    for i in range(0, 20, 2):
        ctypes.memset(anon + i * PAGE, 0x5A, 1)

    # 2. a 9-page rw region split by mprotect into rw- / r-- / rw- of 3 pages each
    split = guarded(9, PROT_READ | PROT_WRITE)
    ctypes.memset(split, 1, 9 * PAGE)
    assert libc.mprotect(split + 3 * PAGE, 3 * PAGE, PROT_READ) == 0

    # 3. a shared read-only mapping of an 8-page temp file, every page read
    fd, path = tempfile.mkstemp(prefix="vmtui-attach-")
    os.write(fd, b"x" * (8 * PAGE))
    fmap = mmap.mmap(fd, 8 * PAGE, mmap.MAP_SHARED, mmap.PROT_READ)
    total = sum(fmap[i * PAGE] for i in range(8))
    fstart = None
    with open("/proc/self/maps") as maps:
        for line in maps:
            if line.rstrip().endswith(path):
                fstart = int(line.split("-")[0], 16)

    print(json.dumps({"anon": anon, "split": split, "file": fstart, "path": path}), flush=True)
    sys.stdin.readline()
    os.unlink(path)
    """
)


@pytest.fixture(scope="module")
def child():
    """A child Python process with the three known regions; yields (pid, addresses)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert line, "child did not start"
        yield proc.pid, json.loads(line)
    finally:
        proc.kill()
        proc.wait(timeout=5)
        info = json.loads(line) if line else {}
        if info.get("path") and os.path.exists(info["path"]):
            os.unlink(info["path"])


def attach_json(pid: int, capsys) -> dict:
    assert main(["attach", str(pid), "--once", "--json"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1, "one JSON object on one line"
    return json.loads(out)


def vma_at(data: dict, addr: int) -> dict:
    for v in data["vmas"]:
        if int(v["start"], 16) == addr:
            return v
    raise AssertionError(f"no VMA starts at {addr:#x}")


class TestAttachJson:
    """`vmtui attach PID --once --json` on a child whose mappings we know."""

    def test_shape_is_a_run_json_line(self, child, capsys):
        pid, _ = child
        data = attach_json(pid, capsys)
        assert data["pid"] == pid
        assert set(data["maps"]) == {str(pid)}
        assert set(data["rss"][str(pid)]) >= {"anon_kb", "file_kb", "swap_kb"}
        assert set(data["counters"]) >= {
            "minflt",
            "majflt",
            "pgfault",
            "pgmajfault",
            "pswpin",
            "pswpout",
        }
        assert data["counters"]["minflt"] > 0
        keys = {
            "start",
            "end",
            "perms",
            "offset",
            "dev",
            "inode",
            "path",
            "rss_kb",
            "anon_kb",
            "swap_kb",
            "size_kb",
        }
        assert all(keys <= set(v) for v in data["vmas"])
        assert len(data["vmas"]) == len(data["maps"][str(pid)])

    def test_maps_lines_are_the_kernels(self, child, capsys):
        pid, _ = child
        data = attach_json(pid, capsys)
        with open(f"/proc/{pid}/maps") as f:
            kernel = f.read().splitlines()
        assert data["maps"][str(pid)] == kernel

    def test_anonymous_region(self, child, capsys):
        pid, addrs = child
        v = vma_at(attach_json(pid, capsys), addrs["anon"])
        assert v["perms"] == "rw-p"
        assert v["size_kb"] == 64 * PAGE // 1024
        assert int(v["end"], 16) - int(v["start"], 16) == 64 * PAGE
        assert v["path"] == "" and v["inode"] == 0
        touched_kb = 10 * PAGE // 1024
        assert abs(v["rss_kb"] - touched_kb) <= PAGE // 1024
        assert abs(v["anon_kb"] - touched_kb) <= PAGE // 1024
        assert v["swap_kb"] == 0

    def test_mprotect_split_into_three_vmas(self, child, capsys):
        pid, addrs = child
        data = attach_json(pid, capsys)
        base = addrs["split"]
        parts = [vma_at(data, base + i * 3 * PAGE) for i in range(3)]
        assert [p["perms"] for p in parts] == ["rw-p", "r--p", "rw-p"]
        for p in parts:
            assert p["size_kb"] == 3 * PAGE // 1024
            assert abs(p["rss_kb"] - 3 * PAGE // 1024) <= PAGE // 1024

    def test_file_mapping(self, child, capsys):
        pid, addrs = child
        v = vma_at(attach_json(pid, capsys), addrs["file"])
        assert v["perms"] == "r--s"
        assert v["path"] == addrs["path"]
        assert v["inode"] == os.stat(addrs["path"]).st_ino
        assert v["offset"] == 0
        assert v["size_kb"] == 8 * PAGE // 1024
        assert abs(v["rss_kb"] - 8 * PAGE // 1024) <= PAGE // 1024
        assert v["anon_kb"] == 0

    def test_readable_table(self, child, capsys):
        pid, addrs = child
        assert main(["attach", str(pid), "--once"]) == 0
        out = capsys.readouterr().out
        assert f"real process {pid}" in out
        assert f"{addrs['anon']:x}-{addrs['anon'] + 64 * PAGE:x}" in out
        assert addrs["path"] in out
        assert "minflt" in out and "VmRSS" in out


class TestPagemap:
    """/proc/PID/pagemap of the child's anonymous region: 10 of 64 pages present."""

    def test_present_pages(self, child):
        pid, addrs = child
        pm = procfs.read_pagemap(pid, addrs["anon"], addrs["anon"] + 64 * PAGE)
        assert pm.available and not pm.truncated
        assert len(pm.raw) == 64
        assert pm.present == 10 and pm.swapped == 0
        present = [i for i, e in enumerate(pm.entries()) if e.present]
        assert present == list(range(0, 20, 2))
        e = pm.entry(0)
        assert e.vaddr == addrs["anon"] and e.exclusive and not e.file_shared

    def test_cap_per_vma(self, child):
        pid, addrs = child
        pm = procfs.read_pagemap(pid, addrs["anon"], addrs["anon"] + 64 * PAGE, max_pages=4)
        assert len(pm.raw) == 4 and pm.truncated and pm.pages == 64

    def test_file_pages_are_file_shared(self, child):
        pid, addrs = child
        pm = procfs.read_pagemap(pid, addrs["file"], addrs["file"] + 8 * PAGE)
        assert pm.present == 8
        assert all(e.file_shared for e in pm.entries())


class TestAttachErrors:
    """Bad PIDs, vanishing processes and refused reads: one line on stderr, exit 2."""

    def _no_pid(self) -> int:
        pid = 4_000_000
        while os.path.exists(f"/proc/{pid}"):
            pid += 1
        return pid

    def test_nonexistent_pid(self, capsys):
        pid = self._no_pid()
        assert main(["attach", str(pid), "--once", "--json"]) == 2
        err = capsys.readouterr().err
        assert f"PID {pid}" in err and "no such process" in err
        assert err.count("\n") == 1 and "Traceback" not in err

    @pytest.mark.parametrize("pid", ["abc", "-5", "0", "12x", ""])
    def test_non_numeric_pid(self, pid, capsys):
        assert main(["attach", pid, "--once"]) == 2
        err = capsys.readouterr().err
        assert "PID" in err and err.count("\n") == 1

    def test_bad_interval(self, child, capsys):
        pid, _ = child
        assert main(["attach", str(pid), "--interval", "0"]) == 2
        assert "--interval" in capsys.readouterr().err

    @pytest.mark.parametrize("exc", [ProcessLookupError, FileNotFoundError])
    @pytest.mark.parametrize("after", [0, 1, 2])
    def test_vanishes_mid_read(self, child, capsys, monkeypatch, exc, after):
        pid, _ = child
        real = procfs.read_proc_text
        calls = {"n": 0}

        def flaky(path: str) -> str:
            calls["n"] += 1
            if calls["n"] > after:
                raise exc(3, "No such process", path)
            return real(path)

        monkeypatch.setattr(procfs, "read_proc_text", flaky)
        assert main(["attach", str(pid), "--once", "--json"]) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        assert f"PID {pid}" in captured.err and "exited while being read" in captured.err
        assert captured.err.count("\n") == 1

    def test_smaps_empty_because_process_exited(self, child, capsys, monkeypatch):
        pid, _ = child
        real = procfs.read_proc_text
        monkeypatch.setattr(
            procfs, "read_proc_text", lambda p: "" if p.endswith("/smaps") else real(p)
        )
        answers = iter([True])  # there at the start, gone after the empty read
        monkeypatch.setattr(procfs, "pid_exists", lambda p: next(answers, False))
        assert main(["attach", str(pid), "--once", "--json"]) == 2
        assert "exited while being read" in capsys.readouterr().err

    def test_permission_denied(self, child, capsys, monkeypatch):
        pid, _ = child
        real = procfs.read_proc_text

        def denied(path: str) -> str:
            if path.endswith("/smaps"):
                raise PermissionError(13, "Permission denied", path)
            return real(path)

        monkeypatch.setattr(procfs, "read_proc_text", denied)
        assert main(["attach", str(pid), "--once"]) == 2
        err = capsys.readouterr().err
        assert f"PID {pid}" in err and "permission denied" in err
        assert err.count("\n") == 1

    def test_pagemap_refused_is_not_fatal(self, child, monkeypatch):
        pid, addrs = child

        def denied(path: str, offset: int, length: int) -> bytes:
            raise PermissionError(13, "Permission denied", path)

        monkeypatch.setattr(procfs, "read_proc_bytes", denied)
        pm = procfs.read_pagemap(pid, addrs["anon"], addrs["anon"] + 64 * PAGE)
        assert not pm.available and "permission" in pm.reason and not pm.truncated

    def test_zombie(self, capsys):
        proc = subprocess.Popen([sys.executable, "-c", "pass"])
        try:
            # Wait for the exit without reaping: poll /proc until the state is Z.
            for _ in range(500):
                if procfs.read_status(proc.pid).is_zombie:
                    break
                time.sleep(0.01)
            assert main(["attach", str(proc.pid), "--once"]) == 2
            assert "zombie" in capsys.readouterr().err
        finally:
            proc.wait()


class TestAttachApp:
    """The live app: it mounts, shows the child's VMAs and their residency."""

    async def test_mounts_and_shows_vmas(self, child):
        from textual.widgets import DataTable

        from vmtui.ui.attach_app import AttachApp, ResidencyStrip

        pid, addrs = child
        app = AttachApp(pid, interval=0.2)
        async with app.run_test(size=(140, 40)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert f"real process {pid}" in app.title
            table = app.query_one("#vmas", DataTable)
            key = f"{addrs['anon']:x}-{addrs['anon'] + 64 * PAGE:x}"
            row = table.get_row(key)
            assert str(row[2]) == "rw-p"
            assert str(row[3]) == f"{64 * PAGE // 1024}K"
            assert table.row_count == len(procfs.read_maps(pid))

            # Select the anonymous region: the strip shows 10 present pages of 64.
            table.move_cursor(row=table.get_row_index(key))
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            strip = app.query_one("#strip", ResidencyStrip)
            assert strip.pagemap is not None and strip.pagemap.present == 10
            text = "".join(strip.render_line(y).text for y in range(strip.size.height))
            assert text.count("█") == 10 and text.count("·") == 54

            await pilot.press("q")
        assert app.return_code == 0

    async def test_lost_process_keeps_last_view(self, child, monkeypatch):
        from vmtui.host.procfs import ProcessGone
        from vmtui.ui import attach_app
        from vmtui.ui.attach_app import AttachApp

        pid, _ = child
        app = AttachApp(pid, interval=0.2)
        async with app.run_test(size=(120, 30)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            rows = app.query_one("#vmas").row_count

            def gone(p: int):
                raise ProcessGone("exited while being read (/proc/x/smaps)", p)

            monkeypatch.setattr(attach_app, "take_process_snapshot", gone)
            await pilot.press("r")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert "exited" in app.sub_title
            assert app.query_one("#vmas").row_count == rows


class TestAttachReadOnly:
    """Attach opens every file read-only and writes nothing anywhere."""

    def test_every_open_is_read_only(self, child, capsys, monkeypatch):
        import builtins

        pid, addrs = child
        modes: list[tuple[str, object]] = []
        real_open, real_os_open = builtins.open, os.open

        def spy_open(file, mode="r", *args, **kwargs):
            modes.append((str(file), mode))
            return real_open(file, mode, *args, **kwargs)

        def spy_os_open(path, flags, *args, **kwargs):
            modes.append((str(path), flags))
            return real_os_open(path, flags, *args, **kwargs)

        monkeypatch.setattr(builtins, "open", spy_open)
        monkeypatch.setattr(os, "open", spy_os_open)
        assert main(["attach", str(pid), "--once", "--json"]) == 0
        procfs.read_pagemap(pid, addrs["anon"], addrs["anon"] + PAGE)
        capsys.readouterr()
        assert any(p.endswith("/smaps") for p, _ in modes)
        assert any(p.endswith("/pagemap") for p, _ in modes)
        for path, mode in modes:
            if isinstance(mode, str):
                assert set(mode) <= {"r", "b", "t"}, (path, mode)
            else:
                assert mode & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC) == 0, path


class TestAttachStream:
    """`vmtui attach PID --json` without --once: one line per refresh until the process exits."""

    def test_stream_ends_when_process_exits(self, capsys, monkeypatch):
        from vmtui.commands import attach

        proc = subprocess.Popen(
            [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
        )
        ticks = {"n": 0}

        def tick(seconds: float) -> None:
            ticks["n"] += 1
            if ticks["n"] == 2:
                proc.kill()
                proc.wait()

        monkeypatch.setattr(attach.time, "sleep", tick)
        try:
            assert main(["attach", str(proc.pid), "--json", "--interval", "0.01"]) == 2
        finally:
            proc.kill()
            proc.wait()
        out, err = capsys.readouterr()
        lines = out.splitlines()
        assert len(lines) == 2 and all(json.loads(x)["pid"] == proc.pid for x in lines)
        assert err == f"vmtui attach: PID {proc.pid}: the process exited\n"


class TestResidencyStrip:
    """The strip groups pages into cells when a VMA has more pages than the strip has cells."""

    def test_grouping(self):
        from vmtui.ui.attach_app import ResidencyStrip

        p, s = procfs.PM_PRESENT, procfs.PM_SWAP
        # 8 pages in 4 cells: all present, partly present, one swapped, none.
        raw = [p, p, p, 0, p, s, 0, 0]
        pm = procfs.PagemapRange(1, 0, 8 * PAGE, raw=raw)
        strip = ResidencyStrip()
        strip.set_pagemap(pm)
        assert strip.cells(4) == ["present", "partial", "swapped", "absent"]
        assert strip.cells(100) == [
            "present",
            "present",
            "present",
            "absent",
            "present",
            "swapped",
            "absent",
            "absent",
        ]
        strip.set_pagemap(None)
        assert strip.cells(4) == []


class TestAttachMainApp:
    """`vmtui attach PID` live: the main app's panes, fed from /proc, read-only."""

    async def test_vma_list_shows_the_child_regions(self, child):
        from vmtui.ui.app import VmtuiApp
        from vmtui.ui.lines_view import LinesView

        pid, addrs = child
        app = VmtuiApp(host_pid=pid, interval=0.2)
        async with app.run_test(size=(160, 50)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            snap = app.snapshot
            assert snap is not None and snap.host and snap.pid == pid
            assert snap.maps == [v.line for v in procfs.read_maps(pid)]
            vmas = app.query_one("#vmas", LinesView)
            rows = [vmas.get_line(i).plain for i in range(vmas.line_count())]
            anon = f"{addrs['anon']:x}-{addrs['anon'] + 64 * PAGE:x}"
            row = next(r for r in rows if r.startswith(anon))
            assert " rw-p" in row
            # the 10 touched pages of the anonymous region, from smaps' Rss
            i = next(i for i, line in enumerate(snap.maps) if line.startswith(anon))
            assert snap.rss[i] * 4 == 10 * PAGE // 1024
            split = addrs["split"]
            for k, perms in enumerate(("rw-p", "r--p", "rw-p")):
                lo, hi = split + 3 * k * PAGE, split + 3 * (k + 1) * PAGE
                assert any(r.startswith(f"{lo:x}-{hi:x} {perms}") for r in rows)
            fstart = addrs["file"]
            assert any(r.startswith(f"{fstart:x}-{fstart + 8 * PAGE:x} r--s") for r in rows)
            # the bar has a band for the anonymous region
            assert any(b.lo == addrs["anon"] and b.hi == addrs["anon"] + 64 * PAGE
                       for b in snap.bands)
            # read-only: stepping keys are disabled, the header says it is a real process
            assert app.check_action("next", ()) is False
            await pilot.press("n")
            assert app.snapshot.position == 0
            assert "real process, read-only" in app.status.render().plain
            await pilot.press("q")
        assert app.return_code == 0
