"""The VM homework of *Operating Systems: Three Easy Pieces*, flag for flag.

OSTEP's `ostep-homework` repository ships one simulator per chapter; courses
assign them by command line and seed. Each module here takes one script's own
flags (with `optparse`, as the scripts do, so `-a-1`, `--seed=3` and option
abbreviations behave the same), draws from `random.Random(seed)` in the order
the script draws from `random`, and so generates the same exercise and the
same answers. The models are written from the scripts' documented behaviour:

- `paging_policy`: vm-beyondphys-policy/paging-policy.py, over
  `vmtui.engine.replacement` (the policies `vmtui policy` runs);
- `paging_linear`: vm-paging/paging-linear-translate.py, over `translate`;
- `paging_multilevel`: vm-smalltables/paging-multilevel-translate.py, over
  `translate.walk()` (a generic N-level walk of a byte-addressed image);
- `segmentation` and `relocation`: vm-segmentation and vm-mechanism, over
  `translate`;
- `malloc`: vm-freespace/malloc.py, over `freelist`.

An `Exercise` is the generated setup and one `Question` per address, access
or operation; `render_text()` prints it with the answers hidden or solved,
`render_json()` one JSON object per question.
"""

from __future__ import annotations

import json
import optparse
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

SCRIPTS: dict[str, str] = {
    "paging-policy": "paging_policy",
    "paging-linear-translate": "paging_linear",
    "paging-multilevel-translate": "paging_multilevel",
    "segmentation": "segmentation",
    "relocation": "relocation",
    "malloc": "malloc",
}
"""The textbook script names `vmtui ostep` takes (".py" accepted too) and their modules."""


class BadInput(Exception):
    """A user mistake; the message names the flag and the value."""


@dataclass
class Question:
    """One question of an exercise and its answer.

    `prompt` is the question without its answer; `answer` the short answer;
    `steps` how to get there (a walk, a list state); `data` the JSON object
    with every answer a field, `hidden` the same without the answers; `check`
    says whether a typed guess is the answer; `draw` what the lab screen draws.
    """

    prompt: str
    answer: str
    steps: list[str]
    data: dict[str, Any]
    hidden: dict[str, Any]
    check: Callable[[str], bool]
    draw: dict[str, Any] = field(default_factory=dict)


@dataclass
class Exercise:
    script: str
    command: str
    title: str
    setup: list[str]
    setup_json: list[dict[str, Any]]
    questions: list[Question]
    ask: str
    totals: list[str] = field(default_factory=list)
    totals_json: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    show_steps: bool = True
    reveal: str = "For the answers, run the same command with -c."


class _Parser(optparse.OptionParser):
    """optparse, as the scripts use, but a mistake raises BadInput instead of exiting."""

    def error(self, msg: str) -> None:  # type: ignore[override]
        raise BadInput(msg)

    def exit(self, status: int = 0, msg: str | None = None) -> None:  # type: ignore[override]
        if status == 0 and not msg:
            raise SystemExit(0)  # after -h
        raise BadInput(msg or f"exit status {status}")


def parser(script: str) -> optparse.OptionParser:
    p = _Parser(prog=f"vmtui ostep {script}", add_help_option=True)
    p.add_option("--json", action="store_true", default=False, dest="json",
                 help="one JSON object per question (answers only with -c)")
    return p


def parse(p: optparse.OptionParser, argv: Sequence[str]) -> Any:
    opts, rest = p.parse_args(list(argv))
    if rest:
        raise BadInput(f"unexpected argument {rest[0]!r} (the textbook scripts take flags only)")
    return opts


def size(flag: str, text: str) -> int:
    """A size as the scripts read it: a whole number, or one with k, m or g (powers of 1024)."""
    word = str(text).strip()
    mult = {"k": 1024, "m": 1024**2, "g": 1024**3}.get(word[-1:].lower(), 1)
    digits = word[:-1] if mult != 1 else word
    try:
        return int(digits) * mult
    except ValueError:
        raise BadInput(f"{flag} wants a size such as 16, 64k, 32m or 1g, got {text!r}") from None


def whole(flag: str, text: str) -> int:
    try:
        return int(str(text).strip())
    except ValueError:
        raise BadInput(f"{flag} wants a whole number, got {text!r}") from None


def numbers(flag: str, text: str, what: str = "address") -> list[int]:
    out = []
    for pos, word in enumerate(str(text).split(","), 1):
        try:
            out.append(int(word.strip()))
        except ValueError:
            raise BadInput(f"bad {what} {word.strip()!r} at position {pos} of {flag}: "
                           f"give whole numbers separated by commas") from None
    return out


def rng(seed: int) -> random.Random:
    """The scripts' `random.seed(seed)`: for a whole-number seed Python 2 and 3 agree."""
    return random.Random(seed)


def hexdec(value: int, width: int = 8) -> str:
    return f"0x{value:0{width}x} (decimal {value})"


def parse_guess(text: str) -> int | None:
    """A number typed as 0x1f, 31 or 1fh (bare hex digits with a letter read as hex)."""
    word = text.strip().lower().replace("_", "")
    if word.endswith("h") and len(word) > 1:
        word = "0x" + word[:-1]
    try:
        return int(word, 0)
    except ValueError:
        pass
    try:
        return int(word, 16)
    except ValueError:
        return None


FAULT_WORDS = ("fault", "invalid", "segv", "segfault", "violation", "sigsegv", "no", "x")


def says_fault(text: str) -> bool:
    return any(text.strip().lower().startswith(w) for w in FAULT_WORDS)


def module(script: str) -> Any:
    """The module of a script name (".py" accepted); BadInput naming the choices otherwise."""
    import importlib

    name = script[:-3] if script.endswith(".py") else script
    if name not in SCRIPTS:
        raise BadInput(f"unknown homework script {script!r} (choose {', '.join(SCRIPTS)})")
    return importlib.import_module(f"vmtui.ostep.{SCRIPTS[name]}")


def build(script: str, argv: Sequence[str]) -> tuple[Exercise, bool, bool]:
    """The exercise of `script` with `argv`; also whether -c and --json were given."""
    mod = module(script)
    p = mod.make_parser()
    opts = parse(p, argv)
    ex = mod.build(opts)
    ex.command = " ".join(["vmtui ostep", script.removesuffix(".py"), *argv])
    return ex, bool(opts.solve), bool(opts.json)


def render_text(ex: Exercise, solved: bool) -> str:
    lines = [ex.title]
    lines += ex.notes
    lines.append("")
    lines += ex.setup
    if ex.setup:
        lines.append("")
    width = len(str(len(ex.questions)))
    if ex.show_steps or not solved:
        for k, q in enumerate(ex.questions, 1):
            head = f"{k:>{width}}. {q.prompt}"
            if not solved:
                lines.append(f"{head} -> ?")
                continue
            lines.append(f"{head} -> {q.answer}")
            lines += [" " * (width + 2) + "  " + s for s in q.steps]
        lines.append("")
    if solved:
        lines += ex.totals
        if ex.totals:
            lines.append("")
    else:
        lines.append(ex.ask)
        lines.append(ex.reveal)
    return "\n".join(lines).rstrip("\n") + "\n"


def render_json(ex: Exercise, solved: bool) -> str:
    objs = list(ex.setup_json)
    objs += [q.data if solved else q.hidden for q in ex.questions]
    if solved and ex.totals_json is not None:
        objs.append(ex.totals_json)
    return "".join(json.dumps(o) + "\n" for o in objs)
