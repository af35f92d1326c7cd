"""`vmtui`: the TUI by default, headless subcommands otherwise."""

from __future__ import annotations

import argparse
import difflib
import gc
import importlib
import importlib.util
import os
import sys

from vmtui.commands import SUBCOMMANDS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vmtui",
        description="An interactive explorer of Linux virtual memory.",
        epilog="Run `vmtui` alone to open the TUI on the default scenario.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        try:
            mod = importlib.import_module(f"vmtui.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"vmtui.commands.{name}":
                continue
            raise
        mod.register(sub)
    return parser


def command_names() -> set[str]:
    """The subcommands this install has (a module each), found without importing them:
    `vmtui` alone opens the TUI, and importing every command's module for the parser
    (the engine, /proc readers, the OSTEP models...) would hold up its first frame."""
    return {name for name in SUBCOMMANDS
            if importlib.util.find_spec(f"vmtui.commands.{name}") is not None}


def _names_scenario(word: str) -> bool:
    """Does `word` name a scenario (a built-in, a .toml or a path) rather than a command?"""
    if word.endswith(".toml") or "/" in word or os.path.lexists(word):
        return True
    from vmtui.scenario.loader import builtin_names

    return word in builtin_names()


def _tolerant_output() -> None:
    """A byte that is not UTF-8 (in argv or a path) is shown escaped, even when stdout is
    strict UTF-8 or ASCII, rather than ending the program in UnicodeEncodeError."""
    for stream in (sys.stdout, sys.stderr):
        reconf = getattr(stream, "reconfigure", None)
        if reconf is not None:
            try:
                reconf(errors="backslashreplace")
            except (ValueError, OSError):
                pass


GC_THRESHOLD0 = 10_000
"""Allocations between two collections of the youngest generation (CPython's default:
700). A simulated machine is hundreds of thousands of long-lived objects (tasks, VMAs,
page tables, pages, events), made by the thousand a step; at the default, the full
collections, each of which walks all of them, come ever more often as the machine grows:
5,000 forks took 7.7x the time of 1,000 (4.97x with the collector off), 3.7x with this."""


def tune_gc() -> None:
    """The collector's thresholds every vmtui command runs with (GC_THRESHOLD0)."""
    gc.set_threshold(GC_THRESHOLD0, *gc.get_threshold()[1:])


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    tune_gc()
    names = command_names()
    if argv[:1] in (["--version"], ["-V"]):
        from vmtui import __version__

        print(f"vmtui {__version__}")
        return 0
    _tolerant_output()
    if argv and not argv[0].startswith("-") and argv[0] not in names and \
            not _names_scenario(argv[0]):
        close = difflib.get_close_matches(argv[0], sorted(names), 1)
        if close or len(argv) > 1:
            from vmtui.commands.common import fail

            hint = f" (did you mean {close[0]!r}?)" if close else ""
            return fail(f"vmtui: unknown command {argv[0]!r}{hint}; commands: "
                        f"{', '.join(sorted(names))}; or a scenario name or .toml path to "
                        "open in the TUI (`vmtui list` shows them)")
    if not argv or (argv[0] not in names and argv[0] not in ("-h", "--help")):
        from vmtui.commands.tui import run_tui

        return run_tui(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # the reader of our output went away (`vmtui run tour | head`): stop quietly, as
        # a tool killed by SIGPIPE does; stdout goes to /dev/null so that flushing what is
        # still buffered at exit cannot raise again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
