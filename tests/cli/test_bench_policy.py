"""bench/bench_policy.py: the same trace file to vmtui and to the textbook's script, the
hit counts compared, and a clear skip when the script is not given."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import bench_policy

# A stand-in for OSTEP's paging-policy.py with its flags and its FINALSTATS line: the
# hits of FIFO/LRU computed the textbook's way (a list, index, remove, pop(0)).
STANDIN = '''
import sys
from optparse import OptionParser
p = OptionParser()
p.add_option("-f", dest="f"); p.add_option("-p", dest="p"); p.add_option("-C", dest="c")
p.add_option("-c", action="store_true", dest="solve")
p.add_option("-N", action="store_true", dest="notrace")
o, _ = p.parse_args()
memory, hits, size = [], 0, int(o.c)
for line in open(o.f):
    n = int(line)
    if n in memory:
        hits += 1
        if o.p == "LRU":
            memory.remove(n); memory.append(n)
        continue
    if len(memory) == size:
        memory.pop(0)
    memory.append(n)
total = sum(1 for _ in open(o.f))
print("FINALSTATS hits %d   misses %d   hitrate %.2f" % (hits + OFFSET, total - hits, 0.0))
'''


def _standin(tmp_path: Path, offset: int) -> Path:
    path = tmp_path / "paging-policy.py"
    path.write_text(STANDIN.replace("OFFSET", str(offset)))
    return path


def test_without_the_script_the_column_is_skipped_with_a_message(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv(bench_policy.ENV, raising=False)
    got = bench_policy.measure(3000, 1)
    assert set(got) == {"FIFO", "LRU"}
    assert all("ostep_secs" not in r and r["hits"] for r in got.values())
    assert f"{bench_policy.ENV} is not set" in capsys.readouterr().out


def test_the_same_file_goes_to_both_and_the_hits_agree(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(bench_policy.ENV, str(_standin(tmp_path, 0)))
    got = bench_policy.measure(3000, 1)
    assert all(float(r["ostep_secs"]) > 0 and float(r["ostep_mb"]) > 0  # type: ignore[arg-type]
               for r in got.values())


def test_different_hits_fail_the_benchmark(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(bench_policy.ENV, str(_standin(tmp_path, 1)))
    with pytest.raises(SystemExit, match="disagree"):
        bench_policy.measure(3000, 1)
