"""vm-smalltables/paging-multilevel-translate.py: a two-level table in a memory image.

The machine: 128 pages of 32 bytes (4 KiB), a 32 KiB address space (15-bit
VAs: 5 bits of page-directory index, 5 of page-table index, 5 of offset),
1-byte entries with the valid bit 0x80 and a 7-bit PFN; an unused entry holds
0x7f. A textbook model, not Linux's (which is x86-64's 4 levels of 8-byte
entries, `vmtui.engine.include.pgtable`); the walk itself is `translate.walk()`.

Draws, in order: a free frame for the page directory (int(random() * 128)
until free); for each of `-a` pages a free virtual page (int(random() * 1024)
until unused), its frame, a frame for its page-table page when the directory
entry is not yet valid, then 32 bytes of content int(random() * 31); then per
VA: random() * 100 > 50 (or past the allocated pages) picks a VA anywhere
(int(random() * 32768)), else one in the i-th allocated page.
"""

from __future__ import annotations

import optparse
import random
from typing import Any

from vmtui.ostep import BadInput, Exercise, Question, parse_guess, parser, rng, says_fault
from vmtui.ostep.translate import OSTEP_TWO_LEVEL, WalkResult, walk

PAGE = 32
FRAMES = 128
VPAGES = 1024
UNUSED = 0x7F


class _Memory:
    def __init__(self, gen: random.Random, wanted: int) -> None:
        self.gen = gen
        self.bytes = [0] * (PAGE * FRAMES)
        self.used = [False] * FRAMES
        self.count = 0
        self.wanted = wanted
        self.done = 0

    def find_free(self) -> int:
        if self.count >= FRAMES:
            raise BadInput(f"-a {self.wanted}: physical memory ({FRAMES} pages of {PAGE} bytes) "
                           f"is full after {self.done} pages and their page tables; "
                           "ask for fewer")
        look = int(self.gen.random() * FRAMES)
        while self.used[look]:
            look = int(self.gen.random() * FRAMES)
        self.used[look] = True
        self.count += 1
        return look

    def fill(self, pfn: int, value: int | None = None) -> None:
        for j in range(PAGE):
            self.bytes[pfn * PAGE + j] = UNUSED if value is None else int(self.gen.random() * 31)


def make_parser() -> optparse.OptionParser:
    p = parser("paging-multilevel-translate")
    p.add_option("-s", "--seed", default=0, type="int", dest="seed", help="random seed")
    p.add_option("-a", "--allocated", default=64, type="int", dest="allocated",
                 help="virtual pages to allocate")
    p.add_option("-n", "--addresses", default=10, type="int", dest="num",
                 help="how many VAs to draw")
    p.add_option("-c", "--solve", action="store_true", default=False, dest="solve",
                 help="compute the answers")
    return p


def build(opts: Any) -> Exercise:
    if opts.allocated > VPAGES:
        raise BadInput(f"-a {opts.allocated}: the address space has {VPAGES} pages")
    if opts.num < 0:
        raise BadInput(f"-n must be at least 0, got {opts.num}")
    gen = rng(opts.seed)
    mem = _Memory(gen, opts.allocated)
    pdbr = mem.find_free()
    mem.fill(pdbr)
    vused = [False] * VPAGES
    allocated: list[int] = []
    for _ in range(max(opts.allocated, 0)):
        vp = int(gen.random() * VPAGES)
        while vused[vp]:
            vp = int(gen.random() * VPAGES)
        vused[vp] = True
        allocated.append(vp)
        pp = mem.find_free()
        pde_addr = pdbr * PAGE + (vp >> 5)
        if not mem.bytes[pde_addr] & 0x80:
            pt = mem.find_free()
            mem.bytes[pde_addr] = 0x80 | pt
            mem.fill(pt)
        pt = mem.bytes[pde_addr] & 0x7F
        mem.bytes[pt * PAGE + (vp & 0x1F)] = 0x80 | pp
        mem.fill(pp, value=0)
        mem.done += 1
    vas = []
    for i in range(opts.num):
        if gen.random() * 100 > 50.0 or i >= len(allocated):
            vas.append(int(gen.random() * 1024 * 32))
        else:
            vas.append((allocated[i] << 5) | int(gen.random() * 32))
    image = mem.bytes
    dump = [f"page {k:3d}: " + "".join(f"{b:02x}" for b in image[k * PAGE:(k + 1) * PAGE])
            for k in range(FRAMES)]
    return Exercise(
        script="paging-multilevel-translate", command="",
        title=f"paging-multilevel-translate: {opts.num} VA{'s' * (opts.num != 1)}, "
              f"{len(allocated)} pages allocated",
        setup=[*dump, "",
               f"PDBR: {pdbr} (the page directory is in page {pdbr})",
               "15-bit VA = PDE index (5 bits) | PTE index (5 bits) | offset (5 bits); "
               "entries are 1 byte: valid bit 0x80, PFN 0x7f"],
        setup_json=[{"kind": "memory", "pdbr": pdbr, "page_size": PAGE,
                     "pages": ["".join(f"{b:02x}" for b in image[k * PAGE:(k + 1) * PAGE])
                               for k in range(FRAMES)],
                     "allocated": allocated}],
        questions=[_question(walk(image, pdbr, OSTEP_TWO_LEVEL, va)) for va in vas],
        ask="For each VA: the physical address and the byte loaded, or a fault (in the page "
            "directory or the page table)?",
    )


def _question(r: WalkResult, names: tuple[str, ...] = ("PDE", "PTE")) -> Question:
    steps = []
    for name, lv in zip(names, r.levels, strict=False):
        state = f"valid, PFN 0x{lv.pfn:02x} ({lv.pfn})" if lv.valid else "not valid"
        steps.append(f"{name} index 0x{lv.index:x} ({lv.index}): byte 0x{lv.entry_addr:03x} "
                     f"holds 0x{lv.entry:02x}: {state}")
    pde, pte = r.levels[0], (r.levels[1] if len(r.levels) > 1 else None)
    if r.pa is None:
        result = "pde_fault" if pte is None else "pte_fault"
        answer = ("fault: the page directory entry is not valid" if pte is None else
                  "fault: the page table entry is not valid")
    else:
        result = "ok"
        steps.append(f"PA = PFN << 5 | offset 0x{r.offset:02x} = 0x{r.pa:03x}")
        answer = f"PA 0x{r.pa:03x}, value 0x{r.value:02x}"

    def check(guess: str) -> bool:
        if r.pa is None:
            return says_fault(guess)
        words = guess.replace(",", " ").split()
        return bool(words) and parse_guess(words[0]) == r.pa and (
            len(words) < 2 or parse_guess(words[-1]) == r.value)

    return Question(
        prompt=f"VA 0x{r.va:04x}", answer=answer, steps=steps,
        data={"kind": "translate", "va": r.va, "pde_index": pde.index, "pde_value": pde.entry,
              "pte_index": None if pte is None else pte.index,
              "pte_value": None if pte is None else pte.entry,
              "result": result, "pa": r.pa, "value": r.value},
        hidden={"kind": "translate", "va": r.va}, check=check,
        draw={"levels": [(n, lv.index, lv.entry, lv.valid)
                         for n, lv in zip(names, r.levels, strict=False)],
              "pa": r.pa, "value": r.value})
