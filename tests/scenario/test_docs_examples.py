"""Issue 19, "the contract, as written": every example in the documents runs.

The examples are read from the documents themselves, so a document and the code
cannot drift apart: docs/commands.md's code blocks and the first column of its
command tables, README.md's `vmtui ...` lines, and the `vmtui ... --help` examples.
Each runs in-process through `vmtui.cli.main` and must not end in a Python error.
"""

from __future__ import annotations

import itertools
import os
import re
import shlex

import pytest

from tests.conftest import ROOT, run_cli_clean
from vmtui.cli import build_parser

COMMANDS_MD = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")


def blocks(text: str, lang: str) -> list[str]:
    """The fenced code blocks of `text` whose info string is `lang` ("" for none)."""
    return [m.group(2) for m in re.finditer(r"^```(\w*)\n(.*?)^```", text, re.S | re.M)
            if m.group(1) == lang]


def section(text: str, title: str) -> str:
    return text.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


# ------------------------------------------------------------ docs/commands.md code blocks
TOML_BLOCKS = blocks(COMMANDS_MD, "toml")
PLAIN_BLOCKS = blocks(COMMANDS_MD, "")


def test_the_documents_have_examples():
    assert len(TOML_BLOCKS) >= 1 and len(PLAIN_BLOCKS) >= 1


@pytest.mark.parametrize("i", range(len(TOML_BLOCKS)))
def test_toml_example_passes_check(tmp_path, capsys, i):
    path = tmp_path / "example.toml"
    path.write_text(TOML_BLOCKS[i], encoding="utf-8")
    code, out, _ = run_cli_clean(capsys, ["check", str(path)])
    assert code == 0, out
    code, out, err = run_cli_clean(capsys, ["run", "-q", str(path)])
    assert code == 0, err


@pytest.mark.parametrize("i", range(len(PLAIN_BLOCKS)))
def test_command_block_runs(capsys, i):
    lines = [ln for ln in PLAIN_BLOCKS[i].splitlines() if ln.strip()]
    code, _, err = run_cli_clean(capsys, ["run", "-q", "-c", "; ".join(lines)])
    assert code == 0, err


# ------------------------------------------------------------ the command tables
# A placeholder of the tables and a value that fits it, on a machine prepared by PRELUDE.
PRELUDE = "file f 64K; buf = mmap 64K rw private,anon"
VALUES = {
    "NAME": "x", "LEN": "8K", "SIZE": "8K", "OLDLEN": "8K", "NEWLEN": "16K", "DELTA": "8K",
    "PROT": "rw", "FLAGS": "private,anon", "FILE": "f", "ADDR": "buf", "PID-or-NAME": "1",
    "PID": "1", "KEY=VALUE": "vm.swappiness=10", "KEY": "swappiness", "VALUE": "10",
    "NODE": "0", "N": "1", "SELECTOR:OFFSET": "0x2b:0x401000", "PROGRAM": "/bin/demo",
    "COMMAND": "free", "FILE...": "/proc/meminfo", "PID...": "1", "DELAY": "1",
    "COUNT": "2", "NEWADDR": "0x7f0000000000", "ZONE": "DMA32", "PFN-RANGE": "0x100-0x200",
    "FIELD,...": "pid,rss,comm",
}
# forms whose placeholders need a particular value, not the generic one above
SPECIAL = {
    "sysctl KEY...": "sysctl vm.swappiness",
    "sysctl -n KEY": "sysctl -n vm.swappiness",
    "sysctl KEY=VALUE": "sysctl vm.swappiness=10",
    "sysctl -w KEY=VALUE": "sysctl -w vm.swappiness=10",
    'echo "KEY = VALUE" >> /etc/sysctl.conf': 'echo "vm.swappiness = 10" >> /etc/sysctl.conf',
    "free NAME": "x = malloc 100; free x",
}


def _forms(code: str) -> list[str]:
    """A table cell's command with each optional part left out and put in, and each
    `a|b|c` choice taken in turn."""
    code = code.replace("\\|", "|")
    opts = re.findall(r"\[([^\[\]]*)\]", code)
    out = []
    for keep in itertools.product((False, True), repeat=len(opts)):
        text = code
        for o, k in zip(opts, keep, strict=True):
            text = text.replace(f"[{o}]", o if k else "", 1)
        words = [w.split("|") for w in text.split()]
        out += [" ".join(ws) for ws in itertools.product(*words)]
    return list(dict.fromkeys(out))


def _fill(form: str) -> str:
    if form in SPECIAL:
        return SPECIAL[form]
    words = []
    for w in form.split():
        if w in VALUES:
            words.append(VALUES[w])
            continue
        # KEY=VALUE parts inside a word: file=FILE, offset=SIZE, /proc/sys/vm/KEY
        for ph in sorted(VALUES, key=len, reverse=True):
            w = re.sub(rf"(?<![A-Za-z]){re.escape(ph)}(?![A-Za-z])", VALUES[ph], w)
        words.append(w)
    return " ".join(words)


def table_commands(sec: str) -> list[str]:
    out = []
    for line in section(COMMANDS_MD, sec).splitlines():
        if not line.startswith("| `"):
            continue
        cell = line[2:].split(" | ", 1)[0]
        head = ""
        for code in re.findall(r"`([^`]+)`", cell):
            if code.startswith("-"):  # `numactl --hardware` / `-H`: the same command
                code = f"{head} {code}"
            head = code.split()[0]
            for form in _forms(code):
                out.append(_fill(form))
    return list(dict.fromkeys(out))


TABLE_COMMANDS = [c for sec in ("Commands (the core)", "Commands vmtui adds", "Linux commands")
                  for c in table_commands(sec)]


def test_the_tables_give_many_commands():
    assert len(TABLE_COMMANDS) >= 60


@pytest.mark.parametrize("command", TABLE_COMMANDS)
def test_every_table_command_parses_and_runs(capsys, command):
    """Each documented form parses (exit 2 would mean the language refused the line) and
    runs to a result: a value, an errno or a signal, never a Python error."""
    code, _, err = run_cli_clean(capsys, ["run", "-q", "-m", "nodes=2", "-c",
                                    f"{PRELUDE}; {command}"])
    assert code == 0, err


# ------------------------------------------------------------ README and --help
def _cli_lines(text: str) -> list[str]:
    return [form for ln in text.splitlines() if ln.strip().startswith("vmtui ")
            for form in _forms(ln.split("  #", 1)[0].strip())]


def _help_texts() -> str:
    parser = build_parser()
    sub = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    return parser.format_help() + "".join(p.format_help() for p in sub.values())


EXAMPLES = list(dict.fromkeys(
    [ln for b in blocks(README, "sh") + blocks(COMMANDS_MD, "sh") for ln in _cli_lines(b)]
    + _cli_lines(_help_texts())))
# what cannot run in a test: a terminal UI, a server, a live view that loops
INTERACTIVE = ("serve",)


def test_readme_and_help_have_examples():
    assert len(EXAMPLES) >= 10
    assert any(ln.startswith("vmtui policy") for ln in EXAMPLES)  # from --help


@pytest.mark.parametrize("line", EXAMPLES)
def test_readme_and_help_example_runs(tmp_path, capsys, line):
    argv = shlex.split(line)[1:]
    if not argv or argv[0] in INTERACTIVE or argv[0] not in (
            "run", "check", "list", "shot", "policy", "attach", "host", "ostep", "translate",
            "malloc"):
        pytest.skip("opens the TUI or a server")
    toml = tmp_path / "my.toml"
    toml.write_text(TOML_BLOCKS[0], encoding="utf-8")
    image = tmp_path / "mem.txt"  # a memory image for `vmtui translate walk`
    image.write_text("page 0: " + "80" * 32 + "\n", encoding="utf-8")
    argv = [str(image) if a == "mem.txt" else
            str(toml) if a == "my.toml" else str(os.getpid()) if a == "PID" else
            str(tmp_path / a) if a.endswith(".svg") else a for a in argv]
    if argv[0] in ("attach", "host") and "--once" not in argv:
        argv.append("--once")
    code, out, err = run_cli_clean(capsys, argv)
    assert code == 0, out + err
