"""`vmtui [SCENARIO]`: the TUI on a scenario (the default one when none is named)."""

from __future__ import annotations

import argparse
import gc

from vmtui.commands.common import add_lang, fail, resolve_lang
from vmtui.scenario.loader import (
    Scenario,
    ScenarioError,
    builtin_names,
    from_commands,
    load_scenario,
)

DEFAULT = "tour"
FALLBACK_COMMANDS = (
    "buf = mmap 1M rw private,anon; write buf 512K; read buf+768K; "
    "mprotect buf 4K r; write buf; walk buf+4K; show maps"
)


def default_scenario() -> Scenario:
    """`tour` if it is installed, else the first built-in, else a short built-in demo."""
    names = builtin_names()
    for name in ([DEFAULT] if DEFAULT in names else []) + names:
        try:
            return load_scenario(name)
        except ScenarioError:
            continue
    sc = from_commands(FALLBACK_COMMANDS)
    sc.name = "demo"
    sc.title = {"en": "A first look: mmap, faults, mprotect", "zh": "初识：mmap、缺页、mprotect"}
    return sc


def open_scenario(spec: str | None, commands: str | None = None) -> Scenario:
    """The scenario a command line names: -c commands, a name or path, or the default."""
    if commands:
        return from_commands(commands)
    if not spec:
        return default_scenario()
    return load_scenario(spec)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="vmtui", description="An interactive explorer of Linux virtual memory: step "
        "through a scenario and watch the kernel's memory structures change.",
        epilog="Subcommands: run, check, list, shot, policy, attach, host (vmtui COMMAND -h).")
    p.add_argument("scenario", nargs="?", help="a built-in scenario name or a .toml path "
                   "(default: the tour)")
    p.add_argument("-c", "--commands", help='commands to step through, ";" between steps')
    p.add_argument("--step", type=int, default=0, help="start at this step (default 0)")
    p.add_argument("--theme", choices=("dark", "light"), default="dark",
                   help="light reads better on a projector")
    p.add_argument("--shots", metavar="DIR", help="folder where s saves screenshots "
                   "(default: $VMTUI_SHOTS, else ./vmtui-shots/SCENARIO)")
    add_lang(p)
    return p


def run_tui(argv: list[str]) -> int:
    """Open the TUI; a scenario that cannot be loaded is one line on stderr and exit 2."""
    p = parser()
    args = p.parse_args(argv)
    try:
        sc = open_scenario(args.scenario, args.commands)
    except ScenarioError as e:
        return fail(f"vmtui: {e.render()}")
    if args.step < 0 or args.step > len(sc.steps):
        return fail(f"vmtui: --step {args.step} is outside 0..{len(sc.steps)}")
    # the UI's modules (Textual, Rich) stay: no cyclic collection while they load (~90 of
    # them, 15-25 ms); the app holds it off again until its first paint (VmtuiApp.on_load)
    held = gc.isenabled()
    gc.disable()
    try:
        from vmtui.ui.app import VmtuiApp
    finally:
        if held:
            gc.enable()

    app = VmtuiApp(sc, lang=resolve_lang(args), theme=args.theme, start_step=args.step,
                   shots_dir=args.shots)
    app.run()
    return 0
