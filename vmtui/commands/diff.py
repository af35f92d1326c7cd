"""`vmtui diff SCENARIO A B`: what changed between step A and step B of a scenario.

VMMap's "Show Changes" for the simulated kernel: VMAs added, removed, split,
merged or changed; PTEs and frames by process; swap slots; counters.
"""

from __future__ import annotations

import argparse

from vmtui.commands.common import fail
from vmtui.scenario.execute import ScriptError
from vmtui.scenario.loader import ScenarioError, load_scenario


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("diff", help="what changed between two steps of a scenario",
                       description="Run a scenario and list what changed between the state "
                       "after step A and the state after step B (0 is the start): VMAs, "
                       "PTEs and frames by process, swap slots and counters.")
    p.add_argument("scenario", help="built-in name or path to a .toml file")
    p.add_argument("a", help="the first step (0 = before the first step)")
    p.add_argument("b", help="the second step")
    p.add_argument("--show", type=int, default=8, metavar="N",
                   help="PTEs listed per process (default 8)")
    p.set_defaults(func=run)


def _step(text: str, total: int, which: str) -> int | str:
    try:
        n = int(text)
    except ValueError:
        return f"vmtui diff: step {which} {text!r}: expected a step number 0..{total}"
    if not 0 <= n <= total:
        return f"vmtui diff: step {which} {n} is outside 0..{total}"
    return n


def run(args: argparse.Namespace) -> int:
    from vmtui.engine.views.statediff import capture, changes_text, compare
    from vmtui.scenario.runner import Runner

    try:
        sc = load_scenario(args.scenario)
    except ScenarioError as e:
        return fail(e.render())
    total = len(sc.steps)
    a, b = _step(args.a, total, "A"), _step(args.b, total, "B")
    for v in (a, b):
        if isinstance(v, str):
            return fail(v)
    assert isinstance(a, int) and isinstance(b, int)
    if args.show < 0:
        return fail("vmtui diff: --show must be 0 or more")
    runner = Runner(sc)
    caps = {}
    dos = {}
    try:
        if 0 in (a, b):
            caps[0] = capture(runner.machine)
        for rec in runner:
            dos[rec.number] = rec.do
            if rec.number in (a, b):
                caps[rec.number] = capture(runner.machine)
            if rec.number >= max(a, b):
                break
    except ScriptError as e:
        return fail(e.err.render(sc.where))
    ca, cb = caps[a], caps[b]
    ch = compare(ca, cb)
    print(f"{sc.name}: after step {a} -> after step {b}")
    for n in (a, b):
        print(f"  step {n}: {dos.get(n, '(the start)')}")
    print()
    for line in changes_text(ch, ca, cb, args.show):
        print(line)
    return 0
