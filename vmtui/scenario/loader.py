"""Scenario files (TOML, COMMANDS.md): [scenario], [machine], [[step]] with do / say / expect.

Every mistake is reported as `ScenarioError` with the file, line and column,
never as a traceback.
"""

from __future__ import annotations

import bisect
import errno
import os
import re
import stat
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from vmtui.engine.include.machine import MachineConfig
from vmtui.engine.include.settings import SettingError, parse_size
from vmtui.scenario.lang import Command, ParseError, parse_command

TOP_KEYS = {"scenario", "machine", "step"}
SCENARIO_KEYS = {"title", "summary", "id", "level", "tags", "order", "langs", "topic"}
STEP_KEYS = {"do", "say", "expect", "title", "focus", "predict"}
LANGS = ("en", "zh")


class ScenarioError(Exception):
    """A bad scenario: `where` (file), `line`, `col` and a message."""

    def __init__(self, msg: str, where: str, line: int = 0, col: int = 0, source: str = ""
                 ) -> None:
        super().__init__(msg)
        self.msg = msg
        self.where = where
        self.line = line
        self.col = col
        self.source = source

    def render(self) -> str:
        return render_error(self.where, self.line, self.col, self.msg, self.source)


def render_error(where: str, line: int, col: int, msg: str, source: str = "") -> str:
    """`where:line:col: msg` (line and col left out when 0), then the source line with a
    caret under the column: how vmtui check and the loader print a problem in a file."""
    loc = where
    if line:
        loc += f":{line}"
        if col:
            loc += f":{col}"
    text = f"{loc}: {msg}"
    if source:
        src = source
        if len(src) > 100:  # a window of a long line, around the column
            start = max(0, min(col - 50, len(src) - 100)) if col else 0
            src = ("…" if start else "") + src[start:start + 100] + (
                "…" if start + 100 < len(src) else "")
            col = col - start + (1 if start else 0) if col else 0
        text += f"\n    {src}"
        if col:
            text += f"\n    {' ' * (col - 1)}^"
    return text


Text = dict[str, str]


def text_of(value: Any, where: str, key: str, line: int, col: int = 0) -> Text:
    """A text field: a string (English) or a table of language code -> string."""
    if isinstance(value, str):
        return {"en": value}
    if isinstance(value, dict) and value:
        for lang, v in value.items():
            if not isinstance(v, str):
                raise ScenarioError(f"{key}.{lang}: expected a string, not {_type_name(v)}",
                                    where, line, col)
        return dict(value)
    what = "an empty table" if isinstance(value, dict) else _type_name(value)
    raise ScenarioError(f'{key}: expected a string or a table like {{ en = "...", zh = "..." }}'
                        f", not {what}", where, line, col)


def pick(text: Text, lang: str) -> str:
    """The text in `lang`, English as the fallback."""
    return text.get(lang) or text.get("en") or next(iter(text.values()), "")


@dataclass
class Step:
    """One [[step]]: its commands (run as one step), narration and expectation."""

    commands: list[Command]
    do: str
    say: Text = field(default_factory=dict)
    expect: str | None = None
    title: Text = field(default_factory=dict)
    focus: str | None = None
    line: int = 0


@dataclass
class Scenario:
    """A loaded scenario."""

    name: str
    where: str
    title: Text
    summary: Text
    machine: dict[str, Any]
    steps: list[Step]
    config: MachineConfig
    meta: dict[str, Any] = field(default_factory=dict)


def builtin_dir() -> Path:
    """The built-in scenarios: vmtui/scenarios/ inside an installed wheel (pyproject maps the
    checkout's top-level scenarios/ there), else the top-level scenarios/ of the checkout."""
    installed = Path(str(resources.files("vmtui") / "scenarios"))
    if installed.is_dir() and any(installed.glob("*.toml")):
        return installed
    return Path(__file__).resolve().parents[2] / "scenarios"


def builtin_names() -> list[str]:
    return sorted(p.stem for p in builtin_dir().glob("*.toml"))


SIZE_CAP_ENV = "VMTUI_MAX_SCENARIO_SIZE"
DEFAULT_SIZE_CAP = 16 << 20


def size_cap() -> int:
    """The largest scenario file read: 16 MiB, or $VMTUI_MAX_SCENARIO_SIZE (a SIZE: 64M)."""
    v = os.environ.get(SIZE_CAP_ENV)
    if not v:
        return DEFAULT_SIZE_CAP
    try:
        return max(0, parse_size(v))
    except ValueError:
        raise ScenarioError(f"${SIZE_CAP_ENV} = {v!r} is not a size (e.g. 64M)",
                            SIZE_CAP_ENV) from None


def _why(e: OSError) -> str:
    return {errno.ELOOP: "too many levels of symbolic links (a symlink loop?)",
            errno.ENOENT: "no such file", errno.EACCES: "permission denied",
            errno.ENOTDIR: "a part of the path is not a directory",
            errno.ENAMETOOLONG: "file name too long"}.get(e.errno or 0, e.strerror or "error")


def find_scenario(spec: str) -> Path:
    """A built-in name or a path; ScenarioError names the built-ins if neither."""
    if "\x00" in spec:
        raise ScenarioError("a path cannot hold a NUL byte", spec.replace("\x00", "\\0"))
    p = Path(spec)
    if p.suffix == ".toml" or "/" in spec or os.path.lexists(spec):
        try:
            os.stat(spec)
        except OSError as e:
            raise ScenarioError(_why(e), spec) from None
        return p
    cand = builtin_dir() / f"{spec}.toml"
    if cand.exists():
        return cand
    names = builtin_names()
    close = [n for n in names if spec.lower() in n] or names
    raise ScenarioError(f"no built-in scenario {spec!r}; try one of: {', '.join(close[:12])} "
                        "(`vmtui list` shows them all)", spec)


def read_scenario_file(path: Path) -> str:
    """The text of a scenario file: a regular file below the size cap, in UTF-8.

    Anything else (a directory, a FIFO, /dev/zero, a symlink loop, a huge file, bytes
    that are not UTF-8) is a ScenarioError, never a hang or a MemoryError."""
    where = str(path)
    cap = size_cap()
    try:
        st = os.stat(path)  # follows symlinks; never opens (a FIFO's open would block)
    except OSError as e:
        raise ScenarioError(_why(e), where) from None
    if stat.S_ISDIR(st.st_mode):
        raise ScenarioError("is a directory: expected a scenario file (.toml)", where)
    if not stat.S_ISREG(st.st_mode):
        kind = "a FIFO" if stat.S_ISFIFO(st.st_mode) else "a device" if (
            stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)) else "a socket" if \
            stat.S_ISSOCK(st.st_mode) else "not a regular file"
        raise ScenarioError(f"{kind}: expected a regular scenario file (.toml)", where)
    if st.st_size > cap:
        raise ScenarioError(f"{st.st_size} bytes: larger than the {cap >> 20} MiB a scenario "
                            f"may have (set ${SIZE_CAP_ENV}, e.g. 64M, to allow more)", where)
    try:
        with open(path, "rb") as f:
            data = f.read(cap + 1)
    except OSError as e:
        raise ScenarioError(f"cannot read: {_why(e)}", where) from None
    if len(data) > cap:
        raise ScenarioError(f"larger than the {cap >> 20} MiB a scenario may have (set "
                            f"${SIZE_CAP_ENV}, e.g. 64M, to allow more)", where)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise ScenarioError(f"not UTF-8 text: byte {data[e.start]:#04x} cannot start or "
                            "continue a character (save the file as UTF-8)", where, line,
                            col) from None


def non_utf8(text: str) -> int:
    """The 0-based index of the first character that stands for a byte that is not UTF-8
    (a lone surrogate, as Python decodes such bytes in argv), or -1."""
    for i, ch in enumerate(text):
        if "\ud800" <= ch <= "\udfff":
            return i
    return -1


_KEY_RE = re.compile(r"(\s*)([A-Za-z0-9_-]+)(?:\s*\.\s*[A-Za-z0-9_-]+)*\s*=")
_HDR_RE = re.compile(r"\s*(\[\[?)\s*([A-Za-z0-9_.\s-]+?)\s*\]")


class _Index:
    """Where each `key =` and each [table] header stands, built in one pass over the file,
    so every look-up is a bisection (the loader stays linear in the file's size)."""

    def __init__(self, lines: list[str]) -> None:
        self.keys: dict[str, list[tuple[int, int]]] = {}
        self.headers: dict[str, list[int]] = {}
        for i, ln in enumerate(lines, 1):
            m = _KEY_RE.match(ln)
            if m:
                self.keys.setdefault(m.group(2), []).append((i, len(m.group(1)) + 1))
                continue
            h = _HDR_RE.match(ln)
            if h:
                name = re.sub(r"\s+", "", h.group(2))
                self.headers.setdefault(name, []).append(i)

    def key(self, key: str, start: int = 0, stop: int = 1 << 62) -> tuple[int, int]:
        """(line, col) of the first `key =` on a line in [start, stop), or (0, 0)."""
        found = self.keys.get(key)
        if not found:
            return 0, 0
        i = bisect.bisect_left(found, (start, 0))
        if i < len(found) and found[i][0] < stop:
            return found[i]
        return 0, 0

    def header(self, name: str, n: int = 0) -> int:
        lines = self.headers.get(name, [])
        return lines[n] if n < len(lines) else 0

    def section(self, name: str) -> tuple[int, int]:
        """The lines [start, stop) of table [name]: up to the next header of any table."""
        start = self.header(name)
        if not start:
            return 0, 0
        later = [ln[bisect.bisect_right(ln, start)] for ln in self.headers.values()
                 if bisect.bisect_right(ln, start) < len(ln)]
        return start, min(later, default=1 << 62)


def _locate(src_lines: list[str], cursor: tuple[int, int], needle: str, stop: int
            ) -> tuple[int, int]:
    """Where `needle` next stands in the file from `cursor` (line, 0-based col) up to line
    `stop`: (line, 1-based col), or (cursor line, 0) if it cannot be found (an escaped
    string, say)."""
    line, col = cursor
    if needle:
        for i in range(line - 1, min(len(src_lines), stop - 1)):
            start = col if i == line - 1 else 0
            pos = src_lines[i].find(needle, start)
            if pos >= 0:
                return i + 1, pos + 1
    return line, 0


def load_scenario(spec: str) -> Scenario:
    """Load a scenario by built-in name or path."""
    path = find_scenario(spec)
    raw = read_scenario_file(path)
    return parse_scenario(raw, str(path), path.stem)


def _type_name(v: Any) -> str:
    return ("a boolean" if isinstance(v, bool) else "a number" if isinstance(v, int | float)
            else "a string" if isinstance(v, str) else "an array" if isinstance(v, list)
            else "a table" if isinstance(v, dict) else "a date or time")


# [scenario] keys other than the text fields: what each must be
_META_TYPES: dict[str, tuple[type, str]] = {
    "id": (str, "a string"), "topic": (str, "a string"), "level": (int, "a whole number"),
    "order": (int, "a whole number"), "tags": (list, "a list of strings"),
    "langs": (list, "a list of language codes"),
}


def parse_scenario(raw: str, where: str, name: str) -> Scenario:
    """A scenario from its TOML text; ScenarioError names the line and column (or the key)."""
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as e:
        msg = str(e)
        mm = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        line, col = (int(mm.group(1)), int(mm.group(2))) if mm else (0, 0)
        src = _line_at(raw, line)
        raise ScenarioError("TOML syntax error: " + re.sub(r"\s*\(at line.*\)", "", msg),
                            where, line, col, src) from None
    except RecursionError:
        raise ScenarioError("TOML nested too deeply (arrays or tables inside each other "
                            "hundreds of levels deep)", where) from None
    src_lines = raw.splitlines()
    idx = _Index(src_lines)
    for key in data:
        if key not in TOP_KEYS:
            line, col = idx.key(key)
            if not line:
                line = next((idx.header(h) for h in idx.headers
                             if h == key or h.startswith(key + ".")), 0)
                col = 1 if line else 0
            raise ScenarioError(f"unknown table or key {key!r}; expected [scenario], [machine] "
                                "and [[step]]", where, line, col)
    sc_start, sc_stop = idx.section("scenario")

    def sc_pos(key: str) -> tuple[int, int]:
        return idx.key(key, sc_start, sc_stop) if sc_start else idx.key(key)

    sc = data.get("scenario", {})
    if not isinstance(sc, dict):
        raise ScenarioError("scenario must be a table: write [scenario]", where,
                            *idx.key("scenario"))
    for key, val in sc.items():
        if key not in SCENARIO_KEYS:
            raise ScenarioError(f"unknown key {key!r} in [scenario]; expected one of "
                                f"{', '.join(sorted(SCENARIO_KEYS))}", where, *sc_pos(key))
        if key in _META_TYPES:
            typ, what = _META_TYPES[key]
            ok = isinstance(val, typ) and not isinstance(val, bool) and (
                typ is not list or all(isinstance(x, str) for x in val))
            if not ok:
                raise ScenarioError(f"[scenario] {key}: expected {what}, not "
                                    f"{_type_name(val)}", where, *sc_pos(key))
    machine = data.get("machine", {})
    if not isinstance(machine, dict):
        raise ScenarioError("machine must be a table: write [machine]", where,
                            *idx.key("machine"))
    config = _machine_config(machine, where, idx, raw)
    steps_raw = data.get("step", [])
    if not isinstance(steps_raw, list):
        raise ScenarioError("step must be an array of tables: write [[step]]", where,
                            *idx.key("step"))
    starts = idx.headers.get("step", [])
    steps = []
    for i, st in enumerate(steps_raw):
        sline = starts[i] if i < len(starts) else 0
        snext = starts[i + 1] if i + 1 < len(starts) else 1 << 62
        if not isinstance(st, dict):
            raise ScenarioError(f"step {i + 1}: expected a table ([[step]] with do = ...), not "
                                f"{_type_name(st)}", where, sline or idx.key("step")[0])

        def pos(key: str, sline: int = sline, snext: int = snext) -> tuple[int, int]:
            line, col = idx.key(key, sline, snext) if sline else (0, 0)
            return (line, col) if line else (sline, 0)

        for key in st:
            if key not in STEP_KEYS:
                raise ScenarioError(f"unknown key {key!r} in step {i + 1}; expected one of "
                                    f"{', '.join(sorted(STEP_KEYS))}", where, *pos(key))
        if "do" not in st:
            raise ScenarioError(f"step {i + 1} has no `do`", where, sline)
        do = st["do"]
        dline, dcol = pos("do")
        lines = do if isinstance(do, list) else [do]
        if not all(isinstance(x, str) for x in lines):
            raise ScenarioError(f"step {i + 1}: do: expected a string or a list of strings, "
                                f"not {_type_name(do)}", where, dline, dcol)
        cmds: list[Command] = []
        cursor = (dline or sline or 1, 0)  # where the next command's text is searched from
        for text in lines:
            for part in text.splitlines() or [""]:
                line, col0 = _locate(src_lines, cursor, part.strip(), snext)
                if col0:
                    cursor = (line, col0 + len(part.strip()) - 1)
                lead = len(part) - len(part.lstrip())
                try:
                    cmd = parse_command(part, line)
                except ParseError as e:
                    col = col0 + e.col - 1 - lead if col0 else e.col
                    src = src_lines[line - 1] if col0 else part
                    raise ScenarioError(e.msg, where, line, col, src) from None
                if cmd is not None:
                    cmd.line = line
                    if col0:
                        shift = col0 - 1 - lead
                        cmd.cols = {k: v + shift for k, v in cmd.cols.items()}
                        for v in cmd.args.values():
                            if hasattr(v, "col") and v.col:
                                v.col += shift
                        cmd.text = src_lines[line - 1]
                    cmds.append(cmd)
        if not cmds:
            raise ScenarioError(f"step {i + 1}: do has no command", where, dline, dcol)
        say = text_of(st["say"], where, f"step {i + 1}: say", *pos("say")) if "say" in st \
            else {}
        expect = st.get("expect")
        if expect is not None and not isinstance(expect, str):
            raise ScenarioError(f"step {i + 1}: expect: expected a string (\"ok\", an errno, "
                                f"a signal or value=V), not {_type_name(expect)}", where,
                                *pos("expect"))
        if expect is not None:
            _check_expect(expect, where, *pos("expect"))
        title = text_of(st["title"], where, f"step {i + 1}: title", *pos("title")) \
            if "title" in st else {}
        focus = st.get("focus")
        if focus is not None and not isinstance(focus, str):
            raise ScenarioError(f"step {i + 1}: focus: expected a string, not "
                                f"{_type_name(focus)}", where, *pos("focus"))
        if "predict" in st and not isinstance(st["predict"], bool | str | dict):
            raise ScenarioError(f"step {i + 1}: predict: expected true, false or a text, not "
                                f"{_type_name(st['predict'])}", where, *pos("predict"))
        steps.append(Step(cmds, "; ".join(lines), say, expect, title, focus, sline))
    title = text_of(sc.get("title", name), where, "[scenario] title", *sc_pos("title"))
    summary = text_of(sc.get("summary", ""), where, "[scenario] summary", *sc_pos("summary"))
    meta = {k: v for k, v in sc.items() if k not in ("title", "summary")}
    return Scenario(name, where, title, summary, machine, steps, config, meta)


def _line_at(raw: str, line: int) -> str:
    if line <= 0:
        return ""
    lines = raw.splitlines()
    return lines[line - 1] if line <= len(lines) else ""


def _machine_pos(idx: _Index, key: str) -> tuple[int, int]:
    """Where [machine] key `key` ("ram", "node[1].cpus", "node[0].zones.movable") stands."""
    m = re.match(r"node\[(\d+)\]\.(\w+)", key)
    if m:
        start = idx.header("machine.node", int(m.group(1)))
        if start:
            nxt = [h for lines in idx.headers.values() for h in lines if h > start]
            line, col = idx.key(m.group(2), start, min(nxt, default=1 << 62))
            return (line, col) if line else (start, 1)
        return idx.key("node")
    start, stop = idx.section("machine")
    if start:
        line, col = idx.key(key, start, stop)
        if line:
            return line, col
    return idx.key(key)


def _machine_config(machine: dict[str, Any], where: str, idx: _Index | None, raw: str
                    ) -> MachineConfig:
    """MachineConfig.from_dict, its SettingError turned into a ScenarioError at the key's line;
    with min_free_kbytes (the one key that can leave a machine unable to boot) a trial boot."""
    try:
        config = MachineConfig.from_dict(machine, text=idx is None)
        if "min_free_kbytes" in machine:
            # the engine only for this: opening a scenario (the TUI's start) needs none of it
            from vmtui.engine.boot import new_machine

            new_machine(config)
    except SettingError as e:
        line, col = _machine_pos(idx, e.key) if idx is not None else (0, 0)
        raise ScenarioError(str(e), where, line, col, _line_at(raw, line)) from None
    return config


ERRNOS = ("EINVAL", "ENOMEM", "EEXIST", "EFAULT", "EACCES", "EPERM", "EBADF", "ENOENT",
          "ESRCH", "EBUSY", "EFBIG", "ENOSYS", "EAGAIN", "EOVERFLOW")
SIGNALS = ("SIGSEGV", "SIGBUS", "SIGKILL")


def _check_expect(expect: str, where: str, line: int, col: int) -> None:
    e = expect.strip()
    head = e.split()[0] if e.split() else ""
    if e.lower() == "ok" or e.startswith("value=") or head in ERRNOS or head in SIGNALS:
        return
    raise ScenarioError(f"expect {expect!r}: expected ok, value=V, an errno ({', '.join(ERRNOS)})"
                        f" or a signal ({', '.join(SIGNALS)}, optionally with its code)",
                        where, line, col)


def from_commands(text: str, machine: dict[str, Any] | None = None) -> Scenario:
    """`vmtui run -c "a; b"`: each `;`-separated part is one step. `machine` holds [machine]
    values, as typed after `-m KEY=` (strings) or as Python values."""
    bad = non_utf8(text)
    if bad >= 0:
        raise ScenarioError(f"byte {ord(text[bad]) - 0xDC00:#04x} is not UTF-8 text", "-c", 1,
                            bad + 1)
    steps = []
    col = 1
    for part in text.split(";"):
        stripped = part.strip()
        lead = len(part) - len(part.lstrip())
        if stripped:
            try:
                cmd = parse_command(stripped, 1)
            except ParseError as e:
                raise ScenarioError(e.msg, "-c", 1, col + lead + e.col - 1, text) from None
            if cmd is not None:
                steps.append(Step([cmd], stripped, {}, None, {}, None, 1))
        col += len(part) + 1
    config = _machine_config(machine or {}, "-m", None, "")
    return Scenario("-c", "-c", {"en": "commands"}, {}, machine or {}, steps, config)
