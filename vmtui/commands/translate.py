"""`vmtui translate`: address translation exercises with vmtui's own flags.

Four models (vmtui.ostep.translate): a linear page table of any power-of-two
page size, a generic N-level walk over a byte-addressed memory image, base and
bounds, and two segments. Each prints one solved question per VA (the steps
included), `--hide` the questions only, `--json` one object per VA.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from vmtui.ostep import (
    BadInput,
    Exercise,
    Question,
    paging_linear,
    relocation,
    render_json,
    render_text,
    segmentation,
    size,
)
from vmtui.ostep.translate import (
    Linear,
    Segments,
    WalkFormat,
    WalkResult,
    log2,
    translate_bounds,
    translate_linear,
    translate_segments,
    walk,
)


def _num(flag: str, text: str) -> int:
    try:
        return int(str(text).strip(), 0)
    except ValueError:
        pass
    try:
        return size(flag, text)
    except BadInput:
        raise BadInput(f"{flag} wants a number (decimal, 0x hex, or 4k/1m), got {text!r}") from None


def _vas(text: str) -> list[int]:
    out = []
    for pos, word in enumerate(text.split(","), 1):
        try:
            out.append(int(word.strip(), 0))
        except ValueError:
            raise BadInput(f"--va, address {pos}: {word.strip()!r} is not a number "
                           "(decimal or 0x hex)") from None
    return out


def register(sub: Any) -> None:
    p = sub.add_parser(
        "translate",
        help="address translation: linear table, N-level walk, base and bounds, segments",
        description="Translate virtual addresses step by step with a textbook model: a "
        "linear page table, an N-level walk over a memory image (OSTEP's two-level "
        "exercise is --levels 5,5 --page-size 32), base-and-bounds, or two segments.",
        epilog="examples:\n"
        "  vmtui translate linear --page-size 4k --table 6,-,3,- --va 0x1234,0x2fff,0x3fff\n"
        "  vmtui translate walk --image mem.txt --root 0 --page-size 32 --levels 5,5 --va 0x7fff\n"
        "  vmtui translate bounds --base 100 --limit 300 --va 0,299,300\n"
        "  vmtui translate segments --asize 128 --base0 0 --limit0 20 --base1 512 --limit1 20 "
        "--va 19,20,107,108,127",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    kinds = p.add_subparsers(dest="model", metavar="MODEL")

    def common(q: argparse.ArgumentParser) -> None:
        q.add_argument("--va", required=True, metavar="VA,...", help="the VAs to translate")
        q.add_argument("--json", action="store_true", help="one JSON object per VA")
        q.add_argument("--hide", action="store_true", help="the questions, answers hidden")
        q.set_defaults(func=run)

    q = kinds.add_parser("linear", help="a one-level page table")
    q.add_argument("--page-size", default="4k", metavar="SIZE", help="a power of two (4k)")
    q.add_argument("--table", required=True, metavar="PFN,...",
                   help="the PFN of each virtual page in VPN order; - for not valid")
    common(q)
    q = kinds.add_parser("walk", help="an N-level walk over a memory image")
    q.add_argument("--image", required=True, metavar="FILE",
                   help="the memory: lines 'page N: HEX...' (as vmtui ostep prints) or hex "
                   "bytes separated by spaces")
    q.add_argument("--root", required=True, metavar="PFN", help="the top table's frame (PDBR)")
    q.add_argument("--page-size", default="32", metavar="SIZE", help="bytes per page (32)")
    q.add_argument("--levels", default="5,5", metavar="BITS,...",
                   help="index bits per level, top first (5,5)")
    q.add_argument("--entry-size", default="1", metavar="BYTES", help="bytes per entry (1)")
    q.add_argument("--valid-mask", default="0x80", metavar="MASK", help="the valid bit (0x80)")
    q.add_argument("--pfn-mask", default="0x7f", metavar="MASK", help="the PFN bits (0x7f)")
    q.add_argument("--pfn-shift", default="0", metavar="N",
                   help="shift right after masking (0)")
    common(q)
    q = kinds.add_parser("bounds", help="base and bounds (relocation)")
    q.add_argument("--base", required=True, metavar="ADDR")
    q.add_argument("--limit", required=True, metavar="SIZE")
    common(q)
    q = kinds.add_parser("segments", help="two segments, the top VA bit picks one")
    q.add_argument("--asize", required=True, metavar="SIZE", help="address space size")
    q.add_argument("--base0", required=True, metavar="ADDR")
    q.add_argument("--limit0", required=True, metavar="SIZE")
    q.add_argument("--base1", required=True, metavar="ADDR",
                   help="segment 1's base: the address just past it (it grows down)")
    q.add_argument("--limit1", required=True, metavar="SIZE")
    common(q)
    p.set_defaults(func=lambda a: _no_model(p))


def _no_model(p: argparse.ArgumentParser) -> int:
    print("vmtui translate: say which model: linear, walk, bounds or segments", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    try:
        ex = {"linear": _linear, "walk": _walk, "bounds": _bounds,
              "segments": _segments}[args.model](args)
    except BadInput as exc:
        print(f"vmtui translate {args.model}: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(render_json(ex, not args.hide) if args.json else
                     render_text(ex, not args.hide))
    return 0


def _exercise(model: str, title: str, setup: list[str], setup_json: dict[str, Any],
              questions: list[Question]) -> Exercise:
    return Exercise(script=model, command="", title=title, setup=setup,
                    setup_json=[setup_json], questions=questions,
                    ask="For each VA: the physical address, or a fault?",
                    reveal="For the answers, run the same command without --hide.")


def _linear(args: argparse.Namespace) -> Exercise:
    page = _num("--page-size", args.page_size)
    if log2(page) is None:
        raise BadInput(f"--page-size {args.page_size}: a power of two, please")
    pfns: list[int | None] = []
    for pos, word in enumerate(args.table.split(","), 1):
        w = word.strip()
        if w in ("-", "x", ""):
            pfns.append(None)
            continue
        try:
            pfn = int(w, 0)
        except ValueError:
            pfn = -1
        if pfn < 0:
            raise BadInput(f"--table, entry {pos}: {w!r} is not a PFN (a number >= 0, or -)")
        pfns.append(pfn)
    if log2(len(pfns)) is None:
        raise BadInput(f"--table has {len(pfns)} entries: the address space is a power-of-two "
                       "number of pages")
    table = Linear(page, tuple(pfns))
    qs = []
    for pos, va in enumerate(_vas(args.va), 1):
        try:
            r = translate_linear(table, va)
        except ValueError as exc:
            raise BadInput(f"--va, address {pos}: {exc}") from None
        qs.append(paging_linear._question(r, table, 8))
    setup = [f"page size {page}; address space {table.asize} bytes = {len(pfns)} pages",
             *(f"  [{v}] {'-' if p is None else f'PFN {p}'}" for v, p in enumerate(pfns))]
    return _exercise("linear", "translate: a linear page table", setup,
                     {"kind": "page_table", "page_size": page, "asize": table.asize,
                      "entries": [0 if p is None else paging_linear.VALID | p for p in pfns],
                      "pfns": pfns}, qs)


_PAGE_LINE = re.compile(r"^\s*page\s+(\d+)\s*:\s*([0-9a-fA-F\s]*)$")


def read_image(path: str, page: int) -> list[int]:
    """A memory image: 'page N: HEX' lines place their bytes at N * page; other lines are
    hex bytes, two digits each, laid out in order. '#' starts a comment."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"--image {path}: cannot read it "
                       f"({getattr(exc, 'strerror', None) or exc})") from None
    memory: dict[int, int] = {}
    cursor = 0
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0]
        if not line.strip():
            continue
        m = _PAGE_LINE.match(line)
        digits = "".join((m.group(2) if m else line).split())
        if len(digits) % 2 or any(c not in "0123456789abcdefABCDEF" for c in digits):
            raise BadInput(f"--image {path}, line {n}: want hex bytes (two digits each), "
                           f"got {raw.strip()!r}")
        at = int(m.group(1)) * page if m else cursor
        for k in range(0, len(digits), 2):
            memory[at + k // 2] = int(digits[k:k + 2], 16)
        cursor = at + len(digits) // 2
    if not memory:
        raise BadInput(f"--image {path}: no bytes in it")
    image = [0] * (max(memory) + 1)
    for a, v in memory.items():
        image[a] = v
    return image


def _walk(args: argparse.Namespace) -> Exercise:
    page = _num("--page-size", args.page_size)
    try:
        levels = tuple(int(b) for b in args.levels.split(","))
    except ValueError:
        raise BadInput(f"--levels wants index bits per level, e.g. 5,5; got {args.levels!r}") \
            from None
    fmt = WalkFormat(page, levels, _num("--entry-size", args.entry_size),
                     _num("--valid-mask", args.valid_mask), _num("--pfn-mask", args.pfn_mask),
                     _num("--pfn-shift", args.pfn_shift))
    try:
        fmt.check()
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    image = read_image(args.image, page)
    root = _num("--root", args.root)
    names = ("PDE", "PTE") if len(levels) == 2 else tuple(f"L{k + 1}" for k in range(len(levels)))
    qs = []
    for pos, va in enumerate(_vas(args.va), 1):
        try:
            r = walk(image, root, fmt, va)
        except ValueError as exc:
            raise BadInput(f"--va, address {pos}: {exc}") from None
        qs.append(_walk_question(r, fmt, names))
    setup = [f"{len(image)} bytes of memory, root table in page {root}; VA = "
             + " | ".join(f"{n} index ({b} bits)" for n, b in zip(names, levels, strict=True))
             + f" | offset ({fmt.page_bits} bits); {fmt.entry_size}-byte entries, valid "
             f"0x{fmt.valid_mask:x}, PFN 0x{fmt.pfn_mask:x}"
             + (f" >> {fmt.pfn_shift}" if fmt.pfn_shift else "")]
    return _exercise("walk", f"translate: a {len(levels)}-level walk", setup,
                     {"kind": "memory", "pdbr": root, "page_size": page, "bytes": len(image),
                      "levels": list(levels), "entry_size": fmt.entry_size}, qs)


def _walk_question(r: WalkResult, fmt: WalkFormat, names: tuple[str, ...]) -> Question:
    from vmtui.ostep import parse_guess, says_fault

    w = 2 * fmt.entry_size
    steps = []
    for name, lv in zip(names, r.levels, strict=False):
        state = f"valid, PFN 0x{lv.pfn:x} ({lv.pfn})" if lv.valid else "not valid"
        steps.append(f"{name} index 0x{lv.index:x} ({lv.index}): entry at 0x{lv.entry_addr:x} "
                     f"holds 0x{lv.entry:0{w}x}: {state}")
    if r.pa is None:
        failed = names[len(r.levels) - 1]
        answer = f"fault: the {failed} is not valid"
        result = f"{failed.lower()}_fault"
    else:
        steps.append(f"PA = PFN << {fmt.page_bits} | offset 0x{r.offset:x} = 0x{r.pa:x}")
        answer = f"PA 0x{r.pa:x}, value 0x{r.value:02x}"
        result = "ok"

    def check(guess: str) -> bool:
        if r.pa is None:
            return says_fault(guess)
        words = guess.replace(",", " ").split()
        return bool(words) and parse_guess(words[0]) == r.pa

    data: dict[str, Any] = {"kind": "translate", "va": r.va}
    for name, lv in zip(names, r.levels, strict=False):
        data[f"{name.lower()}_index"] = lv.index
        data[f"{name.lower()}_value"] = lv.entry
    for name in names[len(r.levels):]:
        data[f"{name.lower()}_index"] = None
        data[f"{name.lower()}_value"] = None
    data |= {"result": result, "pa": r.pa, "value": r.value}
    return Question(prompt=f"VA 0x{r.va:x}", answer=answer, steps=steps, data=data,
                    hidden={"kind": "translate", "va": r.va}, check=check,
                    draw={"levels": [(n, lv.index, lv.entry, lv.valid)
                                     for n, lv in zip(names, r.levels, strict=False)],
                          "pa": r.pa, "value": r.value})


def _bounds(args: argparse.Namespace) -> Exercise:
    base, limit = _num("--base", args.base), _num("--limit", args.limit)
    if base < 0 or limit < 0:
        raise BadInput("--base and --limit must be >= 0")
    qs = [relocation._question(translate_bounds(base, limit, va), base, limit)
          for va in _vas(args.va)]
    return _exercise("bounds", "translate: base and bounds",
                     [f"base  : 0x{base:08x} (decimal {base})", f"limit : {limit}"],
                     {"kind": "registers", "base": base, "limit": limit}, qs)


def _segments(args: argparse.Namespace) -> Exercise:
    seg = Segments(_num("--asize", args.asize), _num("--base0", args.base0),
                   _num("--limit0", args.limit0), _num("--base1", args.base1),
                   _num("--limit1", args.limit1))
    if seg.asize < 2 or min(seg.base0, seg.limit0, seg.top1, seg.limit1) < 0:
        raise BadInput("--asize must be at least 2 and the bases and limits >= 0")
    if seg.top1 < seg.limit1:
        raise BadInput(f"--base1 {seg.top1} is below --limit1 {seg.limit1}: segment 1 grows "
                       "down from its base, so it would start below address 0")
    qs = []
    for pos, va in enumerate(_vas(args.va), 1):
        try:
            qs.append(segmentation._question(translate_segments(seg, va), seg))
        except ValueError as exc:
            raise BadInput(f"--va, address {pos}: {exc}") from None
    return _exercise("segments", "translate: two segments", [
        f"segment 0: base {seg.base0}, limit {seg.limit0} (grows up)",
        f"segment 1: base {seg.top1}, limit {seg.limit1} (grows down)",
        f"VAs from {(seg.asize + 1) // 2} are segment 1"],
        {"kind": "registers", "asize": seg.asize, "base0": seg.base0, "limit0": seg.limit0,
         "base1": seg.top1, "limit1": seg.limit1}, qs)
