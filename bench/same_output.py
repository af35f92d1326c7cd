"""Same output before and after: every built-in scenario's `vmtui run --json` and text, bytewise.

    python -m bench.same_output                  # this checkout against HEAD
    python -m bench.same_output --against main   # this checkout against another revision

A refactoring of the engine must not change what it prints. This script checks
out REV into a temporary git worktree, runs the same commands there and here
(each in its own interpreter, `python -m vmtui ...` with that tree first on the
path) and reports every output that differs, with the first differing line.
Exit status 0 when all are identical, 1 otherwise.
"""

from __future__ import annotations

import argparse
import difflib
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# `-c` lines that reach what the scenarios alone may not: text views, NUMA, swap, zh
COMMAND_LINES = [
    (["-m", "ram=64M"],
     "a = mmap 40K rw private,anon; write a 40K = 1; show frames; show rbtree; show maps"),
    (["-m", "ram=64M", "-m", "swap=64M"],
     "a = mmap 80M rw private,anon; write a 80M = 1; show lru; show swaps; read a 4K; "
     "show zoneinfo; show buddyinfo"),
    (["-m", "nodes=2"],
     "numa interleave=0,1; a = mmap 16K rw private,anon; write a 16K = 2; show numa; numastat"),
    ([], "b = sbrk 64K; write b 4K = 1; c = fork; write b 4K = 2; show mm; show pagetable; "
         "show tlb; switch c; show smaps"),
    ([], "a = mmap 1M rw private,anon; mprotect a+64K 64K r; munmap a+128K 4K; show maps; "
         "mlock a 8K; show vmas"),
    (["--lang", "zh"], "a = mmap 8K rw private,anon; write a 8K = 1; read 0xffff888000000000 1"),
]


def scenario_names(root: Path) -> list[str]:
    return sorted(p.stem for p in (root / "scenarios").glob("*.toml"))


def commands(root: Path) -> list[tuple[str, list[str]]]:
    """(label, argv after `vmtui`) for every output compared."""
    out: list[tuple[str, list[str]]] = []
    for name in scenario_names(root):
        out.append((f"run --json {name}", ["run", "--json", name]))
        out.append((f"run {name}", ["run", name]))
    for i, (opts, line) in enumerate(COMMAND_LINES):
        out.append((f"-c #{i + 1}", ["run", *opts, "-c", line]))
        out.append((f"-c #{i + 1} --json", ["run", "--json", *opts, "-c", line]))
    return out


def run_in(tree: Path, argv: list[str]) -> bytes:
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONHASHSEED="0", COLUMNS="120", LANG="C.UTF-8")
    proc = subprocess.run([sys.executable, "-m", "vmtui", *argv], cwd=tree, env=env,
                          capture_output=True, timeout=600)
    tail = f"\n--- exit {proc.returncode}\n".encode()
    return proc.stdout + b"\n--- stderr ---\n" + proc.stderr + tail


def outputs(tree: Path, cmds: list[tuple[str, list[str]]]) -> dict[str, bytes]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = pool.map(lambda c: run_in(tree, c[1]), cmds)
        return {label: res for (label, _), res in zip(cmds, results, strict=True)}


def first_difference(a: bytes, b: bytes) -> str:
    la = a.decode(errors="replace").splitlines()
    lb = b.decode(errors="replace").splitlines()
    diff = list(difflib.unified_diff(la, lb, "before", "after", n=0, lineterm=""))
    return "\n".join(diff[:8])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--against", default="HEAD", help="git revision to compare with (default HEAD)")
    args = ap.parse_args(argv)
    cmds = commands(ROOT)
    with tempfile.TemporaryDirectory(prefix="vmtui-same-") as tmp:
        other = Path(tmp) / "tree"
        git = ["git", "-C", str(ROOT), "worktree"]
        subprocess.run([*git, "add", "--detach", "-q", str(other), args.against], check=True)
        try:
            before = outputs(other, cmds)
        finally:
            subprocess.run([*git, "remove", "--force", str(other)], check=False)
    after = outputs(ROOT, cmds)
    differ = [label for label in before if before[label] != after[label]]
    for label in differ:
        print(f"DIFFERS: vmtui {label}")
        print(first_difference(before[label], after[label]))
    print(f"{len(cmds) - len(differ)} of {len(cmds)} outputs byte-identical to {args.against}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
