"""CommandLine: type any command of COMMANDS.md; it runs as a step of its own."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.suggester import Suggester
from textual.widgets import Input, Label

from vmtui.scenario.lang import ParseError, parse_command
from vmtui.scenario.shell import complete
from vmtui.ui.messages import CommandEntered


class CommandSuggester(Suggester):
    """Completes command names and the Linux commands' words (→ or End accepts)."""

    def __init__(self) -> None:
        super().__init__(use_cache=True, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        return complete(value)


class CommandLine(Vertical):
    """An Input, shown while it is in use (`:` opens it, Esc or running a command closes
    it); a line the language cannot parse stays there with its error (and a caret under
    the column), so the lecturer fixes it instead of retyping it."""

    DEFAULT_CSS = """
    CommandLine { height: auto; display: none; }
    CommandLine.-open { display: block; }
    CommandLine > Input {
        height: 1;
        border: none;
        padding: 0 1;
        background: $boost;
    }
    CommandLine > Input:focus { background: $primary 20%; }
    CommandLine > Label {
        color: $error;
        text-style: bold;
        padding: 0 1;
        display: none;
    }
    CommandLine.-error > Label { display: block; }
    """
    BINDINGS = [Binding("escape", "leave", "Back to the panes", show=False)]

    def compose(self) -> ComposeResult:
        yield Label("", id="cmd-error")
        yield Input(placeholder=": type a command, e.g. buf = mmap 1M rw private,anon  "
                                "(Enter runs it, Esc leaves)", id="cmd-input",
                    suggester=CommandSuggester())

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if not text:
            return
        try:
            cmd = parse_command(text, 1)
        except ParseError as e:
            self.show_error(f"column {e.col}: {e.msg}\n  {text}\n  {' ' * (e.col - 1)}^")
            self.query_one(Input).cursor_position = max(0, e.col - 1)
            return
        if cmd is None:
            return
        self.clear_error()
        event.input.value = ""
        self.remove_class("-open")
        self.post_message(CommandEntered(text))

    def open(self) -> None:
        """Show the line and put the cursor in it."""
        self.add_class("-open")
        self.call_after_refresh(self.query_one(Input).focus)

    def show_error(self, text: str) -> None:
        self.query_one(Label).update(text)
        self.add_class("-error")

    def clear_error(self) -> None:
        self.remove_class("-error")

    def action_leave(self) -> None:
        self.clear_error()
        self.remove_class("-open")
        self.screen.focus_next("LinesView")
