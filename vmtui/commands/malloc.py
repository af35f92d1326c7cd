"""`vmtui malloc`: the free-list allocator exercise (OSTEP 17) with vmtui's own flags.

`--ops +10,+20,-0` allocates 10 and 20 bytes and frees ptr[0]; each step shows
what it returns, the elements searched and the free list after. Unlike
`vmtui ostep malloc -A`, an Alloc always returns the address after the header,
and freeing a pointer that does not exist is an error, not a skip.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from vmtui.ostep import BadInput, Exercise, render_json, render_text
from vmtui.ostep.freelist import ORDERS, POLICIES, FreeList
from vmtui.ostep.malloc import _alloc_q, _free_q, _show


def register(sub: Any) -> None:
    p = sub.add_parser(
        "malloc",
        help="free-list allocator lab: BEST/WORST/FIRST, list orders, coalescing",
        description="Run allocations and frees through a free-list allocator (OSTEP 17) and "
        "show each result, the elements searched and the free list after.",
        epilog="examples:\n"
        "  vmtui malloc --ops +10,+10,+10,-0,-1,-2 --policy FIRST --order ADDRSORT --coalesce\n"
        "  vmtui malloc --ops +5,+20,-0,+3 --header 4 --align 8 --policy WORST --hide",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--ops", required=True, metavar="OP,...",
                   help="+SIZE allocates SIZE bytes as ptr[n] (n counts from 0); -I frees ptr[I]")
    p.add_argument("--size", default="100", metavar="N", help="heap size in bytes (100)")
    p.add_argument("--base", default="1000", metavar="ADDR", help="heap start address (1000)")
    p.add_argument("--header", default="0", metavar="N", help="header bytes per chunk (0)")
    p.add_argument("--align", default="none", metavar="N",
                   help="round requests up to a multiple of N bytes (none)")
    p.add_argument("--policy", default="BEST", metavar="NAME",
                   help=f"{', '.join(POLICIES)} (BEST)")
    p.add_argument("--order", default="ADDRSORT", metavar="ORDER",
                   help=f"free-list order: {', '.join(ORDERS)} (ADDRSORT)")
    p.add_argument("--coalesce", action="store_true", help="merge neighbours after each free")
    p.add_argument("--json", action="store_true", help="one JSON object per operation")
    p.add_argument("--hide", action="store_true", help="the questions, answers hidden")
    p.set_defaults(func=run)


def _int(flag: str, text: str, low: int) -> int:
    try:
        value = int(str(text).strip(), 0)
    except ValueError:
        raise BadInput(f"{flag} wants a whole number, got {text!r}") from None
    if value < low:
        raise BadInput(f"{flag} must be at least {low}, got {value}")
    return value


def run(args: argparse.Namespace) -> int:
    try:
        ex = build(args)
    except BadInput as exc:
        print(f"vmtui malloc: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(render_json(ex, not args.hide) if args.json else
                     render_text(ex, not args.hide))
    return 0


def build(args: argparse.Namespace) -> Exercise:
    size, base = _int("--size", args.size, 0), _int("--base", args.base, 0)
    header = _int("--header", args.header, 0)
    align = -1 if str(args.align).strip().lower() in ("none", "-1") else \
        _int("--align", args.align, 1)
    policy, order = args.policy.strip().upper(), args.order.strip().upper()
    if policy not in POLICIES:
        raise BadInput(f"unknown --policy {args.policy!r} (choose {', '.join(POLICIES)})")
    if order not in ORDERS:
        raise BadInput(f"unknown --order {args.order!r} (choose {', '.join(ORDERS)})")
    fl = FreeList(base, size, policy, order, args.coalesce, header, align)
    ptrs: dict[int, int | None] = {}
    questions = []
    for pos, word in enumerate(args.ops.split(","), 1):
        op = word.strip()
        try:
            value = int(op[1:])
        except ValueError:
            value = -1
        if op[:1] not in ("+", "-") or value < 0:
            raise BadInput(f"--ops, operation {pos}: {op!r} is not +SIZE (allocate) or -I "
                           "(free ptr[I])")
        if op[0] == "+":
            if value == 0:
                raise BadInput(f"--ops, operation {pos}: +0 allocates nothing; ask for 1 or more")
            a = fl.malloc(value)
            ptrs[len(ptrs)] = a.block
            questions.append(_alloc_q(len(ptrs) - 1, a, fl, header, after_header=True))
        else:
            if value not in ptrs:
                raise BadInput(f"--ops, operation {pos}: there is no ptr[{value}] yet "
                               f"({len(ptrs)} allocation{'s' * (len(ptrs) != 1)} so far)")
            block = ptrs[value]
            questions.append(_free_q(value, block is not None and fl.free(block), fl))
    return Exercise(
        script="malloc", command="",
        title=f"malloc: {len(questions)} operation{'s' * (len(questions) != 1)}, {policy}, "
              f"{order}{', coalescing' if args.coalesce else ''}",
        setup=[f"heap: {size} bytes at {base}; header {header}; alignment "
               f"{'none' if align == -1 else align}",
               f"free list at the start: {_show([[base, size]])}"],
        setup_json=[{"kind": "heap", "base": base, "size": size, "header": header,
                     "alignment": align, "policy": policy, "order": order,
                     "coalesce": args.coalesce}],
        questions=questions,
        ask="For each operation: what it returns, and the free list after?",
        reveal="For the answers, run the same command without --hide.")
