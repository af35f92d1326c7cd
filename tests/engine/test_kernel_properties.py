"""Hypothesis: one random mmap/munmap/mprotect/mremap/brk sequence on 5.4 and on 6.18.

Both machines run every command; after each, both engines' invariants hold
(check_invariants) and the two kernels agree on the result and on the maps of the
window the sequence works in, except where a behaviour that changed between 5.4 and
6.18 applies. Those exceptions are listed here, each as narrow as the kernel change:

- MERGE: 6.x merges more adjacent anonymous VMAs than 5.4 (6.16's is_mergeable_anon_vma(),
  mremap's vma_merge_extend()). The window's maps are compared with adjacent anonymous
  lines of the same permissions joined, and 6.18 may never have more lines than 5.4.
- MREMAP_UNMAPPED: mremap of a range with no VMA at its start: 5.4 shrinks (returns the
  address; do_munmap() has unmapped the tail [addr + new, addr + old), and with
  MREMAP_FIXED mremap_to() the destination first) where 6.x says EFAULT before it
  unmaps anything (tests/kernel_probes/mremap_efault.out). The results are not
  compared; the maps are, after 6.18 unmaps what 5.4 unmapped.
- MREMAP_MULTI: mremap MREMAP_FIXED of the same size over a range that is not one VMA:
  5.4's vma_to_resize() says EFAULT, 6.17's remap_move() moves each VMA of the range
  (tests/kernel_probes/mremap_multi.out). When 5.4 says EFAULT and 6.18 does not, the
  machines hold different mappings from then on, as for MREMAP_BOUNDS.
- MREMAP_BOUNDS: mremap's outcome depends on where the VMA around the range ends, which
  the merges above may have moved on one kernel only: when the VMA at the range's start
  has other bounds on the two kernels, the command runs on both, and from then on the
  two machines may hold different mappings: only each engine's invariants (and the
  heap) are checked after that.
- Fault counts after mprotect adding write (can_change_pte_writable()) are not compared:
  results and maps are.

Commands that place a mapping where the kernel chooses (mmap without MAP_FIXED, mremap
that may move) would follow each kernel's layout; the sequence uses MAP_FIXED and
MREMAP_FIXED destinations inside the window, and the heap is compared relative to its
start (brk - start_brk).
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from vmtui.engine.boot import new_machine
from vmtui.engine.check.invariants import check_invariants
from vmtui.engine.fs.procfs import maps_lines
from vmtui.engine.include.machine import Machine, MachineConfig
from vmtui.scenario.execute import Result, run_command
from vmtui.scenario.lang import parse_command

PAGE = 4096
BASE = 0x7F0000000000
NPAGES = 32
PROTS = ["r", "rw", "none", "rx"]
KERNELS = ("5.4", "6.18")


def _run(m: Machine, text: str) -> Result:
    res, _ = run_command(m, parse_command(text, 1))
    return res


def _window(m: Machine) -> list[tuple[int, int, str]]:
    """The window's maps lines as (first page, last page + 1, perms), in order."""
    out = []
    for line in maps_lines(m, m.current):
        rng, perms = line.split()[:2]
        s, e = (int(x, 16) for x in rng.split("-"))
        if e <= BASE or s >= BASE + NPAGES * PAGE:
            continue
        out.append(((s - BASE) // PAGE, (e - BASE) // PAGE, perms))
    return out


def _joined(rows: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """MERGE: adjacent anonymous lines with the same permissions as one."""
    out: list[tuple[int, int, str]] = []
    for r in rows:
        if out and out[-1][1] == r[0] and out[-1][2] == r[2]:
            out[-1] = (out[-1][0], r[1], r[2])
        else:
            out.append(r)
    return out


def _perms(m: Machine, page: int) -> str:
    v = m.current.mm.vmas.find_vma(BASE + page * PAGE)
    return "" if v is None or v.vm_start > BASE + page * PAGE else v.perms()


def _vma_at(m: Machine, page: int) -> tuple[int, int] | None:
    v = m.current.mm.vmas.find_vma(BASE + page * PAGE)
    if v is None or v.vm_start > BASE + page * PAGE:
        return None
    return v.vm_start, v.vm_end


class TwoKernels(RuleBasedStateMachine):
    """The same commands on a 5.4 and a 6.18 machine, compared after each."""

    @initialize()
    def boot(self):
        self.ms = [new_machine(MachineConfig.from_dict({"ram": "64M", "swap": 0,
                                                        "kernel": k})) for k in KERNELS]
        self.exact = True  # no MREMAP_BOUNDS yet: results and maps are compared
        self.exceptions: set[str] = set()

    def _both(self, text: str, compare: bool = True) -> tuple[Result, Result]:
        a, b = (_run(m, text) for m in self.ms)
        if compare and self.exact:
            assert (a.ok, a.value, a.errno, a.signal) == (b.ok, b.value, b.errno, b.signal), \
                (text, a.summary(), b.summary())
        return a, b

    @rule(first=st.integers(0, NPAGES - 1), n=st.integers(1, 8), prot=st.sampled_from(PROTS))
    def mmap_fixed(self, first, n, prot):
        n = min(n, NPAGES - first)
        self._both(f"x = mmap {n * PAGE} {prot} private,anon,fixed "
                   f"addr={BASE + first * PAGE:#x}")

    @rule(first=st.integers(0, NPAGES - 1), n=st.integers(1, 8))
    def munmap(self, first, n):
        self._both(f"munmap {BASE + first * PAGE:#x} {min(n, NPAGES - first) * PAGE}")

    @rule(first=st.integers(0, NPAGES - 1), n=st.integers(1, 8), prot=st.sampled_from(PROTS))
    def mprotect(self, first, n, prot):
        self._both(f"mprotect {BASE + first * PAGE:#x} {min(n, NPAGES - first) * PAGE} {prot}")

    @rule(page=st.integers(0, NPAGES - 1), value=st.integers(1, 1000))
    def write(self, page, value):
        # a write where the page is not writable would kill the process: only rw pages
        if any(_perms(m, page)[:2] != "rw" for m in self.ms):
            return
        self._both(f"write {BASE + page * PAGE:#x} = {value}")

    @rule(page=st.integers(0, NPAGES - 1))
    def read(self, page):
        if any(_perms(m, page)[:1] != "r" for m in self.ms):
            return
        self._both(f"x = read {BASE + page * PAGE:#x}")

    @rule(first=st.integers(0, NPAGES - 1), old=st.integers(1, 4), new=st.integers(1, 6),
          dest=st.one_of(st.none(), st.integers(0, NPAGES - 1)))
    def mremap(self, first, old, new, dest):
        old, new = min(old, NPAGES - first), min(new, NPAGES - first)
        text = f"x = mremap {BASE + first * PAGE:#x} {old * PAGE} {new * PAGE}"
        if dest is not None:
            new = min(new, NPAGES - dest)
            text = f"x = mremap {BASE + first * PAGE:#x} {old * PAGE} {new * PAGE} " \
                   f"maymove fixed={BASE + dest * PAGE:#x}"
        at = [_vma_at(m, first) for m in self.ms]
        if at[0] is None and at[1] is None:
            self.exceptions.add("MREMAP_UNMAPPED")
            a, b = self._both(text, compare=False)
            if b.errno == "EFAULT" and (a.ok or a.errno == "EFAULT"):
                # what 5.4 unmapped before it looked for the VMA: mremap_to()'s
                # destination, then the tail of a shrink
                if dest is not None:
                    _run(self.ms[1], f"munmap {BASE + dest * PAGE:#x} {new * PAGE}")
                if new < old:
                    _run(self.ms[1], f"munmap {BASE + (first + new) * PAGE:#x} "
                                     f"{(old - new) * PAGE}")
            return
        end = BASE + (first + old) * PAGE
        if dest is not None and old == new and at[0] == at[1] and at[0] is not None and \
                at[0][1] < end:
            a, b = self._both(text, compare=False)
            if (a.ok, a.value, a.errno) != (b.ok, b.value, b.errno):
                assert a.errno == "EFAULT", (text, a.summary(), b.summary())
                self.exceptions.add("MREMAP_MULTI")
                self.exact = False
            return
        if at[0] != at[1]:
            self.exceptions.add("MREMAP_BOUNDS")
            self.exact = False
            self._both(text, compare=False)
            return
        self._both(text)

    @rule(delta=st.integers(-4, 8))
    def sbrk(self, delta):
        if any(m.current.mm.brk + delta * PAGE < m.current.mm.start_brk for m in self.ms):
            return
        a, b = self._both(f"x = sbrk {delta * PAGE}", compare=False)
        assert a.ok == b.ok
        ra, rb = (int(str(r.value), 0) - m.current.mm.start_brk
                  for r, m in ((a, self.ms[0]), (b, self.ms[1])))
        assert ra == rb

    @invariant()
    def agree(self):
        if not hasattr(self, "ms"):
            return
        for m in self.ms:
            check_invariants(m)
        w54, w618 = (_window(m) for m in self.ms)
        if self.exact:
            assert _joined(w54) == _joined(w618), (w54, w618)
            # MERGE only: 6.18 joins what 5.4 keeps apart, never the other way
            assert len(w618) <= len(w54)
        heaps = [m.current.mm.brk - m.current.mm.start_brk for m in self.ms]
        assert heaps[0] == heaps[1]


TestTwoKernels = TwoKernels.TestCase
TestTwoKernels.settings = settings(max_examples=25, stateful_step_count=30, deadline=None,
                                   suppress_health_check=[HealthCheck.too_slow])
