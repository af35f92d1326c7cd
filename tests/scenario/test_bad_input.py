"""Issue 11, "what it must show": bad input of every class, generated from tables, fed to
`vmtui run -c`, to `vmtui check` (as a scenario file) and to the TUI's command line.

Each must end with exit status 2 (or, for a call the kernel refuses, its errno as the
step's result), no "Traceback" anywhere, a message naming the place (the column of the
bad word, the file's line, the [machine] key), in bounded time.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time

import pytest

from tests.conftest import run_cli_clean
from vmtui.engine.include.settings import SETTINGS, SYSCTL_ONLY, TABLE
from vmtui.scenario.lang import ParseError, parse_command
from vmtui.scenario.loader import SCENARIO_KEYS, STEP_KEYS, from_commands
from vmtui.view.driver import Driver, Op
from vmtui.view.snapshot import View

SURROGATE_FF = b"\xff".decode("utf-8", "surrogateescape")  # how argv holds a 0xff byte

# Words that are never a SIZE, an ADDR or a whole number of the language.
BAD_NUMBERS = [
    "٨K",          # Arabic-Indic eight: int() would read it as 8
    "²",           # superscript two: isdigit() is true, int() fails
    "１２K",       # fullwidth digits
    "1_0",         # Python's digit separator
    "0x_10",
    "4Q",          # not a unit
    "1.5K",
    "0xZZ",
    "K",
    "99999999999999999999999T",  # beyond 64 bits
    "𝟠",           # mathematical bold eight
    SURROGATE_FF,  # a byte that is not UTF-8
]
SIZE_SLOTS = [
    "a = mmap {} rw private,anon", "munmap 0x10000 {}", "mprotect 0x10000 {} r",
    "a = malloc {}", "file f {}", "madvise 0x10000 {} dontneed", "read 0x10000 {}",
    "write 0x10000 {} = 1", "mlock 0x10000 {}", "a = vmalloc {}", "a = mremap 0x10000 4K {}",
    "a = mmap 8K rw private,anon offset={} file=f",
]
ADDR_SLOTS = ["munmap {} 4K", "exec {}", "walk {}"]
BAD_ADDRS = ["٨", "0xZZ", "buf+٨K", "buf-4Q", "-", SURROGATE_FF]
INT_SLOTS = ["tick {}", "cpu {}", "write 0x1000 = {}"]
BAD_INTS = ["٣", "1_0", "0x_a", "²", "1.0", SURROGATE_FF]

BAD_COMMANDS = (
    [(t, v) for t, v in itertools.product(SIZE_SLOTS, BAD_NUMBERS)] +
    [(t, v) for t, v in itertools.product(ADDR_SLOTS, BAD_ADDRS)] +
    [(t, v) for t, v in itertools.product(INT_SLOTS, BAD_INTS)]
)


def _id(case: tuple[str, str]) -> str:
    return case[0].format(case[1].encode("utf-8", "backslashreplace").decode())


def run_cli(capsys, argv):
    t0 = time.monotonic()
    result = run_cli_clean(capsys, argv)
    assert time.monotonic() - t0 < 30
    return result


def test_enough_inputs():
    assert len(BAD_COMMANDS) + len(MACHINE_CASES) + len(TYPE_CASES) >= 150
    assert len(BAD_COMMANDS) >= 150


@pytest.mark.parametrize("case", BAD_COMMANDS, ids=_id)
def test_bad_word_in_run_c(capsys, case):
    template, bad = case
    text = template.format(bad)
    start = template.index("{}") + 1  # the bad word's first column
    code, out, err = run_cli(capsys, ["run", "-c", text])
    assert code == 2 and out == "", err
    col = int(err.split(":")[2])
    assert err.startswith("-c:1:") and start <= col <= start + len(bad), err


@pytest.mark.parametrize("case", BAD_COMMANDS, ids=_id)
def test_bad_word_in_a_scenario_file(tmp_path, capsys, case):
    template, bad = case
    text = template.format(bad)
    path = tmp_path / "bad.toml"
    path.write_bytes(b'[scenario]\ntitle = "bad"\n\n[[step]]\ndo = "'
                     + text.encode("utf-8", "surrogateescape") + b'"\n')
    start = len('do = "') + template.index("{}") + 1
    for cmd in ("check", "run"):
        code, out, err = run_cli(capsys, [cmd, str(path)])
        msg = out + err
        assert code == 2, msg
        assert msg.startswith(f"{path}:5:"), msg
        col = int(msg.split(":")[2])
        assert start <= col <= start + len(bad.encode("utf-8", "surrogateescape")), msg


@pytest.fixture(scope="module")
def driver():
    return Driver(from_commands("buf = mmap 64K rw private,anon; file f 64K"))


@pytest.mark.parametrize("case", BAD_COMMANDS, ids=_id)
def test_bad_word_at_the_tui_command_line(driver, case):
    """What the command line (ui/command_line.py) does with a line: parse_command names the
    column; a line that parses goes to the driver, whose snapshot carries the error."""
    template, bad = case
    text = template.format(bad)
    start = template.index("{}") + 1
    try:
        parse_command(text, 1)
    except ParseError as e:
        assert start <= e.col <= start + len(bad), (e.col, e.msg)
        assert e.msg
        return
    snap = driver.run(Op("improvise", text), View())  # pragma: no cover - all fail to parse
    assert snap.error


# ------------------------------------------------------------ [machine] values
def _machine_cases() -> list[tuple[str, str, str]]:
    """(key, TOML value, what the message must say) for every bounded setting."""
    out = []
    for s in TABLE:
        if s.key in SYSCTL_ONLY:
            continue  # sysctl only
        if s.kind in ("int", "size") and s.lo is not None:
            if s.lo > 0 or s.kind == "int":
                lo = s.lo - 1 if s.kind == "int" else 4096
                out.append((s.key, str(lo), "too small"))
            if s.hi is not None and s.hi < (1 << 62):
                out.append((s.key, f'"{s.hi + 1}"' if s.kind == "size" else str(s.hi + 1),
                            "too large"))
            out.append((s.key, '"٨"', "not"))
            out.append((s.key, "true", "expected"))
        elif s.kind == "bool":
            out += [(s.key, '"false"', "true or false"), (s.key, "0", "true or false")]
        else:
            out += [(s.key, "5", "expected a string"),
                    (s.key, '""', "one of" if s.kind == "choice" else "expected")]
    return out


MACHINE_CASES = _machine_cases()


@pytest.mark.parametrize("key,value,word", MACHINE_CASES)
def test_bad_machine_value_names_key_line_and_range(tmp_path, capsys, key, value, word):
    path = tmp_path / "m.toml"
    path.write_text(f'[scenario]\ntitle = "m"\n\n[machine]\n{key} = {value}\n\n[[step]]\n'
                    'do = "fork"\n', encoding="utf-8")
    for cmd in ("check", "run"):
        code, out, err = run_cli(capsys, [cmd, str(path)])
        msg = out + err
        assert code == 2, msg
        assert msg.startswith(f"{path}:5:1: [machine] {key}: ") and word in msg, msg
    # typed after -m, a value is text: "false" and "0" are booleans there, as `sysctl` reads them
    if value not in ("true", "5", '""') and SETTINGS[key].kind != "bool":
        code, _, err = run_cli(capsys, ["run", "-c", "fork", "-m",
                                        f"{key}={value.strip(chr(34))}"])
        assert code == 2 and f"[machine] {key}: " in err, err


# ------------------------------------------------------------ wrong types for every key
WRONG = {"array": "[1, 2]", "table": "{ a = 1 }", "float": "1.5", "date": "1979-05-27"}
MACHINE_KEYS_ALL = sorted({s.key for s in TABLE} - {
    "overcommit_ratio", "mmap_min_addr", "user_reserve_kbytes", "admin_reserve_kbytes"}
    | {"node", "distances"})


def _type_cases() -> list[tuple[str, str, str]]:
    out = []
    for key in MACHINE_KEYS_ALL:
        out += [("machine", key, v) for v in WRONG.values()]
    for key in sorted(SCENARIO_KEYS):
        out += [("scenario", key, v) for k, v in WRONG.items()
                if not (k == "table" and key in ("title", "summary")) or True]
    for key in sorted(STEP_KEYS):
        out += [("step", key, v) for k, v in WRONG.items()
                if not (key == "predict" and k == "table")]
    return out


TYPE_CASES = _type_cases()


@pytest.mark.parametrize("table,key,value", TYPE_CASES)
def test_wrong_type_names_the_key_without_python_text(tmp_path, capsys, table, key, value):
    if table == "step":
        body = f'[[step]]\n{"do" if key != "do" else "say"} = ' \
               f'{chr(34) + "fork" + chr(34) if key != "do" else chr(34) + "x" + chr(34)}\n' \
               f"{key} = {value}\n"
    else:
        body = f'[{table}]\n{key} = {value}\n\n[[step]]\ndo = "fork"\n'
    path = tmp_path / "t.toml"
    path.write_text(body, encoding="utf-8")
    code, out, _ = run_cli(capsys, ["check", str(path)])
    assert code == 2, out
    assert f"{path}:2:1: " in out or f"{path}:3:1: " in out, out
    assert key in out and "expected" in out, out
    for python in ("object", "Error", "NoneType", "<class", "is not iterable"):
        assert python not in out, out


# ------------------------------------------------------------ bounded, in a real process
@pytest.mark.parametrize("argv,word", [
    (["run", "/dev/zero"], "a device"),
    (["check", "/dev/zero"], "a device"),
    (["runn", "swap"], "unknown command 'runn'"),
    (["run", "-c", "a = mmap ²K rw private,anon"], "-c:1:10:"),
    (["run", "-q", "-c", "fork", "-m", "min_free_kbytes=999999999"], "min_free_kbytes"),
])
def test_in_a_subprocess_bounded_and_strict_utf8(argv, word):
    env = dict(os.environ, PYTHONIOENCODING="utf-8:strict")
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "vmtui.cli", *argv], capture_output=True,
                       text=True, timeout=60, env=env)
    assert time.monotonic() - t0 < 60
    assert r.returncode == 2 and word in r.stdout + r.stderr, r.stderr
    assert "Traceback" not in r.stdout + r.stderr


def test_fifo_does_not_hang(tmp_path):
    fifo = tmp_path / "s.toml"
    os.mkfifo(fifo)
    r = subprocess.run([sys.executable, "-m", "vmtui.cli", "check", str(fifo)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "a FIFO" in r.stdout


async def test_the_command_line_widget_shows_each_error():
    """Through the app itself (Pilot): a few generated inputs typed at `:`."""
    from textual.widgets import Input

    from vmtui.ui.app import VmtuiApp

    app = VmtuiApp(from_commands("buf = mmap 64K rw private,anon"), lang="en")
    async with app.run_test(size=(120, 40)) as pilot:
        for template, bad in BAD_COMMANDS[::70]:
            text = template.format(bad)
            await pilot.press("colon")
            await pilot.pause()
            inp = app.query_one("#cmd-input", Input)
            inp.value = text
            await pilot.press("enter")
            await pilot.pause()
            shown = str(app.query_one("#cmd-error").render())
            col = template.index("{}") + 1
            assert shown.startswith("column "), shown
            assert col <= int(shown.split()[1].rstrip(":")) <= col + len(bad), shown
            await pilot.press("escape")
        assert app.snapshot is None or app.snapshot.position == 0
