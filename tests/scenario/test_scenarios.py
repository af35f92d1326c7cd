"""The built-in scenario library, `vmtui check` and `vmtui list`.

Every built-in must pass `vmtui check` (its expects hold and the engine's
invariants hold after every step), narrate every step in English and Chinese,
and `vmtui check` must report broken files with file:line:col and the right
exit status.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT
from vmtui.cli import main
from vmtui.commands.check import check_one
from vmtui.scenario.loader import builtin_dir, builtin_names, load_scenario

NAMES = builtin_names()
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_library_has_the_default_and_enough_scenarios() -> None:
    """GIVEN the wheel's scenarios/ WHEN listed THEN tour (the TUI's default) and 15+ are there."""
    assert "tour" in NAMES
    assert len(NAMES) >= 15
    for name in NAMES:
        assert re.fullmatch(r"[a-z0-9]+([-_][a-z0-9]+)*", name), name


@pytest.mark.parametrize("name", NAMES)
def test_builtin_passes_check(name: str) -> None:
    """Each built-in validates, its expects hold, and every invariant holds after every
    step (--paranoid: the full check, not only what each step touched)."""
    rep = check_one(name, paranoid=True)
    assert rep.problems == [], "\n".join(p.render() for p in rep.problems)
    assert rep.steps > 0


@pytest.mark.parametrize("name", NAMES)
def test_builtin_narrates_every_step_in_both_languages(name: str) -> None:
    sc = load_scenario(name)
    for key, text in (("title", sc.title), ("summary", sc.summary)):
        assert text.get("en", "").strip(), f"{name}: {key} without en"
        assert CJK.search(text.get("zh", "")), f"{name}: {key} without Chinese"
    expects = 0
    for i, st in enumerate(sc.steps, 1):
        assert st.say.get("en", "").strip(), f"{name} step {i}: no English narration"
        assert CJK.search(st.say.get("zh", "")), f"{name} step {i}: no Chinese narration"
        expects += st.expect is not None
    assert expects, f"{name}: no step says what it expects"


# ---------------------------------------------------------------- vmtui check on broken files
GOOD = """\
[scenario]
title = { en = "Two pages", zh = "两页" }

[[step]]
do = "a = mmap 8K rw private,anon"
say = { en = "Map.", zh = "映射。" }
expect = "ok"

[[step]]
do = "write a = 3"
say = { en = "Write.", zh = "写。" }
expect = "ok"
"""


def _check(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    code = main(["check", str(path)])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_check_clean_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _check(tmp_path, GOOD, capsys)
    assert code == 0, out
    assert "ok (2 steps, 2 expects)" in out


def test_check_toml_syntax_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = GOOD.replace('expect = "ok"\n\n[[step]]', 'expect = "ok\n\n[[step]]', 1)
    code, out = _check(tmp_path, broken, capsys)
    assert code == 2
    assert "s.toml:7:13: TOML syntax error" in out, out


def test_check_unknown_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _check(tmp_path, GOOD.replace('expect = "ok"\n\n[[step]]',
                                              'expect = "ok"\nexpcet = "ok"\n\n[[step]]', 1),
                       capsys)
    assert code == 2
    assert "s.toml:8:1: unknown key 'expcet' in step 1" in out, out


def test_check_unknown_command_names_the_column(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _check(tmp_path, GOOD.replace('do = "write a = 3"', 'do = "wirte a = 3"'), capsys)
    assert code == 2
    assert "s.toml:10:7: unknown command 'wirte'" in out, out


def test_check_bad_argument_names_the_column(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _check(tmp_path, GOOD.replace("mmap 8K rw", "mmap 8Q rw"), capsys)
    assert code == 2
    assert re.search(r"s\.toml:5:\d+: bad size '8Q'", out), out
    col = int(re.search(r"s\.toml:5:(\d+):", out).group(1))
    assert GOOD.splitlines()[4][col - 1:col + 1] == "8K"


def test_check_missing_language(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 12: narration missing in one language falls back to the other, with a note
    from `vmtui check`, not an error (built-ins still need both: test below)."""
    code, out = _check(tmp_path, GOOD.replace('say = { en = "Write.", zh = "写。" }',
                                              'say = { en = "Write." }'), capsys)
    assert code == 0
    assert "s.toml:11:1: note: step 2 has narration without zh" in out, out
    assert "(vmtui shows the en text instead)" in out, out
    code, out = _check(tmp_path, GOOD.replace('say = { en = "Write.", zh = "写。" }',
                                              'say = { zh = "写。" }'), capsys)
    assert code == 0
    assert "s.toml:11:1: note: step 2 has narration without en" in out, out
    assert "(vmtui shows the zh text instead)" in out, out


def test_missing_language_falls_back_when_shown(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """The step narrated only in Chinese prints its Chinese in an English run, and the
    English-only step its English in a Chinese run."""
    path = tmp_path / "s.toml"
    path.write_text(GOOD.replace('say = { en = "Write.", zh = "写。" }', 'say = { zh = "写。" }'),
                    encoding="utf-8")
    assert main(["run", "-q", str(path), "--lang", "en"]) == 0
    assert "  写。" in capsys.readouterr().out
    path.write_text(GOOD.replace('say = { en = "Write.", zh = "写。" }', 'say = { en = "Write." }'),
                    encoding="utf-8")
    assert main(["run", "-q", str(path), "--lang", "zh"]) == 0
    assert "  Write." in capsys.readouterr().out


def test_check_missing_narration(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _check(tmp_path, GOOD.replace('say = { en = "Write.", zh = "写。" }\n', ""),
                       capsys)
    assert code == 2
    assert "s.toml:9:1: step 2 has no narration (say)" in out, out


def test_check_english_only_file_is_fine(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """A lecturer's own file in one language needs no Chinese."""
    text = ('[scenario]\ntitle = "Mine"\n\n[[step]]\ndo = "a = mmap 8K rw private,anon"\n'
            'say = "Map."\n')
    code, out = _check(tmp_path, text, capsys)
    assert code == 0, out


def test_check_failing_expect(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _check(tmp_path, GOOD.replace('expect = "ok"\n', 'expect = "SIGSEGV"\n', 2)
                       .replace('expect = "SIGSEGV"\n', 'expect = "ok"\n', 1), capsys)
    assert code == 1
    assert "s.toml:12:1: step 2: expected 'SIGSEGV', got 'ok: 3'" in out, out


def test_check_unknown_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _check(tmp_path, GOOD.replace("write a = 3", "write b = 3"), capsys)
    assert code == 2
    assert "s.toml:10:13: step 2: unknown name 'b'" in out, out


def test_check_unknown_name_in_a_do_list(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    text = '[[step]]\ndo = ["a = mmap 8K rw private,anon", "write b"]\n'
    code, out = _check(tmp_path, text, capsys)
    assert code == 2
    assert "s.toml:2:45: step 1: unknown name 'b'" in out, out


@pytest.mark.parametrize("paranoid", [True, False])
def test_check_invariant_failure_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch,
                                             paranoid: bool) -> None:
    """The full check after every step (--paranoid) or the incremental one (by default)."""
    from vmtui.engine.check import incremental, invariants

    def broken(m: object) -> None:
        raise invariants.InvariantError("frame 0x42 owned twice")

    monkeypatch.setattr(invariants, "check_invariants", broken)
    monkeypatch.setattr(incremental.IncrementalCheck, "check", broken)
    path = tmp_path / "s.toml"
    path.write_text(GOOD, encoding="utf-8")
    code = main(["check", str(path)] + (["--paranoid"] if paranoid else []))
    out = capsys.readouterr().out
    assert code == 1
    assert "s.toml:4:1: step 1: engine invariant broken after `a = mmap 8K rw private,anon`: " \
        "frame 0x42 owned twice" in out, out


def test_check_builtin_needs_chinese(capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A built-in is held to both languages even if it uses only English."""
    from vmtui.commands import check

    (tmp_path / "x.toml").write_text('[scenario]\ntitle = "X"\nsummary = "x"\n\n[[step]]\n'
                                     'do = "show maps"\nsay = "Maps."\n', encoding="utf-8")
    monkeypatch.setattr(check, "builtin_dir", lambda: tmp_path)
    code = main(["check", str(tmp_path / "x.toml")])
    out = capsys.readouterr().out
    assert code == 2
    assert "x.toml:2:1: [scenario] title has no zh text" in out, out
    assert "x.toml:7:1: step 1 has narration without zh" in out, out


def test_check_no_such_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "no-such-scenario"]) == 2
    assert "no built-in scenario 'no-such-scenario'" in capsys.readouterr().out


def test_check_all_and_status_is_the_worst(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(GOOD.replace('expect = "ok"\n', 'expect = "EINVAL"\n', 1), encoding="utf-8")
    code = main(["check", "-q", "page-walk", str(bad)])
    out = capsys.readouterr().out
    assert code == 1
    assert out.count("\n") == 1 and "bad.toml:7:1: step 1: expected 'EINVAL'" in out


def test_builtin_dir_is_the_top_level_scenarios_folder_of_a_checkout() -> None:
    """Issue 19 moved the library beside vmtui/ and tests/ (DESIGN's layout); inside an
    installed wheel it is vmtui/scenarios/ (tests/cli/test_wheel.py checks that side)."""
    root = ROOT
    assert builtin_dir().resolve() == root / "scenarios"


# ---------------------------------------------------------------- vmtui list
def test_list_english(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--lang", "en"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["NAME", "TITLE", "STEPS"]
    assert len(lines) == len(NAMES) + 1
    tour = next(ln for ln in lines if ln.startswith("tour "))
    sc = load_scenario("tour")
    assert sc.title["en"] in tour and f" {len(sc.steps)}  " in tour
    assert sc.summary["en"] in tour


def test_list_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--lang", "zh"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("名称")
    tour = next(ln for ln in lines if ln.startswith("tour "))
    assert "64 位进程地址空间之旅" in tour


def test_list_language_from_locale(capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LC_ALL", "zh_CN.UTF-8")
    assert main(["list"]) == 0
    assert capsys.readouterr().out.startswith("名称")


def test_list_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--json", "--lang", "zh"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == NAMES
    tour = next(r for r in rows if r["name"] == "tour")
    assert tour["title"] == "64 位进程地址空间之旅"
    assert tour["steps"] == len(load_scenario("tour").steps)
    assert set(tour) == {"name", "title", "steps", "summary", "arch"}
