"""vm-segmentation/segmentation.py: two segments, VAs to translate.

Draws, in order: limit 0 then limit 1 (int(asize/4 + asize/4 * random()))
unless given; base 0 int(psize * random()) until it fits; base 1 likewise
until it fits and does not overlap segment 0; then `-n` VAs
int(asize * random()) unless `-A` gives them. `-B` is segment 1's base as the
user sees it: the address just past the segment, which grows down.
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
from vmtui.ostep.translate import SegmentResult, Segments, translate_segments


def make_parser() -> optparse.OptionParser:
    p = parser("segmentation")
    p.add_option("-s", "--seed", default=0, type="int", dest="seed", help="random seed")
    p.add_option("-A", "--addresses", default="-1", dest="addresses",
                 help="comma-separated VAs; -1 draws them at random")
    p.add_option("-a", "--asize", default="1k", dest="asize", help="address space size")
    p.add_option("-p", "--physmem", default="16k", dest="psize", help="physical memory size")
    p.add_option("-n", "--numaddrs", default=5, type="int", dest="num",
                 help="how many VAs to draw")
    p.add_option("-b", "--b0", default="-1", dest="base0", help="segment 0 base (-1: random)")
    p.add_option("-l", "--l0", default="-1", dest="len0", help="segment 0 limit (-1: random)")
    p.add_option("-B", "--b1", default="-1", dest="base1",
                 help="segment 1 base, the address past its top (-1: random)")
    p.add_option("-L", "--l1", default="-1", dest="len1", help="segment 1 limit (-1: random)")
    p.add_option("-c", action="store_true", default=False, dest="solve",
                 help="compute the answers")
    return p


def build(opts: Any) -> Exercise:
    gen = rng(opts.seed)
    asize, psize = size("-a", opts.asize), size("-p", opts.psize)
    if psize <= 4:
        raise BadInput(f"-p: physical memory must be more than 4 bytes, got {psize}")
    if asize <= 0:
        raise BadInput(f"-a: the address space must be at least 1 byte, got {asize}")
    if psize <= asize:
        raise BadInput(f"-p {opts.psize} must be larger than -a {opts.asize}")
    len0, len1 = size("-l", opts.len0), size("-L", opts.len1)
    base0, base1 = size("-b", opts.base0), size("-B", opts.base1)
    if min(len0, len1, base0, base1) < -1:
        raise BadInput("-b, -l, -B and -L are addresses and sizes >= 0 (-1: random)")
    if len0 == -1:
        len0 = int(asize / 4.0 + (asize / 4.0 * gen.random()))
    if len1 == -1:
        len1 = int(asize / 4.0 + (asize / 4.0 * gen.random()))
    if (base0 == -1 or base1 == -1) and psize <= 2 * asize:
        raise BadInput("to place segments at random, -p must be more than twice -a")
    if base0 == -1:
        if len0 >= psize:
            raise BadInput(f"segment 0 ({len0} bytes) does not fit in {psize} bytes")
        while True:
            base0 = int(psize * gen.random())
            if base0 + len0 < psize:
                break
    if base1 == -1:
        # Room above segment 0 (base1 > base0 + len0) or below it (base1 + len1 < base0).
        if base0 + len0 + 1 > psize - len1 - 1 and base0 - len1 <= 0:
            raise BadInput(f"no room for segment 1 ({len1} bytes) beside segment 0 "
                           f"({base0}..{base0 + len0}) in {psize} bytes")
        while True:
            base1 = int(psize * gen.random())
            if base1 + len1 < psize and (base1 > base0 + len0 or base1 + len1 < base0):
                break
    else:
        base1 -= len1  # the lowest byte of segment 1
    if psize < base0 + len0 - 1:
        raise BadInput(f"segment 0 ({base0} + {len0}) is not in physical memory ({psize})")
    if psize < base1:
        raise BadInput(f"segment 1 is not in physical memory ({psize} bytes)")
    if 2 * len0 > asize:
        raise BadInput(f"-l {len0}: segment 0 is larger than half the address space ({asize})")
    if 2 * len1 > asize:
        raise BadInput(f"-L {len1}: segment 1 is larger than half the address space ({asize})")
    if base0 + len0 > base1 > base0:
        raise BadInput("the segments overlap in physical memory")
    top1 = base1 + len1
    if str(opts.addresses).strip() == "-1":
        if opts.num < 0:
            raise BadInput(f"-n must be at least 0, got {opts.num}")
        vas = [int(asize * gen.random()) for _ in range(opts.num)]
    else:
        vas = numbers("-A", opts.addresses)
    seg = Segments(asize, base0, len0, top1, len1)
    results = []
    for pos, va in enumerate(vas, 1):
        try:
            results.append(translate_segments(seg, va))
        except ValueError as exc:
            raise BadInput(f"-A, address {pos}: {exc}") from None
    return Exercise(
        script="segmentation", command="",
        title=f"segmentation: two segments, {len(vas)} VA{'s' * (len(vas) != 1)}, "
              f"address space {asize} bytes, physical memory {psize} bytes",
        setup=[f"segment 0 base (grows up)   : 0x{base0:08x} (decimal {base0})",
               f"segment 0 limit             : {len0}",
               f"segment 1 base (grows down) : 0x{top1:08x} (decimal {top1})",
               f"segment 1 limit             : {len1}",
               f"the top VA bit picks the segment: VAs from {(asize + 1) // 2} are segment 1"],
        setup_json=[{"kind": "registers", "asize": asize, "psize": psize, "base0": base0,
                     "limit0": len0, "base1": top1, "limit1": len1}],
        questions=[_question(r, seg) for r in results],
        ask="For each VA: the physical address, or a segmentation violation (and in which "
            "segment)?",
    )


def _question(r: SegmentResult, seg: Segments) -> Question:
    if r.segment == 0:
        steps = [f"VA {r.va} < {(seg.asize + 1) // 2}: segment 0, offset {r.va}"]
        if r.pa is None:
            steps.append(f"offset {r.va} >= limit {seg.limit0}")
        else:
            steps.append(f"offset {r.va} < limit {seg.limit0}: PA = {seg.base0} + {r.va}")
    else:
        steps = [f"VA {r.va} >= {(seg.asize + 1) // 2}: segment 1, offset VA - asize = "
                 f"{r.offset} (grows down)"]
        if r.pa is None:
            steps.append(f"|offset| {-r.offset} > limit {seg.limit1}")
        else:
            steps.append(f"|offset| {-r.offset} <= limit {seg.limit1}: PA = {seg.top1} - "
                         f"{-r.offset}")
    answer = (f"segmentation violation (segment {r.segment})" if r.pa is None else
              f"PA 0x{r.pa:08x} (decimal {r.pa}) in segment {r.segment}")

    def check(guess: str) -> bool:
        return says_fault(guess) if r.pa is None else parse_guess(guess.split()[0] if guess.split()
                                                                   else "") == r.pa

    limit = seg.limit0 if r.segment == 0 else seg.limit1
    return Question(
        prompt=f"VA 0x{r.va:08x} (decimal {r.va})", answer=answer, steps=steps,
        data={"kind": "translate", "va": r.va, "segment": r.segment, "offset": r.offset,
              "valid": r.valid, "pa": r.pa},
        hidden={"kind": "translate", "va": r.va}, check=check,
        draw={"levels": [(f"segment {r.segment}", r.offset, limit, r.valid)], "pa": r.pa})
