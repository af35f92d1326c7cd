"""The command language of COMMANDS.md: one line, one command; errors name line and column.

    buf = mmap 1M rw private,anon
    write buf+8K 4K = 7
    show maps

Parsing only checks the shape of a line; names are resolved when the
command runs (or by `check_names` for a whole scenario).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from vmtui.engine.include.mmzone import parse_size as engine_parse_size
from vmtui.engine.include.settings import parse_int as engine_parse_int

PROT_WORDS = {"none": 0}
FLAG_WORDS = ("private", "shared", "anonymous", "anon", "fixed", "fixed_noreplace", "populate",
              "growsdown", "locked", "noreserve")
# what every kernel shows; rbtree is 5.4's mm->mm_rb (the default kernel; 6.18 gives ENOENT)
SHOW_WHAT = ("maps", "smaps", "status", "meminfo", "vmstat", "buddyinfo", "zoneinfo", "numa",
             "pagetable", "tlb", "lru", "swaps", "vmas", "rbtree", "layout", "mm", "frames")
# what only mainline has (5.4 gives ENOENT): /sys/kernel/debug/lru_gen and the maple tree
# mm->mm_mt (both 6.1+)
SHOW_KERNEL = ("lru_gen", "mt")
MADVICE = ("dontneed", "willneed", "free")
NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_NOT_UTF8 = re.compile("[\ud800-\udfff]")


class ParseError(Exception):
    """A line the language cannot parse: `line`, `col` (1-based) and what was expected."""

    def __init__(self, msg: str, line: int, col: int, source: str = "") -> None:
        super().__init__(msg)
        self.msg = msg
        self.line = line
        self.col = col
        self.source = source

    def render(self, where: str = "") -> str:
        loc = f"{where}:" if where else ""
        text = f"{loc}{self.line}:{self.col}: {self.msg}"
        if self.source:
            text += f"\n    {self.source}\n    {' ' * (self.col - 1)}^"
        return text


@dataclass
class Token:
    text: str
    col: int  # 1-based column in the line


@dataclass
class Addr:
    """An ADDR: a number, or a NAME with an optional +/- SIZE."""

    base: int | str
    offset: int = 0
    col: int = 0

    def text(self) -> str:
        if isinstance(self.base, int):
            return hex(self.base + self.offset)
        if self.offset:
            return f"{self.base}{'+' if self.offset > 0 else '-'}{abs(self.offset):#x}"
        return self.base


@dataclass
class Command:
    """One parsed command: `name`, its arguments, and the variable its result goes into."""

    name: str
    args: dict[str, Any] = field(default_factory=dict)
    target: str | None = None
    text: str = ""
    line: int = 1
    cols: dict[str, int] = field(default_factory=dict)

    def names_used(self) -> list[tuple[str, int]]:
        out = []
        for key, v in self.args.items():
            if isinstance(v, Addr) and isinstance(v.base, str):
                out.append((v.base, v.col or self.cols.get(key, 1)))
        if self.name in ("switch", "free") and isinstance(self.args.get("who"), str):
            who = self.args["who"]
            if not who.isdigit():
                out.append((who, self.cols.get("who", 1)))
        return out


def tokenize(line: str) -> list[Token]:
    """Split on white space, keeping 1-based columns; `#` ends the line."""
    toks = []
    i = 0
    n = len(line)
    while i < n:
        c = line[i]
        if c == "#":
            break
        if c.isspace():
            i += 1
            continue
        if c == "=" and (i + 1 == n or line[i + 1].isspace()):
            toks.append(Token("=", i + 1))
            i += 1
            continue
        j = i
        while j < n and not line[j].isspace() and line[j] != "#":
            j += 1
        toks.append(Token(line[i:j], i + 1))
        i = j
    return toks


def parse_size(text: str, line: int = 1, col: int = 1, src: str = "", signed: bool = False
               ) -> int:
    """SIZE (page_alloc.parse_size), with a ParseError naming line and column."""
    try:
        return engine_parse_size(text, signed)
    except ValueError as e:
        raise ParseError(str(e), line, col, src) from None


def parse_addr(text: str, line: int, col: int, src: str) -> Addr:
    """ADDR: 0x7ffff7ff0000, 4096, buf, buf+8K, buf-4K."""
    m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)\s*([+-].*)?\Z", text)
    if m:
        off = 0
        if m.group(2):
            off = parse_size(m.group(2), line, col + len(m.group(1)), src, signed=True)
        return Addr(m.group(1), off, col)
    try:
        return Addr(parse_size(text, line, col, src), 0, col)
    except ParseError:
        raise ParseError(f"bad address {text!r}: expected a number (0x7f0000) or a name "
                         "(buf, buf+8K)", line, col, src) from None


def parse_prot(text: str, line: int, col: int, src: str) -> int:
    """PROT: r, rw, rx, rwx, none, rw-, r-x."""
    if text.lower() == "none" or text == "---":
        return 0
    prot = 0
    for i, ch in enumerate(text.lower()):
        bit = {"r": 1, "w": 2, "x": 4, "-": 0}.get(ch)
        if bit is None or (bit and prot & bit):
            raise ParseError(f"bad protection {text!r}: expected r, rw, rx, rwx, none (or "
                             "rw-, r-x)", line, col + i, src)
        prot |= bit
    return prot


def parse_flags(text: str, line: int, col: int, src: str) -> list[str]:
    out = []
    pos = col
    for word in text.split(","):
        w = word.strip().lower()
        if w not in FLAG_WORDS:
            raise ParseError(f"unknown mmap flag {word!r}: expected a comma list of "
                             f"{', '.join(FLAG_WORDS)}", line, pos, src)
        out.append("anonymous" if w == "anon" else w)
        pos += len(word) + 1
    return out


def parse_int(text: str, line: int, col: int, src: str, what: str) -> int:
    try:
        return engine_parse_int(text)  # ASCII digits only: int() also reads ٨ and 1_0
    except ValueError:
        raise ParseError(f"bad {what} {text!r}: expected a whole number", line, col,
                         src) from None


COMMANDS = (
    "mmap", "munmap", "mprotect", "mremap", "sbrk", "brk", "malloc", "free", "read", "write",
    "exec", "fork", "switch", "exit", "file", "mlock", "munlock", "mlockall", "munlockall",
    "madvise", "sysctl", "numa", "cpu", "swapon", "swapoff", "walk", "tick", "segment", "show",
    "spawn", "vmalloc", "kread", "kwrite", "kill", "compact", "drop_caches", "lru_gen",
    # the Linux commands of the lecture notes (vmtui/scenario/shell.py)
    "cat", "echo", "numactl", "numastat", "vmstat", "pmap", "ps", "ulimit", "reboot", "help",
    "mlock2", "sudo",
)
VALUE_COMMANDS = ("mmap", "mremap", "sbrk", "malloc", "fork", "read", "spawn", "vmalloc",
                  "kread", "brk", "segment", "write", "walk")


def parse_command(line_text: str, line: int = 1) -> Command | None:
    """Parse one line; None for a blank or comment-only line. Raises ParseError."""
    src = line_text.rstrip("\n")
    bad = _NOT_UTF8.search(src)  # a byte that is not UTF-8 stands as a lone surrogate
    if bad:
        raise ParseError(f"byte {ord(bad.group()) - 0xDC00:#04x} is not UTF-8 text", line,
                         bad.start() + 1, src.encode("utf-8", "backslashreplace").decode())
    toks = tokenize(src)
    if not toks:
        return None
    target = None
    if len(toks) >= 2 and toks[1].text == "=":
        if not NAME_RE.match(toks[0].text):
            raise ParseError(f"{toks[0].text!r} cannot be a name: use letters, digits and _",
                             line, toks[0].col, src)
        if toks[0].text in COMMANDS:
            raise ParseError(f"{toks[0].text!r} is a command, not a name", line, toks[0].col, src)
        target = toks[0].text
        toks = toks[2:]
        if not toks:
            raise ParseError("expected a command after '='", line, len(src) + 1, src)
    head = toks[0]
    name = head.text.lower()
    if name not in COMMANDS:
        import difflib

        close = difflib.get_close_matches(name, COMMANDS, n=3, cutoff=0.6)
        hint = ("did you mean " + " or ".join(repr(c) for c in close) + "?" if close else
                "expected one of " + ", ".join(COMMANDS))
        raise ParseError(f"unknown command {head.text!r}: {hint}", line, head.col, src)
    if target is not None and name not in VALUE_COMMANDS:
        raise ParseError(f"{name} gives no value to store in {target!r}", line, head.col, src)
    cmd = Command(name, {}, target, src.strip(), line)
    args = toks[1:]
    from vmtui.scenario import shell_args  # the parsing half of shell.py: no engine

    if shell_args.wants_shell(name, args):
        shell_args.parse_shell(cmd, src, head, line)
        return cmd
    end_col = len(src) + 1
    _ARG_PARSERS[name](cmd, args, line, src, end_col)
    return cmd


# ---------------------------------------------------------------- argument shapes
def _need(args: list[Token], i: int, what: str, line: int, src: str, end_col: int) -> Token:
    if i >= len(args):
        raise ParseError(f"expected {what}", line, end_col, src)
    return args[i]


def _no_more(args: list[Token], i: int, line: int, src: str) -> None:
    if i < len(args):
        raise ParseError(f"unexpected {args[i].text!r}: nothing more was expected here", line,
                         args[i].col, src)


def _p_mmap(cmd: Command, args: list[Token], line: int, src: str, end: int) -> None:
    t = _need(args, 0, "a length (SIZE, e.g. 8K)", line, src, end)
    cmd.args["len"] = parse_size(t.text, line, t.col, src)
    t = _need(args, 1, "a protection (r, rw, rx, rwx, none)", line, src, end)
    cmd.args["prot"] = parse_prot(t.text, line, t.col, src)
    t = _need(args, 2, "flags (e.g. private,anon)", line, src, end)
    cmd.args["flags"] = parse_flags(t.text, line, t.col, src)
    for t in args[3:]:
        key, eq, val = t.text.partition("=")
        if not eq or key not in ("file", "offset", "addr"):
            raise ParseError(f"unexpected {t.text!r}: expected file=NAME, offset=SIZE or "
                             "addr=ADDR", line, t.col, src)
        vcol = t.col + len(key) + 1
        if key == "file":
            cmd.args["file"] = val
        elif key == "offset":
            cmd.args["offset"] = parse_size(val, line, vcol, src)
        else:
            cmd.args["addr"] = parse_addr(val, line, vcol, src)
        cmd.cols[key] = vcol
    fl = cmd.args["flags"]
    if "anonymous" not in fl and "file" not in cmd.args:
        raise ParseError("a mapping needs a file (file=NAME) or the anon flag", line,
                         args[2].col, src)


def _addr_len(cmd: Command, args: list[Token], line: int, src: str, end: int, n: int = 2
              ) -> None:
    t = _need(args, 0, "an address (ADDR, e.g. buf or 0x7f0000)", line, src, end)
    cmd.args["addr"] = parse_addr(t.text, line, t.col, src)
    cmd.cols["addr"] = t.col
    if n >= 2:
        t = _need(args, 1, "a length (SIZE, e.g. 8K)", line, src, end)
        cmd.args["len"] = parse_size(t.text, line, t.col, src)


def _p_munmap(cmd: Command, args: list[Token], line: int, src: str, end: int) -> None:
    _addr_len(cmd, args, line, src, end)
    _no_more(args, 2, line, src)


def _p_mprotect(cmd: Command, args: list[Token], line: int, src: str, end: int) -> None:
    _addr_len(cmd, args, line, src, end)
    t = _need(args, 2, "a protection (r, rw, rx, rwx, none)", line, src, end)
    cmd.args["prot"] = parse_prot(t.text, line, t.col, src)
    _no_more(args, 3, line, src)


def _p_mremap(cmd: Command, args: list[Token], line: int, src: str, end: int) -> None:
    _addr_len(cmd, args, line, src, end)
    cmd.args["oldlen"] = cmd.args.pop("len")
    t = _need(args, 2, "the new length (SIZE)", line, src, end)
    cmd.args["newlen"] = parse_size(t.text, line, t.col, src)
    cmd.args["maymove"] = False
    for t in args[3:]:
        key, eq, val = t.text.partition("=")
        if t.text.lower() == "maymove":
            cmd.args["maymove"] = True
        elif eq and key.lower() == "fixed":
            cmd.args["fixed"] = parse_addr(val, line, t.col + len(key) + 1, src)
            cmd.cols["fixed"] = t.col + len(key) + 1
        else:
            raise ParseError(f"unexpected {t.text!r}: expected maymove or fixed=ADDR", line,
                             t.col, src)


def _p_sbrk(cmd: Command, args: list[Token], line: int, src: str, end: int) -> None:
    t = _need(args, 0, "a delta (SIZE, may be negative: -8K)", line, src, end)
    cmd.args["delta"] = parse_size(t.text, line, t.col, src, signed=True)
    _no_more(args, 1, line, src)


def _p_addr1(cmd: Command, args: list[Token], line: int, src: str, end: int) -> None:
    _addr_len(cmd, args, line, src, end, 1)
    _no_more(args, 1, line, src)


def _p_malloc(cmd: Command, args: list[Token], line: int, src: str, end: int) -> None:
    t = _need(args, 0, "a size (SIZE)", line, src, end)
    cmd.args["size"] = parse_size(t.text, line, t.col, src)
    _no_more(args, 1, line, src)


def _p_free(cmd: Command, args: list[Token], line: int, src: str, end: int) -> None:
    _addr_len(cmd, args, line, src, end, 1)
    _no_more(args, 1, line, src)


def _p_rw(cmd: Command, args: list[Token], line: int, src: str, end: int) -> None:
    _addr_len(cmd, args, line, src, end, 1)
    i = 1
    if i < len(args) and args[i].text != "=":
        cmd.args["len"] = parse_size(args[i].text, line, args[i].col, src)
        i += 1
    if cmd.name in ("write", "kwrite") and i < len(args):
        if args[i].text != "=":
            raise ParseError(f"unexpected {args[i].text!r}: expected '= VALUE'", line,
                             args[i].col, src)
        t = _need(args, i + 1, "a value after '='", line, src, end)
        cmd.args["value"] = parse_int(t.text, line, t.col, src, "value")
        i += 2
    _no_more(args, i, line, src)


def _p_none(cmd: Command, args: list[Token], line: int, src: str, end: int) -> None:
    _no_more(args, 0, line, src)


def _p_who(cmd: Command, args: list[Token], line: int, src: str, end: int) -> None:
    t = _need(args, 0, "a PID or a name", line, src, end)
    cmd.args["who"] = t.text
    cmd.cols["who"] = t.col
    _no_more(args, 1, line, src)


def _p_exit(cmd: Command, args: list[Token], line: int, src: str, end: int) -> None:
    if args:
        cmd.args["who"] = args[0].text
        cmd.cols["who"] = args[0].col
    _no_more(args, 1, line, src)


def _p_file(cmd: Command, args: list[Token], line: int, src: str, end: int) -> None:
    t = _need(args, 0, "a file name", line, src, end)
    cmd.args["file"] = t.text
    t = _need(args, 1, "a size (SIZE)", line, src, end)
    cmd.args["size"] = parse_size(t.text, line, t.col, src)
    _no_more(args, 2, line, src)


def _p_madvise(cmd: Command, args: list[Token], line: int, src: str, end: int) -> None:
    _addr_len(cmd, args, line, src, end)
    t = _need(args, 2, "advice (dontneed, willneed, free)", line, src, end)
    if t.text.lower() not in MADVICE:
        raise ParseError(f"unknown advice {t.text!r}: expected dontneed, willneed or free", line,
                         t.col, src)
    cmd.args["advice"] = t.text.lower()
    _no_more(args, 3, line, src)


def _p_sysctl(cmd: Command, args: list[Token], line: int, src: str, end: int) -> None:
    t = _need(args, 0, "KEY=VALUE (e.g. vm.swappiness=10)", line, src, end)
    key, eq, val = t.text.partition("=")
    if not eq:
        if len(args) >= 3 and args[1].text == "=":
            key, val = t.text, args[2].text
            args = args[:1]
        else:
            raise ParseError(f"expected KEY=VALUE, got {t.text!r}", line, t.col, src)
    cmd.args["key"] = key
    cmd.args["value"] = parse_int(val, line, t.col + len(key) + 1, src, "value")
    _no_more(args, 1, line, src)


def _p_numa(cmd: Command, args: list[Token], line: int, src: str, end: int) -> None:
    t = _need(args, 0, "a policy (local, interleave=0,1, bind=1, preferred=1)", line, src, end)
    cmd.args["policy"] = t.text
    _no_more(args, 1, line, src)


def _p_cpu(cmd: Command, args: list[Token], line: int, src: str, end: int) -> None:
    t = _need(args, 0, "a node number", line, src, end)
    cmd.args["node"] = parse_int(t.text, line, t.col, src, "node")
    _no_more(args, 1, line, src)


def _p_tick(cmd: Command, args: list[Token], line: int, src: str, end: int) -> None:
    cmd.args["n"] = 1
    if args:
        cmd.args["n"] = parse_int(args[0].text, line, args[0].col, src, "tick count")
        if not 1 <= cmd.args["n"] <= 1_000_000:
            raise ParseError("tick count must be 1..1000000", line, args[0].col, src)
    _no_more(args, 1, line, src)


def _p_segment(cmd: Command, args: list[Token], line: int, src: str, end: int) -> None:
    t = _need(args, 0, "SELECTOR:OFFSET (e.g. 0x2b:0x401000)", line, src, end)
    if ":" not in t.text:
        raise ParseError(f"expected SELECTOR:OFFSET, got {t.text!r}", line, t.col, src)
    cmd.args["spec"] = " ".join(a.text for a in args)


def _p_show(cmd: Command, args: list[Token], line: int, src: str, end: int) -> None:
    names = ", ".join(SHOW_WHAT + SHOW_KERNEL)
    t = _need(args, 0, f"what to show ({names})", line, src, end)
    if t.text.lower() not in SHOW_WHAT + SHOW_KERNEL:
        raise ParseError(f"cannot show {t.text!r}: expected one of {names}", line, t.col, src)
    cmd.args["what"] = t.text.lower()
    if cmd.args["what"] == "frames":
        _p_frames(cmd, args[1:], line, src)
        return
    if len(args) > 1:
        cmd.args["who"] = args[1].text
        cmd.cols["who"] = args[1].col
    _no_more(args, 2, line, src)


def _p_frames(cmd: Command, args: list[Token], line: int, src: str) -> None:
    """`show frames [NODE|ZONE|PFN-RANGE]`: the spelling is checked here, the machine later."""
    from vmtui.engine.views.frames_base import parse_range

    if not args:
        return
    t = args[0]
    text = t.text.lower()
    zone = text.rpartition(":")[2]
    node = text.removeprefix("node").removeprefix("n")
    rng = parse_range(text)
    if not (node.isdigit() or zone in ("dma", "dma32", "normal", "movable") or
            (rng is not None and rng[0] < rng[1])):
        raise ParseError(f"cannot show frames of {t.text!r}: expected a node (0, node1), a zone "
                         "(DMA, DMA32, Normal, Movable, or 1:Normal) or a pfn range LO-HI "
                         "(0xfc00-0xfd00)", line, t.col, src)
    cmd.args["frames"] = t.text
    cmd.cols["frames"] = t.col
    _no_more(args, 1, line, src)


def _p_lru_gen(cmd: Command, args: list[Token], line: int, src: str, end: int) -> None:
    """`lru_gen + MEMCG_ID NODE_ID MAX_GEN_NR [CAN_SWAP [FORCE_SCAN]]` and `lru_gen -
    MEMCG_ID NODE_ID MIN_GEN_NR [SWAPPINESS [NR_TO_RECLAIM]]`: what lru_gen_seq_write()'s
    sscanf("%c %u %u %lu %n %u %n %lu %n") reads from /sys/kernel/debug/lru_gen."""
    t = _need(args, 0, "+ (aging) or - (eviction)", line, src, end)
    if len(t.text) != 1:
        raise ParseError(f"expected + or -, got {t.text!r}", line, t.col, src)
    cmd.args["op"] = t.text
    names = ("memcg_id", "node_id", "gen", "arg4", "arg5")
    whats = ("a memcg id (0: memory cgroups are disabled)", "a node id",
             "a generation number (max_seq to age, min_seq to evict)")
    for i, name in enumerate(names):
        if i < 3:
            t = _need(args, i + 1, whats[i], line, src, end)
        elif i + 1 >= len(args):
            break
        else:
            t = args[i + 1]
        v = parse_int(t.text, line, t.col, src, name.replace("_", " "))
        if v < 0:
            raise ParseError(f"bad {name.replace('_', ' ')} {t.text!r}: expected a whole "
                             "number 0 or more", line, t.col, src)
        cmd.args[name] = v
    _no_more(args, 6, line, src)


def _p_spawn(cmd: Command, args: list[Token], line: int, src: str, end: int) -> None:
    cmd.args["program"] = args[0].text if args else None
    _no_more(args, 1, line, src)


def _p_kill(cmd: Command, args: list[Token], line: int, src: str, end: int) -> None:
    _p_who(cmd, args, line, src, end)


_ARG_PARSERS = {
    "mmap": _p_mmap, "munmap": _p_munmap, "mprotect": _p_mprotect, "mremap": _p_mremap,
    "sbrk": _p_sbrk, "brk": _p_addr1, "malloc": _p_malloc, "free": _p_free, "read": _p_rw,
    "write": _p_rw, "exec": _p_addr1, "fork": _p_none, "switch": _p_who, "exit": _p_exit,
    "file": _p_file, "mlock": _p_munmap, "munlock": _p_munmap, "mlockall": _p_none,
    "munlockall": _p_none, "madvise": _p_madvise, "sysctl": _p_sysctl, "numa": _p_numa,
    "cpu": _p_cpu, "swapon": _p_none, "swapoff": _p_none, "walk": _p_addr1, "tick": _p_tick,
    "segment": _p_segment, "show": _p_show, "spawn": _p_spawn, "vmalloc": _p_malloc,
    "kread": _p_addr1, "kwrite": _p_rw, "kill": _p_kill, "compact": _p_none,
    "drop_caches": _p_none, "lru_gen": _p_lru_gen,
}


def parse_lines(text: str, first_line: int = 1) -> list[Command]:
    """Every command of a multi-line text (a `do` string)."""
    out = []
    for i, line in enumerate(text.splitlines() or [""]):
        cmd = parse_command(line, first_line + i)
        if cmd is not None:
            out.append(cmd)
    return out
