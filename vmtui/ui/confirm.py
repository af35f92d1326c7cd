"""ConfirmScreen: a yes/no question (returns True for yes)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label

from vmtui.view.i18n import t


class ConfirmScreen(ModalScreen[bool]):
    """`question`, then y (or Enter) for yes, n (or Esc) for no."""

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical {
        width: 60;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: thick $warning;
        background: $surface;
        padding: 0 1;
    }
    /* the question wraps inside the box instead of running past its edge */
    ConfirmScreen Label { width: 100%; }
    """
    BINDINGS = [Binding("y,enter", "answer(True)", "Yes"),
                Binding("n,escape", "answer(False)", "No")]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question)
            yield Label(t("confirm_keys", getattr(self.app, "lang", "en")), id="confirm-keys")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
