"""Events: every engine operation says which kernel function did what.

The narration pane, the call-chain pane and `vmtui run --json` are all made
from these records, so each names the kernel function and its source file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Event:
    """One step of kernel work: `fn` in `file` did `text`; `data` says what changed."""

    fn: str
    file: str
    text: str
    depth: int = 0
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The event as the `--json` contract shows it."""
        out: dict[str, Any] = {"fn": self.fn, "file": self.file, "text": self.text}
        if self.depth:
            out["depth"] = self.depth
        if self.data:
            out["data"] = self.data
        return out


class EventLog:
    """Collects events for the current step; `call()` nests depth like a call chain."""

    __slots__ = ("events", "_depth", "limit", "dropped", "muted")

    def __init__(self, limit: int = 2000) -> None:
        self.events: list[Event] = []
        self._depth = 0
        self.limit = limit
        self.dropped = 0
        self.muted = 0  # bulk work mutes per-page events and emits a summary instead

    def emit(self, fn: str, file: str, text: str, **data: Any) -> None:
        """Record that `fn` (in `file`) did `text`."""
        if self.muted:
            return
        if len(self.events) >= self.limit:
            self.dropped += 1
            return
        self.events.append(Event(fn, file, text, self._depth, dict(data)))

    def enter(self) -> None:
        self._depth += 1

    def leave(self) -> None:
        self._depth -= 1

    def take(self) -> list[Event]:
        """Hand over this step's events and start afresh."""
        ev = self.events
        if self.dropped:
            ev.append(Event("(aggregated)", "", f"{self.dropped} more events not shown", 0))
        self.events = []
        self._depth = 0
        self.dropped = 0
        return ev


class _Call:
    __slots__ = ("log",)

    def __init__(self, log: EventLog) -> None:
        self.log = log

    def __enter__(self) -> None:
        self.log.enter()

    def __exit__(self, *exc: object) -> None:
        self.log.leave()


def nested(log: EventLog) -> _Call:
    """`with nested(log):` makes the events inside one level deeper."""
    return _Call(log)
