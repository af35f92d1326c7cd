"""`vmtui run SCENARIO | head`: the reader goes away early. Like any Unix tool, vmtui stops
quietly: no traceback, and no "this is a bug in vmtui" (which it used to print)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("args", [["run", "swap"], ["run", "tour", "--json"],
                                  ["diff", "fork-cow", "1", "6"]])
def test_a_reader_that_stops_early_ends_the_run_quietly(args):
    p = subprocess.Popen([sys.executable, "-m", "vmtui", *args], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    assert p.stdout is not None and p.stderr is not None
    first = p.stdout.readline()  # as `head -1` does: one line, then close the pipe
    p.stdout.close()
    err = p.stderr.read().decode()
    code = p.wait(timeout=120)
    assert first, "the run printed nothing"
    assert err == "", err
    assert code == 0
