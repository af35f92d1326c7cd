"""A tiny Textual app that stands in for the vmtui TUI in tests/cli/test_serve.py.

A light app for the tests that check who may connect (`vmtui serve --command` runs this
file as a program, so it is a file of its own, not a conftest helper): like the real app
it shows "step N" and moves to the next step on `n`.
"""

from __future__ import annotations

import sys

from textual.app import App, ComposeResult
from textual.widgets import Footer, Static


class StandIn(App[None]):
    """`step N` in the middle of the screen; `n` is the next step."""

    BINDINGS = [("n", "next_step", "Next step")]

    def __init__(self, scenario: str) -> None:
        super().__init__()
        self.scenario = scenario
        self.step = 0

    def compose(self) -> ComposeResult:
        yield Static(f"stand-in for vmtui: {self.scenario}")
        yield Static(f"step {self.step}", id="step")
        yield Footer()

    def action_next_step(self) -> None:
        self.step += 1
        self.query_one("#step", Static).update(f"step {self.step}")


if __name__ == "__main__":
    StandIn(" ".join(sys.argv[1:]) or "(default)").run()
