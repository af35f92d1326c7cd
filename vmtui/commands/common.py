"""Helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import locale
import os
import sys


def fail(msg: str, code: int = 2) -> int:
    """Print one clear message on stderr; return the exit status."""
    print(msg, file=sys.stderr)
    return code


def internal_error(e: BaseException, what: str = "scenario") -> str:
    """An engine exception told as what it is, a bug in vmtui, without Python's text: where
    in vmtui it happened (file:line and function), so a report can name it."""
    import traceback
    from pathlib import PurePath

    where = ""
    for fr in reversed(traceback.extract_tb(e.__traceback__)):
        parts = PurePath(fr.filename).parts
        if "vmtui" in parts:
            rel = "/".join(parts[len(parts) - 1 - parts[::-1].index("vmtui"):])
            where = f" at {rel}:{fr.lineno} ({fr.name})"
            break
    return (f"vmtui failed inside its engine{where}: this is a bug in vmtui, not a mistake "
            f"in the {what}; please report it with this {what}")


def add_lang(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lang", choices=("en", "zh"), default=None,
                   help="language of titles and narration (default: from the locale)")


def default_lang() -> str:
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        v = os.environ.get(var)
        if v:
            return "zh" if v.lower().startswith("zh") else "en"
    try:
        loc = locale.getlocale()[0] or ""
    except ValueError:
        loc = ""
    return "zh" if loc.lower().startswith("zh") else "en"


def resolve_lang(args: argparse.Namespace) -> str:
    return getattr(args, "lang", None) or default_lang()
