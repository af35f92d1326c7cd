"""Faults the issue names: stack growth, SIGSEGV MAPERR/ACCERR, NX, kernel addresses."""

from __future__ import annotations

from tests.conftest import run_checked, run_json


def _res(step):
    return step["result"]


class TestSignals:
    def test_unmapped_address_is_maperr(self, capsys):
        steps = run_json(capsys, "read 0x10000000")
        r = _res(steps[0])
        assert (r["signal"], r["code"], r["addr"]) == ("SIGSEGV", "SEGV_MAPERR", "0x10000000")
        assert steps[0]["maps"] == {}, "the process died"

    def test_write_to_read_only_is_accerr(self, capsys):
        steps = run_json(capsys, "a = mmap 8K r private,anon; write a+4K = 1")
        r = _res(steps[1])
        assert (r["signal"], r["code"]) == ("SIGSEGV", "SEGV_ACCERR")
        assert int(r["addr"], 16) == int(_res(steps[0])["value"], 16) + 4096

    def test_exec_of_non_executable_page_is_accerr(self, capsys):
        steps = run_json(capsys, "a = mmap 8K rw private,anon; write a = 1; exec a")
        r = _res(steps[2])
        assert (r["signal"], r["code"]) == ("SIGSEGV", "SEGV_ACCERR")

    def test_exec_of_executable_page_is_fine(self, capsys):
        steps = run_json(capsys, "a = mmap 8K rx private,anon; exec a")
        assert _res(steps[1])["ok"]

    def test_user_read_of_kernel_address_is_maperr(self, capsys):
        steps = run_json(capsys, "read 0xffff888000000000")
        assert (_res(steps[0])["signal"], _res(steps[0])["code"]) == ("SIGSEGV", "SEGV_MAPERR")

    def test_non_canonical_address_is_a_general_protection_fault(self, capsys):
        steps = run_json(capsys, "read 0x800000000000")
        assert (_res(steps[0])["signal"], _res(steps[0])["code"]) == ("SIGSEGV", "SI_KERNEL")

    def test_prot_none_read_is_accerr(self, capsys):
        steps = run_json(capsys, "a = mmap 4K none private,anon; read a")
        assert _res(steps[1])["code"] == "SEGV_ACCERR"


class TestStack:
    def test_access_below_stack_grows_it(self, capsys):
        steps = run_json(capsys, "s = sbrk 0; write 0x7ffffffd0000 = 3; x = read 0x7ffffffd0000")
        stack = [ln for ln in steps[1]["maps"]["1"] if ln.endswith("[stack]")]
        assert stack and stack[0].startswith("7ffffffd0000-7ffffffff000")
        assert _res(steps[2])["value"] == 3

    def test_beyond_the_stack_rlimit_is_maperr(self, capsys):
        steps = run_json(capsys, "write 0x7fffff000000 = 1")
        assert _res(steps[0])["code"] == "SEGV_MAPERR"


class TestKernelFaults:
    def test_vmalloc_fault_copies_the_pgd_entry(self):
        r = run_checked("v = vmalloc 8K; kwrite v = 5; x = kread v")
        m = r.machine
        assert m.names["x"] == 5
        pgd = m.current.mm.pgd
        idx = m.pt.index(0, m.names["v"])
        assert pgd.entries[idx] is m.init_mm.pgd.entries[idx], "the entry came from init_mm"

    def test_vmalloc_fault_event_is_emitted(self, capsys):
        steps = run_json(capsys, "v = vmalloc 8K; x = kread v")
        fns = [e["fn"] for e in steps[1]["events"]]
        assert "vmalloc_fault" in fns and "do_kern_addr_fault" in fns
        assert _res(steps[1])["ok"]

    def test_kernel_access_to_nothing_is_an_oops(self, capsys):
        steps = run_json(capsys, "x = kread 0xffffc90010000000")
        assert _res(steps[0])["signal"] == "SIGKILL"


class TestSharedFile:
    def test_shared_write_seen_by_every_mapping(self, capsys):
        steps = run_json(capsys, "file f 16K; a = mmap 16K rw shared file=f; "
                                 "b = mmap 16K r shared file=f; write a+4K = 42; x = read b+4K")
        assert _res(steps[4])["value"] == 42

    def test_private_write_is_not_seen_by_shared(self, capsys):
        steps = run_json(capsys, "file f 16K; a = mmap 16K rw private file=f; "
                                 "b = mmap 16K r shared file=f; write a+4K = 42; x = read b+4K")
        assert _res(steps[4])["value"] == 0

    def test_shared_anonymous_survives_fork(self, capsys):
        steps = run_json(capsys, "a = mmap 8K rw shared,anon; c = fork; switch c; write a = 5; "
                                 "switch 1; x = read a")
        assert _res(steps[5])["value"] == 5
        assert "/dev/zero (deleted)" in " ".join(steps[5]["maps"]["1"])


class TestArchitectures:
    def test_five_level_stays_below_128t_unless_hinted(self, capsys):
        steps = run_json(capsys, "a = mmap 8K rw private,anon; "
                                 "b = mmap 8K rw private,anon addr=0x10000000000000",
                         arch="x86_64-5level")
        assert int(steps[0]["result"]["value"], 16) < 1 << 47
        assert int(steps[1]["result"]["value"], 16) >= 1 << 47

    def test_five_level_walk_has_five_levels(self):
        r = run_checked("a = mmap 8K rw private,anon; write a = 1", arch="x86_64-5level")
        m = r.machine
        w = m.pt.walk(m.current.mm.pgd, m.names["a"])
        assert [s.level for s in w.steps] == ["PGD", "P4D", "PUD", "PMD", "PTE"]
        assert w.stopped == "mapped"

    def test_i386_has_two_levels_and_no_nx(self, capsys):
        steps = run_json(capsys, "a = mmap 8K rw private,anon; write a = 1; exec a",
                         arch="i386")
        assert int(steps[0]["result"]["value"], 16) < 0xC0000000
        assert steps[2]["result"]["ok"], "no NX bit without PAE: data is executable"
