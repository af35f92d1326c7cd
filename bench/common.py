"""What every benchmark hands to `python -m bench`: rows of the README's figures table.

A row is one figure: what was measured, the engine's value, the real kernel's value
from the same run where the kernel is the reference, their ratio, the target and
whether it was met. Values are already formatted text, so the table shows exactly
what was measured, rounded once, here.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass
class Row:
    what: str
    engine: str
    kernel: str = ""
    ratio: str = ""
    target: str = ""
    met: bool | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def median_of(fn: Callable[[], float], runs: int) -> float:
    return statistics.median(fn() for _ in range(runs))


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.0f} ms" if seconds >= 0.01 else f"{seconds * 1e3:.1f} ms"


def secs(seconds: float) -> str:
    return f"{seconds:.2f} s"


def count(x: float) -> str:
    return f"{x:,.0f}"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_line() -> str:
    """On what the figures were measured: CPU, cores, RAM, kernel, Python, date."""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        ram = f"{kib / 2**20:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        ram = "RAM unknown"
    return (f"{cpu_model()}, {os.cpu_count()} cores, {ram}; Linux {platform.release()}; "
            f"Python {platform.python_version()}; {time.strftime('%Y-%m-%d')}")


def markdown(rows: Iterable[Row]) -> str:
    out = ["| benchmark | engine | real kernel | engine / kernel | target | met |",
           "| --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        met = "" if r.met is None else ("yes" if r.met else "**no**")
        out.append(f"| {r.what} | {r.engine} | {r.kernel} | {r.ratio} | {r.target} | {met} |")
    return "\n".join(out)
