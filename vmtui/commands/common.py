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
