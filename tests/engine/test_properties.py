"""Hypothesis: random syscall sequences against a page-level model, invariants after every step.

The model knows, page by page, what is mapped with which rights and what was
last written; /proc/PID/maps and every read must agree with it.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from vmtui.engine.boot import new_machine
from vmtui.engine.check.invariants import check_invariants
from vmtui.engine.include.machine import Machine, MachineConfig
from vmtui.scenario.execute import run_command
from vmtui.scenario.lang import parse_command

PAGE = 4096
BASE = 0x7F0000000000  # a window of the mmap area for MAP_FIXED work
NPAGES = 24
PROTS = ["r", "rw", "none", "rx"]


def _run(m: Machine, text: str):
    cmd = parse_command(text)
    res, _ = run_command(m, cmd)
    return res


class VmaModel(RuleBasedStateMachine):
    """mmap/munmap/mprotect/mremap/brk and writes, against a page model."""

    @initialize()
    def boot(self):
        self.m = new_machine(MachineConfig.from_dict({"ram": "64M", "swap": 0}))
        self.pages: dict[int, str] = {}  # page number in the window -> prot
        self.values: dict[int, int] = {}
        self.heap: dict[int, int] = {}
        self.brk0 = self.m.current.mm.brk

    def _set(self, first: int, n: int, prot: str) -> None:
        for p in range(first, first + n):
            self.pages[p] = prot
            self.values.pop(p, None)

    @rule(first=st.integers(0, NPAGES - 1), n=st.integers(1, 8), prot=st.sampled_from(PROTS))
    def mmap_fixed(self, first, n, prot):
        n = min(n, NPAGES - first)
        res = _run(self.m, f"x = mmap {n * PAGE} {prot} private,anon,fixed "
                           f"addr={BASE + first * PAGE:#x}")
        assert res.ok, res.summary()
        self._set(first, n, prot)

    @rule(first=st.integers(0, NPAGES - 1), n=st.integers(1, 8))
    def munmap(self, first, n):
        n = min(n, NPAGES - first)
        assert _run(self.m, f"munmap {BASE + first * PAGE:#x} {n * PAGE}").ok
        for p in range(first, first + n):
            self.pages.pop(p, None)
            self.values.pop(p, None)

    @rule(first=st.integers(0, NPAGES - 1), n=st.integers(1, 8), prot=st.sampled_from(PROTS))
    def mprotect(self, first, n, prot):
        n = min(n, NPAGES - first)
        res = _run(self.m, f"mprotect {BASE + first * PAGE:#x} {n * PAGE} {prot}")
        if first not in self.pages:
            assert res.errno == "ENOMEM"
            return
        for p in range(first, first + n):
            if p not in self.pages:
                assert res.errno == "ENOMEM", "a hole in the range must fail"
                return
            self.pages[p] = prot
        assert res.ok, res.summary()

    @rule(page=st.integers(0, NPAGES - 1), value=st.integers(1, 1000))
    def write(self, page, value):
        if self.pages.get(page) != "rw":
            return
        assert _run(self.m, f"write {BASE + page * PAGE:#x} = {value}").ok
        self.values[page] = value

    @rule(page=st.integers(0, NPAGES - 1))
    def read(self, page):
        if self.pages.get(page) not in ("r", "rw", "rx"):
            return
        res = _run(self.m, f"x = read {BASE + page * PAGE:#x}")
        assert res.ok and res.value == self.values.get(page, 0), (res.summary(), page)

    @rule(first=st.integers(0, NPAGES - 1), old=st.integers(1, 4), new=st.integers(1, 8))
    def mremap(self, first, old, new):
        if any(self.pages.get(p) is None for p in range(first, first + old)):
            return
        if len({self.pages[p] for p in range(first, first + old)}) != 1:
            return  # several VMAs: EFAULT in the kernel, not modelled here
        res = _run(self.m, f"x = mremap {BASE + first * PAGE:#x} {old * PAGE} {new * PAGE} "
                           "maymove")
        if not res.ok:
            assert res.errno in ("EFAULT", "ENOMEM"), res.summary()
            return
        dest = (int(res.value, 16) - BASE) // PAGE
        prot = self.pages[first]
        vals = {i: self.values.get(first + i) for i in range(min(old, new))}
        for p in range(first, first + old):
            self.pages.pop(p, None)
            self.values.pop(p, None)
        if 0 <= dest < NPAGES * 4:
            for i in range(new):
                self.pages[dest + i] = prot
                if i in vals and vals[i] is not None:
                    self.values[dest + i] = vals[i]  # type: ignore[assignment]

    @rule(delta=st.integers(-8, 8))
    def sbrk(self, delta):
        mm = self.m.current.mm
        if mm.brk + delta * PAGE < self.brk0:
            return
        assert _run(self.m, f"x = sbrk {delta * PAGE}").ok

    @invariant()
    def agrees(self):
        if not hasattr(self, "m"):
            return
        check_invariants(self.m)
        mm = self.m.current.mm
        seen = {}
        for vma in mm.vmas:
            if vma.vm_end <= BASE or vma.vm_start >= BASE + NPAGES * 4 * PAGE:
                continue
            prot = vma.perms()[:3].replace("-", "")
            for a in range(vma.vm_start, vma.vm_end, PAGE):
                seen[(a - BASE) // PAGE] = {"": "none"}.get(prot, prot)
        assert seen == self.pages
        assert mm.brk >= self.brk0


TestVmaModel = VmaModel.TestCase
TestVmaModel.settings = settings(max_examples=100, stateful_step_count=40, deadline=None,
                                 suppress_health_check=[HealthCheck.too_slow])


class ValuesAcrossFork(RuleBasedStateMachine):
    """Writes and reads through anon, shared-file and private-file mappings, across fork."""

    REGIONS = {"anon": 0, "shared": 16, "private": 32}

    @initialize()
    def boot(self):
        self.m = new_machine(MachineConfig.from_dict({"ram": "64M", "swap": 0}))
        for text in (f"file f {16 * PAGE}",
                     f"a = mmap {16 * PAGE} rw private,anon,fixed addr={BASE:#x}",
                     f"s = mmap {16 * PAGE} rw shared,fixed file=f addr={BASE + 16 * PAGE:#x}",
                     f"p = mmap {16 * PAGE} rw private,fixed file=f addr={BASE + 32 * PAGE:#x}"):
            assert _run(self.m, text).ok
        self.file: dict[int, int] = {}
        self.views = {1: {"anon": {}, "private": {}}}  # pid -> own pages

    def _pid(self) -> int:
        return self.m.current_pid

    @rule(region=st.sampled_from(["anon", "shared", "private"]), page=st.integers(0, 3),
          value=st.integers(1, 10_000))
    def write(self, region, page, value):
        addr = BASE + (self.REGIONS[region] + page) * PAGE
        assert _run(self.m, f"write {addr:#x} = {value}").ok
        if region == "shared":
            self.file[page] = value
        else:
            self.views[self._pid()][region][page] = value

    @rule(region=st.sampled_from(["anon", "shared", "private"]), page=st.integers(0, 3))
    def read(self, region, page):
        addr = BASE + (self.REGIONS[region] + page) * PAGE
        res = _run(self.m, f"x = read {addr:#x}")
        own = self.views[self._pid()]
        if region == "shared":
            want = self.file.get(page, 0)
        elif region == "private":
            want = own["private"].get(page, self.file.get(page, 0))
        else:
            want = own["anon"].get(page, 0)
        assert res.ok and res.value == want, (region, page, res.summary(), want)

    @precondition(lambda self: len(self.views) < 5)
    @rule()
    def fork(self):
        res = _run(self.m, "c = fork")
        assert res.ok
        parent = self.views[self._pid()]
        self.views[res.value] = {"anon": dict(parent["anon"]), "private": dict(parent["private"])}

    @rule(data=st.data())
    def switch(self, data):
        pid = data.draw(st.sampled_from(sorted(self.views)))
        assert _run(self.m, f"switch {pid}").ok

    @invariant()
    def invariants(self):
        if hasattr(self, "m"):
            check_invariants(self.m)


TestValuesAcrossFork = ValuesAcrossFork.TestCase
TestValuesAcrossFork.settings = settings(max_examples=150, stateful_step_count=40, deadline=None,
                                         suppress_health_check=[HealthCheck.too_slow])
