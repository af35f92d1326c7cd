"""`python -m bench` runs the benchmarks in child processes and prints the README's table."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from tests.conftest import ROOT


def _bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bench", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_one_benchmark_gives_its_rows_as_json() -> None:
    proc = _bench("--only", "load", "--quick", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(rows) == 1
    (row,) = rows
    assert row["what"].startswith("scenario file loaded")
    assert "1,000 / 10,000 steps" in row["what"]
    assert row["target"] == "per step 10,000 / 1,000 < 1.5x"
    assert isinstance(row["met"], bool)
    # two sizes, each "N.NN s", then the per-step figures
    assert re.fullmatch(r"\d+\.\d\d s / \d+\.\d\d s \(\d+ / \d+ us a step\)", row["engine"])


def test_the_table_names_the_machine_and_the_command() -> None:
    proc = _bench("--only", "load", "--quick")
    assert proc.returncode == 0, proc.stderr
    first, _, *table = proc.stdout.splitlines()
    assert first.startswith("Measured by `python -m bench --quick` on ")
    assert "cores" in first and "Linux" in first and "Python" in first
    assert table[0] == "| benchmark | engine | real kernel | engine / kernel | target | met |"
    assert len(table) == 3


def test_an_unknown_benchmark_is_named() -> None:
    proc = _bench("--only", "nosuch")
    assert proc.returncode == 2
    assert "unknown benchmark nosuch" in proc.stderr
    assert "Traceback" not in proc.stderr
