"""Helpers shared by the test layers (tests/engine, scenario, ui, ostep, host, cli): the
folders tests read, commands run the way `vmtui run -c ... --json` does, and the CLI run
in-process. A helper that only one layer uses lives in that folder's conftest.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vmtui.cli import main
from vmtui.engine.check.invariants import check_invariants
from vmtui.scenario.loader import from_commands
from vmtui.scenario.runner import Runner

#: The checkout, the real kernel's probe outputs, and the tests' data files.
ROOT = Path(__file__).resolve().parent.parent
PROBES = ROOT / "tests" / "kernel_probes"
DATA = ROOT / "tests" / "data"

PER_PROCESS = ("maps", "rss", "faults")


def rebuild(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every live process's maps, rss and faults at every step, from `--json`'s sparse
    lines, as docs/commands.md tells a consumer to: an entry holds until a later line
    gives the same process again; `null` means it ended."""
    held: dict[str, dict[str, Any]] = {key: {} for key in PER_PROCESS}
    out = []
    for step in steps:
        full = dict(step)
        for key in PER_PROCESS:
            for pid, value in step[key].items():
                if value is None:
                    held[key].pop(pid, None)
                else:
                    held[key][pid] = value
            full[key] = dict(sorted(held[key].items(), key=lambda kv: int(kv[0])))
        out.append(full)
    return out


def run_json(capsys: pytest.CaptureFixture[str], commands: str, raw: bool = False,
             **machine: Any) -> list[dict[str, Any]]:
    """`vmtui run -c COMMANDS --json --check-invariants`, parsed: one dict per step, with
    every live process's maps, rss and faults rebuilt at every step (raw: as printed)."""
    argv = ["run", "-c", commands, "--json", "--check-invariants"]
    for k, v in machine.items():
        argv += ["-m", f"{k}={v}"]
    code = main(argv)
    out = capsys.readouterr().out
    assert code in (0, 1), f"vmtui run exited {code}"
    steps = [json.loads(line) for line in out.splitlines()]
    return steps if raw else rebuild(steps)


def run_checked(commands: str, **machine: Any) -> Runner:
    """Run every step with check_invariants after each; returns the finished runner."""
    runner = Runner(from_commands(commands, machine))
    for _ in runner:
        check_invariants(runner.machine)
    return runner


def vmas_near(step: dict[str, Any], base: int, pid: str = "1", window: int = 64 << 12
              ) -> list[tuple[int, int, str]]:
    """The step's maps of `pid` as (start - base, end - base, perms) in KiB, for the VMAs
    overlapping [base - window, base + 64K) (64K: the largest mapping these tests make)."""
    out = []
    for line in step["maps"][pid]:
        rng, perms = line.split()[:2]
        s, e = (int(x, 16) for x in rng.split("-"))
        if e <= base - window or s >= base + max(window, 64 << 10):
            continue
        out.append(((s - base) // 1024, (e - base) // 1024, perms))
    return out


def run_cli(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    """`vmtui ARGV` in-process: the exit status, stdout and stderr."""
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def run_cli_clean(capsys: pytest.CaptureFixture[str], argv: list[str]
                  ) -> tuple[int, str, str]:
    """run_cli, with no Python traceback on stdout or stderr."""
    code, out, err = run_cli(capsys, argv)
    assert "Traceback" not in out + err
    return code, out, err
