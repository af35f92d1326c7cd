"""`vmtui ostep SCRIPT [FLAGS]`: OSTEP's VM homework simulators with their own flags."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from vmtui.ostep import SCRIPTS, BadInput, build, render_json, render_text


def register(sub: Any) -> None:
    p = sub.add_parser(
        "ostep",
        help="the OSTEP VM homework (paging-policy, paging-linear-translate, ...) flag for flag",
        description="Run one of the VM homework simulators of Operating Systems: Three Easy "
        "Pieces with the script's own flags and defaults: the same seed gives the same "
        "exercise and the same answers. Without -c the answers are hidden; -c solves, "
        "with the steps; --json prints one object per question.",
        epilog="scripts (\".py\" accepted): " + ", ".join(SCRIPTS) + "\n"
        "`vmtui ostep SCRIPT -h` lists a script's flags.\n\n"
        "examples:\n"
        "  vmtui ostep paging-policy -a 1,2,3,4,1,2,5,1,2,3,4,5 -p FIFO -C 3 -c\n"
        "  vmtui ostep paging-linear-translate.py -s 1 -c\n"
        "  vmtui ostep paging-multilevel-translate -s 0 -n 3 -c\n"
        "  vmtui ostep segmentation -a 128 -p 512 -b 0 -l 20 -B 512 -L 20 -A 108,127 -c\n"
        "  vmtui ostep relocation -s 1 -c\n"
        "  vmtui ostep malloc -n 5 -p FIRST -l ADDRSORT -C -c",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        add_help=True,
    )
    p.add_argument("script", metavar="SCRIPT", help="the homework script")
    p.add_argument("flags", nargs=argparse.REMAINDER, metavar="FLAGS",
                   help="the script's own flags")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    name = args.script.removesuffix(".py")
    try:
        ex, solved, as_json = build(args.script, args.flags)
    except BadInput as exc:
        print(f"vmtui ostep {name}: {exc}".rstrip(), file=sys.stderr)
        return 2
    except SystemExit as exc:  # -h printed the script's help
        return int(exc.code or 0)
    sys.stdout.write(render_json(ex, solved) if as_json else render_text(ex, solved))
    return 0
