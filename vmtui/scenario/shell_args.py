"""The Linux commands' lines parsed: which lines are shell commands, their argv and
redirection, and each tool's own checks of its options (run by shell.py).

The half of shell.py that the command language's parser needs: it imports nothing of the
engine, so reading a scenario file does not load the kernel (shell.py, which runs the
commands, does).
"""

from __future__ import annotations

import shlex
from collections.abc import Callable

from vmtui.scenario.lang import Command, ParseError, Token, parse_addr, parse_size, tokenize

# the commands that are shell commands whatever their arguments
SHELL_ONLY = ("cat", "echo", "numactl", "numastat", "vmstat", "pmap", "ps", "ulimit", "reboot",
              "help", "mlock2", "sudo")
# names shared with the language: the arguments decide (see wants_shell)
SHARED = ("sysctl", "free", "swapon", "swapoff", "mlockall")


def wants_shell(name: str, args: list[Token]) -> bool:
    """Is this line a shell command? `free -m` is free(1), `free buf` is glibc's free."""
    if name in SHELL_ONLY or name == "sysctl":
        return True
    if name == "free":
        return not args or args[0].text.startswith("-")
    if name in ("swapon", "swapoff", "mlockall"):
        return bool(args)
    return False

# ---------------------------------------------------------------- parsing
def _words(src: str, start: int, line: int) -> list[Token]:
    """shlex words of src[start:] (quotes, `>`, `>>`), each with the column where it begins."""
    lex = shlex.shlex(src[start:], posix=True, punctuation_chars="<>|&")
    lex.whitespace_split = True
    lex.commenters = "#"
    try:
        words = list(lex)
    except ValueError as e:
        raise ParseError(f"{e}: close the quote", line, len(src) + 1, src) from None
    out = []
    col = start
    for w in words:
        i = src.find(w[:1], col) if w else -1
        if i < 0:
            i = col
        out.append(Token(w, i + 1))
        col = i + 1
    return out


def parse_shell(cmd: Command, src: str, head: Token, line: int) -> None:
    """Fill cmd.args from a shell line: argv (words after the command) and a redirection."""
    if cmd.name in ("mlockall", "mlock2"):  # C calls, not shell lines: `MCL_CURRENT|MCL_FUTURE`
        words = [t for t in tokenize(src) if t.col > head.col]
    else:
        words = _words(src, head.col - 1 + len(head.text), line)
    redir = None
    argv: list[Token] = []
    i = 0
    while i < len(words):
        w = words[i]
        if w.text in (">", ">>"):
            if i + 1 >= len(words):
                raise ParseError(f"expected a file after {w.text!r}", line, len(src) + 1, src)
            redir = (w.text, words[i + 1].text, w.col)
            i += 2
            continue
        if w.text in ("|", "&", "&&", "||", "<", "<<"):
            raise ParseError(f"{w.text!r}: pipes and other shell operators are not simulated; "
                             "run one command at a time", line, w.col, src)
        argv.append(w)
        i += 1
    name = cmd.name
    if name == "sudo":  # every command runs as root here
        if not argv:
            raise ParseError("expected a command after sudo", line, len(src) + 1, src)
        head = argv[0]
        name = cmd.name = head.text.lower()
        argv = argv[1:]
        if not wants_shell(name, argv) and name != "sysctl":
            raise ParseError(f"sudo {name}: only the Linux commands (see `help`) run under "
                             "sudo here", line, head.col, src)
    if redir is not None and name != "echo":
        raise ParseError(f"{name}: output redirection is simulated for echo only", line,
                         redir[2], src)
    cmd.args["shell"] = True
    cmd.args["argv"] = [t.text for t in argv]
    if redir is not None:
        cmd.args["redirect"] = (redir[0], redir[1])
    check = _CHECKS.get(name)
    if check is not None:
        check(cmd, argv, line, src)



def _bad(t: Token, msg: str, line: int, src: str) -> ParseError:
    return ParseError(msg, line, t.col, src)


def _ck_options(allowed: tuple[str, ...], what: str) -> Callable[..., None]:
    def check(cmd: Command, argv: list[Token], line: int, src: str) -> None:
        for t in argv:
            if t.text.startswith("-") and t.text not in allowed:
                raise _bad(t, f"{cmd.name}: unknown option {t.text!r}: expected {what}", line,
                           src)
    return check


def _ck_free(cmd: Command, argv: list[Token], line: int, src: str) -> None:
    for t in argv:
        if t.text not in FREE_OPTIONS:
            raise _bad(t, f"free: unknown option {t.text!r}: expected -b, -k, -m, -g, -h, -t "
                       "or -w (free ADDR is glibc's free)", line, src)


def _ck_vmstat(cmd: Command, argv: list[Token], line: int, src: str) -> None:
    nums = []
    for t in argv:
        if not t.text.isdigit():
            raise _bad(t, f"vmstat: expected DELAY and COUNT (whole numbers), got {t.text!r}",
                       line, src)
        nums.append(int(t.text))
    if len(nums) > 2:
        raise _bad(argv[2], "vmstat: expected at most DELAY and COUNT", line, src)
    if nums and nums[0] < 1:
        raise _bad(argv[0], "vmstat: delay must be positive integer", line, src)
    if len(nums) == 1:
        raise ParseError("vmstat DELAY without COUNT never ends: give a COUNT (vmstat 1 5)",
                         line, len(src) + 1, src)
    if len(nums) == 2 and not 1 <= nums[1] <= 1000 or nums and nums[0] * (
            nums[1] if len(nums) == 2 else 1) > 1_000_000:
        raise _bad(argv[-1], "vmstat: COUNT must be 1..1000 and DELAY x COUNT at most "
                   "1000000 ticks", line, src)


def _ck_pmap(cmd: Command, argv: list[Token], line: int, src: str) -> None:
    pids = [t for t in argv if not t.text.startswith("-")]
    for t in argv:
        if t.text.startswith("-") and t.text not in ("-x", "--extended"):
            raise _bad(t, f"pmap: unknown option {t.text!r}: expected -x", line, src)
    if not pids:
        raise ParseError("pmap: expected a PID (pmap -x 1)", line, len(src) + 1, src)


def _ck_ps(cmd: Command, argv: list[Token], line: int, src: str) -> None:
    i = 0
    while i < len(argv):
        t = argv[i]
        if t.text == "-o":
            if i + 1 >= len(argv):
                raise ParseError("ps -o: expected a list of fields (e.g. pid,vsz,rss,comm)",
                                 line, len(src) + 1, src)
            for f in argv[i + 1].text.split(","):
                if f.lower() not in PS_FIELDS:
                    raise _bad(argv[i + 1], f"ps -o: unknown field {f!r}: expected "
                               f"{', '.join(PS_FIELDS)}", line, src)
            i += 2
            continue
        if t.text not in ("aux", "u", "-e", "-A", "ax", "-aux", "au", "-ef"):
            raise _bad(t, f"ps: unsupported {t.text!r}: expected ps, ps aux or ps -o FIELDS",
                       line, src)
        i += 1


def _ck_ulimit(cmd: Command, argv: list[Token], line: int, src: str) -> None:
    if not argv or argv[0].text not in ("-l", "-s", "-a"):
        t = argv[0] if argv else None
        msg = "ulimit: expected -l (max locked memory) or -s (stack size), or -a"
        if t is None:
            raise ParseError(msg, line, len(src) + 1, src)
        raise _bad(t, msg, line, src)
    if len(argv) > 2 or (len(argv) == 2 and argv[0].text == "-a"):
        raise _bad(argv[-1], "ulimit: expected one option and at most one value", line, src)
    if len(argv) == 2 and argv[1].text != "unlimited" and (
            not argv[1].text.isdigit() or int(argv[1].text) >= 1 << 52):
        raise _bad(argv[1], f"ulimit: {argv[1].text}: invalid number", line, src)


def _ck_reboot(cmd: Command, argv: list[Token], line: int, src: str) -> None:
    if argv:
        raise _bad(argv[0], "reboot takes no arguments", line, src)


def _ck_help(cmd: Command, argv: list[Token], line: int, src: str) -> None:
    if len(argv) > 1:
        raise _bad(argv[1], "help: one command at a time", line, src)


def _ck_sysctl(cmd: Command, argv: list[Token], line: int, src: str) -> None:
    # the language's older form `sysctl KEY = VALUE` (spaces around =) is one assignment
    words = [t.text for t in argv]
    if len(words) == 3 and words[1] == "=" and not words[0].startswith("-"):
        cmd.args["argv"] = [f"{words[0]}={words[2]}"]
        argv = [Token(cmd.args["argv"][0], argv[0].col)]
    for t in argv:
        if t.text.startswith("-") and t.text not in ("-w", "-a", "-A", "-X", "-p", "-n",
                                                     "--all", "--write", "--load", "-q",
                                                     "--values", "-N", "--names"):
            raise _bad(t, f"sysctl: unknown option {t.text!r}: expected -w, -a, -p, -n or -N",
                       line, src)
    if not argv:
        raise ParseError("sysctl: expected KEY, KEY=VALUE, -w KEY=VALUE, -a or -p (e.g. "
                         "sysctl vm.swappiness)", line, len(src) + 1, src)
    opts = {t.text for t in argv if t.text.startswith("-")}
    if opts & {"-w", "--write"}:
        for t in argv:
            if not t.text.startswith("-") and "=" not in t.text:
                raise _bad(t, f'sysctl: "{t.text}" must be of the form name=value', line, src)


def _ck_mlockall(cmd: Command, argv: list[Token], line: int, src: str) -> None:
    flags = 0
    for t in argv:
        for part in t.text.replace("|", ",").split(","):
            p = part.strip().lower()
            if not p:
                continue
            bit = MCL_WORDS.get(p)
            if bit is None:
                raise _bad(t, f"mlockall: unknown flag {part!r}: expected current, future, "
                           "onfault (or MCL_CURRENT|MCL_FUTURE|MCL_ONFAULT)", line, src)
            flags |= bit
    cmd.args["flags"] = flags


def _ck_mlock2(cmd: Command, argv: list[Token], line: int, src: str) -> None:
    if len(argv) < 2:
        raise ParseError("mlock2: expected ADDR LEN [onfault]", line, len(src) + 1, src)
    cmd.args["addr"] = parse_addr(argv[0].text, line, argv[0].col, src)
    cmd.cols["addr"] = argv[0].col
    cmd.args["len"] = parse_size(argv[1].text, line, argv[1].col, src)
    onfault = False
    for t in argv[2:]:
        if t.text.lower() in ("onfault", "mlock_onfault"):
            onfault = True
        elif t.text != "0":
            raise _bad(t, f"mlock2: unknown flag {t.text!r}: expected onfault (MLOCK_ONFAULT)",
                       line, src)
    cmd.args["onfault"] = onfault


def _ck_cat(cmd: Command, argv: list[Token], line: int, src: str) -> None:
    if not argv:
        raise ParseError("cat: expected a file (e.g. cat /proc/self/maps)", line,
                         len(src) + 1, src)


FREE_OPTIONS = {"-b": 1, "--bytes": 1, "-k": 0, "--kibi": 0, "-m": 3, "--mebi": 3, "-g": 4,
                "--gibi": 4, "-h": -1, "--human": -1, "-t": None, "--total": None, "-w": None,
                "--wide": None}
MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT = 1, 2, 4
MCL_WORDS = {"current": MCL_CURRENT, "mcl_current": MCL_CURRENT, "future": MCL_FUTURE,
             "mcl_future": MCL_FUTURE, "onfault": MCL_ONFAULT, "mcl_onfault": MCL_ONFAULT}

_CHECKS: dict[str, Callable[..., None]] = {
    "free": _ck_free, "vmstat": _ck_vmstat, "pmap": _ck_pmap, "ps": _ck_ps, "ulimit": _ck_ulimit,
    "reboot": _ck_reboot, "help": _ck_help, "sysctl": _ck_sysctl, "mlockall": _ck_mlockall,
    "mlock2": _ck_mlock2, "cat": _ck_cat,
    "numactl": _ck_options(("--hardware", "-H", "--show", "-s"), "--hardware (-H) or --show"),
    "numastat": _ck_options((), "no options"),
    "swapon": _ck_options(("--show", "-s", "--summary", "-a", "--all"), "--show, -s or -a"),
    "swapoff": _ck_options(("-a", "--all"), "-a"),
}


# ps -o: field -> (heading, width, right-aligned), as procps-ng's output.c format_array
PS_FIELDS = {"pid": ("PID", 5, True), "ppid": ("PPID", 5, True), "vsz": ("VSZ", 6, True),
             "rss": ("RSS", 5, True), "comm": ("COMMAND", 0, False), "cmd": ("CMD", 0, False),
             "args": ("COMMAND", 0, False), "user": ("USER", 8, False),
             "%mem": ("%MEM", 4, True), "stat": ("STAT", 4, False), "tty": ("TT", 8, False),
             "time": ("TIME", 8, True)}
