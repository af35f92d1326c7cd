"""`vmtui list [--lang zh|en] [--json]`: the built-in scenario library."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from vmtui.commands.common import add_lang, resolve_lang
from vmtui.scenario.loader import ScenarioError, builtin_names, load_scenario, pick


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("list", help="list the built-in scenarios",
                       description="List the built-in scenarios: name, title, number of "
                       "steps and summary, in the chosen language.")
    add_lang(p)
    p.add_argument("--json", action="store_true",
                   help="one JSON array of {name, title, steps, summary, arch}")
    p.set_defaults(func=run)


def library(lang: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Every built-in as a row (name, title, steps, summary), and the errors of broken ones."""
    rows: list[dict[str, Any]] = []
    errors: list[str] = []
    for name in builtin_names():
        try:
            sc = load_scenario(name)
        except ScenarioError as e:
            errors.append(e.render().splitlines()[0])
            continue
        rows.append({"name": name, "title": pick(sc.title, lang), "steps": len(sc.steps),
                     "summary": pick(sc.summary, lang), "arch": sc.config.arch})
    return rows, errors


def _cells(text: str) -> int:
    from rich.cells import cell_len

    return cell_len(text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _cells(text))


def run(args: argparse.Namespace) -> int:
    lang = resolve_lang(args)
    rows, errors = library(lang)
    for e in errors:
        print(e, file=sys.stderr)
    if args.json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False) + "\n")
        return 2 if errors else 0
    if rows:
        wn = max(_cells(r["name"]) for r in rows)
        wt = max(_cells(r["title"]) for r in rows)
        head = ("名称", "标题", "步数", "简介") if lang == "zh" else \
            ("NAME", "TITLE", "STEPS", "SUMMARY")
        wn, wt = max(wn, _cells(head[0])), max(wt, _cells(head[1]))
        print(f"{_pad(head[0], wn)}  {_pad(head[1], wt)}  {' ' * (5 - _cells(head[2]))}"
              f"{head[2]}  {head[3]}")
        for r in rows:
            print(f"{_pad(r['name'], wn)}  {_pad(r['title'], wt)}  {r['steps']:>5}  "
                  f"{r['summary']}")
    return 2 if errors else 0
