"""Op: a request from the app to the engine's thread (driver.Driver.run carries it out).

A module of its own, without the engine: the app makes requests from its first frame on,
and the engine is imported on the worker thread that opens the scenario.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Op:
    """A request: `kind` is next, back, goto, restart, improvise, refresh, rss, end,
    mark (remember this step's state for a diff) or diff (compare it with this step)."""

    kind: str
    arg: Any = None
