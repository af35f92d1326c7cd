"""Scenario files (TOML, COMMANDS.md): [scenario], [machine], [[step]] with do / say / expect.

Every mistake is reported as `ScenarioError` with the file, line and column,
never as a traceback.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from vmtui.engine.machine import MachineConfig
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
        loc = self.where
        if self.line:
            loc += f":{self.line}"
            if self.col:
                loc += f":{self.col}"
        text = f"{loc}: {self.msg}"
        if self.source:
            text += f"\n    {self.source}"
            if self.col:
                text += f"\n    {' ' * (self.col - 1)}^"
        return text


Text = dict[str, str]


def text_of(value: Any, where: str, key: str, line: int) -> Text:
    """A text field: a string (English) or a table of language code -> string."""
    if isinstance(value, str):
        return {"en": value}
    if isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str)
                                       for k, v in value.items()):
        return dict(value)
    raise ScenarioError(f"{key} must be a string or a table like {{ en = \"...\", zh = \"...\" }}",
                        where, line)


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


def find_scenario(spec: str) -> Path:
    """A built-in name or a path; ScenarioError names the built-ins if neither."""
    p = Path(spec)
    if p.suffix == ".toml" or "/" in spec or p.exists():
        if not p.exists():
            raise ScenarioError("no such file", spec)
        return p
    cand = builtin_dir() / f"{spec}.toml"
    if cand.exists():
        return cand
    names = builtin_names()
    close = [n for n in names if spec.lower() in n] or names
    raise ScenarioError(f"no built-in scenario {spec!r}; try one of: {', '.join(close[:12])} "
                        "(`vmtui list` shows them all)", spec)


def _step_lines(raw: str) -> list[int]:
    return [i + 1 for i, ln in enumerate(raw.splitlines()) if re.match(r"\s*\[\[\s*step\s*\]\]",
                                                                      ln)]


def _key_line(raw: str, key: str, after: int = 0) -> tuple[int, int]:
    """Where `key =` first appears at or after line `after` (1-based line, column)."""
    for i, ln in enumerate(raw.splitlines()):
        if i + 1 < after:
            continue
        mm = re.match(rf"(\s*){re.escape(key)}\s*=", ln)
        if mm:
            return i + 1, len(mm.group(1)) + 1
    return 0, 0


def _locate(src_lines: list[str], cursor: tuple[int, int], needle: str) -> tuple[int, int]:
    """Where `needle` next stands in the file from `cursor` (line, 0-based col): (line, 1-based
    col), or (cursor line, 0) if it cannot be found (an escaped string, say)."""
    line, col = cursor
    if needle:
        for i in range(line - 1, len(src_lines)):
            start = col if i == line - 1 else 0
            pos = src_lines[i].find(needle, start)
            if pos >= 0:
                return i + 1, pos + 1
    return line, 0


def load_scenario(spec: str) -> Scenario:
    """Load a scenario by built-in name or path."""
    path = find_scenario(spec)
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ScenarioError(f"cannot read: {e}", str(path)) from None
    return parse_scenario(raw, str(path), path.stem)


def parse_scenario(raw: str, where: str, name: str) -> Scenario:
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as e:
        msg = str(e)
        mm = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        line, col = (int(mm.group(1)), int(mm.group(2))) if mm else (0, 0)
        src = raw.splitlines()[line - 1] if 0 < line <= len(raw.splitlines()) else ""
        raise ScenarioError("TOML syntax error: " + re.sub(r"\s*\(at line.*\)", "", msg),
                            where, line, col, src) from None
    for key in data:
        if key not in TOP_KEYS:
            line, col = _key_line(raw, key)
            if not line:
                for i, ln in enumerate(raw.splitlines()):
                    if re.match(rf"\s*\[+\s*{re.escape(key)}\b", ln):
                        line, col = i + 1, 1
                        break
            raise ScenarioError(f"unknown table or key {key!r}; expected [scenario], [machine] "
                                "and [[step]]", where, line, col)
    sc = data.get("scenario", {})
    if not isinstance(sc, dict):
        raise ScenarioError("[scenario] must be a table", where)
    for key in sc:
        if key not in SCENARIO_KEYS:
            line, col = _key_line(raw, key)
            raise ScenarioError(f"unknown key {key!r} in [scenario]; expected one of "
                                f"{', '.join(sorted(SCENARIO_KEYS))}", where, line, col)
    machine = data.get("machine", {})
    if not isinstance(machine, dict):
        raise ScenarioError("[machine] must be a table", where)
    try:
        config = MachineConfig.from_dict(machine)
    except (ValueError, KeyError, TypeError) as e:
        msg = str(e.args[0] if e.args else e)
        line = col = 0
        for k, v in machine.items():
            if f"'{k}'" in msg or (isinstance(v, str | int) and f"{v!r}" in msg) or \
                    msg.startswith(k):
                line, col = _key_line(raw, k)
                break
        raise ScenarioError(f"[machine]: {msg}", where, line, col) from None
    steps_raw = data.get("step", [])
    if not isinstance(steps_raw, list):
        raise ScenarioError("step must be an array of tables: write [[step]]", where)
    starts = _step_lines(raw)
    steps = []
    for i, st in enumerate(steps_raw):
        sline = starts[i] if i < len(starts) else 0
        for key in st:
            if key not in STEP_KEYS:
                line, col = _key_line(raw, key, sline)
                raise ScenarioError(f"unknown key {key!r} in step {i + 1}; expected one of "
                                    f"{', '.join(sorted(STEP_KEYS))}", where, line, col)
        if "do" not in st:
            raise ScenarioError(f"step {i + 1} has no `do`", where, sline)
        do = st["do"]
        dline, dcol = _key_line(raw, "do", sline)
        lines = do if isinstance(do, list) else [do]
        if not all(isinstance(x, str) for x in lines):
            raise ScenarioError(f"step {i + 1}: do must be a string or a list of strings", where,
                                dline, dcol)
        cmds: list[Command] = []
        src_lines = raw.splitlines()
        cursor = (dline or sline or 1, 0)  # where the next command's text is searched from
        for text in lines:
            for part in text.splitlines() or [""]:
                line, pos = _locate(src_lines, cursor, part.strip())
                if pos:
                    cursor = (line, pos + len(part.strip()) - 1)
                lead = len(part) - len(part.lstrip())
                try:
                    cmd = parse_command(part, line)
                except ParseError as e:
                    col = pos + e.col - 1 - lead if pos else e.col
                    src = src_lines[line - 1] if pos else part
                    raise ScenarioError(e.msg, where, line, col, src) from None
                if cmd is not None:
                    cmd.line = line
                    if pos:
                        shift = pos - 1 - lead
                        cmd.cols = {k: v + shift for k, v in cmd.cols.items()}
                        for v in cmd.args.values():
                            if hasattr(v, "col") and v.col:
                                v.col += shift
                        cmd.text = src_lines[line - 1]
                    cmds.append(cmd)
        if not cmds:
            raise ScenarioError(f"step {i + 1}: do has no command", where, dline, dcol)
        say = text_of(st.get("say", ""), where, "say", sline) if "say" in st else {}
        expect = st.get("expect")
        if expect is not None and not isinstance(expect, str):
            raise ScenarioError(f"step {i + 1}: expect must be a string", where, sline)
        if expect is not None:
            _check_expect(expect, where, *_key_line(raw, "expect", sline))
        title = text_of(st["title"], where, "title", sline) if "title" in st else {}
        steps.append(Step(cmds, "; ".join(lines), say, expect, title, st.get("focus"), sline))
    title = text_of(sc.get("title", name), where, "title", 0)
    summary = text_of(sc.get("summary", ""), where, "summary", 0)
    meta = {k: v for k, v in sc.items() if k not in ("title", "summary")}
    return Scenario(name, where, title, summary, machine, steps, config, meta)


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
    """`vmtui run -c "a; b"`: each `;`-separated part is one step."""
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
    try:
        config = MachineConfig.from_dict(machine or {})
    except (ValueError, KeyError, TypeError) as e:
        raise ScenarioError(f"[machine]: {e.args[0] if e.args else e}", "-c") from None
    return Scenario("-c", "-c", {"en": "commands"}, {}, machine or {}, steps, config)
