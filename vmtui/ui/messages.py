"""Messages between the engine's worker thread, the panes and the app (small dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message

from vmtui.view.snapshot import Snapshot


@dataclass
class StepReady(Message):
    """The engine finished a request; `snapshot` is what every pane shows now."""

    snapshot: Snapshot
    op: Any = None


@dataclass
class ScenarioLoaded(Message):
    """A scenario was opened on the engine thread: its driver and first snapshot."""

    driver: Any
    snapshot: Snapshot


@dataclass
class EngineFailed(Message):
    """The engine thread could not do what was asked (a bad scenario file, say)."""

    text: str


@dataclass
class Progress(Message):
    """Live figures during a long step, posted from the engine's thread (throttled)."""

    done: int
    total: int
    free: int
    kswapd: tuple[tuple[int, str, int], ...]

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, Progress)


@dataclass
class VmaChosen(Message):
    """The lecturer picked a VMA in the list (Enter or a click)."""

    index: int


@dataclass
class VmaWindow(Message):
    """The VMA list scrolled: these rows need their RSS."""

    top: int
    rows: int

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, VmaWindow)


@dataclass
class CommandEntered(Message):
    """A command line the language parsed: run it as a step of its own."""

    text: str
