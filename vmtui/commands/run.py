"""`vmtui run SCENARIO|-c "..." [--json]`: run headless, print every step."""

from __future__ import annotations

import argparse
import json
import sys

from vmtui.commands.common import add_lang, fail, internal_error, resolve_lang
from vmtui.engine.include.settings import SettingError
from vmtui.scenario.execute import ScriptError
from vmtui.scenario.loader import (
    Scenario,
    ScenarioError,
    from_commands,
    load_scenario,
    pick,
)
from vmtui.scenario.runner import Runner, StepRecord


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("run", help="run a scenario headless and print each step",
                       description="Run a scenario (a built-in name or a .toml path) or "
                       "commands given with -c, printing what every step did.")
    p.add_argument("scenario", nargs="?", help="built-in name or path to a .toml file")
    p.add_argument("-c", "--commands", help='commands to run, ";" between steps')
    p.add_argument("--json", action="store_true", help="one JSON object per step")
    p.add_argument("--check-invariants", action="store_true",
                   help="check every engine invariant after each step")
    p.add_argument("--quiet", "-q", action="store_true", help="results only, no events")
    p.add_argument("-m", "--machine", action="append", default=[], metavar="KEY=VALUE",
                   help="a [machine] setting for -c, e.g. -m ram=64M -m swap=64M -m nodes=2")
    # --from-pid: the simulation begins where a real process is (vmtui/host/from_pid.py)
    p.add_argument("--from-pid", metavar="PID",
                   help="start from a copy of real process PID's address space (/proc/PID/maps)")
    p.add_argument("--resident", action="store_true",
                   help="with --from-pid: also make resident as many pages as its RSS says")
    # two kernels, one scenario (vmtui/scenario/compare.py)
    p.add_argument("--kernel", metavar="K[,K]",
                   help="run on kernel K (5.4 or 6.18; as -m kernel=K), or on two kernels "
                   "and print where the runs differ, step by step (--kernel 5.4,6.18)")
    add_lang(p)
    p.set_defaults(func=run)


def load(args: argparse.Namespace, prog: str):  # type: ignore[no-untyped-def]
    if bool(args.scenario) == bool(args.commands):
        raise ScenarioError("give a scenario or -c \"COMMANDS\" (one of them)", prog)
    if args.commands:
        return from_commands(args.commands, machine_options(args.machine))
    return load_scenario(args.scenario)


def machine_options(pairs: list[str]) -> dict[str, object]:
    """`-m ram=64M -m aslr=true` -> a [machine] table of the values as typed; the loader
    checks them by the same table as [machine] and `sysctl` (vmtui/engine/include/settings.py)."""
    out: dict[str, object] = {}
    for pair in pairs:
        key, eq, val = pair.partition("=")
        if not eq or not key:
            raise ScenarioError(f"-m {pair!r}: expected KEY=VALUE (e.g. -m ram=64M)",
                                "vmtui run")
        out[key.strip()] = val.strip()
    return out


def run(args: argparse.Namespace) -> int:
    lang = resolve_lang(args)
    kernels: tuple[str, ...] = ()
    if args.kernel is not None:
        from vmtui.scenario.compare import KernelChoiceError, parse_kernels

        try:
            kernels = parse_kernels(args.kernel)
        except KernelChoiceError as e:
            return fail(f"vmtui run: {e}")
        if any(p.partition("=")[0].strip() == "kernel" for p in args.machine):
            return fail("vmtui run: --kernel and -m kernel=... both choose the kernel: "
                        "give one of them")
        if len(kernels) > 1 and args.from_pid is not None:
            return fail("vmtui run: --kernel with two kernels compares two fresh machines; "
                        "it cannot start from --from-pid")
    try:
        sc = load(args, "vmtui run")
    except ScenarioError as e:
        return fail(e.render())
    if kernels:
        from vmtui.scenario.compare import with_kernel

        if len(kernels) > 1:
            return run_compare(args, sc, (kernels[0], kernels[1]), lang)
        sc = with_kernel(sc, kernels[0])
    if not sc.steps:
        return fail(f"{sc.where}: no [[step]]: nothing to run" if sc.where != "-c" else
                    "-c: no command: nothing to run")
    try:
        runner = Runner(sc, json=args.json)  # without --json, records keep no per-process state
    except SettingError as e:
        return fail(f"{sc.where}: {e}")
    if args.from_pid is not None:  # --from-pid PID (vmtui/host/from_pid.py)
        from vmtui.host.from_pid import machine_from_pid
        from vmtui.host.procfs import HostError
        from vmtui.host.snapshot import parse_pid

        try:
            runner.machine = machine_from_pid(parse_pid(args.from_pid), sc.config,
                                              resident=args.resident)
        except (ValueError, HostError) as e:
            return fail(f"vmtui run: --from-pid: {e}")
    failed = 0
    stopped: list[str] = []
    try:
        for rec in runner:
            if args.check_invariants:
                from vmtui.engine.check.invariants import check_invariants

                check_invariants(runner.machine)
            if rec.expect_ok is False:
                failed += 1
            if rec.result.stopped:
                st = sc.steps[rec.number - 1]
                at = f"{sc.where}:{st.line}" if st.line and sc.where != "-c" else sc.where
                stopped.append(f"{at}: step {rec.number}: `{rec.do}` stopped by the page "
                               f"budget {rec.result.why}")
            if args.json:
                sys.stdout.write(json.dumps(rec.to_json()) + "\n")
            else:
                print_step(rec, sc.steps[rec.number - 1].say, lang, args.quiet)
    except ScriptError as e:
        return fail(e.err.render(sc.where))
    except BrokenPipeError:
        raise  # the reader went away (`vmtui run ... | head`): not a bug, main() ends quietly
    except Exception as e:  # a bug in the engine: say where, not Python's text
        from vmtui.engine.check.invariants import InvariantError

        step = sc.steps[runner.done - 1] if 0 < runner.done <= len(sc.steps) else None
        at = f"{sc.where}:{step.line}: step {runner.done}: `{step.do}`: " if step else \
            f"{sc.where}: "
        if isinstance(e, InvariantError):
            return fail(f"{at}engine invariant broken: {e}", 1)
        return fail(at + internal_error(e, "command line" if sc.where == "-c" else
                                        "scenario"), 1)
    for msg in stopped:  # on stderr too, so a script sees why the status is 2
        print(msg, file=sys.stderr)
    if stopped:
        return 2
    if failed:
        from vmtui.view.i18n import t

        print(t("run_failed", lang).format(n=failed), file=sys.stderr)
        return 1
    return 0


def run_compare(args: argparse.Namespace, sc: Scenario, kernels: tuple[str, str],
                lang: str) -> int:
    """`vmtui run --kernel A,B`: the scenario on both kernels, where they differ."""
    from vmtui.scenario.compare import compare_runs
    from vmtui.view.kdiff import image_json, json_line, text_lines

    if not sc.steps:
        return fail(f"{sc.where}: no [[step]]: nothing to run" if sc.where != "-c" else
                    "-c: no command: nothing to run")
    check = None
    if args.check_invariants:
        from vmtui.engine.check.invariants import check_invariants as check
    try:
        comp = compare_runs(sc, kernels, check=check)
    except SettingError as e:
        return fail(f"{sc.where}: {e}")
    except ScriptError as e:
        return fail(e.err.render(sc.where))
    except Exception as e:  # a bug in the engine: say where, not Python's text
        from vmtui.engine.check.invariants import InvariantError

        if isinstance(e, InvariantError):
            return fail(f"{sc.where}: engine invariant broken: {e}", 1)
        return fail(f"{sc.where}: " + internal_error(e, "command line" if sc.where == "-c"
                                                     else "scenario"), 1)
    if args.json:
        for s in comp.steps:
            line = json_line(s, comp.kernels)
            if s.number == 1:  # the process images' difference, once
                line["image"] = image_json(comp.image_diff, comp.kernels)
            sys.stdout.write(json.dumps(line) + "\n")
    else:
        for line in text_lines(comp, lang):
            print(line)
    return 0


def print_step(rec: StepRecord, say: dict[str, str], lang: str, quiet: bool) -> None:
    """One step as text, in `lang`: vmtui's own words translated (vmtui.view.i18n), the
    commands, kernel identifiers and /proc text as they are."""
    from vmtui.view.i18n import t, tr, translate_result, translate_text

    print(f"{t('step', lang)} {rec.number} [pid {rec.pid}] {rec.do}")
    expect = "" if rec.expect_ok is None else (
        f"   ({tr('as expected', lang)})" if rec.expect_ok else
        f"   ({tr('EXPECTED', lang)} {rec.expect})")
    print(f"  -> {translate_result(rec.result.summary(), lang)}" + expect)
    if say:
        print(f"  {pick(say, lang)}")
    if not quiet:
        for e in rec.events:
            text = translate_text(e.text, lang)
            if e.file:
                fn = translate_text(e.fn, lang) if " " in e.fn else e.fn
                where = translate_text(e.file, lang) if " " in e.file else e.file
                print(f"  {'  ' * e.depth}{fn} ({where}): {text}")
            else:
                print(f"  {'  ' * e.depth}{text}")
    for text in rec.texts:
        # vmtui's own views in `lang`; a tool's or /proc's text stays as the kernel prints it
        out = translate_text(text.rstrip("\n"), lang, words=False)
        print("  " + out.replace("\n", "\n  "))
