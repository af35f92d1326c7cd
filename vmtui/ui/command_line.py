"""CommandLine: type any command of COMMANDS.md; it runs as a step of its own."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.suggester import Suggester
from textual.widgets import Input, Label

from vmtui.scenario.lang import ParseError, parse_command
from vmtui.ui.messages import CommandEntered
from vmtui.view.i18n import t, translate_text


class CommandSuggester(Suggester):
    """Completes command names and the Linux commands' words (→ or End accepts)."""

    def __init__(self) -> None:
        super().__init__(use_cache=True, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        # the shell's words come with the engine's modules: not needed for the first frame
        from vmtui.scenario.shell import complete

        return complete(value)


def split_commands(text: str) -> list[tuple[int, str]]:
    """`a; b` as in `vmtui run -c`: every non-empty part with the column it starts at."""
    out = []
    col = 1
    for part in text.split(";"):
        lead = len(part) - len(part.lstrip())
        if part.strip():
            out.append((col + lead, part.strip()))
        col += len(part) + 1
    return out


class CommandLine(Vertical):
    """An Input, shown while it is in use (`:` opens it, Esc or running a command closes
    it). `;` separates commands, each a step of its own, as in `vmtui run -c`. A line the
    language (or the engine) refuses stays there with its error (and a caret under the
    column), the cursor at the error, so the lecturer fixes it instead of retyping it.
    Up and Down recall earlier lines; Esc clears the line and leaves."""

    DEFAULT_CSS = """
    CommandLine { height: auto; display: none; }
    CommandLine.-open { display: block; }
    /* compact (one row, no border): a tall border on a one-row Input leaves no row for
       the text, so what the lecturer types would not show */
    CommandLine > Input.-textual-compact {
        padding: 0 1;
        background: $boost;
        color: $foreground;
    }
    CommandLine > Input:focus { background: $primary 20%; }
    CommandLine > Label {
        color: $error;
        text-style: bold;
        padding: 0 1;
        width: 1fr;
        height: auto;
        display: none;
    }
    CommandLine.-error > Label { display: block; }
    """
    BINDINGS = [Binding("escape", "leave", "Back to the panes", show=False),
                Binding("up", "recall(-1)", "Earlier command", show=False),
                Binding("down", "recall(1)", "Later command", show=False)]

    def __init__(self, **kw) -> None:  # type: ignore[no-untyped-def]
        super().__init__(**kw)
        self.history: list[str] = []
        self._recall = 0  # position in history while Up/Down walk it

    def compose(self) -> ComposeResult:
        yield Label("", id="cmd-error")
        yield Input(placeholder=t("cmd_placeholder", getattr(self.app, "lang", "en")),
                    id="cmd-input", suggester=CommandSuggester(), compact=True)

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if not text:
            return
        if not self.history or self.history[-1] != text:
            self.history.append(text)
        self._recall = len(self.history)
        parts = split_commands(event.value)
        for col, part in parts:
            try:
                parse_command(part, 1)
            except ParseError as e:
                self.error_at(event.value, col + e.col - 1, e.msg)
                return
        self.clear_error()
        event.input.value = ""
        self.remove_class("-open")
        for _col, part in parts:
            self.post_message(CommandEntered(part))

    def error_at(self, text: str, col: int, msg: str) -> None:
        """Show `text` again, open and editable, its error under it and the cursor at
        column `col` (1-based; past the end for an error of the whole line)."""
        col = max(1, min(col, len(text) + 1))
        self.add_class("-open")
        inp = self.query_one(Input)
        inp.value = text
        inp.cursor_position = col - 1
        lang = getattr(self.app, "lang", "en")
        head = t("column", lang).format(col=col, msg=translate_text(msg, lang, words=False))
        self.show_error(f"{head}\n  {text}\n  {' ' * (col - 1)}^")
        if not inp.has_focus:
            # focusing an Input puts its cursor at the end: put it back at the error after
            def focus_at() -> None:
                inp.focus()
                self.call_after_refresh(setattr, inp, "cursor_position", col - 1)

            self.call_after_refresh(focus_at)

    def action_recall(self, delta: int) -> None:
        """Up/Down: the previous or next line typed (past the last: an empty line)."""
        if not self.history:
            return
        self._recall = max(0, min(len(self.history), self._recall + delta))
        inp = self.query_one(Input)
        inp.value = self.history[self._recall] if self._recall < len(self.history) else ""
        inp.cursor_position = len(inp.value)

    def open(self) -> None:
        """Show the line and put the cursor in it."""
        self.query_one(Input).placeholder = t("cmd_placeholder", getattr(self.app, "lang", "en"))
        self.add_class("-open")
        self.call_after_refresh(self.query_one(Input).focus)

    def show_error(self, text: str) -> None:
        self.query_one(Label).update(text)
        self.add_class("-error")

    def clear_error(self) -> None:
        self.remove_class("-error")

    def action_leave(self) -> None:
        """Esc: clear the line and its error, and go back to the panes."""
        self.clear_error()
        self.query_one(Input).value = ""
        self._recall = len(self.history)
        self.remove_class("-open")
        self.screen.focus_next("LinesView")
