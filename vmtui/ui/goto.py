"""GotoScreen: ask for a step number (returns it)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from vmtui.view.i18n import t


class GotoScreen(ModalScreen[int]):
    """One Input for a step number 0..total (0 is before the first step)."""

    DEFAULT_CSS = """
    GotoScreen { align: center middle; }
    GotoScreen > Vertical {
        width: 44;
        height: auto;
        border: thick $accent;
        background: $surface;
        padding: 0 1;
    }
    """
    BINDINGS = [Binding("escape", "dismiss_none", "Close")]

    def __init__(self, total: int, current: int) -> None:
        super().__init__()
        self.total = total
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(t("goto", getattr(self.app, "lang", "en")).format(
                total=self.total, now=self.current))
            yield Input(placeholder=str(self.current), type="integer", id="goto-input")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        try:
            n = int(event.value)
        except ValueError:
            self.dismiss(None)
            return
        self.dismiss(max(0, min(self.total, n)))

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
