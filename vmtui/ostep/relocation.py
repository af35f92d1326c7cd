"""vm-mechanism/relocation.py: base-and-bounds, VAs to relocate.

Draws, in order: the limit int(asize/4 + asize/4 * random()) unless `-l`; the
base int(psize * random()) until base + limit < psize unless `-b`; then `-n`
VAs int(asize * random()).
"""

from __future__ import annotations

import optparse
from typing import Any

from vmtui.ostep import BadInput, Exercise, Question, parse_guess, parser, rng, says_fault, size
from vmtui.ostep.translate import BoundsResult, translate_bounds


def make_parser() -> optparse.OptionParser:
    p = parser("relocation")
    p.add_option("-s", "--seed", default=0, type="int", dest="seed", help="random seed")
    p.add_option("-a", "--asize", default="1k", dest="asize", help="address space size")
    p.add_option("-p", "--physmem", default="16k", dest="psize", help="physical memory size")
    p.add_option("-n", "--addresses", default=5, type="int", dest="num",
                 help="how many VAs to draw")
    p.add_option("-b", "--b", default="-1", dest="base", help="base register (-1: random)")
    p.add_option("-l", "--l", default="-1", dest="limit", help="limit register (-1: random)")
    p.add_option("-c", "--compute", action="store_true", default=False, dest="solve",
                 help="compute the answers")
    return p


def build(opts: Any) -> Exercise:
    gen = rng(opts.seed)
    asize, psize = size("-a", opts.asize), size("-p", opts.psize)
    if psize <= 1:
        raise BadInput(f"-p: physical memory must be more than 1 byte, got {psize}")
    if asize <= 0:
        raise BadInput(f"-a: the address space must be at least 1 byte, got {asize}")
    if psize <= asize:
        raise BadInput(f"-p {opts.psize} must be larger than -a {opts.asize}")
    limit, base = size("-l", opts.limit), size("-b", opts.base)
    if limit < -1 or base < -1:
        raise BadInput("-b and -l are addresses and sizes >= 0 (-1 draws them at random)")
    if limit == -1:
        limit = int(asize / 4.0 + (asize / 4.0 * gen.random()))
    if base == -1:
        if limit >= psize:
            raise BadInput(f"-l {limit} leaves no room for the base in {psize} bytes of memory")
        while True:
            base = int(psize * gen.random())
            if base + limit < psize:
                break
    if base + limit > psize:
        raise BadInput(f"base + limit = {base + limit} is beyond physical memory ({psize} bytes)")
    if opts.num < 0:
        raise BadInput(f"-n must be at least 0, got {opts.num}")
    results = [translate_bounds(base, limit, int(asize * gen.random())) for _ in range(opts.num)]
    return Exercise(
        script="relocation", command="",
        title=f"relocation: base and bounds, {opts.num} VA{'s' * (opts.num != 1)}, "
              f"address space {asize} bytes, physical memory {psize} bytes",
        setup=[f"base  : 0x{base:08x} (decimal {base})", f"limit : {limit}"],
        setup_json=[{"kind": "registers", "base": base, "limit": limit, "asize": asize,
                     "psize": psize}],
        questions=[_question(r, base, limit) for r in results],
        ask="For each VA: the physical address, or a segmentation violation?",
    )


def _question(r: BoundsResult, base: int, limit: int) -> Question:
    if r.pa is None:
        answer = "segmentation violation"
        steps = [f"VA {r.va} >= limit {limit}"]
    else:
        answer = f"PA 0x{r.pa:08x} (decimal {r.pa})"
        steps = [f"VA {r.va} < limit {limit}: PA = base + VA = {base} + {r.va} = {r.pa}"]

    def check(guess: str) -> bool:
        return says_fault(guess) if r.pa is None else parse_guess(guess) == r.pa

    return Question(
        prompt=f"VA 0x{r.va:08x} (decimal {r.va})", answer=answer, steps=steps,
        data={"kind": "translate", "va": r.va, "valid": r.valid, "pa": r.pa},
        hidden={"kind": "translate", "va": r.va}, check=check,
        draw={"levels": [("bounds", r.va, limit, r.valid)], "pa": r.pa})
