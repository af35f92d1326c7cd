"""vm-freespace/malloc.py: a free list, operations to predict.

Random operations draw, per step: random() < percent/100 is an allocation of
int(random() * range) + 1 bytes, else (if anything is allocated) a free of a
random live pointer int(random() * live); an allocation that fails still gets
its ptr[] number. `-A +10,-0,...` gives the operations instead. What a
successful Alloc returns: with random operations the address after the header
(block + header size), with `-A` the block itself, as the script prints them;
vmtui's JSON gives both. A free in `-A` of ptr[i] with i at or past the
number of successful allocations is skipped, as the script does.
"""

from __future__ import annotations

import optparse
from typing import Any

from vmtui.ostep import BadInput, Exercise, Question, parse_guess, parser, rng
from vmtui.ostep.freelist import ORDERS, POLICIES, Alloc, FreeList


def make_parser() -> optparse.OptionParser:
    p = parser("malloc")
    p.add_option("-s", "--seed", default=0, type="int", dest="seed", help="random seed")
    p.add_option("-S", "--size", default=100, type="int", dest="heapSize", help="heap size")
    p.add_option("-b", "--baseAddr", default=1000, type="int", dest="baseAddr",
                 help="heap base address")
    p.add_option("-H", "--headerSize", default=0, type="int", dest="headerSize",
                 help="header size")
    p.add_option("-a", "--alignment", default=-1, type="int", dest="alignment",
                 help="align requests to this many bytes (-1: none)")
    p.add_option("-p", "--policy", default="BEST", dest="policy", help="BEST, WORST or FIRST")
    p.add_option("-l", "--listOrder", default="ADDRSORT", dest="order",
                 help="ADDRSORT, SIZESORT+, SIZESORT-, INSERT-FRONT or INSERT-BACK")
    p.add_option("-C", "--coalesce", action="store_true", default=False, dest="coalesce",
                 help="coalesce the free list")
    p.add_option("-n", "--numOps", default=10, type="int", dest="opsNum",
                 help="random operations to draw")
    p.add_option("-r", "--range", default=10, type="int", dest="opsRange",
                 help="largest random request")
    p.add_option("-P", "--percentAlloc", default=50, type="int", dest="opsPAlloc",
                 help="percent of random operations that allocate")
    p.add_option("-A", "--allocList", default="", dest="opsList",
                 help="operations instead of random ones: +SIZE allocates, -I frees ptr[I]")
    p.add_option("-c", "--compute", action="store_true", default=False, dest="solve",
                 help="compute the answers")
    return p


def _list(fl: FreeList) -> list[list[int]]:
    return [[a, s] for a, s in fl.chunks]


def _show(chunks: list[list[int]]) -> str:
    return " ".join(f"[addr {a} size {s}]" for a, s in chunks) or "(empty)"


def build(opts: Any) -> Exercise:
    policy, order = str(opts.policy).upper(), str(opts.order).upper()
    if policy not in POLICIES:
        raise BadInput(f"-p: unknown policy {opts.policy!r} (choose {', '.join(POLICIES)})")
    if order not in ORDERS:
        raise BadInput(f"-l: unknown list order {opts.order!r} (choose {', '.join(ORDERS)})")
    if opts.alignment != -1 and opts.alignment <= 0:
        raise BadInput(f"-a: alignment is -1 (none) or at least 1, got {opts.alignment}")
    if opts.heapSize < 0 or opts.headerSize < 0:
        raise BadInput("-S and -H must be >= 0")
    fl = FreeList(opts.baseAddr, opts.heapSize, policy, order, opts.coalesce,
                  opts.headerSize, opts.alignment)
    questions: list[Question] = []
    header = opts.headerSize
    try:
        if opts.opsList == "":
            _random_ops(opts, fl, questions)
        else:
            _given_ops(opts, fl, questions, header)
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    setup = [f"heap: {opts.heapSize} bytes at {opts.baseAddr}; header {header} bytes; "
             f"alignment {'none' if opts.alignment == -1 else opts.alignment}; "
             f"policy {policy}; list order {order}; "
             f"coalescing {'on' if opts.coalesce else 'off'}",
             f"free list at the start: {_show([[opts.baseAddr, opts.heapSize]])}"]
    return Exercise(
        script="malloc", command="",
        title=f"malloc: {len(questions)} operation{'s' * (len(questions) != 1)}, "
              f"{policy}, {order}",
        setup=setup,
        setup_json=[{"kind": "heap", "base": opts.baseAddr, "size": opts.heapSize,
                     "header": header, "alignment": opts.alignment, "policy": policy,
                     "order": order, "coalesce": opts.coalesce}],
        questions=questions,
        ask="For each operation: what it returns, and the free list after?",
    )


def _random_ops(opts: Any, fl: FreeList, questions: list[Question]) -> None:
    percent = opts.opsPAlloc / 100.0
    if percent <= 0:
        raise BadInput(f"-P must be more than 0 (with no allocations nothing can be freed), "
                       f"got {opts.opsPAlloc}")
    if opts.opsRange < 1:
        raise BadInput(f"-r must be at least 1, got {opts.opsRange}")
    gen = rng(opts.seed)
    ptrs: dict[int, int] = {}
    live: list[int] = []
    c = j = 0
    while j < opts.opsNum:
        if gen.random() < percent:
            request = int(gen.random() * opts.opsRange) + 1
            a = fl.malloc(request)
            if a.block is not None:
                ptrs[c] = a.block
                live.append(c)
            questions.append(_alloc_q(c, a, fl, opts.headerSize, after_header=True))
            c += 1
            j += 1
        elif ptrs:
            d = int(gen.random() * len(live))
            index = live[d]
            ok = fl.free(ptrs[index])
            questions.append(_free_q(index, ok, fl))
            del ptrs[index]
            del live[d]
            j += 1


def _given_ops(opts: Any, fl: FreeList, questions: list[Question], header: int) -> None:
    ptrs: dict[int, int] = {}
    c = 0
    for pos, word in enumerate(str(opts.opsList).split(","), 1):
        op = word.strip()
        try:
            value = int(op[1:])
        except ValueError:
            value = -1
        if op[:1] not in ("+", "-") or value < 0:
            raise BadInput(f"-A, operation {pos}: {word!r} is not +SIZE (allocate) or -INDEX "
                           "(free ptr[INDEX])")
        if op[0] == "+":
            a = fl.malloc(value)
            if a.block is not None:
                ptrs[c] = a.block
            questions.append(_alloc_q(c, a, fl, header, after_header=False))
            c += 1
            continue
        if value >= len(ptrs):
            questions.append(_skip_q(value, len(ptrs)))
            continue
        if value not in ptrs:
            raise BadInput(f"-A, operation {pos}: ptr[{value}] is not a pointer: its Alloc "
                           "failed")
        questions.append(_free_q(value, fl.free(ptrs[value]), fl))


def _alloc_q(c: int, a: Alloc, fl: FreeList, header: int, after_header: bool) -> Question:
    chunks = _list(fl)
    shown = None if a.block is None else a.block + (header if after_header else 0)
    if a.block is None:
        answer = "-1 (no free chunk fits)"
    else:
        answer = str(shown)
    steps = [f"needs {a.size} byte{'s' * (a.size != 1)} (request {a.request}"
             f"{f', with a {header}-byte header' if header else ''}); searched {a.searched} "
             f"element{'s' * (a.searched != 1)}"]
    if a.block is not None and after_header and header:
        steps.append(f"the chunk starts at {a.block}; the pointer is past its header")
    steps.append(f"free list: {_show(chunks)}")

    def check(guess: str) -> bool:
        words = guess.replace(",", " ").split()
        if not words:
            return False
        if a.block is None:
            return words[0] in ("-1", "null", "fail", "failed", "none")
        return parse_guess(words[0]) == shown

    return Question(
        prompt=f"ptr[{c}] = Alloc({a.request})", answer=answer, steps=steps,
        data={"kind": "alloc", "ptr_index": c, "request": a.request, "size": a.size,
              "returned": -1 if shown is None else shown, "block": a.block,
              "searched": a.searched, "free_list": chunks},
        hidden={"kind": "alloc", "ptr_index": c, "request": a.request}, check=check,
        draw={"free_list": chunks, "block": a.block, "size": a.size})


def _free_q(index: int, ok: bool, fl: FreeList) -> Question:
    chunks = _list(fl)
    rc = 0 if ok else -1
    steps = [f"free list: {_show(chunks)}"] if ok else ["no allocated chunk starts there"]

    def check(guess: str) -> bool:
        words = guess.replace(",", " ").split()
        return bool(words) and words[0] == str(rc)

    return Question(
        prompt=f"Free(ptr[{index}])", answer=str(rc), steps=steps,
        data={"kind": "free", "ptr_index": index, "returned": rc, "free_list": chunks},
        hidden={"kind": "free", "ptr_index": index}, check=check,
        draw={"free_list": chunks})


def _skip_q(index: int, count: int) -> Question:
    return Question(
        prompt=f"Free(ptr[{index}])", answer="skipped",
        steps=[f"only {count} allocation{'s' * (count != 1)} succeeded so far: the textbook "
               "skips this free"],
        data={"kind": "free", "ptr_index": index, "returned": None, "skipped": True},
        hidden={"kind": "free", "ptr_index": index},
        check=lambda g: g.strip().lower().startswith("skip"), draw={})
