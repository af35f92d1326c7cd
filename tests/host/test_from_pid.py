"""`vmtui run --from-pid PID` and `from_pid.machine_from_pid`: a simulation that begins
where a real (child) process is, judged against that process's own /proc files and
against what the real kernel does next."""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.conftest import rebuild
from vmtui.cli import main
from vmtui.engine.check.invariants import check_invariants
from vmtui.engine.fs.procfs import maps_lines
from vmtui.engine.include.layout import PAGE_SHIFT, PAGE_SIZE, STACK_GUARD_GAP
from vmtui.engine.include.machine import Machine, MachineConfig
from vmtui.engine.include.pgtable import is_swap_pte, pte_pfn
from vmtui.host import procfs
from vmtui.host.from_pid import FromHostError, infer_mmap_base, machine_from_pid
from vmtui.host.procfs import AccessDenied, HostError, ProcessGone

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc")

ADDR_NO_RANDOMIZE = 0x0040000

# The child maps a bit of everything a lecture meets: a shared file mapping, a private one
# written once (copy-on-write), shared anonymous memory (/dev/zero (deleted)), a PROT_NONE
# reservation, and touched anonymous memory; then it waits for orders on stdin. Everything
# it needs later is set up before "ready", so that answering `mmap N` allocates nothing
# that could itself take a mapping first.
CHILD = textwrap.dedent(
    """
    import ctypes, mmap, os, sys, tempfile

    PAGE = mmap.PAGESIZE
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                          ctypes.c_int, ctypes.c_long]
    fd, path = tempfile.mkstemp(prefix="vmtui-from-pid-")
    os.write(fd, b"x" * (5 * PAGE))
    shared = mmap.mmap(fd, 5 * PAGE, flags=mmap.MAP_SHARED)
    shared[0:1] = b"y"
    private = mmap.mmap(fd, 3 * PAGE, flags=mmap.MAP_PRIVATE, offset=PAGE)
    private[0:1] = b"z"
    shm = mmap.mmap(-1, 3 * PAGE, flags=mmap.MAP_SHARED)
    shm[0:1] = b"s"
    none = libc.mmap(None, 16 * PAGE, 0, 0x22, -1, 0)
    anon = mmap.mmap(-1, 40 * PAGE)
    for i in range(0, 40 * PAGE, PAGE):
        anon[i:i + 1] = b"a"
    os.unlink(path)
    line = b""
    out = sys.stdout.buffer
    out.write(b"ready\\n"); out.flush()
    while True:
        line = sys.stdin.buffer.readline()
        if not line.startswith(b"mmap "):
            break
        addr = libc.mmap(None, int(line[5:]), 3, 0x22, -1, 0)
        out.write(b"%x\\n" % addr); out.flush()
    """
)


@dataclass
class Child:
    proc: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.proc.pid

    def mmap(self, length: int) -> int:
        """The real kernel's answer: mmap(NULL, length, rw, private|anon) in the child."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(b"mmap %d\n" % length)
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline(), 16)


def _start(preexec: object = None) -> Iterator[Child]:
    proc = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, preexec_fn=preexec)  # type: ignore[arg-type]
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"ready\n"
        yield Child(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


@pytest.fixture
def child() -> Iterator[Child]:
    yield from _start()


@pytest.fixture
def child_no_aslr() -> Iterator[Child]:
    def no_randomize() -> None:
        ctypes.CDLL(None).personality(ADDR_NO_RANDOMIZE)

    yield from _start(no_randomize)


def real_lines(pid: int) -> list[str]:
    return [v.line for v in procfs.read_maps(pid)]


def sim_lines(m: Machine) -> list[str]:
    return maps_lines(m, m.current)


def is_vsyscall(line: str) -> bool:
    return line.endswith(" [vsyscall]")


# ------------------------------------------------------------------ the address space


class TestMapsMatch:
    """The simulated /proc/PID/maps is the real one."""

    def test_every_line_equal(self, child: Child) -> None:
        m = machine_from_pid(child.pid)
        check_invariants(m)
        sim, real = sim_lines(m), real_lines(child.pid)
        # the gate VMA is the layout's own line: --xp (vsyscall=xonly) or r-xp (emulate)
        assert [ln for ln in sim if not is_vsyscall(ln)] == \
            [ln for ln in real if not is_vsyscall(ln)]
        assert sum(map(is_vsyscall, sim)) == sum(map(is_vsyscall, real)) == 1

    def test_what_the_child_mapped_is_there(self, child: Child) -> None:
        text = "\n".join(sim_lines(machine_from_pid(child.pid)))
        assert " rw-s " in text and "vmtui-from-pid-" in text and "(deleted)" in text
        assert "/dev/zero (deleted)" in text
        assert " ---p " in text
        for name in ("[heap]", "[stack]", "[vdso]"):
            assert name in text or name == "[heap]"  # a child without a heap is possible

    def test_mm_fields(self, child: Child) -> None:
        m = machine_from_pid(child.pid)
        mm = m.current.mm
        real = procfs.read_maps(child.pid)
        heap = [v for v in real if v.path == "[heap]"]
        if heap:
            assert (mm.start_brk, mm.brk) == (heap[0].start, heap[-1].end)
        stack = next(v for v in real if v.path == "[stack]")
        assert stack.start <= mm.start_stack < stack.end
        assert m.current.comm == procfs.read_status(child.pid).name[:15]
        assert mm.total_vm == sum(v.pages for v in real if v.path != "[vsyscall]")
        assert mm.rss() == 0  # without resident=True nothing is present yet

    def test_files_cover_their_mappings(self, child: Child) -> None:
        m = machine_from_pid(child.pid)
        for vma in m.current.mm.vmas:
            f = vma.vm_file
            if f is not None:
                assert f.npages >= vma.vm_pgoff + vma.pages(), vma
        shm = [v.vm_file for v in m.current.mm.vmas
               if v.vm_file is not None and v.vm_file.name.startswith("/dev/zero")]
        assert shm and all(f.shmem for f in shm if f is not None)

    def test_machine_settings_are_kept(self, child: Child) -> None:
        cfg = MachineConfig.from_dict({"ram": "512M", "swap": "64M", "nodes": 2})
        m = machine_from_pid(child.pid, cfg)
        assert m.mem.totalram > (256 << 20) >> PAGE_SHIFT and len(m.mem.nodes) == 2
        check_invariants(m)


class TestResident:
    """resident=True: each VMA holds as many present pages as the real one's Rss."""

    def test_rss_per_vma(self, child: Child) -> None:
        m = machine_from_pid(child.pid, resident=True)
        check_invariants(m)
        mm = m.current.mm
        assert mm.pgd is not None
        for v in procfs.read_smaps(child.pid):
            vma = mm.find_vma(v.start)
            if v.path == "[vsyscall]":
                continue
            assert vma is not None and vma.vm_start == v.start
            present = sum(1 for t, i, _va in m.pt.iter_ptes(mm.pgd, v.start, v.end)
                          if not is_swap_pte(t.entries[i])
                          and pte_pfn(t.entries[i]) != m.zero_page.pfn)
            if vma.vm_ops == "special_mapping_vmops":
                assert present == 0, v.line  # [vdso], [vvar]: no pages of their own here
            else:
                assert present * PAGE_SIZE == v.kb("Rss") * 1024, v.line
        # the touched anonymous region is anonymous memory here too
        assert mm.rss_anon * PAGE_SIZE >= 40 * PAGE_SIZE

    def test_too_little_ram(self, child: Child) -> None:
        small = MachineConfig.from_dict({"ram": "16M"})
        with pytest.raises(FromHostError, match="does not fit"):
            machine_from_pid(child.pid, small, resident=True)


# ------------------------------------------------------------------ what happens next


def highest_gap_below(real: list[procfs.Vma], base: int, length: int) -> int:
    """vm_unmapped_area() top-down, written out plainly: the highest free gap of `length`
    below `base`, where a gap below a VM_GROWSDOWN VMA loses the stack guard gap."""
    vmas = sorted((v for v in real if v.path != "[vsyscall]"), key=lambda v: v.start)
    best = None
    for i, v in enumerate(vmas):
        hi = v.start - (STACK_GUARD_GAP if "gd" in v.vm_flags or v.path == "[stack]" else 0)
        lo = vmas[i - 1].end if i else 0
        hi = min(hi, base)
        if hi - lo >= length:
            best = hi - length
    assert best is not None
    return best


class TestNextMmap:
    """A new mmap lands where the kernel puts it: top-down from mmap_base."""

    def test_8k_where_the_real_kernel_puts_it(self, child: Child) -> None:
        m = machine_from_pid(child.pid)
        base = m.current.mm.mmap_base
        real = procfs.read_smaps(child.pid)
        from vmtui.engine.mm import mmap as engine_mmap

        sim = engine_mmap.do_mmap(m, m.current, 0, 8192, 3, 0x22, None, 0)
        check_invariants(m)
        assert sim == highest_gap_below(real, base, 8192)
        assert sim == child.mmap(8192)  # the real kernel agrees

    def test_large_mapping_goes_below_the_mmap_area(self, child: Child) -> None:
        # bigger than any hole among the libraries: below the lowest mmap-area mapping
        length = (48 << 20) + PAGE_SIZE
        m = machine_from_pid(child.pid)
        mm = m.current.mm
        from vmtui.engine.mm import mmap as engine_mmap

        sim = engine_mmap.do_mmap(m, m.current, 0, length, 3, 0x22, None, 0)
        real = procfs.read_smaps(child.pid)
        area = [v for v in real if mm.start_brk < v.start and v.end <= mm.mmap_base]
        assert sim + length == min(v.start for v in area)
        assert sim == highest_gap_below(real, mm.mmap_base, length)
        check_invariants(m)

    def test_mmap_base_is_the_kernels_formula(self, child_no_aslr: Child) -> None:
        """Without ASLR mmap_base is TASK_SIZE less the clamped gap, and the dynamic loader
        (mapped first) ends exactly there on the real machine too."""
        m = machine_from_pid(child_no_aslr.pid)
        lay = m.layout
        want = lay.mmap_base(0, m.current.rlimit_stack, False)
        assert m.current.mm.mmap_base == want
        real = procfs.read_maps(child_no_aslr.pid)
        ld = [v for v in real if "/ld-linux" in v.path or v.path.endswith("/ld.so")]
        if ld:
            assert max(v.end for v in ld) == want
        assert infer_mmap_base(m, real, 8 << 20, False) == want
        assert m.current.mm.mmap_base == want
        sim = __import__("vmtui.engine.mm.mmap", fromlist=["do_mmap"]).do_mmap(
            m, m.current, 0, 8192, 3, 0x22, None, 0)
        assert sim == child_no_aslr.mmap(8192)

    def test_brk_grows_the_real_heap(self, child: Child) -> None:
        m = machine_from_pid(child.pid)
        mm = m.current.mm
        if not any(v.path == "[heap]" for v in procfs.read_maps(child.pid)):
            pytest.skip("the child has no [heap] VMA")
        from vmtui.engine.mm.mmap import do_brk

        end = mm.brk
        assert do_brk(m, m.current, end + 8192) == end + 8192
        heap = [ln for ln in sim_lines(m) if ln.endswith("[heap]")]
        assert heap[-1].split()[0].endswith(f"-{end + 8192:012x}")
        check_invariants(m)


# ------------------------------------------------------------------ the command line


class TestCommandLine:
    def test_run_continues_on_the_copy(self, child: Child, capsys: pytest.CaptureFixture[str]
                                       ) -> None:
        rc = main(["run", "--from-pid", str(child.pid), "--json", "--check-invariants",
                   "-c", "a = mmap 8K rw private,anon; write a 8K; show maps"])
        out = capsys.readouterr().out.splitlines()
        assert rc == 0
        steps = rebuild([json.loads(line) for line in out])
        first, last = steps[0], steps[-1]
        addr = int(first["result"]["value"], 16)
        assert addr == child.mmap(8192)
        maps = last["maps"][str(last["pid"])]
        assert any(int(ln.split("-")[0], 16) <= addr < int(ln.split()[0].split("-")[1], 16)
                   for ln in maps)
        assert last["rss"][str(last["pid"])]["anon_kb"] == 8
        assert "[stack]" in last["result"]["text"]

    def test_resident_option(self, child: Child, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["run", "--from-pid", str(child.pid), "--resident", "--json",
                     "-c", "show status"]) == 0
        rec = json.loads(capsys.readouterr().out.splitlines()[0])
        assert rec["rss"][str(rec["pid"])]["anon_kb"] >= 160

    @pytest.mark.parametrize("text", ["abc", "0", "-5", "12x"])
    def test_not_a_pid(self, text: str, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["run", "--from-pid", text, "-c", "show maps"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "PID must be a positive whole number" in err

    def test_no_such_process(self, capsys: pytest.CaptureFixture[str]) -> None:
        gone = subprocess.Popen([sys.executable, "-c", "pass"])
        gone.wait(timeout=30)  # exited and reaped: its PID names nothing now
        assert main(["run", "--from-pid", str(gone.pid), "-c", "show maps"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"PID {gone.pid}: no such process" in err


class TestErrors:
    """A PID that cannot be copied is one `HostError` line naming it."""

    def test_zombie(self) -> None:
        z = subprocess.Popen([sys.executable, "-c", "pass"])
        try:
            for _ in range(600):
                if procfs.read_status(z.pid).is_zombie:
                    break
                __import__("time").sleep(0.05)
            with pytest.raises(ProcessGone, match=f"PID {z.pid}: .*exited"):
                machine_from_pid(z.pid)
        finally:
            z.wait(timeout=30)

    def test_kernel_thread(self) -> None:
        kthread = next((int(p) for p in os.listdir("/proc") if p.isdigit()
                        and _is_kernel_thread(int(p))), None)
        if kthread is None:
            pytest.skip("no kernel thread visible in this PID namespace")
        with pytest.raises(FromHostError, match="kernel thread"):
            machine_from_pid(kthread)

    def test_not_readable(self, child: Child, monkeypatch: pytest.MonkeyPatch) -> None:
        real_read = procfs.read_proc_text

        def denied(path: str) -> str:
            if path.endswith("/smaps"):
                raise PermissionError(13, "Permission denied")
            return real_read(path)

        monkeypatch.setattr(procfs, "read_proc_text", denied)
        with pytest.raises(AccessDenied) as exc:
            machine_from_pid(child.pid)
        assert str(exc.value).startswith(f"PID {child.pid}: permission denied")
        assert "\n" not in str(exc.value)

    def test_layout_too_small(self, child: Child) -> None:
        i386 = MachineConfig.from_dict({"arch": "i386"})
        with pytest.raises(FromHostError, match="above TASK_SIZE"):
            machine_from_pid(child.pid, i386)

    def test_not_positive(self) -> None:
        with pytest.raises(HostError):
            machine_from_pid(0)


def _is_kernel_thread(pid: int) -> bool:
    try:
        return procfs.read_status(pid).is_kernel_thread
    except HostError:
        return False
