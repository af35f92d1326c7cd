"""vm-paging/paging-linear-translate.py: a linear page table, VAs to translate.

For each virtual page the script draws random() * 100 > 100 - used: if so it
draws a frame int(pages * random()) until it finds a free one (the page is
valid), else the page is not valid; then `-n` VAs int(asize * random()),
unless `-A` gives them. Entries print as 0x80000000 | PFN (valid) or 0.
"""

from __future__ import annotations

import optparse
from typing import Any

from vmtui.ostep import (
    BadInput,
    Exercise,
    Question,
    numbers,
    parse_guess,
    parser,
    rng,
    says_fault,
    size,
)
from vmtui.ostep.translate import Linear, LinearResult, log2, translate_linear

VALID = 0x80000000


def make_parser() -> optparse.OptionParser:
    p = parser("paging-linear-translate")
    p.add_option("-A", "--addresses", default="-1", dest="addresses",
                 help="comma-separated VAs to translate; -1 draws them at random")
    p.add_option("-s", "--seed", default=0, type="int", dest="seed", help="random seed")
    p.add_option("-a", "--asize", default="16k", dest="asize",
                 help="address space size (e.g. 16, 64k, 32m)")
    p.add_option("-p", "--physmem", default="64k", dest="psize",
                 help="physical memory size (e.g. 16, 64k, 32m)")
    p.add_option("-P", "--pagesize", default="4k", dest="pagesize", help="page size")
    p.add_option("-n", "--numaddrs", default=5, type="int", dest="num",
                 help="how many VAs to draw")
    p.add_option("-u", "--used", default=50, type="int", dest="used",
                 help="percent of the virtual pages that are valid")
    p.add_option("-v", action="store_true", default=False, dest="verbose",
                 help="print the VPN beside each entry")
    p.add_option("-c", action="store_true", default=False, dest="solve",
                 help="compute the answers")
    return p


def build(opts: Any) -> Exercise:
    asize, psize = size("-a", opts.asize), size("-p", opts.psize)
    page = size("-P", opts.pagesize)
    if psize <= 1:
        raise BadInput(f"-p: physical memory must be more than 1 byte, got {psize}")
    if asize < 1:
        raise BadInput(f"-a: the address space must be at least 1 byte, got {asize}")
    if psize <= asize:
        raise BadInput(f"-p {opts.psize} must be larger than -a {opts.asize} "
                       "(the exercise maps the whole address space)")
    if psize >= 1 << 30 or asize >= 1 << 30:
        raise BadInput("-a and -p must be under 1g")
    if page < 1 or asize % page or psize % page:
        raise BadInput(f"-P {opts.pagesize}: the address space ({asize}) and physical memory "
                       f"({psize}) must be whole numbers of pages")
    if log2(asize) is None:
        raise BadInput(f"-a {opts.asize}: the address space size must be a power of two")
    if log2(page) is None:
        raise BadInput(f"-P {opts.pagesize}: the page size must be a power of two")
    gen = rng(opts.seed)
    frames, vpages = psize // page, asize // page
    taken = [False] * frames
    pfns: list[int | None] = []
    for _ in range(vpages):
        while True:
            if gen.random() * 100.0 > 100.0 - float(opts.used):
                u = int(frames * gen.random())
                if not taken[u]:
                    taken[u] = True
                    pfns.append(u)
                    break
            else:
                pfns.append(None)
                break
    if str(opts.addresses).strip() == "-1":
        if opts.num < 0:
            raise BadInput(f"-n must be at least 0, got {opts.num}")
        vas = [int(asize * gen.random()) for _ in range(opts.num)]
    else:
        vas = numbers("-A", opts.addresses)
    table = Linear(page, tuple(pfns))
    results = []
    for pos, va in enumerate(vas, 1):
        try:
            results.append(translate_linear(table, va))
        except ValueError as exc:
            raise BadInput(f"-A, address {pos}: {exc}") from None
    hexw = max(8, len(f"{psize:x}"))
    setup = [f"page size {page} bytes; address space {asize} bytes = {vpages} pages "
             f"(VPN {vpages.bit_length() - 1} bits, offset {table.page_bits} bits); "
             f"physical memory {psize} bytes = {frames} frames",
             "page table entries: the top bit (0x80000000) is the valid bit, the rest the PFN",
             ""]
    for vpn, pfn in enumerate(pfns):
        raw = 0 if pfn is None else VALID | pfn
        lead = f"  [{vpn:>{len(str(vpages - 1))}}] " if opts.verbose else "  "
        setup.append(f"{lead}0x{raw:08x}")
    questions = [_question(r, table, hexw) for r in results]
    used = sum(p is not None for p in pfns)
    return Exercise(
        script="paging-linear-translate", command="",
        title=f"paging-linear-translate: {len(vas)} VA{'s' * (len(vas) != 1)}, "
              f"{used} of {vpages} pages valid",
        setup=setup,
        setup_json=[{"kind": "page_table", "page_size": page, "asize": asize, "psize": psize,
                     "entries": [0 if p is None else VALID | p for p in pfns],
                     "pfns": list(pfns)}],
        questions=questions,
        ask="For each VA: the physical address it translates to, or invalid?",
    )


def _question(r: LinearResult, table: Linear, hexw: int) -> Question:
    bits = table.page_bits
    steps = [f"VPN = VA >> {bits} = {r.vpn}, offset = VA & 0x{table.page_size - 1:x} = "
             f"0x{r.offset:x}"]
    if r.pfn is None:
        steps.append(f"entry [{r.vpn}] = 0x00000000: not valid")
        answer = f"invalid (VPN {r.vpn} not valid)"
    else:
        steps.append(f"entry [{r.vpn}] = 0x{VALID | r.pfn:08x}: valid, PFN {r.pfn}")
        steps.append(f"PA = PFN << {bits} | offset = 0x{r.pa:0{hexw}x}")
        answer = f"PA 0x{r.pa:0{hexw}x} (decimal {r.pa})"

    def check(guess: str) -> bool:
        if r.pa is None:
            return says_fault(guess)
        return parse_guess(guess) == r.pa

    return Question(
        prompt=f"VA 0x{r.va:08x} (decimal {r.va})", answer=answer, steps=steps,
        data={"kind": "translate", "va": r.va, "vpn": r.vpn, "offset": r.offset,
              "valid": r.valid, "pfn": r.pfn, "pa": r.pa},
        hidden={"kind": "translate", "va": r.va}, check=check,
        draw={"levels": [("PTE", r.vpn, 0 if r.pfn is None else VALID | r.pfn, r.valid)],
              "pa": r.pa})
