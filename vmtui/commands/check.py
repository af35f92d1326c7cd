"""`vmtui check FILE|NAME ... [--all]`: validate scenarios, then run them and check every expect.

One line per problem, `file:line:col: message`, on stdout. Exit status:
0 when every scenario is clean, 1 when an `expect` or an engine invariant
fails while running, 2 for bad input (TOML syntax, unknown keys, commands
the language cannot parse, missing narration languages, unknown names).
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, field
from pathlib import Path

from vmtui.commands.common import fail, internal_error
from vmtui.scenario.loader import (
    LANGS,
    Scenario,
    ScenarioError,
    builtin_dir,
    builtin_names,
    find_scenario,
    parse_scenario,
    read_scenario_file,
    render_error,
)

BAD_INPUT = 2
FAILED = 1
NOTE = 0  # said, but the scenario is fine

# A built-in scenario is taught in every language the project ships.
BUILTIN_LANGS = LANGS


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "check", help="validate scenarios and check their expects",
        description="Validate scenario files (syntax, keys, commands, narration languages), "
        "then run each one, checking every `expect` and the engine's invariants after every "
        "step: after each step the invariants that follow what the step changed (the VMAs, "
        "PTEs, frames, LRU lists and swap slots it touched), and every invariant once at the "
        "end; --paranoid checks every invariant after every step instead. One line per "
        "problem: FILE:LINE:COL: message. Exit 0 when clean, 1 when an expect or an "
        "invariant fails, 2 for bad input.")
    p.add_argument("scenarios", nargs="*", metavar="FILE|NAME",
                   help="a .toml path or a built-in scenario name")
    p.add_argument("--all", action="store_true", help="check every built-in scenario")
    p.add_argument("--no-run", action="store_true",
                   help="only validate; do not run the scenario")
    p.add_argument("--quiet", "-q", action="store_true", help="print problems only")
    p.add_argument("--paranoid", action="store_true",
                   help="check every engine invariant after every step (slower), not only "
                   "those that follow what the step changed")
    p.set_defaults(func=run)


@dataclass
class Problem:
    """One problem found in a scenario: where it is and how bad (1 failed, 2 bad input)."""

    where: str
    line: int
    col: int
    msg: str
    level: int

    def render(self) -> str:
        return render_error(self.where, self.line, self.col,
                            ("note: " if self.level == NOTE else "") + self.msg)


@dataclass
class Report:
    """What checking one scenario found."""

    where: str
    steps: int = 0
    expects: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def status(self) -> int:
        return max((p.level for p in self.problems), default=0)


def is_builtin(path: Path) -> bool:
    try:
        return path.resolve().parent == builtin_dir().resolve()
    except OSError:
        return False


def _key_pos(lines: list[str], key: str, start: int, stop: int) -> tuple[int, int]:
    """(line, col) of `key =` between lines start and stop (1-based, stop exclusive)."""
    for i in range(max(start, 1), min(stop, len(lines) + 1)):
        m = re.match(rf"(\s*){re.escape(key)}\s*=", lines[i - 1])
        if m:
            return i, len(m.group(1)) + 1
    return 0, 0


def _langs(text: dict[str, str]) -> set[str]:
    return {k for k, v in text.items() if v.strip()}


def check_narration(sc: Scenario, raw: str, builtin: bool) -> list[Problem]:
    """Every step's `say` carries every language the scenario uses anywhere.

    Languages in use: those of the title (when given as a table), of the
    summary and of every `say`; built-ins need English and Chinese throughout.
    """
    lines = raw.splitlines()
    out: list[Problem] = []
    used: set[str] = set()
    title_raw = _title_is_table(raw)
    if title_raw:
        used |= _langs(sc.title)
    used |= _langs(sc.summary)
    for st in sc.steps:
        used |= _langs(st.say)
    if builtin:
        used |= set(BUILTIN_LANGS)
    if not used:
        return out
    order = [x for x in LANGS if x in used] + sorted(used - set(LANGS))
    sc_line = next((i + 1 for i, ln in enumerate(lines)
                    if re.match(r"\s*\[\s*scenario\s*\]", ln)), 0)
    first_step = next((st.line for st in sc.steps if st.line), len(lines) + 1)
    for key, text in (("title", sc.title), ("summary", sc.summary)):
        if not builtin and ((key == "title" and not title_raw) or
                            (key == "summary" and not _langs(text))):
            continue  # a lecturer's file may leave these out; built-ins may not
        missing = [x for x in order if x not in _langs(text)]
        if missing:
            line, col = _key_pos(lines, key, sc_line, first_step)
            plain = not builtin and _is_plain(lines, line)
            out.append(Problem(sc.where, line or sc_line, col or 1,
                               f"[scenario] {key} has no {', '.join(missing)} text "
                               f"(this scenario uses {', '.join(order)})" +
                               (PLAIN_NOTE if plain else "" if builtin else
                                fallback_note(text)), BAD_INPUT if builtin else NOTE))
    starts = [st.line for st in sc.steps] + [len(lines) + 1]
    for i, st in enumerate(sc.steps):
        missing = [x for x in order if x not in _langs(st.say)]
        if not missing:
            continue
        line, col = _key_pos(lines, "say", st.line, starts[i + 1])
        what = "no narration (say)" if not st.say else \
            f"narration without {', '.join(missing)}"
        plain = bool(st.say) and not builtin and _is_plain(lines, line)
        # a lecturer's step narrated in one language is shown in it in the other (a
        # note); built-ins must carry both, and a step must say something in one
        lenient = bool(st.say) and not builtin
        out.append(Problem(sc.where, line or st.line, col or 1,
                           f"step {i + 1} has {what}; this scenario uses "
                           f"{', '.join(order)}" + (PLAIN_NOTE if plain else
                                                    fallback_note(st.say) if lenient else ""),
                           NOTE if lenient else BAD_INPUT))
    return out


def fallback_note(text: dict[str, str]) -> str:
    """What vmtui shows instead of a missing language (scenario.loader.pick's fallback)."""
    have = sorted(_langs(text), key=lambda x: (x != "en", x))
    return f" (vmtui shows the {have[0]} text instead)" if have else ""


PLAIN_NOTE = " (a plain string is read as English; a table { en = ..., zh = ... } translates it)"


def _is_plain(lines: list[str], line: int) -> bool:
    """Is the text field on `line` a plain string (`say = "..."`), not a table of languages?"""
    if not 0 < line <= len(lines):
        return False
    value = lines[line - 1].partition("=")[2].lstrip()
    return value[:1] in ("'", '"')


def _title_is_table(raw: str) -> bool:
    in_sc = False
    for ln in raw.splitlines():
        s = ln.strip()
        if s.startswith("["):
            in_sc = bool(re.match(r"\[\s*scenario\s*\]", s))
            if re.match(r"\[\s*scenario\.title\s*\]", s):
                return True
            continue
        if in_sc and re.match(r"title\s*=\s*\{", s):
            return True
    return False


def run_checks(sc: Scenario, raw: str, paranoid: bool = False) -> tuple[list[Problem], int]:
    """Run the scenario on a fresh machine; every failing expect and invariant is a problem.

    After each step the invariants that follow what it changed (IncrementalCheck), and
    all of them once after the last; `paranoid`: all of them after every step."""
    from vmtui.engine.check.incremental import IncrementalCheck
    from vmtui.engine.check.invariants import InvariantError, check_invariants
    from vmtui.scenario.execute import ScriptError
    from vmtui.scenario.runner import Runner

    lines = raw.splitlines()
    starts = [st.line for st in sc.steps] + [len(lines) + 1]
    out: list[Problem] = []
    expects = 0
    try:
        runner = Runner(sc)
    except ValueError as e:  # settings.SettingError: a machine that cannot boot
        return [Problem(sc.where, 0, 0, str(e), BAD_INPUT)], 0
    inc: IncrementalCheck | None = None
    broken = False
    for i, st in enumerate(sc.steps):
        n = i + 1
        try:
            if not paranoid and inc is None:
                inc = IncrementalCheck(runner.machine)  # checks everything once first
            if inc is not None:
                inc.arm()
            rec = runner.step()
        except InvariantError as e:  # the state before the first step
            out.append(Problem(sc.where, st.line, 1, f"step {n}: engine invariant broken "
                               f"before `{st.do}`: {e}", FAILED))
            broken = True
            break
        except ScriptError as e:
            line, col = e.err.line, e.err.col
            src = e.err.source.strip()
            if src and not (0 < line <= len(lines) and src in lines[line - 1]):
                # the loader numbers a one-line `do = [...]` list as if it had one line
                # per command: find the command within this step instead
                line = next((k for k in range(st.line, starts[i + 1])
                             if 0 < k <= len(lines) and src in lines[k - 1]), line)
            if 0 < line <= len(lines) and src:
                pos = lines[line - 1].find(src)
                if pos >= 0:  # the column in the command -> the column in the file
                    col += pos
            out.append(Problem(sc.where, line, col, f"step {n}: {e.err.msg}", BAD_INPUT))
            break
        except Exception as e:  # an engine bug: report it where the step is, not as Python
            out.append(Problem(sc.where, st.line, 1, f"step {n}: `{st.do}`: "
                               f"{internal_error(e)}", FAILED))
            broken = True
            break
        if rec.result.stopped:
            line, col = _key_pos(lines, "do", st.line, starts[i + 1])
            out.append(Problem(sc.where, line or st.line, col or 1, f"step {n}: `{st.do}` "
                               f"stopped by the page budget {rec.result.why}", BAD_INPUT))
        elif st.expect is not None:
            expects += 1
            if not rec.expect_ok:
                line, col = _key_pos(lines, "expect", st.line, starts[i + 1])
                out.append(Problem(sc.where, line or st.line, col or 1,
                                   f"step {n}: expected {st.expect!r}, got "
                                   f"{rec.result.summary()!r}", FAILED))
        try:
            if inc is not None:
                inc.check()
            else:
                check_invariants(runner.machine)
        except InvariantError as e:
            out.append(Problem(sc.where, st.line, 1, f"step {n}: engine invariant broken "
                               f"after `{st.do}`: {e}", FAILED))
            broken = True
            break
        except Exception as e:  # the check itself tripped on a broken state
            out.append(Problem(sc.where, st.line, 1, f"step {n}: `{st.do}`: "
                               f"{internal_error(e)}", FAILED))
            broken = True
            break
    if inc is not None:
        inc.disarm()  # a step that stopped the run leaves it armed
        if not broken:
            try:  # what only the full check sees, once, on the state the run ended in
                check_invariants(runner.machine)
            except InvariantError as e:
                last = sc.steps[min(n, len(sc.steps)) - 1]
                out.append(Problem(sc.where, last.line, 1, f"engine invariant broken at the "
                                   f"end (after step {n}): {e}", FAILED))
    return out, expects


def check_one(spec: str, run_it: bool = True, paranoid: bool = False) -> Report:
    """Validate one scenario (a path or a built-in name) and, if it is valid, run it."""
    try:
        path = find_scenario(spec)
    except ScenarioError as e:
        return Report(spec, problems=[Problem(spec, 0, 0, e.msg, BAD_INPUT)])
    where = str(path)
    rep = Report(where)
    try:
        raw = read_scenario_file(path)
        sc = parse_scenario(raw, where, path.stem)
    except ScenarioError as e:
        rep.problems.append(Problem(e.where, e.line, e.col, e.msg, BAD_INPUT))
        return rep
    rep.steps = len(sc.steps)
    if not sc.steps:
        rep.problems.append(Problem(where, 0, 0, "no [[step]]: nothing to run", BAD_INPUT))
    rep.problems += check_narration(sc, raw, is_builtin(path))
    if run_it and rep.status < BAD_INPUT:
        probs, rep.expects = run_checks(sc, raw, paranoid)
        rep.problems += probs
    return rep


def run(args: argparse.Namespace) -> int:
    specs = list(args.scenarios)
    if args.all:
        specs += [n for n in builtin_names() if n not in specs]
    if not specs:
        return fail("vmtui check: give a scenario (a .toml path or a built-in name) or --all")
    status = 0
    for spec in specs:
        rep = check_one(spec, not args.no_run, args.paranoid)
        for p in rep.problems:
            print(p.render())
        if rep.status == 0 and not args.quiet:
            print(f"{rep.where}: ok ({rep.steps} steps, {rep.expects} expects)")
        status = max(status, rep.status)
    return status
