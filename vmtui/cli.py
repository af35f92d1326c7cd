"""`vmtui`: the TUI by default, headless subcommands otherwise."""

from __future__ import annotations

import argparse
import importlib
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


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    names = set(parser._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    if argv[:1] in (["--version"], ["-V"]):
        from vmtui import __version__

        print(f"vmtui {__version__}")
        return 0
    if not argv or (argv[0] not in names and argv[0] not in ("-h", "--help")):
        from vmtui.commands.tui import run_tui

        return run_tui(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
