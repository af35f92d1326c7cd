"""The special mappings [vvar] and [vdso] (issue 11): they fault through
special_mapping_fault, as on Linux.

Expected values come from vvar_fault()/vdso_fault() in arch/x86/entry/vdso/vma.c (5.4) and
what this machine's kernel does to a probe that reads and executes [vvar] and [vdso] (page 0
of [vvar] reads, page 1 is SIGBUS BUS_ADRERR for a read and for an instruction fetch, an
instruction fetch from page 0 is SIGSEGV SEGV_ACCERR, both pages of [vdso] read; smaps:
[vvar] Rss 0, [vdso] Rss counts).
"""

from __future__ import annotations

from pathlib import Path

from tests.engine.conftest import do_checked, machine
from vmtui.engine.include.machine import Machine

PAGE = 4096


def _special(m: Machine, name: str) -> int:
    return next(v.vm_start for v in m.current.mm.vmas if v.name == name)


class TestSpecialMappings:
    """[vvar] and [vdso] fault through special_mapping_fault, as on Linux."""

    def test_vvar_page_zero_reads_the_rest_is_sigbus(self) -> None:
        m = machine()
        vvar = _special(m, "[vvar]")
        assert do_checked(m, f"read {vvar:#x}").ok
        res = do_checked(m, f"read {vvar + PAGE:#x}")
        assert (res.signal, res.code, res.addr) == ("SIGBUS", "BUS_ADRERR", vvar + PAGE)

    def test_exec_of_vvar_is_segv_accerr_and_of_a_missing_page_sigbus(self) -> None:
        m = machine()
        vvar = _special(m, "[vvar]")
        res = do_checked(m, f"exec {vvar:#x}")
        assert (res.signal, res.code, res.addr) == ("SIGSEGV", "SEGV_ACCERR", vvar)
        m = machine()
        res = do_checked(m, f"exec {vvar + PAGE:#x}")
        assert (res.signal, res.code) == ("SIGBUS", "BUS_ADRERR")

    def test_vdso_reads_and_executes(self) -> None:
        m = machine()
        vdso = _special(m, "[vdso]")
        assert do_checked(m, f"read {vdso:#x} 8K").ok
        assert do_checked(m, f"exec {vdso + PAGE:#x}").ok

    def test_a_range_running_into_vvar_stops_at_its_missing_page(self) -> None:
        m = machine()
        vvar = _special(m, "[vvar]")
        res = do_checked(m, f"read {vvar - 4 * PAGE:#x} 32K")
        assert (res.signal, res.code, res.addr) == ("SIGBUS", "BUS_ADRERR", vvar + PAGE)

    def test_rss_counts_vdso_not_vvar_and_fork_shares_them(self) -> None:
        m = machine()
        vvar, vdso = _special(m, "[vvar]"), _special(m, "[vdso]")
        assert do_checked(m, f"read {vvar:#x}").ok
        anon_kb = m.current.mm.rss_anon * 4
        file_kb = m.current.mm.rss_file * 4
        assert do_checked(m, f"read {vdso:#x} 8K").ok
        mm = m.current.mm
        assert (mm.rss_anon * 4, mm.rss_file * 4) == (anon_kb, file_kb + 8)
        lines = (do_checked(m, "show smaps").text or "").splitlines()
        for name, rss in (("[vvar]", 0), ("[vdso]", 8)):
            i = next(k for k, ln in enumerate(lines) if ln.endswith(name))
            assert lines[i + 4].split() == ["Rss:", str(rss), "kB"]
        res = do_checked(m, "c = fork")
        assert res.ok
        assert do_checked(m, "switch c").ok
        faults = m.vmstat["pgfault"]
        assert do_checked(m, f"read {vvar:#x}").ok  # VM_PFNMAP: fork copied the PTE
        assert m.vmstat["pgfault"] == faults
        assert do_checked(m, f"read {vdso:#x}").ok  # [vdso] has no anon_vma: faulted again
        assert m.vmstat["pgfault"] == faults + 1
        assert do_checked(m, "exit").ok

    def test_mlockall_and_munmap_of_special_mappings(self) -> None:
        m = machine()
        vvar = _special(m, "[vvar]")
        assert do_checked(m, f"read {vvar:#x}").ok
        assert do_checked(m, f"read {vvar + 16 * 1024:#x} 8K").ok
        assert do_checked(m, "mlockall").ok
        assert do_checked(m, f"munmap {vvar:#x} 24K").ok
        assert do_checked(m, "show smaps").ok


class TestVvarPages618:
    """Linux 6.18's [vvar] (the generic vDSO data store) and [vvar_vclock]: which pages
    read and which are SIGBUS, as tests/kernel_probes/vvar_pages.out read them on the real
    6.18 kernel."""

    @staticmethod
    def probe() -> list[tuple[str, int, str]]:
        out = Path(__file__).resolve().parent.parent / "kernel_probes" / "vvar_pages.out"
        rows = []
        for line in out.read_text().splitlines():
            if line.startswith("["):
                name, rest = line.split(" +", 1)
                page, result = rest.split(": ")
                rows.append((name, int(page), result))
        return rows

    def test_every_page_as_the_kernel(self) -> None:
        rows = self.probe()
        assert len(rows) == 6
        for name, page, result in rows:
            m = machine(kernel="6.18")
            base = _special(m, name)
            res = do_checked(m, f"read {base + page * PAGE:#x}")
            got = "read ok" if res.ok else res.signal
            assert got == result, (name, page)

    def test_54_keeps_its_one_page(self) -> None:
        m = machine()
        assert not any(v.name == "[vvar_vclock]" for v in m.current.mm.vmas)
        vvar = _special(m, "[vvar]")
        assert not do_checked(m, f"read {vvar + 2 * PAGE:#x}").ok
